"""The in-process token bucket (the Redis one is exercised in tests/integration/pages)."""

from __future__ import annotations

import pytest

from boxoffice.errors import RateLimited
from boxoffice.web.ratelimit import MemoryBuckets, Rate, enforce


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_burst_is_allowed_then_one_token_per_refill_interval() -> None:
    clock = Clock()
    buckets = MemoryBuckets(clock=clock)
    rate = Rate(per_minute=6, burst=3)  # one token every 10 s

    burst = [await buckets.take("ip", rate) for _ in range(4)]
    clock.now += 10
    after_ten_seconds = [await buckets.take("ip", rate) for _ in range(2)]

    assert burst[:3] == [0, 0, 0]
    assert burst[3] == pytest.approx(10)
    assert after_ten_seconds[0] == 0
    assert after_ten_seconds[1] > 0


async def test_each_key_has_its_own_bucket() -> None:
    buckets = MemoryBuckets(clock=Clock())
    rate = Rate(per_minute=1, burst=1)

    assert await buckets.take("a", rate) == 0
    assert await buckets.take("b", rate) == 0
    assert await buckets.take("a", rate) > 0


async def test_the_oldest_buckets_go_when_there_are_too_many() -> None:
    buckets = MemoryBuckets(max_keys=2, clock=Clock())
    rate = Rate(per_minute=1, burst=1)
    for key in ("a", "b", "c"):
        await buckets.take(key, rate)

    assert await buckets.take("a", rate) == 0  # forgotten, so full again


async def test_enforce_raises_rate_limited_with_whole_seconds_to_wait() -> None:
    buckets = MemoryBuckets(clock=Clock())
    rate = Rate(per_minute=60, burst=1)
    await enforce(buckets, "ip", rate)

    with pytest.raises(RateLimited) as refused:
        await enforce(buckets, "ip", rate)

    assert refused.value.code == "rate_limited"
    assert refused.value.extra["retry_after"] == 1
