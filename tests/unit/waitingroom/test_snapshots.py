"""A worker's snapshot of the queue is read once, however many requests need it at once."""

from __future__ import annotations

import asyncio

import pytest

from boxoffice.waitingroom.snapshots import Snapshots


class SlowStore:
    """Answers after a pause, as a busy Redis or database does, and counts its reads."""

    def __init__(self) -> None:
        self.reads = 0
        self.fail = False
        self.release = asyncio.Event()

    async def read(self) -> int:
        self.reads += 1
        await self.release.wait()
        if self.fail:
            raise ConnectionError("store down")
        return self.reads * 100


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_requests_arriving_while_the_snapshot_is_read_share_that_one_read() -> None:
    store, snapshots = SlowStore(), Snapshots[int](0.25)
    waiting = [asyncio.create_task(snapshots.get("evt", store.read)) for _ in range(50)]
    await asyncio.sleep(0)
    store.release.set()
    assert await asyncio.gather(*waiting) == [100] * 50
    assert store.reads == 1


async def test_a_fresh_snapshot_answers_without_a_read_and_an_old_one_is_read_again() -> None:
    store, clock = SlowStore(), Clock()
    store.release.set()
    snapshots = Snapshots[int](0.25, clock=clock)
    assert await snapshots.get("evt", store.read) == 100
    clock.now += 0.2
    assert await snapshots.get("evt", store.read) == 100
    clock.now += 0.1
    assert await snapshots.get("evt", store.read) == 200
    assert store.reads == 2


async def test_a_failed_read_fails_every_waiter_and_is_not_kept() -> None:
    store, snapshots = SlowStore(), Snapshots[int](0.25)
    store.fail = True
    waiting = [asyncio.create_task(snapshots.get("evt", store.read)) for _ in range(5)]
    await asyncio.sleep(0)
    store.release.set()
    outcomes = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(o, ConnectionError) for o in outcomes)
    assert store.reads == 1
    store.fail = False
    assert await snapshots.get("evt", store.read) == 200  # the next request reads again


async def test_a_request_that_gives_up_does_not_cancel_the_read_the_others_wait_for() -> None:
    store, snapshots = SlowStore(), Snapshots[int](0.25)
    leaving = asyncio.create_task(snapshots.get("evt", store.read))
    staying = asyncio.create_task(snapshots.get("evt", store.read))
    await asyncio.sleep(0)
    leaving.cancel()
    store.release.set()
    assert await staying == 100
    with pytest.raises(asyncio.CancelledError):
        await leaving
    assert store.reads == 1


async def test_events_are_read_separately() -> None:
    store, snapshots = SlowStore(), Snapshots[int](0.25)
    store.release.set()
    assert await snapshots.get("evt_a", store.read) == 100
    assert await snapshots.get("evt_b", store.read) == 200
    assert snapshots.last("evt_a") == 100
    snapshots.clear()
    assert snapshots.last("evt_a") is None
