"""Selling tickets: holds, orders, idempotency, the purchase flow, reconciliation, refunds."""
