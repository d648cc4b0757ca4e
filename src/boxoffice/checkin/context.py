"""What check-in needs from the outside, built once by the composition root.

Every scan must be verified against the event's public keys and, for rotating-QR events, the
ticket's rotation secret. Loading the keys for each scan would add a query to the hot path,
so they are kept per event for `FACTS_TTL_SECONDS`. That is safe because keys are only ever
added (retired keys still verify): a payload under a key this process has not seen yet is
reloaded once before it is refused (`facts(..., refresh=True)`).

A fresh worker process (or an expired entry) meets a burst of scans with an empty cache: the
concurrent misses for one event share one load instead of each opening connections of their
own, and the load, like every other database read of a scan, goes through
`boxoffice.sales.contention.with_retries`, so an exhausted pool or a lock timeout while
loading is a retry and then a 503 ``busy``, never a 500.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.db.tables import events
from boxoffice.errors import NotFound
from boxoffice.sales.contention import with_retries
from boxoffice.tickets import qr
from boxoffice.tickets.keys import public_keys_of
from boxoffice.tickets.presentation import TicketsContext

FACTS_TTL_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What verifying a scan of one event needs; `rotating_qr` never changes after creation."""

    event_id: str
    rotating_qr: bool
    public_keys: dict[int, Ed25519PublicKey]


class CheckinContext:
    def __init__(self, tickets: TicketsContext) -> None:
        self.tickets = tickets
        self._facts: dict[str, tuple[float, EventFacts]] = {}
        self._loading: dict[str, asyncio.Task[EventFacts]] = {}

    @property
    def engine(self) -> AsyncEngine:
        return self.tickets.engine

    def now(self) -> datetime:
        return self.tickets.clock()

    async def facts(self, event_id: str, *, refresh: bool = False) -> EventFacts:
        cached = self._facts.get(event_id)
        if cached is not None and not refresh and cached[0] > time.monotonic():
            return cached[1]
        loading = self._loading.get(event_id)
        # A refresh must see keys committed before it was asked for, so it never joins a
        # load already under way (which may have read before them); later callers join it.
        if loading is None or refresh:
            loading = asyncio.create_task(self._load(event_id), name=f"checkin facts {event_id}")
            self._loading[event_id] = loading
            loading.add_done_callback(lambda task: self._loaded(event_id, task))
        # Shielded: a caller that goes away (client disconnect) does not cancel the load
        # the other callers are waiting for.
        return await asyncio.shield(loading)

    def _loaded(self, event_id: str, task: asyncio.Task[EventFacts]) -> None:
        if self._loading.get(event_id) is task:
            del self._loading[event_id]
        if task.cancelled() or task.exception() is not None:
            return  # the waiters got the error; the next scan loads again
        facts = task.result()
        previous = self._facts.get(event_id)
        if previous is not None:
            # Loads can overlap (a refresh) and finish in any order; keys are only ever
            # added, so an older read that finishes last must not drop a newer key.
            facts = replace(facts, public_keys={**previous[1].public_keys, **facts.public_keys})
        self._facts[event_id] = (time.monotonic() + FACTS_TTL_SECONDS, facts)

    async def _load(self, event_id: str) -> EventFacts:
        async def read() -> EventFacts:
            async with self.engine.connect() as conn:
                rotating = await conn.scalar(
                    select(events.c.rotating_qr).where(events.c.id == event_id)
                )
                if rotating is None:
                    raise NotFound("no such event")
                texts = await public_keys_of(conn, event_id)
            keys = {key_id: qr.load_public_key(text) for key_id, text in texts.items()}
            return EventFacts(event_id=event_id, rotating_qr=bool(rotating), public_keys=keys)

        return await with_retries(read, what="loading check-in keys")

    def rotation_secrets(self, facts: EventFacts) -> Callable[[str], bytes] | None:
        """code -> the ticket's rotation secret, for rotating-QR events only."""
        if not facts.rotating_qr:
            return None
        event_id = facts.event_id
        return lambda code: self.tickets.rotation_secret(event_id, code)


def build_checkin(tickets: TicketsContext) -> CheckinContext:
    return CheckinContext(tickets)
