"""Refunds: money back at the gateway first, then tickets cancelled and capacity returned.

The gateway refund is idempotent on the order id, and the local transition
is a conditional update `WHERE status = 'paid'`, so concurrent or repeated
refunds of one order refund once, cancel once and return capacity once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from boxoffice.db.tables import events, order_items, orders
from boxoffice.errors import GatewayUnavailable, NotFound, OrderNotRefundable
from boxoffice.payments.gateway import Declined, Refunded
from boxoffice.sales import allowance, inventory
from boxoffice.sales.contention import with_retries
from boxoffice.sales.context import SalesContext
from boxoffice.sales.queries import order_view
from boxoffice.sales.rules import OrderStatus
from boxoffice.tickets.issuance import cancel_tickets

o = orders.c


async def refund_order(ctx: SalesContext, *, partner_id: str, order_id: str) -> dict[str, Any]:
    async with ctx.engine.connect() as conn:
        row = (
            await conn.execute(
                select(
                    o.status,
                    o.gateway_intent_id,
                    o.event_id,
                    o.buyer_email,
                    events.c.partner_id,
                    events.c.per_buyer_limit,
                )
                .join_from(orders, events, events.c.id == o.event_id)
                .where(o.id == order_id)
            )
        ).first()
    if row is None or row.partner_id != partner_id:
        raise NotFound("no such order")
    if row.status == OrderStatus.REFUNDED:
        return await order_view(ctx, order_id)
    if row.status != OrderStatus.PAID or row.gateway_intent_id is None:
        raise OrderNotRefundable(f"only paid orders can be refunded; this one is {row.status}")

    outcome = await ctx.gateway.refund(order_id=order_id, intent_id=row.gateway_intent_id)
    if isinstance(outcome, Declined):
        raise OrderNotRefundable(f"the gateway refused the refund: {outcome.message}")
    if not isinstance(outcome, Refunded):
        raise GatewayUnavailable("the gateway did not confirm the refund; try again")

    async def attempt() -> None:
        async with ctx.engine.begin() as conn:
            won = await conn.execute(
                update(orders)
                .where(o.id == order_id, o.status == OrderStatus.PAID)
                .values(
                    status=OrderStatus.REFUNDED, refund_id=outcome.refund_id, updated_at=ctx.clock()
                )
            )
            if won.rowcount != 1:
                return
            items = (
                await conn.execute(
                    select(
                        order_items.c.ticket_type_id,
                        order_items.c.quantity,
                        order_items.c.buckets,
                    )
                    .where(order_items.c.order_id == order_id)
                    .order_by(order_items.c.ticket_type_id)
                )
            ).all()
            await cancel_tickets(conn, order_id)
            for item in items:
                await inventory.give_back(
                    conn,
                    ticket_type_id=item.ticket_type_id,
                    allocation=inventory.decode(item.buckets),
                )
            if row.per_buyer_limit is not None:
                await allowance.give_back(
                    conn,
                    event_id=row.event_id,
                    buyer=row.buyer_email,
                    quantity=sum(item.quantity for item in items),
                )

    await with_retries(attempt, what=f"refund {order_id}")
    return await order_view(ctx, order_id)
