"""Catalog use cases. Each opens, and owns, exactly one transaction.

Isolation between partners is enforced here, in the queries themselves:
every partner-facing read and write filters on `partner_id`, and an event
that belongs to someone else is reported as not found (never 403), so a
partner cannot even learn that another partner's event id exists.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from boxoffice.catalog.commands import NewEvent, NewPartner, NewTicketType
from boxoffice.db.tables import (
    events,
    inventory_buckets,
    order_items,
    orders,
    partners,
    ticket_types,
)
from boxoffice.errors import NotFound, NotPublishable, Unauthorized
from boxoffice.ids import hash_secret, new_id, new_secret
from boxoffice.sales.inventory import bucket_capacities

ib = inventory_buckets.c

DRAFT = "draft"
ON_SALE = "on_sale"


def now() -> datetime:
    return datetime.now(UTC)


async def create_partner(engine: AsyncEngine, command: NewPartner) -> tuple[str, str]:
    """Create a partner; returns `(partner_id, api_key)`. The key is never retrievable again."""
    partner_id, api_key = new_id("prt"), new_secret("bxk")
    async with engine.begin() as conn:
        await conn.execute(
            partners.insert().values(
                id=partner_id,
                name=command.name,
                email=str(command.email).lower(),
                api_key_hash=hash_secret(api_key),
                created_at=now(),
            )
        )
    return partner_id, api_key


async def authenticate_partner(engine: AsyncEngine, api_key: str) -> str:
    async with engine.connect() as conn:
        partner_id = await conn.scalar(
            select(partners.c.id).where(partners.c.api_key_hash == hash_secret(api_key))
        )
    if partner_id is None:
        raise Unauthorized("the API key is not valid")
    return str(partner_id)


async def create_event(
    engine: AsyncEngine, *, partner_id: str, command: NewEvent
) -> dict[str, Any]:
    event_id = new_id("evt")
    created = now()
    async with engine.begin() as conn:
        await conn.execute(
            events.insert().values(
                id=event_id,
                partner_id=partner_id,
                **event_fields(command),
                status=DRAFT,
                created_at=created,
            )
        )
        await insert_ticket_types(conn, event_id=event_id, ticket_types_=command.ticket_types)
        return await _load_event(conn, event_id)


def event_fields(command: NewEvent) -> dict[str, Any]:
    """The columns a partner sets on an event: one list for creating and editing it."""
    return {
        "name": command.name,
        "venue": command.venue,
        "starts_at": command.starts_at,
        "per_buyer_limit": command.per_buyer_limit,
        "sales_start": command.sales_start,
        "sales_end": command.sales_end,
        "waiting_room": command.waiting_room,
        "rotating_qr": command.rotating_qr,
    }


async def insert_ticket_types(
    conn: AsyncConnection, *, event_id: str, ticket_types_: list[NewTicketType]
) -> None:
    """Write an event's ticket types with their capacity split into inventory buckets."""
    rows: list[dict[str, Any]] = [
        {
            "id": new_id("tt"),
            "event_id": event_id,
            "position": position,
            "name": tt.name,
            "price": tt.price,
            "currency": tt.currency,
            "capacity": tt.capacity,
            "buckets": len(bucket_capacities(tt.capacity)),
        }
        for position, tt in enumerate(ticket_types_)
    ]
    await conn.execute(ticket_types.insert(), rows)
    await conn.execute(
        inventory_buckets.insert(),
        [
            {"ticket_type_id": row["id"], "bucket": index, "capacity": size, "taken": 0}
            for row in rows
            for index, size in enumerate(bucket_capacities(row["capacity"]))
        ],
    )


async def publish_event(engine: AsyncEngine, *, partner_id: str, event_id: str) -> dict[str, Any]:
    """draft → on_sale. Only the owner may publish, and only a draft with ticket types."""
    async with engine.begin() as conn:
        event = await _owned_event(conn, partner_id, event_id)
        if event["status"] != DRAFT:
            raise NotPublishable(f"the event is {event['status']}, only drafts can be published")
        if not event["ticket_types"]:
            raise NotPublishable("an event needs at least one ticket type to go on sale")
        await conn.execute(
            update(events)
            .where(events.c.id == event_id, events.c.status == DRAFT)
            .values(status=ON_SALE, published_at=now())
        )
        return await _load_event(conn, event_id)


async def get_partner_event(
    engine: AsyncEngine, *, partner_id: str, event_id: str
) -> dict[str, Any]:
    async with engine.connect() as conn:
        return await _owned_event(conn, partner_id, event_id)


async def list_partner_events(engine: AsyncEngine, *, partner_id: str) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        ids = await conn.scalars(
            select(events.c.id)
            .where(events.c.partner_id == partner_id)
            .order_by(events.c.starts_at)
        )
        return [await _load_event(conn, event_id) for event_id in ids.all()]


async def list_public_events(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(events).where(events.c.status == ON_SALE).order_by(events.c.starts_at)
        )
        found = [dict(row._mapping) for row in rows]
        types = await _ticket_types_of(conn, [e["id"] for e in found])
    return [_public(event, types.get(event["id"], [])) for event in found]


async def get_public_event(engine: AsyncEngine, event_id: str) -> dict[str, Any]:
    async with engine.connect() as conn:
        event = await _load_event(conn, event_id)
    if event["status"] != ON_SALE:
        raise NotFound("no such event")
    return _public(event, event["ticket_types"])


async def sales_figures(engine: AsyncEngine, *, partner_id: str, event_id: str) -> dict[str, Any]:
    """Exact figures, counted in one snapshot from the inventory and the orders themselves."""
    async with engine.connect() as conn:
        event = await _owned_event(conn, partner_id, event_id)
        counted = await conn.execute(
            select(order_items.c.ticket_type_id, orders.c.status, func.sum(order_items.c.quantity))
            .join(orders, orders.c.id == order_items.c.order_id)
            .where(orders.c.event_id == event_id, orders.c.status.in_(["paid", "pending"]))
            .group_by(order_items.c.ticket_type_id, orders.c.status)
        )
        by_status = {(tt, status): int(n) for tt, status, n in counted}
        paid = (
            await conn.execute(
                select(func.count(), func.coalesce(func.sum(orders.c.total), 0)).where(
                    orders.c.event_id == event_id, orders.c.status == "paid"
                )
            )
        ).one()
    return {
        "event_id": event_id,
        "currency": event["ticket_types"][0]["currency"] if event["ticket_types"] else None,
        "ticket_types": [
            {
                "id": tt["id"],
                "name": tt["name"],
                "capacity": tt["capacity"],
                "sold": by_status.get((tt["id"], "paid"), 0),
                "held": by_status.get((tt["id"], "pending"), 0),
                "available": tt["available"],
            }
            for tt in event["ticket_types"]
        ],
        "orders_paid": int(paid[0]),
        "revenue": int(paid[1]),
    }


async def _owned_event(conn: AsyncConnection, partner_id: str, event_id: str) -> dict[str, Any]:
    event = await _load_event(conn, event_id)
    if event["partner_id"] != partner_id:
        raise NotFound("no such event")
    return event


async def _load_event(conn: AsyncConnection, event_id: str) -> dict[str, Any]:
    row = (await conn.execute(select(events).where(events.c.id == event_id))).first()
    if row is None:
        raise NotFound("no such event")
    event = dict(row._mapping)
    event["ticket_types"] = (await _ticket_types_of(conn, [event_id])).get(event_id, [])
    return event


async def _ticket_types_of(
    conn: AsyncConnection, event_ids: list[str]
) -> dict[str, list[dict[str, Any]]]:
    if not event_ids:
        return {}
    taken = (
        select(ib.ticket_type_id, func.sum(ib.taken).label("taken"))
        .group_by(ib.ticket_type_id)
        .subquery()
    )
    rows = await conn.execute(
        select(ticket_types, taken.c.taken)
        .join(taken, taken.c.ticket_type_id == ticket_types.c.id)
        .where(ticket_types.c.event_id.in_(event_ids))
        .order_by(ticket_types.c.event_id, ticket_types.c.position)
    )
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        tt = dict(row._mapping)
        tt["available"] = tt["capacity"] - int(tt.pop("taken"))
        grouped.setdefault(tt["event_id"], []).append(tt)
    return grouped


def _public(event: dict[str, Any], types: list[dict[str, Any]]) -> dict[str, Any]:
    """The buyer's view: no partner id, no internal counters beyond availability."""
    return {
        **{k: event[k] for k in ("id", "name", "venue", "starts_at", "per_buyer_limit")},
        **{k: event[k] for k in ("sales_start", "sales_end", "waiting_room", "status")},
        "ticket_types": [
            {k: tt[k] for k in ("id", "name", "price", "currency", "capacity", "available")}
            for tt in types
        ],
    }
