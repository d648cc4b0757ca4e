"""Merging scans made offline: the earliest admission of a ticket wins, the rest are conflicts.

A gate without network decides from its bundle and queues what it did. On upload each scan
is merged in its own short transaction (a bad scan cannot hold a batch's locks, and a
half-finished upload is simply sent again), using the same mechanism as online check-in
(`boxoffice.checkin.redemption`), conditional updates on the ticket's own rows:

1. The scan log row goes in first; ``(device_id, nonce)`` is unique, so a scan uploaded twice
   (a retry, a second upload of the same queue) stops here, changing nothing.
2. A scan at which the gate admitted someone claims the ticket with the online
   ``UPDATE tickets SET status = 'used' WHERE … AND status = 'valid'``; winning it records
   the admission at the time of the scan.
3. Losing it, the scan may still be earlier than the recorded first admission (an offline
   gate that was first but uploads late): ``UPDATE ticket_admissions SET … WHERE ticket_id =
   :id AND admitted_at > :scanned_at`` moves the admission to it. Concurrent uploads converge
   on the earliest whatever their order, since each only ever moves the time backwards.
4. Otherwise it is a conflict. Conflicts are not stored: they are the admitting scans that
   are not their ticket's first admission (`boxoffice.checkin.stats.conflicts_of`), so the
   report stays right when a later upload displaces an earlier winner.

A scan time in the future (a device clock running ahead) is taken as the upload time: it
can then only lose to what is already recorded, never displace it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.checkin.commands import OfflineScan, OfflineUpload
from boxoffice.checkin.context import CheckinContext
from boxoffice.checkin.devices import Device
from boxoffice.checkin.redemption import read_scan
from boxoffice.checkin.rules import Reading, Result
from boxoffice.checkin.stats import conflicts_of
from boxoffice.db.tables import checkin_scans, ticket_admissions, tickets
from boxoffice.ids import new_id
from boxoffice.sales.contention import with_retries
from boxoffice.tickets.codes import format_code

t, a = tickets.c, ticket_admissions.c


async def merge_offline_scans(
    ctx: CheckinContext, *, device: Device, upload: OfflineUpload
) -> dict[str, Any]:
    """Merge every scan (earliest first), then report the conflicts of the tickets touched."""
    outcomes = [await _merge_one(ctx, device, scan) for scan in sorted(upload.scans, key=_time)]
    scan_ids, ticket_ids = await _recorded(ctx, device, [scan.nonce for scan in upload.scans])
    async with ctx.engine.connect() as conn:
        conflicts = await conflicts_of(
            conn, event_id=device.event_id, ticket_ids=ticket_ids, scan_ids=scan_ids
        )
    counted = [o["outcome"] for o in outcomes]
    return {
        "received": len(outcomes),
        "recorded": len(outcomes) - counted.count("already_recorded"),
        "already_recorded": counted.count("already_recorded"),
        "results": outcomes,
        "conflicts": conflicts,
    }


def _time(scan: OfflineScan) -> datetime:
    return scan.scanned_at


async def _merge_one(ctx: CheckinContext, device: Device, scan: OfflineScan) -> dict[str, Any]:
    now = ctx.now()
    scanned_at = min(scan.scanned_at, now)
    reading = await read_scan(ctx, event_id=device.event_id, scan=scan, at=scanned_at.timestamp())

    async def attempt() -> dict[str, Any]:
        async with ctx.engine.begin() as conn:
            return await _merge(conn, device, scan, reading, scanned_at=scanned_at, now=now)

    try:
        return await with_retries(attempt, what="offline scan merge")
    except IntegrityError:
        return {"nonce": scan.nonce, "outcome": "already_recorded"}


async def _merge(
    conn: AsyncConnection,
    device: Device,
    scan: OfflineScan,
    reading: Reading,
    *,
    scanned_at: datetime,
    now: datetime,
) -> dict[str, Any]:
    ticket = None
    if reading.code is not None:
        ticket = (
            await conn.execute(select(t.id, t.event_id).where(t.code == reading.code))
        ).first()
    ours = ticket is not None and ticket.event_id == device.event_id
    ticket_id = ticket.id if ours and ticket is not None else None
    reason = reading.reason or (None if ours else "wrong_event" if ticket else "unknown_code")
    scan_id = new_id("scn")
    await conn.execute(
        checkin_scans.insert().values(
            id=scan_id,
            event_id=device.event_id,
            device_id=device.id,
            nonce=scan.nonce,
            gate=scan.gate,
            source="offline",
            result=scan.result,
            reason=reason,
            ticket_id=ticket_id,
            code=reading.code if ticket_id else None,
            scanned_at=scanned_at,
            recorded_at=now,
        )
    )
    outcome: dict[str, Any] = {"nonce": scan.nonce, "scan_id": scan_id}
    if ticket_id is not None and reading.code is not None:
        outcome["code"] = format_code(reading.code)
    if scan.result is not Result.ADMITTED:
        return outcome | {"outcome": "recorded"}
    if ticket_id is None:
        return outcome | {"outcome": "conflict", "reason": reason}
    admission = {
        "scan_id": scan_id,
        "device_id": device.id,
        "gate": scan.gate,
        "source": "offline",
        "admitted_at": scanned_at,
        "changed_at": now,
    }
    claimed = await conn.execute(
        update(tickets).where(t.id == ticket_id, t.status == "valid").values(status="used")
    )
    if claimed.rowcount == 1:
        await conn.execute(
            ticket_admissions.insert().values(
                ticket_id=ticket_id, event_id=device.event_id, **admission
            )
        )
        return outcome | {"outcome": "admitted"}
    earlier = await conn.execute(
        update(ticket_admissions)
        .where(a.ticket_id == ticket_id, a.admitted_at > scanned_at)
        .values(**admission)
    )
    if earlier.rowcount == 1:
        return outcome | {"outcome": "admitted", "displaced_later_admission": True}
    return outcome | {"outcome": "conflict"}


async def _recorded(
    ctx: CheckinContext, device: Device, nonces: list[str]
) -> tuple[list[str], list[str]]:
    """Scan ids and ticket ids recorded for these nonces, now or by an earlier upload."""
    if not nonces:
        return [], []
    s = checkin_scans.c
    async with ctx.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(s.id, s.ticket_id).where(s.device_id == device.id, s.nonce.in_(nonces))
            )
        ).all()
    return [row.id for row in rows], [row.ticket_id for row in rows if row.ticket_id]
