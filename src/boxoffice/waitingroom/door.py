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
(`boxoffice.waitingroom.pacing`).

Held joins wait outside the queue's doors (`WaitingRoom.doors`), so they
take no place from the requests being served. Each is a sleeping coroutine
and an open connection: at most ten seconds' worth of arrivals across the
deployment (5,000 at 500 arrivals/s; in the flash-sale benchmark the
workers grew from ~172 to ~192 MB with them), which docs/deployment.md
counts against file-descriptor limits.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.errors import BoxofficeError
from boxoffice.waitingroom import service
from boxoffice.waitingroom.service import FRONTIER_FRESH_SECONDS, WaitingRoom

# The longest wait a join holds its answer for; a later turn is polled for as paced.
SHORT_WAIT_SECONDS = 10.0


async def join(
    room: WaitingRoom, engine: AsyncEngine, *, event_id: str, buyer: str
) -> dict[str, Any]:
    """Take a place (`service.join`); if the turn is at most ten seconds away, wait for it."""
    async with room.doors:
        joined = await service.join(room, engine, event_id=event_id, buyer=buyer)
    if joined["admitted"] or joined["sold_out"] or joined["eta_seconds"] > SHORT_WAIT_SECONDS:
        return joined
    # The workers' snapshot of the frontier may be a quarter second behind the turn.
    await asyncio.sleep(joined["eta_seconds"] + FRONTIER_FRESH_SECONDS)
    try:
        async with room.doors:
            later = await service.status(
                room, event_id=event_id, place_token=joined["place_token"], engine=engine
            )
    except BoxofficeError:  # the queue cannot say now: the buyer asks again, as always
        return joined
    return {"place_token": joined["place_token"], **later}
