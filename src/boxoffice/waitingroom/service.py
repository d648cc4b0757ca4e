"""Waiting-room use cases: join, ask for one's place, check a pass at checkout.

The queue's store (Redis) is the source of truth for places and live
passes. When it cannot be reached, queued events refuse to admit or sell
(`WaitingRoomUnavailable`, fail closed); events without a queue never touch
it and keep selling.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.db.tables import events
from boxoffice.errors import (
    AdmissionPassRequired,
    NotFound,
    NotOnSale,
    Unauthorized,
    WaitingRoomUnavailable,
)
from boxoffice.sales.contention import with_retries
from boxoffice.waitingroom import passes
from boxoffice.waitingroom.store import Place, QueueStore


@dataclass(frozen=True)
class WaitingRoom:
    store: QueueStore
    key: bytes
    clock: Callable[[], datetime]
    pass_ttl: timedelta = timedelta(minutes=10)
    place_ttl: timedelta = timedelta(hours=12)


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
    admission = _draw_pass(room, event_id, digest)
    try:
        place = await room.store.join(
            event_id,
            digest,
            shuffled=opens_at is None or now <= opens_at,
            pass_nonce=admission[1].nonce,
            pass_ttl_seconds=int(room.pass_ttl.total_seconds()),
        )
    except RedisError as error:
        raise WaitingRoomUnavailable("the queue cannot be reached; try again shortly") from error
    token, _ = passes.issue(
        room.key, kind=passes.PLACE, event_id=event_id, digest=digest, now=now, ttl=room.place_ttl
    )
    return {"place_token": token, **_answer(place, admission)}


async def status(room: WaitingRoom, *, event_id: str, place_token: str | None) -> dict[str, Any]:
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
    return await _status(room, event_id, token.buyer_digest)


POLL_AT_MOST_EVERY_SECONDS = 0.5
POLL_AT_LEAST_EVERY_SECONDS = 15.0
POLL_MARGIN_SECONDS = 0.25


def poll_after_seconds(eta_seconds: float) -> float:
    """When a waiting buyer should ask again: just after their forecast turn.

    Server-paced polling, because polls run on the same cores as purchases. The
    admission frontier moves at a known rate, so the ETA is a good forecast: asking a
    quarter second after it admits most buyers on that very poll, where "every second
    near the front, a third of the ETA further back" cost about ten polls per admission
    (each admitted buyer paid for the polls of everyone behind). Far back, at least every
    15 s, so that a changed admission rate reaches everyone soon; the page counts down
    in between.
    """
    after = eta_seconds + POLL_MARGIN_SECONDS
    return round(min(POLL_AT_LEAST_EVERY_SECONDS, max(POLL_AT_MOST_EVERY_SECONDS, after)), 2)


def _draw_pass(room: WaitingRoom, event_id: str, digest: str) -> tuple[str, passes.Token]:
    """A pass for this buyer, drawn before asking the queue: the queue makes it live in the
    same round trip if (and only if) the buyer turns out to be admitted."""
    return passes.issue(
        room.key,
        kind=passes.ADMISSION,
        event_id=event_id,
        digest=digest,
        now=room.clock(),
        ttl=room.pass_ttl,
    )


async def _status(room: WaitingRoom, event_id: str, digest: str) -> dict[str, Any]:
    admission = _draw_pass(room, event_id, digest)
    try:
        place: Place | None = await room.store.place(
            event_id,
            digest,
            pass_nonce=admission[1].nonce,
            pass_ttl_seconds=int(room.pass_ttl.total_seconds()),
        )
    except RedisError as error:
        raise WaitingRoomUnavailable("the queue cannot be reached; try again shortly") from error
    if place is None:
        raise NotFound("no such place in this queue")
    return _answer(place, admission)


def _answer(place: Place, admission: tuple[str, passes.Token]) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "position": place.rank + 1,
        "ahead": place.ahead,
        "eta_seconds": round(place.eta_seconds, 1),
        "admission_rate": place.rate,
        "admitted": place.admitted,
        "poll_after_seconds": poll_after_seconds(place.eta_seconds),
    }
    if place.admitted:
        text, token = admission
        answer |= {"pass": text, "pass_expires_at": token.expires_at.isoformat()}
    return answer


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
    try:
        live = await room.store.pass_is_live(event_id, token.nonce)
    except RedisError as error:
        raise WaitingRoomUnavailable("the queue cannot be reached; try again shortly") from error
    if not live:
        raise AdmissionPassRequired("the waiting-room pass was revoked or has lapsed")


async def set_rate(room: WaitingRoom, *, event_id: str, per_second: float) -> None:
    try:
        await room.store.set_rate(event_id, per_second)
    except RedisError as error:
        raise WaitingRoomUnavailable("the queue cannot be reached") from error
