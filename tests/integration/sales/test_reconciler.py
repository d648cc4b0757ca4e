"""The reconciler (and hold sweeper) settles pending orders only on the gateway's word."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from boxoffice.db.tables import inventory_buckets, orders
from boxoffice.payments.gateway import StripeGateway
from boxoffice.sales import purchase
from boxoffice.sales.commands import PlaceOrder
from boxoffice.sales.context import SalesContext
from boxoffice.sales.reconciler import reconcile_once
from tests.support.builders import new_event, new_partner, ticket_type
from tests.support.buying import order_body, tokenise
from tests.support.sandbox import Sandbox


async def held_order(ctx: SalesContext, event: dict[str, Any], method: str, key: str) -> str:
    """A pending order whose charge never happened (the process died before charging)."""
    command = PlaceOrder.model_validate(order_body(event, method, quantity=2))
    order_id = f"ord_{key}_{uuid.uuid4().hex[:8]}"  # the sandbox outlives one test
    order = await purchase._hold(ctx, purchase.Purchase.of(command, key), order_id)
    return order.id


async def status_and_held(ctx: SalesContext, order_id: str, ticket_type_id: str) -> tuple[str, int]:
    async with ctx.engine.connect() as conn:
        status = await conn.scalar(select(orders.c.status).where(orders.c.id == order_id))
        held = await conn.scalar(
            select(func.sum(inventory_buckets.c.taken)).where(
                inventory_buckets.c.ticket_type_id == ticket_type_id
            )
        )
    return str(status), int(held or 0)


async def test_an_expired_hold_is_released_once_the_gateway_says_nothing_was_charged(
    app: FastAPI, client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    event = await new_event(client, await new_partner(client), ticket_types=[ticket_type()])
    ctx: SalesContext = app.state.services.sales
    order_id = await held_order(ctx, event, tokenise(sandbox.url), "never-charged")
    tt = event["ticket_types"][0]["id"]

    young = await reconcile_once(ctx)  # younger than the charge deadline: left alone
    assert await status_and_held(ctx, order_id, tt) == ("pending", 2)
    tally = await reconcile_once(ctx, older_than=timedelta(0))

    assert young == {}
    assert tally == {"released": 1}
    assert await status_and_held(ctx, order_id, tt) == ("released", 0)


async def test_a_hold_stays_while_the_gateway_cannot_be_asked(
    app: FastAPI, client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    event = await new_event(client, await new_partner(client), ticket_types=[ticket_type()])
    ctx: SalesContext = app.state.services.sales
    order_id = await held_order(ctx, event, tokenise(sandbox.url), "gateway-down")
    unreachable = StripeGateway(
        api_key=sandbox.key, base_url="http://127.0.0.1:9", timeout_seconds=1
    )
    blind = dataclasses.replace(ctx, gateway=unreachable)
    try:
        tally = await reconcile_once(blind, older_than=timedelta(0))
    finally:
        await unreachable.aclose()

    assert tally == {"unknown": 1}
    assert await status_and_held(ctx, order_id, event["ticket_types"][0]["id"]) == ("pending", 2)


async def test_a_capture_found_by_the_reconciler_becomes_a_paid_order_with_tickets(
    app: FastAPI, client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    event = await new_event(client, await new_partner(client), ticket_types=[ticket_type()])
    ctx: SalesContext = app.state.services.sales
    method = tokenise(sandbox.url)
    order_id = await held_order(ctx, event, method, "captured-then-crashed")
    # The charge went through, but our process "died" before it could confirm.
    assert (
        type(
            await ctx.gateway.charge(
                order_id=order_id, amount=24000, currency="BRL", payment_method=method
            )
        ).__name__
        == "Approved"
    )

    tally = await reconcile_once(ctx, older_than=timedelta(0))
    again = await reconcile_once(ctx, older_than=timedelta(0))

    assert tally == {"confirmed": 1}
    assert again == {}
    order = await client.get(
        f"/api/v1/orders/{order_id}",
        headers={"Authorization": f"Bearer {ctx.access_token(order_id)}"},
    )
    assert order.json()["status"] == "paid"
    assert len(order.json()["tickets"]) == 2
