"""Waiting-room use cases: join, ask for one's place, check a pass at checkout.

The queue's store (Redis) is the source of truth for places, the admission
frontier and the epoch that makes passes valid. When it cannot be reached,
queued events refuse to admit or sell (`WaitingRoomUnavailable`, fail
closed) as soon as a worker's quarter-second snapshot of the queue is due
again; events without a queue never touch it and keep selling.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice import metrics
from boxoffice.db.tables import events, inventory_buckets, ticket_types
from boxoffice.errors import (
    AdmissionPassRequired,
    InvalidRequest,
    NotFound,
    NotOnSale,
    Unauthorized,
    WaitingRoomUnavailable,
)
from boxoffice.sales.contention import with_retries
from boxoffice.waitingroom import passes
from boxoffice.waitingroom.pacing import poll_after_seconds
from boxoffice.waitingroom.snapshots import Snapshots
from boxoffice.waitingroom.store import Place, QueueStats, QueueStore

log = logging.getLogger("boxoffice.waitingroom")


@dataclass(frozen=True)
class WaitingRoom:
    store: QueueStore
    key: bytes
    clock: Callable[[], datetime]
    pass_ttl: timedelta = timedelta(minutes=10)
    place_ttl: timedelta = timedelta(hours=12)
    # Per process: each queued event's admission frontier, rate and epoch, read from the
    # store once per quarter second however many requests need it (see `_frontier`).
    frontiers: Snapshots[tuple[float, float, str]] = field(
        default_factory=lambda: Snapshots(FRONTIER_FRESH_SECONDS)
    )
    # Joins and polls served at once by this process; the rest wait their turn here, off the
    # event loop's ready queue, where admitted buyers' purchases would queue behind them.
    doors: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(DOORS))
    # Per process: each queued event's seats left (capacity minus held and sold), read from
    # the database once per two seconds (see `_seats_left`).
    seats: Snapshots[int] = field(default_factory=lambda: Snapshots(SEATS_FRESH_SECONDS))


# An opening rush sends hundreds of joins a second; each is a little CPU and a Redis round
# trip. Measured (docs/benchmarks.md): with all of them in flight at once, admitted buyers'
# purchases waited behind them (p99 1.5 s at 80 admissions/s); the doors keep the queue's
# own traffic to a few requests in flight per process, and purchases never wait at them.
DOORS = 8

# A poll from a buyer whose rank is final reads only the frontier, and that at most this
# often per event and process: thousands of waiting buyers cost no store round trip each.
FRONTIER_FRESH_SECONDS = 0.25


# Once every seat is held or sold, waiting buyers are told so and asked to look again only
# every minute: seats of unpaid orders can come back (a declined card, an expired hold), but a
# sold-out queue must stop costing a poll every few seconds per person.
SOLD_OUT_POLL_SECONDS = 60.0
SEATS_FRESH_SECONDS = 2.0

_SEATS_LEFT = (
    select(func.coalesce(func.sum(inventory_buckets.c.capacity - inventory_buckets.c.taken), 0))
    .select_from(
        inventory_buckets.join(
            ticket_types, ticket_types.c.id == inventory_buckets.c.ticket_type_id
        )
    )
    .where(ticket_types.c.event_id == bindparam("event_id"))
)

_QUEUED_EVENT = select(
    events.c.status, events.c.waiting_room, events.c.sales_start, events.c.published_at
).where(events.c.id == bindparam("event_id"))
_EVENT_TTL_SECONDS = 5.0
_event_cache: dict[str, tuple[float, Any]] = {}


async def _queued_event(engine: AsyncEngine, event_id: str) -> Any:
    """The event's queue terms. Fixed once published, so kept a few seconds per process:
    a rush of arrivals must not queue on database connections just to join Redis."""
    cached = _event_cache.get(event_id)
    if cached is not None and cached[0] > time.monotonic():
        row = cached[1]
    else:

        async def read() -> Any:
            async with engine.connect() as conn:
                return (await conn.execute(_QUEUED_EVENT, {"event_id": event_id})).first()

        row = await with_retries(read, what="queued event")
        if row is not None and row.status == "on_sale":
            if len(_event_cache) > 1024:
                _event_cache.clear()
            _event_cache[event_id] = (time.monotonic() + _EVENT_TTL_SECONDS, row)
    if row is None or row.status not in ("on_sale",):
        raise NotFound("no such event on sale")
    if not row.waiting_room:
        raise NotOnSale("this event has no waiting room: buy directly")
    return row


async def join(
    room: WaitingRoom, engine: AsyncEngine, *, event_id: str, buyer: str
) -> dict[str, Any]:
    """Take a place (once per buyer). Arrivals up to the opening second are shuffled."""
    event = await _queued_event(engine, event_id)
    now = room.clock()
    opens_at = event.sales_start or event.published_at
    digest = passes.buyer_digest(buyer)
    shuffled = opens_at is None or now <= opens_at
    try:
        place = await room.store.join(event_id, digest, shuffled=shuffled)
    except RedisError as error:
        raise WaitingRoomUnavailable("the queue cannot be reached; try again shortly") from error
    metrics.record(metrics.QUEUE_JOINS.inc)
    # Joined after the opening: at the back, behind everyone earlier and ahead of everyone
    # later, so this rank is final and the token can carry it.
    token = _place_token(room, event_id, digest, rank=None if shuffled else place.rank)
    answer = _answer(place, _admission_pass(room, event_id, digest, place))
    if await _seats_left(room, engine, event_id) <= 0:
        answer = _sold_out(answer)
    return {"place_token": token, **answer}


def _place_token(room: WaitingRoom, event_id: str, digest: str, *, rank: int | None) -> str:
    """A place token; with `rank` once that rank can no longer change (see `status`)."""
    text, _ = passes.issue(
        room.key,
        kind=passes.PLACE,
        event_id=event_id,
        digest=digest,
        now=room.clock(),
        ttl=room.place_ttl,
        nonce=None if rank is None else f"r{rank}",
    )
    return text


async def _has_opened(engine: AsyncEngine, event_id: str, now: datetime) -> bool:
    try:
        event = await _queued_event(engine, event_id)
    except (NotFound, NotOnSale):  # no longer on sale: the place is only shown, not upgraded
        return False
    opens_at = event.sales_start or event.published_at
    return opens_at is not None and now > opens_at + timedelta(seconds=OPENING_SETTLES_SECONDS)


def _final_rank(token: passes.Token) -> int | None:
    if token.nonce.startswith("r") and token.nonce[1:].isdigit():
        return int(token.nonce[1:])
    return None


async def _frontier(room: WaitingRoom, event_id: str) -> tuple[float, float, str]:
    """The event's admission frontier, rate and epoch, read from the store at most every
    0.25 s.

    A buyer may so be admitted up to a quarter second late, never early: the frontier
    only grows, and the stale value is the smaller one. A revoked epoch (or a store that
    lost the queue) is noticed as late, and then by every pass of the event at once.
    """

    async def read() -> tuple[float, float, str]:
        try:
            return await room.store.frontier(event_id)
        except RedisError as error:
            unreachable = "the queue cannot be reached; try again shortly"
            raise WaitingRoomUnavailable(unreachable) from error

    return await room.frontiers.get(event_id, read)


# Clocks of web workers may differ a little: a rank is final only this long after the opening.
OPENING_SETTLES_SECONDS = 2.0


async def status(
    room: WaitingRoom,
    *,
    event_id: str,
    place_token: str | None,
    engine: AsyncEngine | None = None,
) -> dict[str, Any]:
    """A buyer's place, from their place token.

    A token that carries its buyer's final rank costs no store round trip (see
    `_frontier`). One drawn before the opening cannot: shuffled arrivals keep moving until
    the opening. Once it has passed, the answer carries a new token with the now-final rank
    (`place_token`), which the page and the load generator keep.
    """
    if not place_token:
        raise Unauthorized("send the place token as `Authorization: Bearer <token>`")
    try:
        token = passes.verify(
            room.key,
            place_token,
            kind=passes.PLACE,
            event_id=event_id,
            digest=None,
            now=room.clock(),
        )
    except passes.BadToken as error:
        raise Unauthorized(f"not a place in this queue: {error}") from error
    rank = _final_rank(token)
    if rank is None:
        answer = await _status(room, event_id, token.buyer_digest)
        if engine is not None and await _has_opened(engine, event_id, room.clock()):
            rank = answer["position"] - 1
            answer["place_token"] = _place_token(room, event_id, token.buyer_digest, rank=rank)
        if engine is not None and await _seats_left(room, engine, event_id) <= 0:
            answer = _sold_out(answer)
        return answer
    # The common poll: the rank is in the token, the frontier and the epoch in this
    # process's snapshot; no store round trip, admitted or not.
    place = Place(rank, *await _frontier(room, event_id))
    if engine is not None and await _seats_left(room, engine, event_id) <= 0:
        return _sold_out(_answer(place, None))
    return _answer(place, _admission_pass(room, event_id, token.buyer_digest, place))


def _admission_pass(
    room: WaitingRoom, event_id: str, digest: str, place: Place
) -> tuple[str, passes.Token] | None:
    """The buyer's pass once their place is admitted: signed for them and this event, valid
    for `pass_ttl`, and only while the queue keeps the epoch it carries."""
    if not place.admitted or not place.epoch:
        return None
    return passes.issue(
        room.key,
        kind=passes.ADMISSION,
        event_id=event_id,
        digest=digest,
        now=room.clock(),
        ttl=room.pass_ttl,
        nonce=place.epoch,
    )


async def _status(room: WaitingRoom, event_id: str, digest: str) -> dict[str, Any]:
    try:
        place: Place | None = await room.store.place(event_id, digest)
    except RedisError as error:
        raise WaitingRoomUnavailable("the queue cannot be reached; try again shortly") from error
    if place is None:
        raise NotFound("no such place in this queue")
    return _answer(place, _admission_pass(room, event_id, digest, place))


def _answer(place: Place, admission: tuple[str, passes.Token] | None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "position": place.rank + 1,
        "ahead": place.ahead,
        "eta_seconds": round(place.eta_seconds, 1),
        "admission_rate": place.rate,
        "admitted": place.admitted,
        "sold_out": False,
        "poll_after_seconds": poll_after_seconds(place.eta_seconds, ahead=place.ahead),
    }
    if place.admitted and admission is not None:
        text, token = admission
        answer |= {"pass": text, "pass_expires_at": token.expires_at.isoformat()}
    return answer


def _sold_out(answer: dict[str, Any]) -> dict[str, Any]:
    """Every seat is held or sold: no pass (there is nothing to buy), ask again in a minute.

    The place is kept: if seats come back, the buyer is admitted in their turn as before.
    """
    kept = {k: v for k, v in answer.items() if k not in ("pass", "pass_expires_at")}
    return kept | {"admitted": False, "sold_out": True, "poll_after_seconds": SOLD_OUT_POLL_SECONDS}


async def _seats_left(room: WaitingRoom, engine: AsyncEngine, event_id: str) -> int:
    """Seats not yet held or sold for the event, read at most every 2 s per process.

    Only a hint for the page: when the database cannot say, the last answer stands (or "some
    left"), and the queue goes on answering from Redis and its tokens as it did without it.
    """

    async def read() -> int:
        try:
            async with engine.connect() as conn:
                return int(await conn.scalar(_SEATS_LEFT, {"event_id": event_id}) or 0)
        except (SQLAlchemyError, OSError):
            log.warning("seats left of %s unknown: the database did not answer", event_id)
            last = room.seats.last(event_id)
            return last if last is not None else 1

    return await room.seats.get(event_id, read)


async def check_pass(room: WaitingRoom, *, event_id: str, buyer: str, text: str | None) -> None:
    """Refuse an order for a queued event unless its buyer holds a live pass for it."""
    if not text:
        raise AdmissionPassRequired("join the waiting room; you will get a pass when admitted")
    try:
        token = passes.verify(
            room.key,
            text,
            kind=passes.ADMISSION,
            event_id=event_id,
            digest=passes.buyer_digest(buyer),
            now=room.clock(),
        )
    except passes.BadToken as error:
        raise AdmissionPassRequired(f"the waiting-room pass is not valid: {error}") from error
    # The queue's epoch, from this process's snapshot (at most 0.25 s old): no store round
    # trip per purchase, and a store that cannot be reached still refuses (fail closed).
    _, _, epoch = await _frontier(room, event_id)
    if not epoch or not hmac.compare_digest(token.nonce, epoch):
        raise AdmissionPassRequired("the waiting-room pass was revoked or has lapsed")


async def overview(room: WaitingRoom, *, event_id: str) -> dict[str, Any]:
    """The queue as its operator watches it: who joined, who is in, how long the line is."""
    try:
        stats: QueueStats = await room.store.stats(event_id)
    except RedisError as error:
        raise WaitingRoomUnavailable("the queue cannot be reached; try again shortly") from error
    return {
        "event_id": event_id,
        "joined": stats.joined,
        "admitted": stats.admitted,
        "waiting": stats.waiting,
        "admission_rate": stats.rate,
        "clears_in_seconds": round(stats.clears_in_seconds, 1),
    }


# Admissions per second an operator may set: above zero (a queue that admits nobody would
# promise every buyer an infinite wait) and at most what no deployment could serve anyway.
MAX_ADMISSION_RATE = 100_000.0


async def set_rate(room: WaitingRoom, *, event_id: str, per_second: float) -> None:
    if not 0 < per_second <= MAX_ADMISSION_RATE:  # also refuses NaN
        raise InvalidRequest(
            f"admit more than 0 and at most {MAX_ADMISSION_RATE:,.0f} people per second",
            field="per_second",
        )
    try:
        await room.store.set_rate(event_id, per_second)
    except RedisError as error:
        raise WaitingRoomUnavailable("the queue cannot be reached") from error
