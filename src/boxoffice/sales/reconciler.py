"""Reconciler and hold sweeper: settle every order whose card answer we never got.

A pending order older than the charge deadline has no request of ours
still waiting on the gateway, so asking the gateway (by order id, the
same key the charge used) tells its fate for good:

- captured      → confirm: paid, tickets issued;
- declined      → release holds, order declined;
- never charged → release holds (the hold sweeper's case: a hold is only
                  ever released after the gateway says nothing was taken);
- no answer     → leave it pending and ask again next round. We would
                  rather keep seats held than release seats someone paid for.

Every transition is a conditional update (boxoffice.sales.settlement), so
any number of reconcilers, in any number of workers, may run this at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, bindparam, literal_column, select

from boxoffice import metrics
from boxoffice.db.tables import events, order_items, orders
from boxoffice.payments.gateway import Approved, Declined, NotCharged
from boxoffice.sales import settlement
from boxoffice.sales.context import SalesContext
from boxoffice.sales.rules import OrderStatus
from boxoffice.sales.settlement import PendingOrder

log = logging.getLogger("boxoffice.reconciler")
o = orders.c

# The status is written into the statement, not bound: PostgreSQL uses the partial index of
# pending orders (migration 0005) only where it can see the predicate when it plans, and a
# driver's cached statement is planned once for any value of its parameters.
DUE_PENDING_ORDERS: Select[Any] = (
    select(
        o.id,
        o.event_id,
        o.buyer_email,
        o.buyer_name,
        o.total,
        o.currency,
        events.c.per_buyer_limit,
    )
    .join_from(orders, events, events.c.id == o.event_id)
    .where(
        o.status == literal_column(f"'{OrderStatus.PENDING}'"),
        o.created_at < bindparam("cutoff"),
    )
    .order_by(o.created_at)
    .limit(bindparam("limit"))
)


async def pending_orders(
    ctx: SalesContext, *, older_than: timedelta, limit: int
) -> list[PendingOrder]:
    cutoff = ctx.clock() - older_than
    async with ctx.engine.connect() as conn:
        rows = (await conn.execute(DUE_PENDING_ORDERS, {"cutoff": cutoff, "limit": limit})).all()
        if not rows:
            return []
        items = (
            await conn.execute(
                select(
                    order_items.c.order_id,
                    order_items.c.ticket_type_id,
                    order_items.c.quantity,
                    order_items.c.buckets,
                )
                .where(order_items.c.order_id.in_([r.id for r in rows]))
                .order_by(order_items.c.order_id, order_items.c.ticket_type_id)
            )
        ).all()
    lines: dict[str, list[tuple[str, int]]] = {}
    allocations: dict[str, dict[str, str]] = {}
    for item in items:
        lines.setdefault(item.order_id, []).append((item.ticket_type_id, item.quantity))
        allocations.setdefault(item.order_id, {})[item.ticket_type_id] = item.buckets
    return [
        PendingOrder(
            id=r.id,
            event_id=r.event_id,
            buyer_email=r.buyer_email,
            buyer_name=r.buyer_name,
            lines=lines.get(r.id, []),
            total=r.total,
            currency=r.currency,
            has_limit=r.per_buyer_limit is not None,
            allocations=allocations.get(r.id, {}),
        )
        for r in rows
    ]


async def settle(ctx: SalesContext, order: PendingOrder) -> str:
    outcome = await ctx.gateway.lookup(order.id)
    if isinstance(outcome, Approved):
        await settlement.confirm(ctx, order, intent_id=outcome.intent_id)
        return "confirmed"
    if isinstance(outcome, Declined):
        await settlement.decline(ctx, order, code=outcome.code, message=outcome.message)
        return "declined"
    if isinstance(outcome, NotCharged):
        await settlement.release(ctx, order)
        return "released"
    return "unknown"


async def reconcile_once(
    ctx: SalesContext, *, older_than: timedelta | None = None, batch: int = 200
) -> Counter[str]:
    """Settle what can be settled now; returns how many orders went which way."""
    tally: Counter[str] = Counter()
    found = await pending_orders(
        ctx, older_than=ctx.charge_deadline if older_than is None else older_than, limit=batch
    )
    for order in found:
        try:
            settled = await settle(ctx, order)
            tally[settled] += 1
            metrics.record(lambda: metrics.RECONCILED.labels(settled).inc())  # noqa: B023 (run now)
        except Exception:  # one bad order must not stop the others
            log.exception("could not settle order %s", order.id)
            tally["error"] += 1
    if found:
        log.info("reconciled", extra={"tally": dict(tally)})
    return tally


async def run_forever(ctx: SalesContext, *, interval_seconds: float) -> None:
    """The background loop inside `serve`. Jitter keeps several workers from marching in step."""
    while True:
        try:
            tally = await reconcile_once(ctx)
            busy = sum(tally.values()) >= 200
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("reconciler round failed")
            busy = False
        await asyncio.sleep(0 if busy else interval_seconds * random.uniform(0.5, 1.5))
