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
import secrets
import time
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis

# Each operation is one script, so one round trip: under an opening rush every round trip
# is CPU on the web worker that purchases need (redis-py spends ~0.06-0.1 ms per command).

# The frontier, advanced on Redis's own clock. KEYS[1] queue zset, KEYS[2] state hash;
# ARGV[1] default rate, ARGV[2] the epoch to start if the queue has none (a new queue, or
# one the store lost). Leaves `frontier`, `rate` and `epoch` in locals for what follows.
_ADVANCE_BODY = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1e6
local state = redis.call('HMGET', KEYS[2], 'frontier', 'at', 'rate', 'epoch')
local frontier = tonumber(state[1]) or 0
local at = tonumber(state[2]) or t
local rate = tonumber(state[3]) or tonumber(ARGV[1])
local epoch = state[4] or ARGV[2]
local size = redis.call('ZCARD', KEYS[1])
frontier = math.min(frontier + rate * math.max(0, t - at), size)
redis.call('HSET', KEYS[2], 'frontier', tostring(frontier), 'at', tostring(t), 'epoch', epoch)
"""

# Returns {frontier, rate, epoch} as strings: the admission state every worker shares.
_ADVANCE = _ADVANCE_BODY + "return {tostring(frontier), tostring(rate), epoch}\n"

# One buyer's place: {rank or false, frontier, rate, epoch} as strings. ARGV[3] is the buyer.
# Admitted means rank < floor(frontier), exactly as `Place.admitted`.
_PLACE_BODY = (
    "local rank = redis.call('ZRANK', KEYS[1], ARGV[3])\n"
    "if not rank then return {false, '0', '0', ''} end\n"
    + _ADVANCE_BODY
    + "return {tostring(rank), tostring(frontier), tostring(rate), epoch}\n"
)
_PLACE = _PLACE_BODY

# The queue as its operator sees it, without changing it: {joined, frontier, rate} as strings,
# the frontier projected to now as _ADVANCE would move it, but nothing written (no state, no
# epoch is created for a queue nobody has joined, and watching never admits anyone sooner).
_STATS = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1e6
local state = redis.call('HMGET', KEYS[2], 'frontier', 'at', 'rate')
local frontier = tonumber(state[1]) or 0
local at = tonumber(state[2]) or t
local rate = tonumber(state[3]) or tonumber(ARGV[1])
local size = redis.call('ZCARD', KEYS[1])
frontier = math.min(frontier + rate * math.max(0, t - at), size)
return {tostring(size), tostring(frontier), tostring(rate)}
"""

# Take a place once per buyer (ZADD NX), then answer as _PLACE. KEYS[3] is the arrival
# sequence; ARGV[4] the random score for a shuffled arrival, or "" for "behind everyone".
_JOIN = (
    "if not redis.call('ZSCORE', KEYS[1], ARGV[3]) then\n"
    "  local score = tonumber(ARGV[4])\n"
    "  if not score then score = 1 + redis.call('INCR', KEYS[3]) end\n"
    "  redis.call('ZADD', KEYS[1], 'NX', score, ARGV[3])\n"
    "end\n" + _PLACE_BODY
)


@dataclass(frozen=True, slots=True)
class Place:
    rank: int  # 0-based place in the queue
    frontier: float  # how many places have been admitted so far
    rate: float  # admissions per second
    # The queue's epoch: every admission pass carries it, and only passes of the current
    # epoch are honoured (see `boxoffice.waitingroom.service.check_pass`).
    epoch: str = ""

    @property
    def admitted(self) -> bool:
        return self.rank < int(self.frontier)

    @property
    def ahead(self) -> int:
        return max(0, self.rank - int(self.frontier))

    @property
    def eta_seconds(self) -> float:
        return 0.0 if self.admitted else (self.ahead + 1) / self.rate


@dataclass(frozen=True, slots=True)
class QueueStats:
    """An event's queue as its operator watches it."""

    joined: int  # places taken so far
    frontier: float  # places admitted so far (fractional: the token bucket's level)
    rate: float  # admissions per second

    @property
    def admitted(self) -> int:
        return min(int(self.frontier), self.joined)

    @property
    def waiting(self) -> int:
        return self.joined - self.admitted

    @property
    def clears_in_seconds(self) -> float:
        """How long until the last person now waiting is admitted, at the current rate."""
        return self.waiting / self.rate


class QueueStore(Protocol):
    """A queue per event: places, the admission frontier, and the queue's epoch.

    The epoch is drawn when the queue's state is first written and kept with it. A store
    that lost the queue (flushed, failed over to an empty replica) draws a new one, so it
    honours none of the passes issued before the loss.
    """

    async def join(self, event_id: str, buyer: str, *, shuffled: bool) -> Place: ...
    async def place(self, event_id: str, buyer: str) -> Place | None: ...
    async def frontier(self, event_id: str) -> tuple[float, float, str]:
        """How many places are admitted by now, at what rate per second, and the epoch."""
        ...

    async def stats(self, event_id: str) -> QueueStats:
        """The queue's figures now; reading them changes nothing."""
        ...

    async def set_rate(self, event_id: str, per_second: float) -> None: ...
    async def ping(self) -> None:
        """Return when the store answers; raise when it cannot be reached."""
        ...

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
        self._stats = self._redis.register_script(_STATS)

    @staticmethod
    def _keys(event_id: str) -> tuple[str, str, str]:
        base = f"boxoffice:wr:{{{event_id}}}"  # one hash slot per event (Redis Cluster)
        return f"{base}:queue", f"{base}:state", f"{base}:seq"

    async def join(self, event_id: str, buyer: str, *, shuffled: bool) -> Place:
        queue, state, seq = self._keys(event_id)
        score = repr(random.random()) if shuffled else ""
        rank, frontier, rate, epoch = await self._join(
            keys=[queue, state, seq],
            args=[self._default_rate, new_epoch(), buyer, score],
        )
        return Place(int(rank), float(frontier), float(rate), epoch)

    async def place(self, event_id: str, buyer: str) -> Place | None:
        queue, state, _ = self._keys(event_id)
        rank, frontier, rate, epoch = await self._place(
            keys=[queue, state], args=[self._default_rate, new_epoch(), buyer]
        )
        if rank is None:
            return None
        return Place(int(rank), float(frontier), float(rate), epoch)

    async def frontier(self, event_id: str) -> tuple[float, float, str]:
        queue, state, _ = self._keys(event_id)
        frontier, rate, epoch = await self._advance(
            keys=[queue, state], args=[self._default_rate, new_epoch()]
        )
        return float(frontier), float(rate), epoch

    async def stats(self, event_id: str) -> QueueStats:
        queue, state, _ = self._keys(event_id)
        joined, frontier, rate = await self._stats(keys=[queue, state], args=[self._default_rate])
        return QueueStats(int(joined), float(frontier), float(rate))

    async def set_rate(self, event_id: str, per_second: float) -> None:
        queue, state, _ = self._keys(event_id)
        # Settle the old rate first.
        await self._advance(keys=[queue, state], args=[self._default_rate, new_epoch()])
        await self._redis.hset(state, "rate", str(per_second))

    async def ping(self) -> None:
        await self._redis.ping()

    async def aclose(self) -> None:
        await self._redis.aclose()


class MemoryQueue:
    """The same rules in one process, for the demo without Redis (not for several workers)."""

    def __init__(self, *, default_rate: float) -> None:
        self._default_rate = default_rate
        self._scores: dict[str, dict[str, float]] = {}
        self._seq: dict[str, int] = {}
        self._state: dict[str, tuple[float, float, float]] = {}
        self._epochs: dict[str, str] = {}

    async def join(self, event_id: str, buyer: str, *, shuffled: bool) -> Place:
        scores = self._scores.setdefault(event_id, {})
        if buyer not in scores:
            self._seq[event_id] = self._seq.get(event_id, 0) + 1
            scores[buyer] = random.random() if shuffled else 1 + self._seq[event_id]
        place = await self.place(event_id, buyer)
        assert place is not None
        return place

    def _advance(self, event_id: str) -> tuple[float, float]:
        now = time.monotonic()
        frontier, at, rate = self._state.get(event_id, (0.0, now, self._default_rate))
        size = len(self._scores.get(event_id, {}))
        frontier = min(frontier + rate * max(0.0, now - at), float(size))
        self._state[event_id] = (frontier, now, rate)
        self._epochs.setdefault(event_id, new_epoch())
        return frontier, rate

    async def place(self, event_id: str, buyer: str) -> Place | None:
        scores = self._scores.get(event_id, {})
        if buyer not in scores:
            return None
        rank = sorted(scores.values()).index(scores[buyer])
        frontier, rate = self._advance(event_id)
        return Place(rank, frontier, rate, self._epochs[event_id])

    async def frontier(self, event_id: str) -> tuple[float, float, str]:
        frontier, rate = self._advance(event_id)
        return frontier, rate, self._epochs[event_id]

    async def stats(self, event_id: str) -> QueueStats:
        joined = len(self._scores.get(event_id, {}))
        if event_id not in self._state:
            return QueueStats(joined, 0.0, self._default_rate)
        frontier, at, rate = self._state[event_id]
        frontier = min(frontier + rate * max(0.0, time.monotonic() - at), float(joined))
        return QueueStats(joined, frontier, rate)

    async def set_rate(self, event_id: str, per_second: float) -> None:
        frontier, _ = self._advance(event_id)
        self._state[event_id] = (frontier, time.monotonic(), per_second)

    async def ping(self) -> None:
        return None  # in this process: always there

    async def aclose(self) -> None:
        return None


def new_epoch() -> str:
    """A fresh epoch: random, so that a queue rebuilt after a loss never reuses an old one."""
    return secrets.token_hex(8)
