"""Reading orders back: for the buyer (with the order's token) or the owning partner."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from boxoffice.db.tables import events, orders, tickets
from boxoffice.errors import NotFound, Unauthorized
from boxoffice.ids import tokens_match
from boxoffice.sales.context import SalesContext
from boxoffice.sales.responses import ticket_view

o = orders.c
VISIBLE = ("pending", "paid", "declined", "released", "refunded")


async def order_owner(ctx: SalesContext, order_id: str) -> str | None:
    """The partner that owns the order's event, or None if there is no such order."""
    async with ctx.engine.connect() as conn:
        owner = await conn.scalar(
            select(events.c.partner_id)
            .join_from(orders, events, events.c.id == o.event_id)
            .where(o.id == order_id, o.status.in_(VISIBLE))
        )
    return str(owner) if owner is not None else None


def check_access_token(ctx: SalesContext, order_id: str, token: str | None) -> None:
    if token is None or not tokens_match(token, ctx.access_token(order_id)):
        raise Unauthorized("this order needs its access token (or the partner's key)")


async def order_view(ctx: SalesContext, order_id: str) -> dict[str, Any]:
    token = ctx.access_token(order_id)
    async with ctx.engine.connect() as conn:
        row = (
            await conn.execute(
                select(
                    o.id,
                    o.event_id,
                    o.status,
                    o.total,
                    o.currency,
                    o.buyer_name,
                    o.buyer_email,
                    o.decline_code,
                    o.created_at,
                ).where(o.id == order_id, o.status.in_(VISIBLE))
            )
        ).first()
        if row is None:
            raise NotFound("no such order")
        issued = await conn.execute(
            select(
                tickets.c.id,
                tickets.c.code,
                tickets.c.ticket_type_id,
                tickets.c.holder_name,
                tickets.c.status,
            )
            .where(tickets.c.order_id == order_id)
            .order_by(tickets.c.serial)
        )
        ticket_list = [ticket_view(dict(t._mapping), token) for t in issued]
    return {
        "id": row.id,
        "event_id": row.event_id,
        "status": row.status,
        "total": row.total,
        "currency": row.currency,
        "buyer": {"name": row.buyer_name, "email": row.buyer_email},
        "decline_code": row.decline_code,
        "created_at": row.created_at.isoformat(),
        "tickets": ticket_list,
    }
