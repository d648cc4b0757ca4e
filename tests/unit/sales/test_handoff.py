"""The purchase's connections pass from one purchase to the next without leaking a slot."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass

import pytest

from boxoffice.sales.handoff import Exhausted, Handoff


@dataclass(eq=False)
class Connection:
    number: int
    closed: bool = False

    def is_closed(self) -> bool:
        return self.closed


class CountingPool:
    """Stands in for asyncpg's pool: hands out numbered connections, counts what it sees."""

    def __init__(self) -> None:
        self.numbers = itertools.count(1)
        self.out: set[Connection] = set()
        self.acquired = 0
        self.released: list[Connection] = []
        self.expired = 0

    async def acquire(self, *, timeout: float | None = None) -> Connection:
        self.acquired += 1
        connection = Connection(next(self.numbers))
        self.out.add(connection)
        return connection

    async def release(self, connection: Connection) -> None:
        self.out.discard(connection)
        self.released.append(connection)

    async def expire_connections(self) -> None:
        self.expired += 1


async def test_a_clean_connection_goes_to_the_next_purchase_without_the_pool() -> None:
    pool = CountingPool()
    handoff = Handoff(pool, size=2, wait_seconds=1)
    first = await handoff.take()
    await handoff.give_back(first)
    await handoff.give_back(await handoff.take())
    assert pool.acquired == 1  # the second purchase got the first one's connection
    assert pool.released == []


async def test_never_more_connections_than_its_size_and_the_rest_wait_their_turn() -> None:
    pool = CountingPool()
    handoff = Handoff(pool, size=3, wait_seconds=5)
    most = 0
    busy = 0

    async def purchase() -> None:
        nonlocal most, busy
        connection = await handoff.take()
        busy += 1
        most = max(most, busy)
        await asyncio.sleep(0.001)
        busy -= 1
        await handoff.give_back(connection)

    await asyncio.gather(*(purchase() for _ in range(200)))
    assert most == 3
    assert pool.acquired == 3


async def test_a_connection_that_saw_an_error_goes_back_to_the_pool_and_frees_its_slot() -> None:
    pool = CountingPool()
    handoff = Handoff(pool, size=1, wait_seconds=1)
    suspect = await handoff.take()
    waiting = asyncio.create_task(handoff.take())  # the only slot is taken: it waits
    await asyncio.sleep(0.01)
    assert not waiting.done()
    await handoff.drop(suspect)
    fresh = await waiting
    assert pool.released == [suspect]
    assert fresh != suspect  # opened (or taken back) through the pool, not the suspect


async def test_when_every_connection_stays_busy_the_wait_ends_in_exhausted() -> None:
    handoff = Handoff(CountingPool(), size=1, wait_seconds=0.05)
    await handoff.take()
    with pytest.raises(Exhausted):
        await handoff.take()


async def test_a_failed_open_leaves_the_slot_for_the_next_purchase() -> None:
    class DownPool(CountingPool):
        down = True

        async def acquire(self, *, timeout: float | None = None) -> Connection:
            if self.down:
                raise OSError("connection refused")
            return await super().acquire(timeout=timeout)

    pool = DownPool()
    handoff = Handoff(pool, size=1, wait_seconds=0.05)
    with pytest.raises(OSError, match="refused"):
        await handoff.take()
    pool.down = False
    assert (await handoff.take()).number == 1  # the slot was not lost with the failed open


async def test_closing_returns_the_idle_connections_and_later_ones_as_they_come_back() -> None:
    pool = CountingPool()
    handoff = Handoff(pool, size=2, wait_seconds=1)
    idle, busy = await handoff.take(), await handoff.take()
    await handoff.give_back(idle)
    await handoff.aclose()
    assert pool.released == [idle]
    await handoff.give_back(busy)  # a purchase that ended after the close
    assert pool.out == set()


async def test_a_connection_that_died_while_idle_is_replaced_before_anyone_uses_it() -> None:
    pool = CountingPool()
    handoff = Handoff(pool, size=1, wait_seconds=1)
    first = await handoff.take()
    await handoff.give_back(first)
    first.closed = True  # the database restarted meanwhile
    second = await handoff.take()
    assert second is not first
    assert not second.is_closed()
    assert pool.released == [first]


async def test_a_dead_connection_the_pool_will_not_take_back_still_leaves_its_slot() -> None:
    class Refusing(CountingPool):
        async def release(self, connection: Connection) -> None:
            raise RuntimeError("not a member of this pool")

    pool = Refusing()
    handoff = Handoff(pool, size=1, wait_seconds=0.05)
    first = await handoff.take()
    await handoff.give_back(first)
    first.closed = True
    assert (await handoff.take()).number == 2  # a fresh one through the only slot


async def test_after_a_lost_connection_the_idle_ones_go_and_the_next_are_opened_fresh() -> None:
    pool = CountingPool()
    handoff = Handoff(pool, size=3, wait_seconds=1)
    a, b, c = await handoff.take(), await handoff.take(), await handoff.take()
    await handoff.give_back(a)
    await handoff.give_back(b)
    await handoff.drop(c)  # its statement lost the connection

    await handoff.forget_idle()
    fresh = [await handoff.take() for _ in range(3)]  # every slot, none of the old ones

    assert pool.expired == 1  # asyncpg replaces what it opened before, as it comes back
    assert {a, b, c} <= set(pool.released)
    assert not {a, b, c} & set(fresh)
    assert pool.acquired == 6


async def test_purchases_losing_their_connections_together_expire_the_pool_once() -> None:
    pool = CountingPool()
    handoff = Handoff(pool, size=4, wait_seconds=1)
    taken = [await handoff.take() for _ in range(4)]
    for connection in taken:  # a restart: every purchase in flight loses its connection
        await handoff.drop(connection)
        await handoff.forget_idle()

    assert pool.expired == 1
    assert len([await handoff.take() for _ in range(4)]) == 4  # no slot lost
