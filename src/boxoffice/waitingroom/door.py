"""A turn due within a second is waited for at the door instead of polled for.

When the line is short (arrivals keep pace with the admission rate, or the
opening rush has drained), a buyer who joins is often admitted a fraction of
a second later. Answering "poll again in 0.5 s" would cost them that wait
plus a round trip, and cost us a whole request (its HTTP, its framework,
its client): about a tenth of the machine's CPU per queued purchase
(docs/benchmarks.md). So the join holds its answer
until the turn, then answers with the pass. Held joins wait outside the
queue's doors (`WaitingRoom.doors`), so they take no place from the requests
being served, and cost a sleeping coroutine each: at most a second's worth
of the admission rate.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.errors import BoxofficeError
from boxoffice.waitingroom import service
from boxoffice.waitingroom.service import FRONTIER_FRESH_SECONDS, WaitingRoom

# The longest wait a join holds its answer for; a later turn is polled for as usual.
SHORT_WAIT_SECONDS = 1.0


async def join(
    room: WaitingRoom, engine: AsyncEngine, *, event_id: str, buyer: str
) -> dict[str, Any]:
    """Take a place (`service.join`); if the turn is less than a second away, wait for it."""
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
