"""The partner's check-in report: who is in, through which gate, when, and what went wrong.

Figures are counted from the tickets and admissions themselves in one snapshot, never from
running counters, so they are exact. Conflicts are derived, not stored: a scan at which a
gate admitted someone (online or offline) but which is not the ticket's recorded first
admission is a conflict. That covers a second offline admission, an online admission
displaced by an earlier offline one, and an offline admission of a ticket that was cancelled
or never existed, and it stays true whatever order uploads arrive in.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from boxoffice.catalog.service import get_partner_event
from boxoffice.db.tables import checkin_scans, gate_devices, ticket_admissions, tickets
from boxoffice.tickets.codes import format_code

t, a, s, d = tickets.c, ticket_admissions.c, checkin_scans.c, gate_devices.c
MAX_LOG_PAGE = 500


async def conflicts_of(
    conn: AsyncConnection,
    *,
    event_id: str,
    ticket_ids: Collection[str] | None = None,
    scan_ids: Collection[str] = (),
) -> list[dict[str, Any]]:
    """Admitting scans that are not their ticket's first admission, oldest first.

    With `ticket_ids`, only conflicts over those tickets or among the scans `scan_ids`.
    """
    query = (
        select(
            s.id,
            s.code,
            s.gate,
            s.device_id,
            s.source,
            s.scanned_at,
            s.ticket_id,
            t.status,
            t.holder_name,
            a.scan_id.label("first_scan_id"),
            a.gate.label("first_gate"),
            a.device_id.label("first_device_id"),
            a.source.label("first_source"),
            a.admitted_at.label("first_admitted_at"),
        )
        .outerjoin(tickets, t.id == s.ticket_id)
        .outerjoin(ticket_admissions, a.ticket_id == s.ticket_id)
        .where(s.event_id == event_id, s.result == "admitted")
        .where((a.scan_id.is_(None)) | (a.scan_id != s.id))
        .order_by(s.scanned_at, s.id)
    )
    if ticket_ids is not None:
        query = query.where(s.ticket_id.in_(list(ticket_ids)) | s.id.in_(list(scan_ids)))
    found = []
    for row in await conn.execute(query):
        if row.first_scan_id is not None:
            kind = "duplicate"
        elif row.ticket_id is not None and row.status == "cancelled":
            kind = "cancelled"
        else:
            kind = "invalid"
        first = None
        if row.first_scan_id is not None:
            first = {
                "scan_id": row.first_scan_id,
                "gate": row.first_gate,
                "device_id": row.first_device_id,
                "source": row.first_source,
                "admitted_at": row.first_admitted_at,
            }
        found.append(
            {
                "kind": kind,
                "code": format_code(row.code) if row.code else None,
                "holder_name": row.holder_name,
                "scan": {
                    "id": row.id,
                    "gate": row.gate,
                    "device_id": row.device_id,
                    "source": row.source,
                    "scanned_at": row.scanned_at,
                },
                "first": first,
            }
        )
    return found


def _minute(conn: AsyncConnection, column: Any) -> ColumnElement[Any]:
    if conn.dialect.name == "postgresql":
        return func.date_trunc("minute", column)
    return func.strftime("%Y-%m-%d %H:%M", column)


def _minute_text(value: Any) -> str:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        moment = datetime.fromisoformat(str(value)).replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:00Z")


async def checkin_stats(engine: AsyncEngine, *, partner_id: str, event_id: str) -> dict[str, Any]:
    """Admitted / total per ticket type and per gate, admissions per minute, conflicts."""
    event = await get_partner_event(engine, partner_id=partner_id, event_id=event_id)
    async with engine.connect() as conn:
        counted = await conn.execute(
            select(t.ticket_type_id, t.status, func.count())
            .where(t.event_id == event_id)
            .group_by(t.ticket_type_id, t.status)
        )
        by_type: dict[tuple[str, str], int] = {(tt, st): int(n) for tt, st, n in counted}
        # Admissions of tickets still standing: a ticket refunded after entry stops counting.
        standing = (a.event_id == event_id, t.status == "used")
        per_gate = await conn.execute(
            select(a.gate, func.count())
            .join(tickets, t.id == a.ticket_id)
            .where(*standing)
            .group_by(a.gate)
        )
        admitted_at_gate = {gate: int(n) for gate, n in per_gate}
        scans = await conn.execute(
            select(s.gate, s.result, func.count())
            .where(s.event_id == event_id)
            .group_by(s.gate, s.result)
        )
        scan_counts: dict[str | None, dict[str, int]] = {}
        for gate, result, n in scans:
            scan_counts.setdefault(gate, {})[result] = int(n)
        minute = _minute(conn, a.admitted_at).label("minute")
        timeline = await conn.execute(
            select(minute, func.count())
            .join(tickets, t.id == a.ticket_id)
            .where(*standing)
            .group_by(minute)
            .order_by(minute)
        )
        over_time = [{"minute": _minute_text(m), "admitted": int(n)} for m, n in timeline]
        conflicts = await conflicts_of(conn, event_id=event_id)
    types = []
    for tt in event["ticket_types"]:
        used = by_type.get((tt["id"], "used"), 0)
        types.append(
            {
                "id": tt["id"],
                "name": tt["name"],
                "admitted": used,
                "total": used + by_type.get((tt["id"], "valid"), 0),
                "cancelled": by_type.get((tt["id"], "cancelled"), 0),
            }
        )
    gates = [
        {
            "gate": gate,
            "admitted": admitted_at_gate.get(gate, 0),
            "scans": sum(results.values()),
            "by_result": results,
        }
        for gate, results in sorted(scan_counts.items(), key=lambda item: item[0] or "")
    ]
    return {
        "event_id": event_id,
        "admitted": sum(x["admitted"] for x in types),
        "total": sum(x["total"] for x in types),
        "ticket_types": types,
        "gates": gates,
        "timeline": over_time,
        "scans": sum(g["scans"] for g in gates),
        "conflicts": conflicts,
    }


async def scan_log(
    engine: AsyncEngine,
    *,
    partner_id: str,
    event_id: str,
    limit: int = 100,
    before: datetime | None = None,
) -> list[dict[str, Any]]:
    """Every scan attempt, newest first (page with `before` = the last `recorded_at` seen)."""
    await get_partner_event(engine, partner_id=partner_id, event_id=event_id)
    query = (
        select(s.id, s.device_id, d.name.label("device_name"), s.gate, s.source, s.result)
        .add_columns(s.reason, s.code, s.scanned_at, s.recorded_at)
        .join(gate_devices, d.id == s.device_id)
        .where(s.event_id == event_id)
        .order_by(s.recorded_at.desc(), s.id.desc())
        .limit(min(max(limit, 1), MAX_LOG_PAGE))
    )
    if before is not None:
        query = query.where(s.recorded_at < before)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [{**row._mapping, "code": format_code(row.code) if row.code else None} for row in rows]
