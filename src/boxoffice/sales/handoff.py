"""The purchase's database connections, handed from one purchase to the next in-process.

asyncpg's pool returns every connection through a shielded task with its own timeout and
reset, and takes it out again under another timeout: measured, 34 µs of CPU per checkout and
return (6 µs with a queue), and one more pass of the event loop per statement. Under a flash
sale the loop is saturated, and a pass waits behind everything else that is ready (the
workers' loops then wake a timer 10-50 ms late, `boxoffice_event_loop_lag_seconds`), so a
purchase's two statements paid for it twice in latency as well as in CPU.

Here asyncpg's pool still opens the connections, and takes back every connection that saw an
error, to reset or close it as it does; a connection that ran its statement cleanly goes
straight back onto a stack, to the next purchase waiting for one. The stack starts with one
empty slot per connection the pool may open: a purchase that draws a slot opens (or takes
back) a connection through asyncpg's pool, and a connection given back to asyncpg after an
error leaves its slot on the stack again, so the handoff never holds more connections than
the pool's size and never loses a slot.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Protocol

import asyncpg

log = logging.getLogger("boxoffice.sales")
FORGET_SECONDS = 1.0


class ConnectionPool(Protocol):
    async def acquire(self, *, timeout: float | None = None) -> Any: ...  # noqa: ASYNC109 (asyncpg's)
    async def release(self, connection: Any) -> None: ...
    async def expire_connections(self) -> None: ...


class Exhausted(Exception):
    """Every connection stayed busy for the whole wait."""


class Handoff:
    """`take` a connection, then `give_back` (it ran cleanly) or `drop` (it raised)."""

    def __init__(self, pool: ConnectionPool, *, size: int, wait_seconds: float) -> None:
        self.pool = pool
        self.wait_seconds = wait_seconds
        # Last in, first out: the connection given back last is the warmest (its backend's
        # caches, its socket), and a quiet worker keeps using one instead of cycling all.
        self._queue: asyncio.LifoQueue[Any] = asyncio.LifoQueue()
        for _ in range(size):
            self._queue.put_nowait(None)  # a slot: open a connection when drawn
        self._closed = False
        self._forgot_at = -FORGET_SECONDS

    async def take(self) -> Any:
        if self._queue.empty():
            try:
                async with asyncio.timeout(self.wait_seconds):
                    drawn = await self._queue.get()
            except TimeoutError as busy:
                raise Exhausted from busy
        else:
            drawn = self._queue.get_nowait()
        if drawn is not None:
            if _open(drawn):
                return drawn
            # It died while idle (a restarted database, a proxy that cut idle connections):
            # asyncpg's pool takes it back, and its slot opens a fresh one, as asyncpg's own
            # checkout does for a connection it finds closed. The slot is this purchase's
            # whatever the pool says about the dead connection.
            try:
                await self.pool.release(drawn)
            except Exception:
                log.warning("a dead purchase connection could not be given back", exc_info=True)
        try:
            return await self.pool.acquire(timeout=self.wait_seconds)
        except BaseException:
            self._queue.put_nowait(None)
            raise

    async def give_back(self, connection: Any) -> None:
        """The statement ran cleanly: the connection goes to the next purchase."""
        if self._closed:
            await self.pool.release(connection)
        else:
            self._queue.put_nowait(connection)

    async def drop(self, connection: Any) -> None:
        """The statement raised: asyncpg's pool resets or closes the connection."""
        try:
            await self.pool.release(connection)
        finally:
            self._queue.put_nowait(None)

    async def forget_idle(self) -> None:
        """One connection was lost under a statement: the others were opened to the same
        database and have likely gone with it (a restart, a failover). Give every idle one
        back and have asyncpg's pool replace every connection it opened before now, the busy
        ones as they come back, so the next statements run on connections opened after it.
        Once per `FORGET_SECONDS`: when a database restarts, every purchase in flight loses
        its connection at once, and they should not make each other's new ones expire."""
        now = time.monotonic()
        if now - self._forgot_at < FORGET_SECONDS:
            return
        self._forgot_at = now
        idle = []
        while not self._queue.empty():
            idle.append(self._queue.get_nowait())
        for _ in idle:
            self._queue.put_nowait(None)
        await self.pool.expire_connections()
        for connection in idle:
            if connection is not None:
                try:
                    await self.pool.release(connection)
                except Exception:
                    log.warning("a lost purchase connection could not be given back", exc_info=True)

    async def aclose(self) -> None:
        """Give every idle connection back to asyncpg's pool; the busy ones follow as their
        purchases end."""
        self._closed = True
        while not self._queue.empty():
            if (connection := self._queue.get_nowait()) is not None:
                await self.pool.release(connection)


def _open(connection: Any) -> bool:
    """Whether an idle connection can still run a statement; asyncpg detaches the handle of
    one it has closed and taken back itself (the InterfaceError)."""
    try:
        return not connection.is_closed()
    except asyncpg.InterfaceError:
        return False
