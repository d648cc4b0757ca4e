"""Helpers for buying through the public API, as a storefront would."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import stripe

APPROVE = "4242424242424242"
DECLINE = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"


def tokenise(gateway_url: str, number: str = APPROVE) -> str:
    """Create a payment method at the gateway, as the buyer's browser does (never via us)."""
    client = stripe.StripeClient(
        "pk_test_boxoffice_sandbox", base_addresses={"api": gateway_url}, max_network_retries=0
    )
    method = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2031, "cvc": "123"},
        }
    )
    return str(method.id)


def order_body(
    event: dict[str, Any],
    payment_method: str,
    *,
    quantity: int = 1,
    email: str | None = None,
    type_index: int = 0,
    locale: str | None = None,
) -> dict[str, Any]:
    buyer = {"email": email or f"buyer-{uuid.uuid4().hex[:8]}@example.com", "name": "Ana"}
    if locale is not None:
        buyer["locale"] = locale
    return {
        "event_id": event["id"],
        "items": [
            {"ticket_type_id": event["ticket_types"][type_index]["id"], "quantity": quantity}
        ],
        "buyer": buyer,
        "payment_method": payment_method,
    }


async def buy(
    client: httpx.AsyncClient,
    body: dict[str, Any],
    key: str | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        "/api/v1/orders",
        json=body,
        headers={"Idempotency-Key": key or uuid.uuid4().hex, **(headers or {})},
    )
