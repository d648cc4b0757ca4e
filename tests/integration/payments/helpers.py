"""Builders for driving the sandbox acquirer with the official SDK."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import stripe

from tests.support.sandbox_process import SandboxProcess

APPROVE = "4242424242424242"
GENERIC_DECLINE = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
PROCESSING_ERROR = "4000000000000119"
NEXT_YEAR = date.today().year + 1


@asynccontextmanager
async def sdk_client(
    sandbox: SandboxProcess, *, key: str | None = None, timeout: float = 5
) -> AsyncIterator[stripe.StripeClient]:
    """A bare `stripe.StripeClient` on the sandbox, as a partner's script would use it."""
    http = stripe.HTTPXClient(timeout=timeout)
    try:
        yield stripe.StripeClient(
            key or sandbox.secret_key,
            base_addresses={"api": sandbox.url},
            max_network_retries=0,
            http_client=http,
        )
    finally:
        await http.close_async()  # type: ignore[no-untyped-call]


def new_order_id() -> str:
    return f"ord_{uuid.uuid4().hex}"


async def card_payment_method(
    client: stripe.StripeClient,
    number: str = APPROVE,
    *,
    exp_month: int = 12,
    exp_year: int = NEXT_YEAR,
    cvc: str = "123",
) -> str:
    """Tokenise a card as the storefront does, returning the `pm_…` id."""
    method = await client.v1.payment_methods.create_async(
        {
            "type": "card",
            "card": {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": cvc},
        }
    )
    return method.id


async def all_intents(client: stripe.StripeClient) -> list[Any]:
    """Every intent in the ledger, paging through the list the way an auditor would."""
    intents: list[Any] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = await client.v1.payment_intents.list_async(params)  # type: ignore[arg-type]
        intents.extend(page.data)
        if not page.has_more:
            return intents
        params["starting_after"] = page.data[-1].id


async def intents_for(client: stripe.StripeClient, order_id: str) -> list[Any]:
    return [
        i for i in await all_intents(client) if i.metadata.to_dict().get("order_id") == order_id
    ]
