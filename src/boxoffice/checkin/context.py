"""What check-in needs from the outside, built once by the composition root.

Every scan must be verified against the event's public keys and, for rotating-QR events, the
ticket's rotation secret. Loading the keys for each scan would add a query to the hot path,
so they are kept per event for `FACTS_TTL_SECONDS`. That is safe because keys are only ever
added (retired keys still verify): a payload under a key this process has not seen yet is
reloaded once before it is refused (`facts(..., refresh=True)`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.db.tables import events
from boxoffice.errors import NotFound
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

    @property
    def engine(self) -> AsyncEngine:
        return self.tickets.engine

    def now(self) -> datetime:
        return self.tickets.clock()

    async def facts(self, event_id: str, *, refresh: bool = False) -> EventFacts:
        cached = self._facts.get(event_id)
        if cached is not None and not refresh and cached[0] > time.monotonic():
            return cached[1]
        async with self.engine.connect() as conn:
            rotating = await conn.scalar(
                select(events.c.rotating_qr).where(events.c.id == event_id)
            )
        if rotating is None:
            raise NotFound("no such event")
        keys = await self.tickets.keys.public_keys(event_id)
        facts = EventFacts(event_id=event_id, rotating_qr=bool(rotating), public_keys=keys)
        self._facts[event_id] = (time.monotonic() + FACTS_TTL_SECONDS, facts)
        return facts

    def rotation_secrets(self, facts: EventFacts) -> Callable[[str], bytes] | None:
        """code -> the ticket's rotation secret, for rotating-QR events only."""
        if not facts.rotating_qr:
            return None
        event_id = facts.event_id
        return lambda code: self.tickets.rotation_secret(event_id, code)


def build_checkin(tickets: TicketsContext) -> CheckinContext:
    return CheckinContext(tickets)
