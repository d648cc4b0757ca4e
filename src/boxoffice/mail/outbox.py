"""The mail outbox: rows written with the change that causes them, claimed under a lease.

Why an outbox: the ticket e-mail must go out if and only if the order was confirmed. Sending
inside the confirming transaction would mail tickets for an order that then rolls back, and
sending after the commit loses the mail if the process dies in between. So `settlement`
writes a row *in* the confirming transaction and a worker (`boxoffice.mail.worker`) delivers
it later, retrying until the mail server takes it.

Exactly once per row, with any number of workers: a worker owns a row only after a
conditional update ``SET lease_owner = me, lease_until = now + lease WHERE sent_at IS NULL
AND (lease_until IS NULL OR lease_until < now)`` changed it. On PostgreSQL a second worker's
update waits for the first's commit and then re-checks the condition against the new row
(READ COMMITTED), finding the lease taken; on SQLite writers are serialised. Only the owner
may record ``sent_at`` or a failure. The one gap no database can close: a process that dies
after the mail server said 250 and before ``sent_at`` is committed sends again when its
lease expires. Each row's Message-ID is fixed, so mail clients show such a repeat once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from boxoffice.db.tables import events, orders, outbox
from boxoffice.errors import Conflict, NotFound
from boxoffice.ids import new_id

TICKETS = "tickets"  # the buyer's tickets, after payment or when re-sent
x = outbox.c
_INSERT = outbox.insert()  # built once: it runs in every confirming transaction


@dataclass(frozen=True, slots=True)
class Claimed:
    id: str
    kind: str
    order_id: str
    attempts: int  # including this one
    resend: bool


def ticket_email_row(*, order_id: str, now: datetime) -> dict[str, Any]:
    """The row that queues a just-confirmed order's tickets e-mail (one per order)."""
    return _row(order_id=order_id, dedupe_key=f"{TICKETS}:{order_id}", now=now)


async def enqueue_ticket_email(conn: AsyncConnection, *, order_id: str, now: datetime) -> None:
    """Queue the tickets e-mail of a just-confirmed order, in the caller's transaction."""
    await conn.execute(_INSERT, ticket_email_row(order_id=order_id, now=now))


async def enqueue_resend(conn: AsyncConnection, *, order_id: str, now: datetime) -> str:
    """Queue the tickets e-mail once more (support or the partner asked); returns the row id."""
    row = _row(order_id=order_id, dedupe_key=f"resend:{order_id}:{new_id('rs')}", now=now)
    await conn.execute(_INSERT, row)
    return str(row["id"])


def _row(*, order_id: str, dedupe_key: str, now: datetime) -> dict[str, Any]:
    return {
        "id": new_id("mail"),
        "kind": TICKETS,
        "order_id": order_id,
        "dedupe_key": dedupe_key,
        "created_at": now,
        "attempts": 0,
        "next_attempt_at": now,
    }


def _claimable(now: Any) -> list[ColumnElement[bool]]:
    return [
        x.sent_at.is_(None),
        x.failed_at.is_(None),
        x.next_attempt_at <= now,
        or_(x.lease_until.is_(None), x.lease_until < now),
    ]


def _still_claimable(now: datetime) -> list[ColumnElement[bool]]:
    """`_claimable`, for the update of one row found by its id.

    Said so that it does not imply the predicate of `ix_outbox_due` (both timestamps null is
    what `coalesce(sent_at, failed_at) IS NULL` means, but the planner cannot prove it): with
    statistics that still say "few unsent rows", as during a sale's backlog or on a new
    database, PostgreSQL otherwise preferred that index to the primary key and read every
    unsent row to find one (docs/benchmarks.md).
    """
    return [
        func.coalesce(x.sent_at, x.failed_at).is_(None),
        x.next_attempt_at <= now,
        or_(x.lease_until.is_(None), x.lease_until < now),
    ]


# The oldest due rows, through the partial index of unsent, unfailed ones (`ix_outbox_due`,
# migration 0006), read in order and stopped after `limit`: never the whole backlog.
DUE_MAIL: Select[Any] = (
    select(x.id, x.kind, x.order_id, x.attempts, x.dedupe_key)
    .where(*_claimable(bindparam("now")))
    .order_by(x.next_attempt_at)
    .limit(bindparam("limit"))
)


async def claim_due(
    engine: AsyncEngine, *, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[Claimed]:
    """Take up to `limit` rows that are due and not leased; each is ours alone until sent."""
    async with engine.connect() as conn:
        candidates = (await conn.execute(DUE_MAIL, {"now": now, "limit": limit})).all()
    claimed: list[Claimed] = []
    if not candidates:
        return claimed
    async with engine.begin() as conn:
        for row in candidates:
            won = await conn.execute(
                update(outbox)
                .where(x.id == row.id, *_still_claimable(now))
                .values(lease_owner=owner, lease_until=now + lease, attempts=x.attempts + 1)
            )
            if won.rowcount == 1:
                resend = row.dedupe_key.startswith("resend:")
                claimed.append(Claimed(row.id, row.kind, row.order_id, row.attempts + 1, resend))
    return claimed


async def mark_sent(engine: AsyncEngine, *, row_id: str, owner: str, now: datetime) -> bool:
    async with engine.begin() as conn:
        done = await conn.execute(
            update(outbox)
            .where(x.id == row_id, x.lease_owner == owner, x.sent_at.is_(None))
            .values(sent_at=now, lease_owner=None, lease_until=None, last_error=None)
        )
    return done.rowcount == 1


async def mark_failed(
    engine: AsyncEngine,
    *,
    row_id: str,
    owner: str,
    error: str,
    retry_at: datetime | None,
    now: datetime,
) -> None:
    """Give the row back for a retry at `retry_at`, or for good (``failed_at``) when None."""
    async with engine.begin() as conn:
        await conn.execute(
            update(outbox)
            .where(x.id == row_id, x.lease_owner == owner, x.sent_at.is_(None))
            .values(
                lease_owner=None,
                lease_until=None,
                last_error=error[:500],
                next_attempt_at=retry_at or now,
                failed_at=None if retry_at else now,
            )
        )


async def resend_tickets(
    engine: AsyncEngine, *, partner_id: str, order_id: str, now: datetime
) -> str:
    """Queue the tickets e-mail again for a paid order of one of the partner's events."""
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                select(orders.c.status, events.c.partner_id)
                .join_from(orders, events, events.c.id == orders.c.event_id)
                .where(orders.c.id == order_id)
            )
        ).first()
        if row is None or row.partner_id != partner_id:
            raise NotFound("no such order")
        if row.status != "paid":
            raise Conflict(f"only paid orders have tickets to send; this one is {row.status}")
        return await enqueue_resend(conn, order_id=order_id, now=now)
