"""A turn due within ten seconds is waited for at the door instead of polled for.

When the line is short (arrivals keep pace with the admission rate, or they
outrun it by a little), a buyer who joins is admitted seconds later.
Answering "ask again at your turn" costs them a round trip and costs us a
whole request (its HTTP, its framework, its client): with arrivals at 500/s
and admissions at 300/s (the line growing to ~13 s), every buyer polled once,
29,600 requests for 10,000 buyers, and the polls pushed the admitted buyers'
p99 to 1.4-2.7 s; holding joins up to 10 s instead of 1: 23,200 requests,
p99 326 ms (docs/benchmarks.md). So the join holds its answer until the
turn, then answers with the pass; the page says it is taking the place
meanwhile, and goes straight to checkout. A turn further away is answered at
once with the place and its ETA, and polled for as paced
(`boxoffice.waitingroom.pacing`); the poll that lands within ten seconds of
the turn is held the same way, so in a long line too the buyer's last
request brings the pass instead of a "look again in 4 s".

Held joins and polls wait outside the queue's doors (`WaitingRoom.doors`),
so they take no place from the requests being served. Each is a sleeping
coroutine and an open connection: at most ten seconds' worth of admissions
and arrivals across the deployment (5,000 at 500/s; in the flash-sale
benchmark the workers grew from ~172 to ~192 MB with them), which
docs/deployment.md counts against file-descriptor limits.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.errors import BoxofficeError
from boxoffice.waitingroom import service
from boxoffice.waitingroom.pacing import HELD_AT_THE_DOOR_SECONDS
from boxoffice.waitingroom.service import FRONTIER_FRESH_SECONDS, WaitingRoom

# The longest wait a join holds its answer for; a later turn is polled for as paced.
SHORT_WAIT_SECONDS = HELD_AT_THE_DOOR_SECONDS


async def join(
    room: WaitingRoom, engine: AsyncEngine, *, event_id: str, buyer: str
) -> dict[str, Any]:
    """Take a place (`service.join`); if the turn is at most ten seconds away, wait for it."""
    async with room.doors:
        joined = await service.join(room, engine, event_id=event_id, buyer=buyer)
    return await _until_the_turn(room, engine, event_id, joined, joined["place_token"])


async def poll(
    room: WaitingRoom, engine: AsyncEngine, *, event_id: str, place_token: str | None
) -> dict[str, Any]:
    """Ask for one's place (`service.status`); if the turn is at most ten seconds away, wait
    for it. A line longer than the door's ten seconds is polled for as paced, and the poll
    that lands within ten seconds of the turn is the last: it answers with the pass."""
    async with room.doors:
        answer = await service.status(
            room, event_id=event_id, place_token=place_token, engine=engine
        )
    return await _until_the_turn(
        room, engine, event_id, answer, answer.get("place_token", place_token)
    )


async def _until_the_turn(
    room: WaitingRoom,
    engine: AsyncEngine,
    event_id: str,
    answer: dict[str, Any],
    place_token: str | None,
) -> dict[str, Any]:
    if answer["admitted"] or answer["sold_out"] or answer["eta_seconds"] > SHORT_WAIT_SECONDS:
        return answer
    # The workers' snapshot of the frontier may be a quarter second behind the turn.
    await asyncio.sleep(answer["eta_seconds"] + FRONTIER_FRESH_SECONDS)
    try:
        async with room.doors:
            later = await service.status(
                room, event_id=event_id, place_token=place_token, engine=engine
            )
    except BoxofficeError:  # the queue cannot say now: the buyer asks again, as always
        return answer
    # The newest place token the buyer was given stays theirs (see `service.status`).
    kept = {"place_token": answer["place_token"]} if "place_token" in answer else {}
    return kept | later
