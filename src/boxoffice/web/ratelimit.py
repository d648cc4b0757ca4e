"""Rate limits for the doors people can hammer: sign-in (guessing keys) and lookups (guessing
codes or e-mail addresses, or using us to send mail).

A token bucket per key: ``burst`` requests at once, refilled at ``per_minute``. With several
processes or hosts (``BOXOFFICE_REDIS_URL`` set) the buckets live in Redis, updated by one
Lua script so that the read, refill and take are atomic, timed by Redis's own clock so that
hosts with skewed clocks agree. Without Redis each process keeps its own buckets (the demo,
one process). If Redis stops answering we fall back to the process's buckets rather than
refuse every sign-in: a limit is a brake, not a lock.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

from boxoffice.errors import RateLimited

log = logging.getLogger("boxoffice.web")


@dataclass(frozen=True, slots=True)
class Rate:
    per_minute: float
    burst: int

    @property
    def per_second(self) -> float:
        return self.per_minute / 60.0


class Limiter(Protocol):
    async def take(self, key: str, rate: Rate) -> float:
        """Take one token: 0 if allowed, else the seconds until one is available."""

    async def aclose(self) -> None: ...


class MemoryBuckets:
    """Buckets in this process, at most `max_keys` of them (least recently used go first)."""

    def __init__(self, *, max_keys: int = 100_000, clock: Any = time.monotonic) -> None:
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._max_keys = max_keys
        self._clock = clock

    async def take(self, key: str, rate: Rate) -> float:
        now = self._clock()
        tokens, stamp = self._buckets.pop(key, (float(rate.burst), now))
        tokens = min(float(rate.burst), tokens + (now - stamp) * rate.per_second)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / rate.per_second
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return wait

    async def aclose(self) -> None:
        self._buckets.clear()


# KEYS[1] bucket; ARGV: refill per second, burst. Returns milliseconds to wait (0 = allowed).
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1]) or burst
local stamp = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return math.ceil(wait * 1000)
"""


class RedisBuckets:
    def __init__(self, url: str, *, prefix: str = "bx:rl:") -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._redis.register_script(_TAKE)
        self._prefix = prefix
        self._fallback = MemoryBuckets()

    async def take(self, key: str, rate: Rate) -> float:
        from redis.exceptions import RedisError

        try:
            wait_ms = await self._script(
                keys=[self._prefix + key], args=[rate.per_second, rate.burst]
            )
        except (RedisError, OSError) as exc:
            log.warning("rate limit store unavailable, limiting in-process: %s", exc)
            return await self._fallback.take(key, rate)
        return int(wait_ms) / 1000.0

    async def aclose(self) -> None:
        await self._redis.aclose()


def build_limiter(redis_url: str | None) -> Limiter:
    return RedisBuckets(redis_url) if redis_url else MemoryBuckets()


async def enforce(limiter: Limiter, key: str, rate: Rate) -> None:
    """Raise `RateLimited` (429 ``rate_limited``) when `key` has used up its bucket."""
    wait = await limiter.take(key, rate)
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise RateLimited(f"too many attempts; try again in {seconds} s", retry_after=seconds)
