"""A Stripe-compatible sandbox card acquirer, with a durable ledger and injectable faults.

It speaks the subset of Stripe's API the service uses (payment methods, payment
intents confirmed at creation, refunds, listing and search by order id), with
Stripe's form encoding, errors and idempotency, so the production client (the
official `stripe` SDK) is what tests and load tests exercise. See
docs/payments.md.
"""

from boxoffice.payments.sandbox.app import SandboxApp, create_sandbox_app
from boxoffice.payments.sandbox.settings import SandboxSettings

__all__ = ["SandboxApp", "SandboxSettings", "create_sandbox_app"]
