"""Editing an event while it is still a draft. One transaction, owned here.

Only drafts can change: once on sale, buyers hold tickets of its types at its prices, and
changing a capacity or a price under them would break the figures partners trust. The
transaction starts with a conditional ``UPDATE events … WHERE status = 'draft'``; on
PostgreSQL that row lock orders it against `publish_event` (which updates the same row on
the same condition), so an edit and a publish racing end either as "edited, then published"
or as "published; edit refused", never as a published event with half-replaced types.

A draft has sold nothing (purchases of a draft are refused before any hold), so its ticket
types and their inventory buckets are simply replaced by the new ones.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.catalog.commands import NewEvent
from boxoffice.catalog.service import (
    DRAFT,
    event_fields,
    get_partner_event,
    insert_ticket_types,
)
from boxoffice.db.tables import events, inventory_buckets, ticket_types
from boxoffice.errors import Conflict


class NotEditable(Conflict):
    code = "not_editable"
    title = "Only draft events can be edited"


async def update_draft_event(
    engine: AsyncEngine, *, partner_id: str, event_id: str, command: NewEvent
) -> dict[str, Any]:
    await get_partner_event(engine, partner_id=partner_id, event_id=event_id)  # 404 if not theirs
    async with engine.begin() as conn:
        changed = await conn.execute(
            update(events)
            .where(
                events.c.id == event_id,
                events.c.partner_id == partner_id,
                events.c.status == DRAFT,
            )
            .values(**event_fields(command))
        )
        if changed.rowcount != 1:
            raise NotEditable("the event is no longer a draft: it can no longer be edited")
        old_types = select(ticket_types.c.id).where(ticket_types.c.event_id == event_id)
        await conn.execute(
            delete(inventory_buckets).where(inventory_buckets.c.ticket_type_id.in_(old_types))
        )
        await conn.execute(delete(ticket_types).where(ticket_types.c.event_id == event_id))
        await insert_ticket_types(conn, event_id=event_id, ticket_types_=command.ticket_types)
    return await get_partner_event(engine, partner_id=partner_id, event_id=event_id)
