"""Taking money: the payment gateway port, its Stripe adapter and the sandbox acquirer.

`gateway` is the port (`PaymentGateway`) and the one real adapter (`StripeGateway`,
on the official `stripe` SDK). `cards` is pure card-number knowledge shared by the
sandbox and the tests. `sandbox` is a Stripe-compatible acquirer that runs on
loopback, so that development, tests and load tests exercise the real client code
path, including the failures (timeouts, 5xx, lost responses) that real networks have.
"""
