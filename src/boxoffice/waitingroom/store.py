"""Where the queue lives: Redis in production, memory for the one-process demo.

One queue per event is a Redis sorted set of buyers. The score is the
whole fairness rule: whoever arrives before the sale opens (or at its
opening second) draws a uniformly random score in [0, 1), so the opening
rush is shuffled and a faster click buys nothing; whoever arrives later
gets `1 + arrival sequence`, behind everyone earlier. `ZADD NX` keeps one
place per buyer.

Admission is a *frontier* that advances at the operator's rate: a token
bucket capped at the queue's length, advanced by one Lua script on Redis's
own clock, so every web worker agrees on it and a lull does not let a later
burst in at once. A buyer whose rank is below the frontier is admitted.
Everything is in Redis, so restarting web workers loses no place.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis

# Each operation is one script, so one round trip: under an opening rush every round trip
# is CPU on the web worker that purchases need (redis-py spends ~0.1-0.2 ms per command).

# The frontier, advanced on Redis's own clock. KEYS[1] queue zset, KEYS[2] state hash;
# ARGV[1] default rate. Leaves `frontier` and `rate` in locals for what follows.
_ADVANCE_BODY = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1e6
local state = redis.call('HMGET', KEYS[2], 'frontier', 'at', 'rate')
local frontier = tonumber(state[1]) or 0
local at = tonumber(state[2]) or t
local rate = tonumber(state[3]) or tonumber(ARGV[1])
local size = redis.call('ZCARD', KEYS[1])
frontier = math.min(frontier + rate * math.max(0, t - at), size)
redis.call('HSET', KEYS[2], 'frontier', tostring(frontier), 'at', tostring(t))
"""

# Returns {frontier, rate} as strings: the admission state every worker shares.
_ADVANCE = _ADVANCE_BODY + "return {tostring(frontier), tostring(rate)}\n"

# One buyer's place: {rank or false, frontier, rate} as strings; if admitted, also makes the
# pass whose nonce the caller drew live (KEYS[3]) for ARGV[3] seconds (0: no pass). ARGV[2] is
# the buyer. Admitted means rank < floor(frontier), exactly as `Place.admitted`.
_PLACE_BODY = (
    "local rank = redis.call('ZRANK', KEYS[1], ARGV[2])\n"
    "if not rank then return {false, '0', '0'} end\n"
    + _ADVANCE_BODY
    + "if rank < math.floor(frontier) and tonumber(ARGV[3]) > 0 then\n"
    "  redis.call('SET', KEYS[3], '1', 'EX', ARGV[3])\n"
    "end\n"
    "return {tostring(rank), tostring(frontier), tostring(rate)}\n"
)
_PLACE = _PLACE_BODY

# Take a place once per buyer (ZADD NX), then answer as _PLACE. KEYS[4] is the arrival
# sequence; ARGV[4] the random score for a shuffled arrival, or "" for "behind everyone".
_JOIN = (
    "if not redis.call('ZSCORE', KEYS[1], ARGV[2]) then\n"
    "  local score = tonumber(ARGV[4])\n"
    "  if not score then score = 1 + redis.call('INCR', KEYS[4]) end\n"
    "  redis.call('ZADD', KEYS[1], 'NX', score, ARGV[2])\n"
    "end\n" + _PLACE_BODY
)


@dataclass(frozen=True, slots=True)
class Place:
    rank: int  # 0-based place in the queue
    frontier: float  # how many places have been admitted so far
    rate: float  # admissions per second

    @property
    def admitted(self) -> bool:
        return self.rank < int(self.frontier)

    @property
    def ahead(self) -> int:
        return max(0, self.rank - int(self.frontier))

    @property
    def eta_seconds(self) -> float:
        return 0.0 if self.admitted else (self.ahead + 1) / self.rate


class QueueStore(Protocol):
    """A queue per event. `join` and `place` answer the buyer's place; when that place is
    admitted and a pass nonce is given, the pass is made live in the same step."""

    async def join(
        self,
        event_id: str,
        buyer: str,
        *,
        shuffled: bool,
        pass_nonce: str | None = None,
        pass_ttl_seconds: int = 0,
    ) -> Place: ...
    async def place(
        self, event_id: str, buyer: str, *, pass_nonce: str | None = None, pass_ttl_seconds: int = 0
    ) -> Place | None: ...
    async def frontier(self, event_id: str) -> tuple[float, float]:
        """How many places are admitted by now, and at what rate per second."""
        ...

    async def set_rate(self, event_id: str, per_second: float) -> None: ...
    async def register_pass(self, event_id: str, nonce: str, ttl_seconds: int) -> None: ...
    async def pass_is_live(self, event_id: str, nonce: str) -> bool: ...
    async def aclose(self) -> None: ...


class RedisQueue:
    def __init__(self, url: str, *, default_rate: float) -> None:
        # A bounded pool that waits for a free connection, rather than opening one per
        # request in a rush; timeouts generous enough for a loaded event loop.
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=100,
            timeout=5,
            socket_timeout=5,
            socket_connect_timeout=2,
            decode_responses=True,
        )
        self._redis = aioredis.Redis(connection_pool=pool)
        self._default_rate = default_rate
        self._advance = self._redis.register_script(_ADVANCE)
        self._join = self._redis.register_script(_JOIN)
        self._place = self._redis.register_script(_PLACE)

    @staticmethod
    def _keys(event_id: str) -> tuple[str, str, str]:
        base = f"boxoffice:wr:{{{event_id}}}"  # one hash slot per event (Redis Cluster)
        return f"{base}:queue", f"{base}:state", f"{base}:seq"

    def _pass_key(self, event_id: str, nonce: str | None) -> str:
        return f"boxoffice:wr:{{{event_id}}}:pass:{nonce or '-'}"

    async def join(
        self,
        event_id: str,
        buyer: str,
        *,
        shuffled: bool,
        pass_nonce: str | None = None,
        pass_ttl_seconds: int = 0,
    ) -> Place:
        queue, state, seq = self._keys(event_id)
        score = repr(random.random()) if shuffled else ""
        ttl = pass_ttl_seconds if pass_nonce else 0
        rank, frontier, rate = await self._join(
            keys=[queue, state, self._pass_key(event_id, pass_nonce), seq],
            args=[self._default_rate, buyer, ttl, score],
        )
        return Place(int(rank), float(frontier), float(rate))

    async def place(
        self, event_id: str, buyer: str, *, pass_nonce: str | None = None, pass_ttl_seconds: int = 0
    ) -> Place | None:
        queue, state, _ = self._keys(event_id)
        ttl = pass_ttl_seconds if pass_nonce else 0
        rank, frontier, rate = await self._place(
            keys=[queue, state, self._pass_key(event_id, pass_nonce)],
            args=[self._default_rate, buyer, ttl],
        )
        if rank is None:
            return None
        return Place(int(rank), float(frontier), float(rate))

    async def frontier(self, event_id: str) -> tuple[float, float]:
        queue, state, _ = self._keys(event_id)
        frontier, rate = await self._advance(keys=[queue, state], args=[self._default_rate])
        return float(frontier), float(rate)

    async def set_rate(self, event_id: str, per_second: float) -> None:
        queue, state, _ = self._keys(event_id)
        await self._advance(keys=[queue, state], args=[self._default_rate])  # settle the old rate
        await self._redis.hset(state, "rate", str(per_second))

    async def register_pass(self, event_id: str, nonce: str, ttl_seconds: int) -> None:
        await self._redis.set(self._pass_key(event_id, nonce), "1", ex=ttl_seconds)

    async def pass_is_live(self, event_id: str, nonce: str) -> bool:
        return bool(await self._redis.exists(self._pass_key(event_id, nonce)))

    async def aclose(self) -> None:
        await self._redis.aclose()


class MemoryQueue:
    """The same rules in one process, for the demo without Redis (not for several workers)."""

    def __init__(self, *, default_rate: float) -> None:
        self._default_rate = default_rate
        self._scores: dict[str, dict[str, float]] = {}
        self._seq: dict[str, int] = {}
        self._state: dict[str, tuple[float, float, float]] = {}
        self._passes: dict[tuple[str, str], float] = {}

    async def join(
        self,
        event_id: str,
        buyer: str,
        *,
        shuffled: bool,
        pass_nonce: str | None = None,
        pass_ttl_seconds: int = 0,
    ) -> Place:
        scores = self._scores.setdefault(event_id, {})
        if buyer not in scores:
            self._seq[event_id] = self._seq.get(event_id, 0) + 1
            scores[buyer] = random.random() if shuffled else 1 + self._seq[event_id]
        place = await self.place(
            event_id, buyer, pass_nonce=pass_nonce, pass_ttl_seconds=pass_ttl_seconds
        )
        assert place is not None
        return place

    def _advance(self, event_id: str) -> tuple[float, float]:
        now = time.monotonic()
        frontier, at, rate = self._state.get(event_id, (0.0, now, self._default_rate))
        size = len(self._scores.get(event_id, {}))
        frontier = min(frontier + rate * max(0.0, now - at), float(size))
        self._state[event_id] = (frontier, now, rate)
        return frontier, rate

    async def place(
        self, event_id: str, buyer: str, *, pass_nonce: str | None = None, pass_ttl_seconds: int = 0
    ) -> Place | None:
        scores = self._scores.get(event_id, {})
        if buyer not in scores:
            return None
        rank = sorted(scores.values()).index(scores[buyer])
        frontier, rate = self._advance(event_id)
        place = Place(rank, frontier, rate)
        if place.admitted and pass_nonce and pass_ttl_seconds > 0:
            await self.register_pass(event_id, pass_nonce, pass_ttl_seconds)
        return place

    async def frontier(self, event_id: str) -> tuple[float, float]:
        return self._advance(event_id)

    async def set_rate(self, event_id: str, per_second: float) -> None:
        frontier, _ = self._advance(event_id)
        self._state[event_id] = (frontier, time.monotonic(), per_second)

    async def register_pass(self, event_id: str, nonce: str, ttl_seconds: int) -> None:
        self._passes[(event_id, nonce)] = time.monotonic() + ttl_seconds

    async def pass_is_live(self, event_id: str, nonce: str) -> bool:
        return self._passes.get((event_id, nonce), 0) > time.monotonic()

    async def aclose(self) -> None:
        return None
