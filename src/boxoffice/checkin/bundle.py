"""The offline bundle: everything a gate needs to decide alone, then only what changed.

A gate with no network must still refuse forgeries, cancelled tickets and second entries. The
bundle gives it the event's public keys (every key id, retired ones included), every ticket
in a compact row, the cancelled ones, the first admissions so far and, for rotating-QR
events, each ticket's rotation secret. The gate keeps it in IndexedDB and asks for
``?since=<version>`` every minute or so.

Versions are milliseconds of the server clock taken *before* reading. A transaction that
stamped a ticket or an admission just before that and committed just after is not in the
answer, and the same goes for a host whose clock lags. So a delta re-sends every row changed
within `DELTA_OVERLAP` before ``since``: rows are states, not events, so receiving one twice
is harmless, and two minutes is far longer than any of our transactions (PostgreSQL's
command timeout is 30 s) or any clock skew NTP lets through. The cancelled list is always
complete, whatever cancelled a ticket, since it is short and carries no timestamp we own.
A version never goes below the ``since`` it answers, so it is monotonic for the gate even
across hosts.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.checkin.context import CheckinContext
from boxoffice.checkin.devices import Device
from boxoffice.db.tables import events, ticket_admissions, ticket_types, tickets
from boxoffice.tickets import rotating
from boxoffice.tickets.keys import public_keys_of

FORMAT = "boxoffice-gate-bundle/1"
DELTA_OVERLAP = timedelta(minutes=2)
FIELDS = ["code", "status", "holder_name", "type", "admitted_at", "gate"]
STATUS_LETTERS = {"valid": "v", "used": "u", "cancelled": "c"}

t, a = tickets.c, ticket_admissions.c


def version_at(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


async def offline_bundle(
    ctx: CheckinContext, *, device: Device, since: int | None = None
) -> dict[str, Any]:
    """The full bundle, or with `since` only rows changed after that version (and overlap)."""
    event_id = device.event_id
    await ctx.tickets.keys.signing_key(event_id)  # so that even a new event ships a key
    version = max(version_at(ctx.now()), since or 0)
    connection = await ctx.engine.connect()
    try:
        if connection.dialect.name == "postgresql":
            # One snapshot for every query below: keys, tickets and admissions agree.
            await connection.execution_options(isolation_level="REPEATABLE READ")
        async with connection.begin():
            return await _read(ctx, connection, device=device, since=since, version=version)
    finally:
        await connection.close()


async def _read(
    ctx: CheckinContext, conn: AsyncConnection, *, device: Device, since: int | None, version: int
) -> dict[str, Any]:
    event_id = device.event_id
    event = (await conn.execute(select(events).where(events.c.id == event_id))).one()
    types = (
        await conn.execute(
            select(ticket_types.c.id, ticket_types.c.name)
            .where(ticket_types.c.event_id == event_id)
            .order_by(ticket_types.c.position)
        )
    ).all()
    type_index = {row.id: index for index, row in enumerate(types)}
    query = (
        select(t.code, t.status, t.holder_name, t.ticket_type_id, a.admitted_at, a.gate)
        .outerjoin(ticket_admissions, a.ticket_id == t.id)
        .where(t.event_id == event_id)
        .order_by(t.serial)
    )
    if since is not None:
        window = datetime.fromtimestamp(since / 1000, tz=UTC) - DELTA_OVERLAP
        query = query.where(or_(t.created_at > window, a.changed_at > window))
    rows = (await conn.execute(query)).all()
    revoked = await conn.scalars(
        select(t.code).where(t.event_id == event_id, t.status == "cancelled").order_by(t.code)
    )
    fields = FIELDS + (["rotation_secret"] if event.rotating_qr else [])
    return {
        "format": FORMAT,
        "version": version,
        "since": since,
        "full": since is None,
        "device": {"id": device.id, "name": device.name},
        "event": {
            "id": event.id,
            "name": event.name,
            "venue": event.venue,
            "starts_at": event.starts_at,
            "rotating_qr": bool(event.rotating_qr),
        },
        "keys": {
            str(key_id): text for key_id, text in (await public_keys_of(conn, event_id)).items()
        },
        "rotation": {
            "step": rotating.STEP_SECONDS,
            "digits": rotating.DIGITS,
            "skew": rotating.SKEW_STEPS,
        },
        "ticket_types": [{"id": row.id, "name": row.name} for row in types],
        "fields": fields,
        "tickets": [_row(ctx, event_id, row, type_index, event.rotating_qr) for row in rows],
        "revoked": list(revoked),
    }


def _row(
    ctx: CheckinContext, event_id: str, row: Any, type_index: dict[str, int], rotating_qr: bool
) -> list[Any]:
    admitted = int(row.admitted_at.timestamp()) if row.admitted_at is not None else None
    values: list[Any] = [
        row.code,
        STATUS_LETTERS.get(row.status, row.status),
        row.holder_name,
        type_index.get(row.ticket_type_id),
        admitted,
        row.gate,
    ]
    if rotating_qr:
        secret = ctx.tickets.rotation_secret(event_id, row.code)
        values.append(base64.urlsafe_b64encode(secret).decode().rstrip("="))
    return values
