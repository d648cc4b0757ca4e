"""Finding orders by what a person can read out or type: a short code or an e-mail address.

Every search takes a `partner_id` scope, required and keyword-only: a partner's agents see
only that partner's events; ``None`` means every event, for the platform's own support (the
admin key) and for a buyer reading their own orders through a link sent to their address.
Orders that never held anything (``rejected``: a refusal remembered for its idempotency key)
are not shown; they have nothing to resend or cancel.

A mistyped code is caught by its check character before any search
(`boxoffice.tickets.codes.parse_code`); `codes_on_record` then says which of the suggested
corrections exist within the scope, so an agent can pick the one on record instead of
guessing, and learns nothing about other partners' tickets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.db.tables import events, orders, ticket_types, tickets
from boxoffice.sales.rules import normalise_email
from boxoffice.tickets.codes import format_code

o, e, t = orders.c, events.c, tickets.c
SHOWN = ("pending", "paid", "declined", "released", "refunded")


@dataclass(frozen=True, slots=True)
class TicketLine:
    code: str  # XXX-XXXX
    status: str
    ticket_type_name: str
    holder_name: str


@dataclass(frozen=True, slots=True)
class OrderCard:
    id: str
    status: str
    event_id: str
    event_name: str
    venue: str
    starts_at: datetime
    partner_id: str
    buyer_name: str
    buyer_email: str
    total: int
    currency: str
    created_at: datetime
    decline_code: str | None
    tickets: list[TicketLine] = field(default_factory=list)


def _orders(partner_id: str | None, statuses: Iterable[str]) -> Select[Any]:
    query = (
        select(
            o.id,
            o.status,
            o.event_id,
            e.name.label("event_name"),
            e.venue,
            e.starts_at,
            e.partner_id,
            o.buyer_name,
            o.buyer_email,
            o.total,
            o.currency,
            o.created_at,
            o.decline_code,
        )
        .join_from(orders, events, e.id == o.event_id)
        .where(o.status.in_(list(statuses)))
    )
    return query if partner_id is None else query.where(e.partner_id == partner_id)


async def _cards(engine: AsyncEngine, query: Select[Any]) -> list[OrderCard]:
    async with engine.connect() as conn:
        found = [OrderCard(**row._mapping) for row in await conn.execute(query)]
        if not found:
            return []
        lines = await conn.execute(
            select(t.order_id, t.code, t.status, ticket_types.c.name, t.holder_name)
            .join_from(tickets, ticket_types, ticket_types.c.id == t.ticket_type_id)
            .where(t.order_id.in_([card.id for card in found]))
            .order_by(t.serial)
        )
        by_order: dict[str, list[TicketLine]] = {}
        for order_id, code, status, type_name, holder in lines:
            by_order.setdefault(order_id, []).append(
                TicketLine(format_code(code), status, type_name, holder)
            )
    for card in found:
        card.tickets.extend(by_order.get(card.id, []))
    return found


async def order_by_id(
    engine: AsyncEngine, order_id: str, *, partner_id: str | None
) -> OrderCard | None:
    cards = await _cards(engine, _orders(partner_id, SHOWN).where(o.id == order_id))
    return cards[0] if cards else None


async def orders_by_code(
    engine: AsyncEngine, *, code: str, partner_id: str | None
) -> list[OrderCard]:
    """The order holding the ticket with this canonical (7-symbol) code, within the scope."""
    holder = select(t.order_id).where(t.code == code).scalar_subquery()
    return await _cards(engine, _orders(partner_id, SHOWN).where(o.id == holder))


async def orders_by_email(
    engine: AsyncEngine,
    *,
    email: str,
    partner_id: str | None,
    statuses: Iterable[str] = SHOWN,
    limit: int = 50,
) -> list[OrderCard]:
    """A buyer's orders, newest first (e-mail compared the way purchases store it)."""
    query = _orders(partner_id, statuses).where(o.buyer_email == normalise_email(email))
    return await _cards(engine, query.order_by(o.created_at.desc()).limit(limit))


async def recent_orders(
    engine: AsyncEngine, *, partner_id: str, event_id: str | None = None, limit: int = 50
) -> list[OrderCard]:
    query = _orders(partner_id, SHOWN)
    if event_id is not None:
        query = query.where(o.event_id == event_id)
    return await _cards(engine, query.order_by(o.created_at.desc()).limit(limit))


async def codes_on_record(
    engine: AsyncEngine, codes: Iterable[str], *, partner_id: str | None
) -> set[str]:
    """Which of these canonical codes belong to issued tickets within the scope."""
    wanted = list(codes)
    if not wanted:
        return set()
    query = select(t.code).where(t.code.in_(wanted))
    if partner_id is not None:
        query = query.join_from(tickets, events, e.id == t.event_id).where(
            e.partner_id == partner_id
        )
    async with engine.connect() as conn:
        return set((await conn.scalars(query)).all())
