"""The admission brake on the real Redis: the most-braked live worker sets every worker's pace."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from boxoffice.waitingroom.brake import TICK_SECONDS
from boxoffice.waitingroom.service import FRONTIER_FRESH_SECONDS
from boxoffice.waitingroom.store import BRAKE_FRESH_SECONDS, RedisQueue
from tests.integration.waitingroom.conftest import AppClient
from tests.integration.waitingroom.test_waiting_room import join, queued_event
from tests.support.buying import order_body, tokenise
from tests.support.sandbox import Sandbox


class Factor:
    """A worker's brake, as `AdmissionBrake.factor` gives it, set by the test."""

    def __init__(self, value: float = 1.0) -> None:
        self.value = value

    def __call__(self) -> float:
        return self.value


async def admitted_over(queue: RedisQueue, event_id: str, seconds: float) -> float:
    """Admissions per second over `seconds`, as this worker sees the frontier move."""
    start, _, _ = await queue.frontier(event_id)
    began = time.monotonic()
    await asyncio.sleep(seconds)
    end, _, _ = await queue.frontier(event_id)
    return (end - start) / (time.monotonic() - began)


async def test_a_braking_worker_slows_admission_for_every_worker(redis_url: str) -> None:
    slow, quick = Factor(0.5), Factor(1.0)
    struggling = RedisQueue(redis_url, default_rate=1, brake=slow)
    healthy = RedisQueue(redis_url, default_rate=1, brake=quick)
    event_id = f"evt_brake_{uuid.uuid4().hex[:8]}"
    try:
        for i in range(2000):
            await healthy.join(event_id, f"b{i}", shuffled=True)
        await healthy.set_rate(event_id, 100)
        await struggling.frontier(event_id)  # reports its brake
        seen_by_healthy = await admitted_over(healthy, event_id, 1.5)
        _, rate, _ = await healthy.frontier(event_id)
        place = await healthy.place(event_id, "b1999")
    finally:
        await struggling.aclose()
        await healthy.aclose()
    assert seen_by_healthy == pytest.approx(50, rel=0.15)
    assert rate == pytest.approx(50)
    assert place is not None
    assert place.eta_seconds == pytest.approx(place.ahead / 50, abs=1)  # forecasts follow it


async def test_a_worker_that_stops_reporting_stops_braking(redis_url: str) -> None:
    gone = RedisQueue(redis_url, default_rate=1, brake=Factor(0.2))
    healthy = RedisQueue(redis_url, default_rate=1, brake=Factor(1.0))
    event_id = f"evt_gone_{uuid.uuid4().hex[:8]}"
    try:
        for i in range(2000):
            await healthy.join(event_id, f"b{i}", shuffled=True)
        await healthy.set_rate(event_id, 100)
        await gone.frontier(event_id)
        _, braked, _ = await healthy.frontier(event_id)
        await gone.aclose()  # crashed, or its sale ended: it reports no more
        await asyncio.sleep(BRAKE_FRESH_SECONDS + 0.2)
        _, released, _ = await healthy.frontier(event_id)
    finally:
        await healthy.aclose()
    assert braked == pytest.approx(20)
    assert released == pytest.approx(100)


async def test_a_worker_releases_its_own_brake_at_once(redis_url: str) -> None:
    factor = Factor(0.25)
    queue = RedisQueue(redis_url, default_rate=1, brake=factor)
    event_id = f"evt_release_{uuid.uuid4().hex[:8]}"
    try:
        await queue.join(event_id, "ana", shuffled=False)
        await queue.set_rate(event_id, 100)
        _, braked, _ = await queue.frontier(event_id)
        factor.value = 0.75
        _, eased, _ = await queue.frontier(event_id)
    finally:
        await queue.aclose()
    assert (braked, eased) == (pytest.approx(25), pytest.approx(75))


async def test_slow_checkouts_slow_the_queue_and_quick_ones_give_the_rate_back(
    app_client: AppClient, sandbox: Sandbox, slow_gateway: None
) -> None:
    """Admitted buyers whose purchases take 400 ms (a slow card network) are more than the
    workers can serve quickly: the queue admits less, and says so to the buyers waiting."""
    async with app_client(admission_rate=100.0, admission_brake_ms=100) as client:
        event, _ = await queued_event(client)
        emails = [f"s{i}@example.com" for i in range(12)]
        joined = [await join(client, event["id"], email) for email in emails]
        paid = await asyncio.gather(
            *(
                client.post(
                    "/api/v1/orders",
                    json=order_body(event, tokenise(sandbox.url), email=email),
                    headers={
                        "Idempotency-Key": email,
                        "Boxoffice-Waiting-Room-Pass": place["pass"],
                    },
                )
                for email, place in zip(emails, joined, strict=True)
            )
        )
        await asyncio.sleep(TICK_SECONDS + FRONTIER_FRESH_SECONDS)
        waiting = await join(client, event["id"], "late@example.com")
        sandbox.set_latency(0)
        await asyncio.sleep(1.5)  # no slow purchase since: the brake releases 5 % a tick
        restored = await client.get(
            f"/api/v1/events/{event['id']}/queue",
            headers={"Authorization": f"Bearer {waiting['place_token']}"},
        )
    assert [r.status_code for r in paid] == [201] * 12
    assert 40 <= waiting["admission_rate"] < 100
    assert restored.json()["admission_rate"] == 100
