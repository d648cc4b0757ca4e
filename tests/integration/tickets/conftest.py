"""Fixtures for showing tickets: a partner, a published event, paid orders bought via the API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from boxoffice.tickets import qr
from boxoffice.tickets.presentation import TicketsContext
from tests.support.builders import new_event, new_partner, ticket_type
from tests.support.buying import buy, order_body, tokenise
from tests.support.sandbox import Sandbox


@pytest.fixture
async def partner(client: httpx.AsyncClient) -> dict[str, Any]:
    return await new_partner(client)


@pytest.fixture
async def event(client: httpx.AsyncClient, partner: dict[str, Any]) -> dict[str, Any]:
    return await new_event(
        client,
        partner,
        name="Orquestra Sinfônica — Noite de Estreia",
        ticket_types=[ticket_type(name="Plateia", capacity=20)],
    )


@pytest.fixture
def tickets_ctx(app: FastAPI) -> TicketsContext:
    context: TicketsContext = app.state.tickets
    return context


async def paid_order(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    sandbox: Sandbox,
    *,
    quantity: int = 1,
    locale: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    body = order_body(event, tokenise(sandbox.url), quantity=quantity, locale=locale)
    response = await buy(client, body, headers=headers)
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    order["headers"] = {"Authorization": f"Bearer {order['access_token']}"}
    return order


async def verify_payload(
    ctx: TicketsContext, payload: str, event_id: str, **kwargs: Any
) -> qr.Verification:
    keys = await ctx.keys.public_keys(event_id)
    now = ctx.clock().timestamp()
    return qr.verify(payload, event_id=event_id, public_keys=keys, now=now, **kwargs)
