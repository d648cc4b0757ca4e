"""A worker's short-lived snapshots of shared state, read once however many ask at once.

The waiting room reads the queue's frontier from Redis at most every quarter second and the
seats left from the database at most every two seconds, per event and process
(`boxoffice.waitingroom.service`). Without more, the moment a snapshot expires every request
that needs it before the first read returns starts a read of its own: at a few hundred
purchases and polls a second per worker, a round trip slowed to 20 ms by a busy database or
Redis turns one read into a dozen, and the slower the store, the more reads it gets. So one
read is in flight per key; the requests that arrive meanwhile wait for it and share its
answer, or its error.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")

# Snapshots kept per process before they are all dropped: events on sale at once are few.
MOST_KEYS = 1024


class Snapshots(Generic[T]):
    """Values by key, each read again after `fresh_seconds`, one read per key at a time."""

    def __init__(self, fresh_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.fresh_seconds = fresh_seconds
        self.clock = clock
        self._values: dict[str, tuple[float, T]] = {}
        self._reading: dict[str, asyncio.Future[T]] = {}

    def last(self, key: str) -> T | None:
        """The latest value read for `key`, fresh or not (a fallback when a read fails)."""
        kept = self._values.get(key)
        return kept[1] if kept is not None else None

    def clear(self) -> None:
        """Forget every value: the next request for each key reads it again."""
        self._values.clear()

    async def get(self, key: str, read: Callable[[], Awaitable[T]]) -> T:
        kept = self._values.get(key)
        if kept is not None and kept[0] > self.clock():
            return kept[1]
        reading = self._reading.get(key)
        if reading is None:
            reading = asyncio.ensure_future(self._read(key, read))
            # Retrieved even when every waiter has gone, so asyncio does not log it as lost.
            reading.add_done_callback(lambda done: done.cancelled() or done.exception())
            self._reading[key] = reading
        # Shielded: a request that gives up (its client left) must not cancel the read that
        # the others are waiting for.
        return await asyncio.shield(reading)

    async def _read(self, key: str, read: Callable[[], Awaitable[T]]) -> T:
        try:
            value = await read()
        finally:
            del self._reading[key]
        if len(self._values) >= MOST_KEYS:
            self._values.clear()
        self._values[key] = (self.clock() + self.fresh_seconds, value)
        return value
