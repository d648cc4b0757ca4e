"""The inventory guard, raced directly: the control proves the race exists without it.

Modelled on the best peers' tests: first show that a read-then-write hold
oversells under the very same concurrency, so the real test is known to be
able to fail; then show the conditional update never does.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.config import Settings
from boxoffice.db.tables import inventory_buckets, order_items, orders
from boxoffice.errors import BoxofficeError
from boxoffice.sales import purchase
from boxoffice.sales.commands import PlaceOrder
from boxoffice.sales.context import SalesContext
from boxoffice.sales.inventory import InventoryGuard
from tests.support.builders import new_event, new_partner, ticket_type
from tests.support.buying import order_body

CAPACITY = 10
RACERS = 60


class ReadThenWriteInventory(InventoryGuard):
    """TEST ONLY: the classic bug. Reads a bucket's room into Python, then writes it back."""

    async def take(
        self, conn: AsyncConnection, *, ticket_type_id: str, bucket: int, seats: int
    ) -> bool:
        ib = inventory_buckets.c
        where = (ib.ticket_type_id == ticket_type_id, ib.bucket == bucket)
        row = (await conn.execute(select(ib.taken, ib.capacity).where(*where))).one()
        await asyncio.sleep(0.01)  # the gap where another buyer reads the same room
        if row.taken + seats > row.capacity:
            return False
        await conn.execute(update(inventory_buckets).where(*where).values(taken=row.taken + seats))
        return True


async def race_holds(
    app: FastAPI,
    client: httpx.AsyncClient,
    guard: InventoryGuard | None = None,
    *,
    capacity: int = CAPACITY,
    racers: int = RACERS,
) -> int:
    """Buyers hold one ticket each at once; returns how many tickets were held.

    With a `guard`, the general path runs with it (PostgreSQL's one-statement hold would
    bypass it); without, the path the service itself runs. Either way, every seat taken in
    the buckets must belong to a held order: a rolled-back attempt leaks nothing.
    """
    partner = await new_partner(client)
    event = await new_event(client, partner, ticket_types=[ticket_type(capacity=capacity)])
    ctx: SalesContext = app.state.services.sales
    if guard is not None:
        ctx = dataclasses.replace(ctx, inventory=guard, hot_path=None)

    async def one(i: int) -> None:
        command = PlaceOrder.model_validate(order_body(event, "pm_race", email=f"r{i}@example.com"))
        with contextlib.suppress(purchase._Refused, BoxofficeError):
            await purchase._hold(ctx, purchase.Purchase.of(command, f"k{i}"), f"ord_race_{i}")

    await asyncio.gather(*(one(i) for i in range(racers)))
    async with ctx.engine.connect() as conn:
        held = await conn.scalar(
            select(func.coalesce(func.sum(order_items.c.quantity), 0))
            .join(orders, orders.c.id == order_items.c.order_id)
            .where(orders.c.event_id == event["id"], orders.c.status == "pending")
        )
        taken = await conn.scalar(
            select(func.sum(inventory_buckets.c.taken)).where(
                inventory_buckets.c.ticket_type_id == event["ticket_types"][0]["id"]
            )
        )
    if guard is None or type(guard) is InventoryGuard:
        assert taken == held, "seats taken in the buckets must all belong to held orders"
    return int(held or 0)


async def test_control_read_then_write_inventory_oversells(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    if "sqlite" in settings.resolved_database_url:
        pytest.skip("SQLite serialises whole write transactions, so this race cannot occur there")
    held = await race_holds(app, client, ReadThenWriteInventory())
    assert held > CAPACITY, "the control race should oversell; if not, the real test proves nothing"


async def test_conditional_update_inventory_never_oversells(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    held = await race_holds(app, client, InventoryGuard())
    assert held == CAPACITY


async def test_the_served_hold_never_oversells_and_sells_out_exactly(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """The path the service runs (one statement on PostgreSQL), one bucket."""
    assert await race_holds(app, client) == CAPACITY


async def test_the_served_hold_sells_out_exactly_across_buckets(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Four buckets filling at random: the last seats are found wherever they are left."""
    assert await race_holds(app, client, capacity=200, racers=260) == 200


async def test_an_order_whose_later_line_is_sold_out_is_refused_and_leaks_no_seat(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Lines are held in ticket-type order; the one-statement hold takes the first line's
    seats before it finds the last line sold out, and must give them back (roll back)."""
    partner = await new_partner(client)
    event = await new_event(
        client,
        partner,
        ticket_types=[ticket_type(name="Pista", capacity=10), ticket_type(name="VIP", capacity=2)],
    )
    first, last = sorted(tt["id"] for tt in event["ticket_types"])
    capacity = {tt["id"]: tt["capacity"] for tt in event["ticket_types"]}
    ctx: SalesContext = app.state.services.sales

    def command(lines: list[tuple[str, int]], email: str) -> PlaceOrder:
        body = order_body(event, "pm_lines", email=email)
        body["items"] = [{"ticket_type_id": tt, "quantity": q} for tt, q in lines]
        return PlaceOrder.model_validate(body)

    sell_out = purchase.Purchase.of(command([(last, capacity[last])], "a@example.com"), "k1")
    await purchase._hold(ctx, sell_out, "o1")
    refusal = None
    try:
        await purchase._hold(
            ctx, purchase.Purchase.of(command([(first, 1), (last, 1)], "b@example.com"), "k2"), "o2"
        )
    except purchase._Refused as refused:
        refusal = refused.error
    async with ctx.engine.connect() as conn:
        taken = await conn.scalar(
            select(func.sum(inventory_buckets.c.taken)).where(
                inventory_buckets.c.ticket_type_id == first
            )
        )
        second_order = await conn.scalar(select(func.count()).where(orders.c.id == "o2"))
    assert refusal is not None
    assert refusal.code == "sold_out"
    assert taken == 0
    assert second_order == 0
