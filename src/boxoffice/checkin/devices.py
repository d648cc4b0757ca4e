"""Gate devices: keys a partner hands to the scanners of one event.

A device key opens check-in for one event only, so a phone lost at one venue cannot admit,
or read the holder list of, any other event. It is shown once and only its SHA-256 is kept
(`boxoffice.ids.hash_secret`), like partner keys. Revoking is immediate: the key is looked up
on every request (one indexed read), never cached, so a revoked phone is refused at its next
scan on every worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.catalog.service import get_partner_event
from boxoffice.db.tables import checkin_scans, gate_devices
from boxoffice.errors import NotFound, Unauthorized
from boxoffice.ids import hash_secret, new_id, new_secret
from boxoffice.sales.contention import with_retries

KEY_PREFIX = "gdk"
d = gate_devices.c


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    event_id: str
    name: str


async def create_device(
    engine: AsyncEngine, *, partner_id: str, event_id: str, name: str, now: datetime
) -> dict[str, Any]:
    """A new device key for the event; the answer is the only time the key is shown."""
    await get_partner_event(engine, partner_id=partner_id, event_id=event_id)
    device_id, key = new_id("gdv"), new_secret(KEY_PREFIX)
    async with engine.begin() as conn:
        await conn.execute(
            gate_devices.insert().values(
                id=device_id,
                event_id=event_id,
                name=name,
                key_hash=hash_secret(key),
                created_at=now,
                revoked_at=None,
            )
        )
    return {"id": device_id, "name": name, "event_id": event_id, "key": key, "created_at": now}


async def list_devices(
    engine: AsyncEngine, *, partner_id: str, event_id: str
) -> list[dict[str, Any]]:
    """The event's devices with their last scan (no key: it is not kept)."""
    await get_partner_event(engine, partner_id=partner_id, event_id=event_id)
    s = checkin_scans.c
    activity = (
        select(s.device_id, func.count().label("scans"), func.max(s.recorded_at).label("last"))
        .where(s.event_id == event_id)
        .group_by(s.device_id)
        .subquery()
    )
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(d.id, d.name, d.created_at, d.revoked_at, activity.c.scans, activity.c.last)
            .outerjoin(activity, activity.c.device_id == d.id)
            .where(d.event_id == event_id)
            .order_by(d.created_at, d.id)
        )
        return [
            {
                "id": row.id,
                "name": row.name,
                "created_at": row.created_at,
                "revoked_at": row.revoked_at,
                "scans": int(row.scans or 0),
                "last_scan_at": row.last,
            }
            for row in rows
        ]


async def revoke_device(
    engine: AsyncEngine, *, partner_id: str, event_id: str, device_id: str, now: datetime
) -> dict[str, Any]:
    """Stop the device's key from working; revoking twice keeps the first time."""
    await get_partner_event(engine, partner_id=partner_id, event_id=event_id)
    async with engine.begin() as conn:
        await conn.execute(
            update(gate_devices)
            .where(d.id == device_id, d.event_id == event_id, d.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        row = (
            await conn.execute(
                select(d.id, d.name, d.created_at, d.revoked_at).where(
                    d.id == device_id, d.event_id == event_id
                )
            )
        ).first()
    if row is None:
        raise NotFound("no such device")
    return dict(row._mapping)


async def authenticate_device(engine: AsyncEngine, key: str | None) -> Device:
    if not key or not key.startswith(f"{KEY_PREFIX}_"):
        raise Unauthorized("send the gate device key as `Authorization: Bearer gdk_…`")
    key_hash = hash_secret(key)

    async def read() -> tuple[Device, bool] | None:
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    select(d.id, d.event_id, d.name, d.revoked_at).where(d.key_hash == key_hash)
                )
            ).first()
        if row is None:
            return None
        return Device(id=row.id, event_id=row.event_id, name=row.name), row.revoked_at is not None

    # Every gate request starts here, so a burst of scans meets an exhausted pool here first:
    # that is contention (retry, then 503), not a bug.
    found = await with_retries(read, what="gate device lookup")
    if found is None:
        raise Unauthorized("this gate device key is not valid")
    device, revoked = found
    if revoked:
        raise Unauthorized("this gate device key was revoked")
    return device
