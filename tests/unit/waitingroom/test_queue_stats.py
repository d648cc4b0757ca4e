"""The operator's view of a queue: what it counts, and that watching changes nothing."""

from __future__ import annotations

import asyncio

from boxoffice.waitingroom.store import MemoryQueue, QueueStats


def test_the_line_is_who_joined_minus_who_was_let_in_and_clears_at_the_rate() -> None:
    stats = QueueStats(joined=10, frontier=3.7, rate=2.0)

    assert (stats.admitted, stats.waiting) == (3, 7)
    assert stats.clears_in_seconds == 3.5


async def test_a_queue_nobody_joined_shows_an_empty_line_at_the_default_rate() -> None:
    queue = MemoryQueue(default_rate=40)

    stats = await queue.stats("evt_none")

    assert (stats.joined, stats.admitted, stats.waiting, stats.rate) == (0, 0, 0, 40)


async def test_the_memory_queue_counts_who_is_in_by_now_as_admissions_would() -> None:
    queue = MemoryQueue(default_rate=20)
    for buyer in ("ana", "bob", "cid", "dan"):
        await queue.join("evt_1", buyer, shuffled=False)
    ana = await queue.place("evt_1", "ana")
    await asyncio.sleep(0.12)  # ~2.4 admissions at 20/s

    watched = [await queue.stats("evt_1") for _ in range(3)]
    frontier, _, _ = await queue.frontier("evt_1")

    assert ana is not None
    assert not ana.admitted  # nobody is in at the first second
    assert all(view.joined == 4 for view in watched)
    assert [view.admitted for view in watched] == sorted(view.admitted for view in watched)
    assert 2 <= watched[-1].admitted <= int(frontier) <= 4
