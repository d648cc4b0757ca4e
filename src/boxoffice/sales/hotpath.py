"""PostgreSQL: a purchase's hold and its confirmation in one round trip each.

Why a second path: under a flash sale the purchase worker is CPU-bound, and
the general path (SQLAlchemy Core, every backend) spends six round trips on
a hold and five on a confirmation, each through SQLAlchemy's execution
machinery (about 108 µs of CPU a statement, against 39 µs on asyncpg
directly; docs/benchmarks.md). Here, on the driver's own connection:

- hold: one call of `boxoffice_hold` (migration 0004): seats by the same
  conditional update on the same buckets, then the buyer's allowance, then
  the pending order and its items, in the general path's lock order;
- confirm: one data-modifying statement; the tickets and the outbox row are
  written only if its conditional `pending -> paid` update won.

Each is a single statement in autocommit, so it is atomic on its own: it
either wrote everything or, having raised, nothing. The rules and their
answers are the general path's; SQLite (and a test that swaps in another
inventory guard) runs the general path, PostgreSQL runs this one and falls
back to the general path when no single bucket has room for an order's
first line (the general path can split it, or answers sold out).

Connections come from a pool of its own (asyncpg's), `db_pool_size` of
them per worker beside the engine's. Checking a connection out of
SQLAlchemy's pool cost ~130 µs of CPU, twice a purchase; asyncpg's costs
~28 µs once its per-release session reset is skipped, which is safe here:
these statements change no session state, and a connection returned in a
transaction is still rolled back (asyncpg does that before `reset`). A
connection whose statement ran cleanly skips even that: it is handed to the
next purchase in-process (`boxoffice.sales.handoff`); one that saw an error
goes back through asyncpg's pool.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from boxoffice.mail.outbox import ticket_email_row
from boxoffice.sales.handoff import Exhausted, Handoff
from boxoffice.sales.inventory import Allocation
from boxoffice.sales.rules import HoldPlan, OrderStatus
from boxoffice.tickets.issuance import NewTicket

log = logging.getLogger("boxoffice.sales")

# A connection that died under the statement, or before it (see `_fetchval`).
CONNECTION_LOST = (
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.ConnectionDoesNotExistError,  # 08003
    asyncpg.ConnectionFailureError,  # 08006
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
)
UNIQUE_VIOLATION = "23505"
BUYER_LIMIT = "BX001"  # raised by boxoffice_hold (migration 0004)
NO_SINGLE_BUCKET = "BX002"  # a later line found no bucket: rolled back, the general path decides

HOLD = (
    "SELECT boxoffice_hold($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
    "$12::text[], $13::integer[], $14::bigint[], $15::integer[], $16)"
)

# The one transition out of `pending` that this path takes (settlement._SETTLE is the general
# one): the first recorded answer is kept, as a retry must replay it. The status it leaves is
# a parameter ($14, 'pending'), not a literal, for the plan's sake: see `GENERIC_PLANS`.
CONFIRM = """
WITH won AS (
    UPDATE orders
       SET status = 'paid', gateway_intent_id = $2, decline_code = NULL,
           updated_at = $3, response_status = coalesce(response_status, $4),
           response_body = CASE WHEN response_status IS NULL THEN $5 ELSE response_body END
     WHERE id = $1 AND status = $14
 RETURNING id, event_id
), issued AS (
    INSERT INTO tickets (id, order_id, event_id, ticket_type_id, serial, code, holder_name,
                         status, created_at)
    SELECT t.id, won.id, won.event_id, t.ticket_type_id, t.serial, t.code, $6, 'valid', $3
      FROM won, unnest($7::text[], $8::text[], $9::bigint[], $10::text[])
           AS t(id, ticket_type_id, serial, code)
), mail AS (
    INSERT INTO outbox (id, kind, order_id, dedupe_key, created_at, attempts, next_attempt_at)
    SELECT $11, $12, won.id, $13, $3, 0, $3 FROM won
)
SELECT count(*) FROM won
"""


# Every statement of this path finds its rows by primary key, and must keep doing so on a
# database that has never been analysed (a new deployment's first sale: autovacuum's first
# ANALYZE comes a minute or more after the orders start). On an empty `orders` table the
# planner preferred the reconciler's partial index of pending orders for the confirmation
# (`WHERE id = $1 AND status = 'pending'` implies the index's predicate), and each prepared
# confirmation then read every pending order to find its own: measured in the flash-sale
# benchmark, 91 index entries and 85 heap rows per confirmation (docs/benchmarks.md).
# A generic plan cannot prove that a parameter equals 'pending', so with generic plans
# forced (no custom plan, whose literal could) only the primary key is left to use.
GENERIC_PLANS = {"plan_cache_mode": "force_generic_plan"}


class DuplicateKey(Exception):
    """The buyer's idempotency key already has an order; nothing was written."""


class BuyerLimitReached(Exception):
    """The order would take the buyer past the event's limit; nothing was written."""


class PostgresHotPath:
    def __init__(
        self, database_url: str, *, pool_size: int = 20, lock_timeout_ms: int = 5000
    ) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._pool_size = pool_size
        self._lock_timeout_ms = lock_timeout_ms
        self._pool: Any = None
        self._handoff: Handoff | None = None
        self._opening = asyncio.Lock()

    async def _open(self) -> Handoff:
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._dsn,
                    min_size=1,
                    max_size=self._pool_size,
                    reset=_keep_session,
                    command_timeout=30,
                    server_settings={
                        "lock_timeout": str(self._lock_timeout_ms),
                        "application_name": "boxoffice-purchase",
                        **GENERIC_PLANS,
                    },
                )
                self._handoff = Handoff(self._pool, size=self._pool_size, wait_seconds=10)
        assert self._handoff is not None
        return self._handoff

    async def _fetchval(self, statement: str, *args: Any) -> Any:
        """Run one statement on a purchase connection (`boxoffice.sales.handoff`).

        A restarted database, a failover or a proxy that cuts connections leaves the worker
        holding connections that are dead or dying, in ways the driver notices only when the
        next statement starts (it refuses before sending) or while it waits for the answer
        (the backend was terminated: `ConnectionDoesNotExistError`, `AdminShutdownError`).
        Such a statement runs once more, on a fresh connection, after every idle one is let
        go (they shared the database's fate). Running it again is safe even if the first try
        did commit before the answer was lost: both statements are idempotent in the
        database. The hold inserts its order under the id chosen for this purchase, so a
        second hold is refused as a duplicate key and the purchase replays that order; the
        confirmation changes only a pending order, so a second one changes nothing and the
        settlement reads the order it finds paid. Any other error is the caller's to judge.
        """
        handoff = self._handoff or await self._open()
        for attempt in (1, 2):
            try:
                conn = await handoff.take()
            except (Exhausted, TimeoutError) as exhausted:  # every connection busy: retried
                raise sa_exc.TimeoutError(
                    "the purchase connection pool is exhausted"
                ) from exhausted
            try:
                value = await conn.fetchval(statement, *args)
            except CONNECTION_LOST:
                await handoff.drop(conn)
                if attempt == 2:
                    raise
                log.warning("a purchase connection was lost: running the statement again")
                await handoff.forget_idle()
                continue
            except BaseException:
                await handoff.drop(conn)
                raise
            await handoff.give_back(conn)
            return value
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        if self._handoff is not None:
            await self._handoff.aclose()
            self._handoff = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def hold(
        self, plan: HoldPlan, *, first_buckets: list[int]
    ) -> dict[str, Allocation] | None:
        """Hold the plan's seats; None when the general path must decide (no single bucket)."""
        try:
            taken_from = await self._fetchval(
                HOLD,
                plan.order_id,
                plan.event_id,
                plan.buyer_email,
                plan.buyer_name,
                plan.total,
                plan.currency,
                plan.payment_method,
                plan.idempotency_key,
                plan.fingerprint,
                plan.now,
                plan.limit,
                [tt for tt, _ in plan.lines],
                [q for _, q in plan.lines],
                [plan.unit_prices[tt] for tt, _ in plan.lines],
                first_buckets,
                plan.locale,
            )
        except asyncpg.PostgresError as error:
            if error.sqlstate == UNIQUE_VIOLATION:
                raise DuplicateKey from error
            if error.sqlstate == BUYER_LIMIT:
                raise BuyerLimitReached from error
            if error.sqlstate == NO_SINGLE_BUCKET:
                return None
            raise
        if taken_from is None:
            return None
        return {
            tt: [(bucket, quantity)]
            for (tt, quantity), bucket in zip(plan.lines, taken_from, strict=True)
        }

    async def confirm(
        self,
        *,
        order_id: str,
        intent_id: str,
        holder_name: str,
        planned: list[NewTicket],
        answer_status: int,
        answer_body: str,
        now: datetime,
    ) -> bool:
        """Mark paid, issue the tickets, queue their e-mail; False if it was not pending."""
        mail = ticket_email_row(order_id=order_id, now=now)
        won = await self._fetchval(
            CONFIRM,
            order_id,
            intent_id,
            now,
            answer_status,
            answer_body,
            holder_name,
            [t.id for t in planned],
            [t.ticket_type_id for t in planned],
            [t.serial for t in planned],
            [t.code for t in planned],
            mail["id"],
            mail["kind"],
            mail["dedupe_key"],
            OrderStatus.PENDING,
        )
        return bool(won)


async def _keep_session(_conn: Any) -> None:
    """Nothing to reset: the hot path leaves no session state behind (see the docstring)."""
