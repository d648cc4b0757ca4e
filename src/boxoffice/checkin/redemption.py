"""Online check-in: the first scan of a ticket admits it; every later one says when and where.

The one concurrency mechanism is a conditional update of the ticket's own row::

    UPDATE tickets SET status = 'used'
     WHERE code = :code AND event_id = :event AND status = 'valid'
    RETURNING id, holder_name, ticket_type_id

run in the transaction that also writes the admission (time, gate, device) and the scan log
entry. Only one transaction can move a ticket from valid to used. On PostgreSQL (READ
COMMITTED) a second update of the row waits for the first transaction's row lock, then
re-evaluates its WHERE against the committed version, finds ``used`` and updates nothing; on
SQLite every write transaction begins IMMEDIATE, so they run one after another. The loser
then reads the winner's committed admission (under READ COMMITTED each statement sees what
committed before it) and answers ``already_used`` with that scan's time and gate. Nothing is
read and then written in Python, and contention is per ticket: scans of different tickets
never wait for each other. ``ticket_admissions.ticket_id`` being the primary key is the
backstop: a second admission row cannot exist even if a future path forgot the condition.

Refunds cancel tickets with an update of the same row, so a refund racing a scan is
serialised the same way: the scan either admits before the cancellation or finds it.

A gate sends a ``nonce`` per scan: a retry after a lost answer replays the recorded answer
instead of telling the holder their own admission was "already used". Two requests with
one nonce at once: the unique ``(device_id, nonce)`` lets one commit; the other rolls back,
conditional update included, and replays the first.

Every database access of a scan (the device lookup, the event's keys, a replay and the
redemption itself) runs under `with_retries`: under a burst, an exhausted pool or a lock
timeout anywhere on the path is retried and then answered 503 ``busy``, never 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice import metrics
from boxoffice.checkin.commands import Scan
from boxoffice.checkin.context import CheckinContext
from boxoffice.checkin.devices import Device
from boxoffice.checkin.rules import (
    MESSAGES,
    Reading,
    Result,
    answer_for_state,
    read_code,
    read_payload,
    unknown_key,
)
from boxoffice.db.tables import checkin_scans, ticket_admissions, tickets
from boxoffice.ids import new_id
from boxoffice.sales.contention import with_retries
from boxoffice.tickets.codes import format_code

t, a, s = tickets.c, ticket_admissions.c, checkin_scans.c

# Codes of this event among a typo's corrections. A gate device holds every code of its event
# in its offline bundle anyway: telling it which correction is a ticket reveals nothing new.
ON_RECORD = (
    select(t.code)
    .where(t.event_id == bindparam("b_event_id"), t.code.in_(bindparam("b_codes", expanding=True)))
    .order_by(t.code)
)

CLAIM = (
    update(tickets)
    .where(
        t.code == bindparam("b_code"),
        t.event_id == bindparam("b_event_id"),
        t.status == "valid",
    )
    .values(status="used")
    .returning(t.id, t.holder_name, t.ticket_type_id)
)
# Prebuilt: the hot path binds a parameter dict instead of building a statement per scan.
INSERT_SCAN = checkin_scans.insert()
INSERT_ADMISSION = ticket_admissions.insert()
TICKET_STATE = (
    select(t.id, t.event_id, t.status, t.holder_name, t.ticket_type_id, a.admitted_at, a.gate)
    .outerjoin(ticket_admissions, a.ticket_id == t.id)
    .where(t.code == bindparam("b_code"))
)


@dataclass(frozen=True, slots=True)
class Answer:
    """What a gate is told about one scan."""

    result: Result
    scan_id: str
    code: str | None = None
    holder_name: str | None = None
    ticket_type_id: str | None = None
    first_scanned_at: datetime | None = None
    first_gate: str | None = None
    reason: str | None = None
    hint: str | None = None
    # A mistyped code: the codes one typo away that are tickets of this event (canonical).
    suggestions: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"result": str(self.result), "scan_id": self.scan_id}
        if self.code is not None:
            body["ticket"] = {
                "code": format_code(self.code),
                "holder_name": self.holder_name,
                "ticket_type_id": self.ticket_type_id,
            }
        if self.result is Result.ALREADY_USED:
            body["first_scanned_at"] = self.first_scanned_at
            body["first_gate"] = self.first_gate
        reason = self.reason or (None if self.result is Result.ADMITTED else str(self.result))
        if reason is not None:
            body["reason"] = reason
            body["message"] = MESSAGES.get(reason, "")
        if self.hint:
            body["hint"] = self.hint
        if self.suggestions:
            body["suggestions"] = [format_code(code) for code in self.suggestions]
        return body


async def read_scan(ctx: CheckinContext, *, event_id: str, scan: Scan, at: float) -> Reading:
    """Which ticket of `event_id` the scan names, verified as of the UNIX time `at`."""
    if scan.code is not None:
        return read_code(scan.code)
    assert scan.payload is not None
    facts = await ctx.facts(event_id)
    for refresh in (False, True):
        if refresh:  # a key made after this process loaded the event's keys
            facts = await ctx.facts(event_id, refresh=True)
        reading = read_payload(
            scan.payload,
            event_id=event_id,
            public_keys=facts.public_keys,
            now=at,
            rotation_secret=ctx.rotation_secrets(facts),
        )
        if not unknown_key(reading):
            break
    return reading


async def check_in(ctx: CheckinContext, *, device: Device, scan: Scan) -> Answer:
    """Admit the ticket if this is its first scan; otherwise say why not. One transaction."""
    if scan.nonce is not None and (replayed := await replay(ctx, device, scan.nonce)):
        return replayed
    now = ctx.now()
    reading = await read_scan(ctx, event_id=device.event_id, scan=scan, at=now.timestamp())

    async def attempt() -> Answer:
        async with ctx.engine.begin() as conn:
            return await _redeem(conn, device=device, scan=scan, reading=reading, now=now)

    try:
        answer = await with_retries(attempt, what="check-in")
    except IntegrityError:
        if scan.nonce is not None and (replayed := await replay(ctx, device, scan.nonce)):
            return replayed  # the same scan, sent twice at once: answer as the first
        raise
    metrics.record(lambda: metrics.SCANS.labels(str(answer.result)).inc())
    return answer


async def _redeem(
    conn: AsyncConnection, *, device: Device, scan: Scan, reading: Reading, now: datetime
) -> Answer:
    scan_id = new_id("scn")

    async def log(result: Result, *, reason: str | None, ticket_id: str | None = None) -> None:
        await conn.execute(
            INSERT_SCAN,
            {
                "id": scan_id,
                "event_id": device.event_id,
                "device_id": device.id,
                "nonce": scan.nonce,
                "gate": scan.gate,
                "source": "online",
                "result": str(result),
                "reason": reason,
                "ticket_id": ticket_id,
                "code": reading.code if ticket_id else None,
                "scanned_at": now,
                "recorded_at": now,
            },
        )

    if reading.refusal is not None:
        await log(reading.refusal, reason=reading.reason)
        on_record: tuple[str, ...] = ()
        if reading.corrections:  # a typo: which of the codes it could have been are here
            codes = await conn.scalars(
                ON_RECORD, {"b_event_id": device.event_id, "b_codes": list(reading.corrections)}
            )
            on_record = tuple(codes.all())
        return Answer(
            reading.refusal,
            scan_id,
            reason=reading.reason,
            hint=reading.hint,
            suggestions=on_record,
        )
    won = (
        await conn.execute(CLAIM, {"b_code": reading.code, "b_event_id": device.event_id})
    ).first()
    if won is not None:
        await log(Result.ADMITTED, reason=None, ticket_id=won.id)
        await conn.execute(
            INSERT_ADMISSION,
            {
                "ticket_id": won.id,
                "event_id": device.event_id,
                "scan_id": scan_id,
                "device_id": device.id,
                "gate": scan.gate,
                "source": "online",
                "admitted_at": now,
                "changed_at": now,
            },
        )
        return Answer(Result.ADMITTED, scan_id, reading.code, won.holder_name, won.ticket_type_id)
    found = (await conn.execute(TICKET_STATE, {"b_code": reading.code})).first()
    if found is None:
        await log(Result.INVALID, reason="unknown_code")
        return Answer(Result.INVALID, scan_id, reason="unknown_code")
    result = answer_for_state(status=found.status, same_event=found.event_id == device.event_id)
    if result is Result.WRONG_EVENT:
        # Another event's ticket: nothing about it goes into this event's log or answer.
        await log(result, reason="wrong_event")
        return Answer(result, scan_id, reason="wrong_event")
    await log(result, reason=None, ticket_id=found.id)
    return Answer(
        result,
        scan_id,
        reading.code,
        found.holder_name,
        found.ticket_type_id,
        first_scanned_at=found.admitted_at,
        first_gate=found.gate,
    )


async def replay(ctx: CheckinContext, device: Device, nonce: str) -> Answer | None:
    """The recorded answer to this device's scan `nonce`, if it was recorded."""

    async def read() -> Answer | None:
        async with ctx.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(s.id, s.result, s.reason, s.code, t.holder_name, t.ticket_type_id)
                    .add_columns(a.admitted_at, a.gate)
                    .outerjoin(tickets, t.id == s.ticket_id)
                    .outerjoin(ticket_admissions, a.ticket_id == s.ticket_id)
                    .where(s.device_id == device.id, s.nonce == nonce)
                )
            ).first()
        if row is None:
            return None
        return Answer(
            Result(row.result),
            row.id,
            row.code,
            row.holder_name,
            row.ticket_type_id,
            first_scanned_at=row.admitted_at,
            first_gate=row.gate,
            reason=row.reason,
        )

    return await with_retries(read, what="check-in replay")
