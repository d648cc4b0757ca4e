"""Purchases in flight in this process, by buyer and idempotency key.

A double click, or a client that retries before its first request has been
answered, sends the same purchase again while the first is still charging
the card. The repeat must get the first request's answer (never a second
charge), and it can only read that answer once the first has stored it. From
another process it has to ask the database until then
(`boxoffice.sales.purchase.replay`); from this one it need not: it waits here
for the first request to finish, then reads the stored answer once.

Before, every repeat polled the database every 50 ms for as long as the
first purchase took: about twenty reads per double click in a saturated
sale, where a purchase takes a second. In a sale with 5 % double clicks that
was within the noise of purchases/s (docs/benchmarks.md), but it is work
done for nothing at the worst moment, and a storm of repeats multiplies it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager


class InFlight:
    """One event loop's purchases in flight; not shared between threads or processes."""

    def __init__(self) -> None:
        self._running: dict[tuple[str, str], tuple[str, asyncio.Future[None]]] = {}

    def first(self, buyer: str, key: str, fingerprint: str) -> asyncio.Future[None] | None:
        """The purchase already running here with this key and the same request, if any.

        A different request under the same key is not waited for: it is refused as soon
        as the first one's order exists, as from any other process.
        """
        running = self._running.get((buyer, key))
        if running is None or running[0] != fingerprint:
            return None
        return running[1]

    def __len__(self) -> int:
        return len(self._running)

    @contextmanager
    def running(self, buyer: str, key: str, fingerprint: str) -> Iterator[None]:
        """Mark a purchase as running here until the block ends, however it ends."""
        if (buyer, key) in self._running:  # another request under this key: nothing to share
            yield
            return
        finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._running[(buyer, key)] = (fingerprint, finished)
        try:
            yield
        finally:
            del self._running[(buyer, key)]
            finished.set_result(None)
