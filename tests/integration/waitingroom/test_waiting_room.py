"""The waiting room on the real Redis: fair opening, steady admission, passes that hold."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from boxoffice.waitingroom import door
from boxoffice.waitingroom.service import FRONTIER_FRESH_SECONDS
from boxoffice.waitingroom.store import RedisQueue
from tests.integration.pages.conftest import post_form, sign_in
from tests.integration.waitingroom.conftest import AppClient
from tests.support.builders import new_event, new_partner, ticket_type
from tests.support.buying import order_body, tokenise
from tests.support.sandbox import Sandbox


def spearman(xs: list[int], ys: list[int]) -> float:
    n = len(xs)
    d2 = sum((x - y) ** 2 for x, y in zip(xs, ys, strict=True))
    return 1 - 6 * d2 / (n * (n * n - 1))


async def queued_event(client: httpx.AsyncClient, **overrides: Any) -> tuple[dict[str, Any], Any]:
    partner = await new_partner(client)
    opens = (datetime.now(UTC) + timedelta(seconds=overrides.pop("opens_in", -1))).isoformat()
    event = await new_event(
        client,
        partner,
        waiting_room=True,
        sales_start=opens,
        ticket_types=[ticket_type(capacity=50)],
        **overrides,
    )
    return event, partner


async def join(client: httpx.AsyncClient, event_id: str, email: str) -> dict[str, Any]:
    response = await client.post(f"/api/v1/events/{event_id}/queue", json={"email": email})
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_arrivals_before_the_opening_are_shuffled_fairly(redis_url: str) -> None:
    queue = RedisQueue(redis_url, default_rate=1)
    event_id = f"evt_fair_{uuid.uuid4().hex[:8]}"
    buyers = [f"b{i}" for i in range(2000)]
    try:
        for buyer in buyers:  # in arrival order: b0 clicked first
            await queue.join(event_id, buyer, shuffled=True)
        ranks = [(await queue.place(event_id, b)).rank for b in buyers]  # type: ignore[union-attr]
    finally:
        await queue.aclose()

    assert sorted(ranks) == list(range(2000))
    assert abs(spearman(list(range(2000)), ranks)) < 0.1  # first click buys nothing
    first_tenth_in_front = sum(1 for r in ranks[:200] if r < 200)
    assert 5 <= first_tenth_in_front <= 40  # about 20 expected by chance


async def test_later_arrivals_join_at_the_back_in_order(redis_url: str) -> None:
    queue = RedisQueue(redis_url, default_rate=1)
    event_id = f"evt_back_{uuid.uuid4().hex[:8]}"
    try:
        for i in range(50):
            await queue.join(event_id, f"early{i}", shuffled=True)
        for i in range(5):
            await queue.join(event_id, f"late{i}", shuffled=False)
        await queue.join(event_id, "early0", shuffled=False)  # one place per buyer
        late = [(await queue.place(event_id, f"late{i}")).rank for i in range(5)]  # type: ignore[union-attr]
    finally:
        await queue.aclose()
    assert late == [50, 51, 52, 53, 54]


async def test_admissions_follow_the_operators_rate_within_ten_percent(redis_url: str) -> None:
    queue = RedisQueue(redis_url, default_rate=1)
    event_id = f"evt_rate_{uuid.uuid4().hex[:8]}"
    try:
        for i in range(500):
            await queue.join(event_id, f"b{i}", shuffled=True)
        await queue.set_rate(event_id, 40)
        start = (await queue.place(event_id, "b0")).frontier  # type: ignore[union-attr]
        began = time.monotonic()
        await asyncio.sleep(2.5)
        end = (await queue.place(event_id, "b0")).frontier  # type: ignore[union-attr]
        elapsed = time.monotonic() - began
    finally:
        await queue.aclose()
    assert (end - start) == pytest.approx(40 * elapsed, rel=0.10)


async def test_every_worker_sees_one_epoch_per_queue_and_a_lost_queue_starts_another(
    redis_url: str,
) -> None:
    """Passes carry their queue's epoch: the same for every worker while the queue lives, a
    new one once the store has lost it (flushed, failed over to an empty replica)."""
    one_worker = RedisQueue(redis_url, default_rate=1000)
    other_worker = RedisQueue(redis_url, default_rate=1000)
    event_id = f"evt_epoch_{uuid.uuid4().hex[:8]}"
    try:
        joined = await one_worker.join(event_id, "ana", shuffled=False)
        polled = await other_worker.place(event_id, "ana")
        _, _, read = await other_worker.frontier(event_id)
        keys = [k async for k in one_worker._redis.scan_iter(match=f"boxoffice:wr:{{{event_id}}}*")]
        await one_worker._redis.delete(*keys)
        _, _, after_loss = await one_worker.frontier(event_id)
    finally:
        await one_worker.aclose()
        await other_worker.aclose()
    assert joined.epoch
    assert polled is not None
    assert polled.epoch == read == joined.epoch
    assert after_loss
    assert after_loss != joined.epoch


async def test_a_queue_the_store_lost_refuses_the_passes_issued_before(
    app_client: AppClient, sandbox: Sandbox, redis_url: str
) -> None:
    async with app_client(admission_rate=1000.0) as client:
        event, _ = await queued_event(client)
        place = await join(client, event["id"], "ana@example.com")
        await asyncio.sleep(0.05)
        admitted = (
            await client.get(
                f"/api/v1/events/{event['id']}/queue",
                headers={"Authorization": f"Bearer {place['place_token']}"},
            )
        ).json()
    store = aioredis.Redis.from_url(redis_url)
    try:
        lost = [k async for k in store.scan_iter(match=f"boxoffice:wr:{{{event['id']}}}*")]
        await store.delete(*lost)
    finally:
        await store.aclose()

    async with app_client(admission_rate=1000.0) as client:
        response = await client.post(
            "/api/v1/orders",
            json=order_body(event, tokenise(sandbox.url), email="ana@example.com"),
            headers={"Idempotency-Key": "k", "Boxoffice-Waiting-Room-Pass": admitted["pass"]},
        )
    assert admitted["admitted"] is True
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "waiting_room_pass_required"


async def test_only_an_admitted_buyer_with_their_own_live_pass_can_buy(
    app_client: AppClient, sandbox: Sandbox
) -> None:
    async with app_client(admission_rate=1000.0) as client:
        event, _ = await queued_event(client)
        ana = await join(client, event["id"], "ana@example.com")
        await join(client, event["id"], "bob@example.com")
        await asyncio.sleep(0.05)
        status = (
            await client.get(
                f"/api/v1/events/{event['id']}/queue",
                headers={"Authorization": f"Bearer {ana['place_token']}"},
            )
        ).json()
        assert status["admitted"] is True
        good = status["pass"]
        body = order_body(event, tokenise(sandbox.url), email="ana@example.com")

        async def buy_with(pass_text: str | None, email: str = "ana@example.com") -> httpx.Response:
            headers = {"Idempotency-Key": uuid.uuid4().hex}
            if pass_text is not None:
                headers["Boxoffice-Waiting-Room-Pass"] = pass_text
            return await client.post(
                "/api/v1/orders",
                json={**body, "buyer": {"email": email, "name": "X"}},
                headers=headers,
            )

        forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
        refusals = [
            await buy_with(None),
            await buy_with(forged),
            await buy_with(good, email="bob@example.com"),  # not transferable
        ]
        paid = await buy_with(good)

    for refused in refusals:
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "waiting_room_pass_required"
    assert paid.status_code == 201, paid.text


async def test_an_expired_pass_is_refused(app_client: AppClient, sandbox: Sandbox) -> None:
    async with app_client(admission_rate=1000.0, admission_pass_seconds=30) as client:
        event, _ = await queued_event(client)
        place = await join(client, event["id"], "ana@example.com")
        await asyncio.sleep(0.05)
        status = (
            await client.get(
                f"/api/v1/events/{event['id']}/queue",
                headers={"Authorization": f"Bearer {place['place_token']}"},
            )
        ).json()
    # The same pass, presented to a worker whose clock is 31 s later.
    async with app_client() as later:
        room = later._transport.app.state.services.sales.waiting_room  # type: ignore[attr-defined]
        object.__setattr__(room, "clock", lambda: datetime.now(UTC) + timedelta(seconds=31))
        response = await later.post(
            "/api/v1/orders",
            json=order_body(event, tokenise(sandbox.url), email="ana@example.com"),
            headers={"Idempotency-Key": "k", "Boxoffice-Waiting-Room-Pass": status["pass"]},
        )
    assert response.status_code == 403
    assert "expired" in response.json()["detail"]


async def positions(client: httpx.AsyncClient, event_id: str, places: list[Any]) -> list[int]:
    return [
        (
            await client.get(
                f"/api/v1/events/{event_id}/queue",
                headers={"Authorization": f"Bearer {p['place_token']}"},
            )
        ).json()["position"]
        for p in places
    ]


async def test_restarting_the_web_workers_loses_no_place(app_client: AppClient) -> None:
    async with app_client(admission_rate=0.001) as first_worker:
        event, _ = await queued_event(first_worker, opens_in=3600)
        places = [await join(first_worker, event["id"], f"fan{i}@example.com") for i in range(30)]
        before = await positions(first_worker, event["id"], places)
    async with app_client(admission_rate=0.001) as restarted:
        after = await positions(restarted, event["id"], places)
        again = await join(restarted, event["id"], "fan0@example.com")
    assert after == before
    assert sorted(after) == list(range(1, 31))
    assert again["position"] == before[0]


async def test_with_redis_down_queued_events_refuse_and_others_keep_selling(
    app_client: AppClient, sandbox: Sandbox
) -> None:
    async with app_client(admission_rate=1000.0) as healthy:
        queued, _ = await queued_event(healthy)
        place = await join(healthy, queued["id"], "ana@example.com")
        await asyncio.sleep(0.05)
        admitted = (
            await healthy.get(
                f"/api/v1/events/{queued['id']}/queue",
                headers={"Authorization": f"Bearer {place['place_token']}"},
            )
        ).json()
        plain = await new_event(healthy, await new_partner(healthy))

    async with app_client(redis_url="redis://127.0.0.1:6399/0") as redis_down:
        joining = await redis_down.post(
            f"/api/v1/events/{queued['id']}/queue", json={"email": "bob@example.com"}
        )
        queued_sale = await redis_down.post(
            "/api/v1/orders",
            json=order_body(queued, tokenise(sandbox.url), email="ana@example.com"),
            headers={"Idempotency-Key": "q", "Boxoffice-Waiting-Room-Pass": admitted["pass"]},
        )
        plain_sale = await redis_down.post(
            "/api/v1/orders",
            json=order_body(plain, tokenise(sandbox.url)),
            headers={"Idempotency-Key": "p"},
        )

    assert joining.status_code == 503
    assert joining.json()["code"] == "waiting_room_unavailable"
    assert queued_sale.status_code == 503
    assert queued_sale.json()["code"] == "waiting_room_unavailable"
    assert plain_sale.status_code == 201


async def test_with_redis_hung_queued_events_refuse_in_seconds_and_others_keep_selling(
    app_client: AppClient, sandbox: Sandbox
) -> None:
    """A Redis that accepts connections and never answers (a stalled fork, a partition that
    drops packets) must fail closed like one that is down: in seconds, not never."""
    async with app_client(admission_rate=1000.0) as healthy:
        queued, _ = await queued_event(healthy)
        plain = await new_event(healthy, await new_partner(healthy))

    silent: list[asyncio.StreamWriter] = []

    async def never_answer(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        silent.append(writer)

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with app_client(redis_url=f"redis://127.0.0.1:{port}/0") as redis_hung:
            started = time.monotonic()
            joining, plain_sale = await asyncio.gather(
                redis_hung.post(
                    f"/api/v1/events/{queued['id']}/queue", json={"email": "bob@example.com"}
                ),
                redis_hung.post(
                    "/api/v1/orders",
                    json=order_body(plain, tokenise(sandbox.url)),
                    headers={"Idempotency-Key": "p"},
                ),
            )
            waited = time.monotonic() - started
    finally:
        server.close()
        for writer in silent:
            writer.close()

    assert joining.status_code == 503
    assert joining.json()["code"] == "waiting_room_unavailable"
    assert waited < 15
    assert plain_sale.status_code == 201


async def redis_commands(redis_url: str, command: str | None = None) -> int:
    """Commands the Redis server has run so far: of one kind (`evalsha`), or of every kind."""
    calls = await redis_calls(redis_url)
    return calls[command] if command is not None else sum(calls.values())


async def redis_calls(redis_url: str) -> Counter[str]:
    """Commands the Redis server has run so far, by kind."""
    client = aioredis.Redis.from_url(redis_url)
    try:
        stats = await client.info("commandstats")
    finally:
        await client.aclose()
    return Counter(
        {name.removeprefix("cmdstat_"): int(entry.get("calls", 0)) for name, entry in stats.items()}
    )


async def test_waiting_buyers_polling_cost_the_queue_store_no_round_trip_each(
    app_client: AppClient, redis_url: str
) -> None:
    """Thousands of waiting buyers must not each cost a Redis round trip per poll: a place
    joined after the opening carries its final rank, and the frontier is shared per worker."""
    async with app_client(admission_rate=0.001) as client:
        event, _ = await queued_event(client)
        places = [await join(client, event["id"], f"w{i}@example.com") for i in range(20)]
        before = await redis_commands(redis_url, "evalsha")
        seen = await positions(client, event["id"], places)
        after = await redis_commands(redis_url, "evalsha")
    assert seen == list(range(1, 21))
    assert after - before <= 4, "one frontier read per quarter second per worker, not one per poll"


async def test_a_burst_of_polls_as_the_snapshot_expires_reads_the_queue_store_once(
    app_client: AppClient, redis_url: str
) -> None:
    """When the worker's quarter-second snapshot runs out, the polls arriving together wait
    for one read of the frontier instead of each starting its own (a slow Redis would
    otherwise get more reads the slower it answers)."""
    async with app_client(admission_rate=0.001) as client:
        event, _ = await queued_event(client)
        places = [await join(client, event["id"], f"b{i}@example.com") for i in range(40)]
        await asyncio.sleep(FRONTIER_FRESH_SECONDS + 0.05)
        before = await redis_commands(redis_url, "evalsha")
        answers = await asyncio.gather(
            *(
                client.get(
                    f"/api/v1/events/{event['id']}/queue",
                    headers={"Authorization": f"Bearer {place['place_token']}"},
                )
                for place in places
            )
        )
        after = await redis_commands(redis_url, "evalsha")
    assert [a.status_code for a in answers] == [200] * 40
    assert sorted(a.json()["position"] for a in answers) == list(range(1, 41))
    assert after - before <= 2, f"{after - before} frontier reads for one burst of polls"


async def test_admitted_buyers_poll_and_buy_without_a_queue_store_round_trip_each(
    app_client: AppClient, redis_url: str, sandbox: Sandbox
) -> None:
    """The admitting poll and the purchase check the pass against the worker's snapshot of
    the queue (its epoch), not against a key per pass: the store is not on the purchase's
    path."""
    async with app_client(admission_rate=1000.0) as client:
        event, _ = await queued_event(client)
        emails = [f"a{i}@example.com" for i in range(12)]
        places = [await join(client, event["id"], email) for email in emails]
        # A join held at the door may have read the frontier before the last ones joined; a
        # worker's snapshot is at most a quarter second old.
        await asyncio.sleep(FRONTIER_FRESH_SECONDS + 0.05)
        before, started = await redis_calls(redis_url), time.monotonic()
        paid = []
        for email, place in zip(emails, places, strict=True):
            answer = (
                await client.get(
                    f"/api/v1/events/{event['id']}/queue",
                    headers={"Authorization": f"Bearer {place['place_token']}"},
                )
            ).json()
            response = await client.post(
                "/api/v1/orders",
                json=order_body(event, tokenise(sandbox.url), email=email),
                headers={"Idempotency-Key": email, "Boxoffice-Waiting-Room-Pass": answer["pass"]},
            )
            paid.append(response.status_code)
        elapsed, spent = time.monotonic() - started, await redis_calls(redis_url) - before
    assert paid == [201] * 12
    # Only the snapshot's reads (one script per quarter second of the run, however slow the
    # machine, with the calls it makes inside) and our own INFO's connection: no command per
    # buyer, where a key per pass cost a SET and an EXISTS each.
    snapshots = spent["evalsha"]
    per_buyer = set(+spent) - {"evalsha", "hmget", "time", "hset", "zcard", "hello", "info"}
    assert not per_buyer, f"commands beside the snapshot's: {dict(spent)}"
    assert snapshots <= elapsed / FRONTIER_FRESH_SECONDS + 2


async def test_a_place_taken_before_the_opening_gets_its_final_token_after_it(
    app_client: AppClient,
) -> None:
    async with app_client(admission_rate=0.001) as client:
        event, _ = await queued_event(client, opens_in=1)
        early = [await join(client, event["id"], f"e{i}@example.com") for i in range(5)]
        ranks = await positions(client, event["id"], early)
        await asyncio.sleep(1 + 2.5)  # the opening, and the margin for workers' clocks
        path = f"/api/v1/events/{event['id']}/queue"
        first = early[0]["place_token"]
        answer = (await client.get(path, headers={"Authorization": f"Bearer {first}"})).json()
        final = answer["place_token"]
        again = (await client.get(path, headers={"Authorization": f"Bearer {final}"})).json()
    assert final != first
    assert answer["position"] == again["position"] == ranks[0]
    assert "place_token" not in again


async def test_a_sold_out_queue_says_so_and_stops_polling_until_seats_come_back(
    app_client: AppClient, sandbox: Sandbox
) -> None:
    async with app_client(admission_rate=1000.0) as client:
        partner = await new_partner(client)
        opened = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
        event = await new_event(
            client,
            partner,
            waiting_room=True,
            sales_start=opened,
            ticket_types=[ticket_type(capacity=1)],
        )
        queue = f"/api/v1/events/{event['id']}/queue"
        ana = await join(client, event["id"], "ana@example.com")
        await asyncio.sleep(0.05)
        admitted = (
            await client.get(queue, headers={"Authorization": f"Bearer {ana['place_token']}"})
        ).json()
        paid = await client.post(
            "/api/v1/orders",
            json=order_body(event, tokenise(sandbox.url), email="ana@example.com"),
            headers={
                "Idempotency-Key": uuid.uuid4().hex,
                "Boxoffice-Waiting-Room-Pass": admitted["pass"],
            },
        )
        assert paid.status_code == 201, paid.text
        room = client._transport.app.state.services.sales.waiting_room  # type: ignore[attr-defined]
        room.seats.clear()  # this worker's snapshot of the seats left is two seconds old at most

        bob = await join(client, event["id"], "bob@example.com")
        bob_auth = {"Authorization": f"Bearer {bob['place_token']}"}
        sold_out = (await client.get(queue, headers=bob_auth)).json()

        refund = await client.post(
            f"/api/v1/orders/{paid.json()['id']}/refund", headers=partner["headers"]
        )
        assert refund.status_code == 200, refund.text
        room.seats.clear()
        await asyncio.sleep(0.3)  # and of the admission frontier, a quarter second
        back = (await client.get(queue, headers=bob_auth)).json()

    assert bob["sold_out"] is True  # told at the door
    assert sold_out["sold_out"] is True
    assert sold_out["admitted"] is False
    assert "pass" not in sold_out  # nothing to buy: no pass
    assert sold_out["poll_after_seconds"] == 60.0  # a sold-out queue asks once a minute
    assert sold_out["position"] == 2  # and keeps the place
    assert back["sold_out"] is False
    assert back["admitted"] is True  # the refunded seat is Bob's turn
    assert back["pass"]


async def test_a_poll_still_answers_when_the_database_cannot_say_what_is_left(
    app_client: AppClient,
) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    from boxoffice.waitingroom import service

    async with app_client(admission_rate=0.001) as client:
        event, _ = await queued_event(client)
        await join(client, event["id"], "first@example.com")
        place = await join(client, event["id"], "waiting@example.com")
        room = client._transport.app.state.services.sales.waiting_room  # type: ignore[attr-defined]
        room.seats.clear()
        unreachable = create_async_engine("sqlite+aiosqlite:////nonexistent/dir/boxoffice.db")
        try:
            answer = await service.status(
                room, event_id=event["id"], place_token=place["place_token"], engine=unreachable
            )
        finally:
            await unreachable.dispose()

    assert answer["position"] == 2
    assert answer["sold_out"] is False  # unknown is not sold out
    assert answer["admitted"] is False


async def test_a_turn_due_within_ten_seconds_is_waited_for_at_the_door(
    app_client: AppClient, sandbox: Sandbox, redis_url: str
) -> None:
    """Joining a short line answers with the pass itself, no poll needed, even a few seconds
    later; a turn further than the door's ten seconds is answered at once, with a time to ask
    again."""
    crowd = RedisQueue(redis_url, default_rate=2.0)
    async with app_client(admission_rate=2.0) as client:
        event, _ = await queued_event(client)
        started = time.monotonic()
        first = await join(client, event["id"], "ana@example.com")  # next in line: ~0.5 s
        held_for = time.monotonic() - started
        try:
            for i in range(5):
                await crowd.join(event["id"], f"crowd{i}", shuffled=False)
            started = time.monotonic()
            near = await join(client, event["id"], "near@example.com")  # 5 ahead at 2/s: ~3 s
            held_near = time.monotonic() - started
            for i in range(5, 35):
                await crowd.join(event["id"], f"crowd{i}", shuffled=False)
        finally:
            await crowd.aclose()
        started = time.monotonic()
        far = await join(client, event["id"], "far@example.com")  # 30 ahead at 2/s: ~15 s
        answered_in = time.monotonic() - started
        bought = await client.post(
            "/api/v1/orders",
            json=order_body(event, tokenise(sandbox.url), email="ana@example.com"),
            headers={"Idempotency-Key": "k", "Boxoffice-Waiting-Room-Pass": first["pass"]},
        )
    assert first["admitted"] is True
    assert first["place_token"]
    assert 0.2 < held_for < 2.0
    assert bought.status_code == 201, bought.text
    assert near["admitted"] is True  # a 1 s door answered "ask again in 3 s" here
    assert "pass" in near
    assert 1.5 < held_near < 6.0
    assert far["admitted"] is False
    assert "pass" not in far
    assert far["eta_seconds"] > door.SHORT_WAIT_SECONDS
    assert answered_in < 0.5


async def test_a_poll_within_ten_seconds_of_the_turn_is_held_and_brings_the_pass(
    app_client: AppClient, redis_url: str
) -> None:
    """In a line longer than the door, the poll that lands near the turn is the last one."""
    crowd = RedisQueue(redis_url, default_rate=1.0)
    async with app_client(admission_rate=1.0) as client:
        event, partner = await queued_event(client)
        try:
            for i in range(12):
                await crowd.join(event["id"], f"crowd{i}", shuffled=False)
        finally:
            await crowd.aclose()
        queue = f"/api/v1/events/{event['id']}/queue"
        joined = await join(client, event["id"], "late@example.com")  # 12 ahead at 1/s
        mine = {"Authorization": f"Bearer {joined['place_token']}"}
        started = time.monotonic()
        far = (await client.get(queue, headers=mine)).json()
        far_answered_in = time.monotonic() - started
        faster = await client.put(
            f"{queue}/rate", json={"per_second": 4}, headers=partner["headers"]
        )
        await asyncio.sleep(FRONTIER_FRESH_SECONDS + 0.05)  # every worker's snapshot has it
        started = time.monotonic()
        near = (await client.get(queue, headers=mine)).json()  # ~3 s away at 4/s
        held_for = time.monotonic() - started

    assert joined["admitted"] is False
    assert joined["eta_seconds"] > door.SHORT_WAIT_SECONDS
    assert far["admitted"] is False
    assert "pass" not in far
    assert far_answered_in < 0.5
    assert faster.status_code == 200
    assert near["admitted"] is True  # without the door: "look again in 3 s"
    assert "pass" in near
    assert 1.0 < held_for < 6.0


@pytest.mark.parametrize(
    ("raw", "field"),
    [(b'{"email": "not an address"}', "email"), (b"{", "body"), (b'{"email": 1}', "email")],
)
async def test_a_join_without_a_valid_email_is_a_422_naming_it(
    app_client: AppClient, raw: bytes, field: str
) -> None:
    async with app_client(admission_rate=1.0) as client:
        event, _ = await queued_event(client)
        response = await client.post(
            f"/api/v1/events/{event['id']}/queue",
            content=raw,
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_request"
    assert response.json()["field"] == field


async def test_the_partner_watches_the_line_and_a_faster_rate_empties_it(
    app_client: AppClient, redis_url: str
) -> None:
    crowd = RedisQueue(redis_url, default_rate=0.01)
    async with app_client(admission_rate=0.01) as client:
        event, partner = await queued_event(client)
        try:
            for i in range(40):
                await crowd.join(event["id"], f"fan{i}", shuffled=False)
        finally:
            await crowd.aclose()
        stats = f"/api/v1/events/{event['id']}/queue/stats"
        before = (await client.get(stats, headers=partner["headers"])).json()
        raised = await client.put(
            f"/api/v1/events/{event['id']}/queue/rate",
            json={"per_second": 400},
            headers=partner["headers"],
        )
        await asyncio.sleep(0.3)  # 40 people at 400/s: a tenth of a second
        after = (await client.get(stats, headers=partner["headers"])).json()

    assert before == {
        "event_id": event["id"],
        "joined": 40,
        "admitted": 0,
        "waiting": 40,
        "admission_rate": 0.01,
        "clears_in_seconds": 4000.0,
    }
    assert raised.status_code == 200
    assert after | {"clears_in_seconds": 0.0} == {
        "event_id": event["id"],
        "joined": 40,
        "admitted": 40,
        "waiting": 0,
        "admission_rate": 400.0,
        "clears_in_seconds": 0.0,
    }


async def test_watching_a_queue_writes_nothing_to_it(redis_url: str) -> None:
    """The operator's view must not start a queue, draw its epoch or move its frontier."""
    queue = RedisQueue(redis_url, default_rate=5)
    event_id = f"evt_watch_{uuid.uuid4().hex[:8]}"
    raw = aioredis.Redis.from_url(redis_url, decode_responses=True)
    state = f"boxoffice:wr:{{{event_id}}}:state"
    try:
        nobody = await queue.stats(event_id)
        keys_after_watching_nobody = await raw.keys(f"boxoffice:wr:{{{event_id}}}:*")
        for buyer in ("ana", "bob", "cid"):
            await queue.join(event_id, buyer, shuffled=False)
        written = await raw.hgetall(state)
        await asyncio.sleep(0.5)  # 2.5 admissions' worth at 5/s, for the view to project
        watched = [await queue.stats(event_id) for _ in range(3)]
        still = await raw.hgetall(state)
    finally:
        await queue.aclose()
        await raw.aclose()

    assert (nobody.joined, nobody.admitted, nobody.rate) == (0, 0, 5.0)
    assert keys_after_watching_nobody == []
    assert still == written
    assert all(view.joined == 3 and view.admitted >= 2 for view in watched)


async def test_only_the_events_partner_watches_or_paces_its_queue(app_client: AppClient) -> None:
    async with app_client(admission_rate=1.0) as client:
        event, partner = await queued_event(client)
        plain = await new_event(client, partner)
        other = await new_partner(client)
        queue = f"/api/v1/events/{event['id']}/queue"
        anonymous = await client.get(f"{queue}/stats")
        theirs = await client.get(f"{queue}/stats", headers=other["headers"])
        paced_by_another = await client.put(
            f"{queue}/rate", json={"per_second": 9}, headers=other["headers"]
        )
        stopped = await client.put(
            f"{queue}/rate", json={"per_second": 0}, headers=partner["headers"]
        )
        unqueued = await client.get(
            f"/api/v1/events/{plain['id']}/queue/stats", headers=partner["headers"]
        )
        unqueued_rate = await client.put(
            f"/api/v1/events/{plain['id']}/queue/rate",
            json={"per_second": 9},
            headers=partner["headers"],
        )
        unchanged = (await client.get(f"{queue}/stats", headers=partner["headers"])).json()

    assert anonymous.status_code == 401
    assert (theirs.status_code, paced_by_another.status_code) == (404, 404)
    assert stopped.status_code == 422
    assert stopped.json()["field"] == "per_second"
    assert (unqueued.status_code, unqueued_rate.status_code) == (409, 409)
    assert unqueued.json()["code"] == unqueued_rate.json()["code"] == "no_waiting_room"
    assert unchanged["admission_rate"] == 1.0


async def test_with_redis_down_the_partner_is_told_the_queue_is_unreachable(
    app_client: AppClient,
) -> None:
    async with app_client(admission_rate=5.0) as healthy:
        event, partner = await queued_event(healthy)
    async with app_client(redis_url="redis://127.0.0.1:6399/0") as redis_down:
        stats = await redis_down.get(
            f"/api/v1/events/{event['id']}/queue/stats", headers=partner["headers"]
        )
        await sign_in(redis_down, partner["api_key"])
        console = f"/console/events/{event['id']}"
        live = await redis_down.get(f"{console}/live", headers={"Accept-Language": "en"})
        paced = await post_form(redis_down, console, f"{console}/queue/rate", {"per_second": "9"})

    assert stats.status_code == 503
    assert stats.json()["code"] == "waiting_room_unavailable"
    assert "The waiting room cannot be reached" in live.text
    assert 'data-figure="waiting"' not in live.text  # never an empty line instead
    assert paced.status_code == 503
    assert 'id="per-second-error"' in paced.text


async def test_the_operators_scrape_counts_each_queued_sales_line_and_says_when_redis_is_down(
    app_client: AppClient, redis_url: str
) -> None:
    token = {"Authorization": "Bearer metrics-token-for-tests"}
    crowd = RedisQueue(redis_url, default_rate=0.01)
    async with app_client(admission_rate=0.01, metrics_token=token["Authorization"][7:]) as client:
        event, _ = await queued_event(client)
        try:
            for i in range(40):
                await crowd.join(event["id"], f"fan{i}", shuffled=False)
        finally:
            await crowd.aclose()
        scraped = await client.get("/metrics", headers=token)
    async with app_client(
        redis_url="redis://127.0.0.1:6399/0", metrics_token=token["Authorization"][7:]
    ) as redis_down:
        blind = await redis_down.get("/metrics", headers=token)

    line = f'boxoffice_queue_waiting{{event_id="{event["id"]}"}} 40.0'
    assert line in scraped.text.splitlines()
    assert "boxoffice_queue_store_up 1.0" in scraped.text.splitlines()
    assert blind.status_code == 200  # the rest of the figures still come
    assert "boxoffice_queue_store_up 0.0" in blind.text.splitlines()
    assert "boxoffice_database_up 1.0" in blind.text.splitlines()
    assert f'event_id="{event["id"]}"' not in blind.text


async def test_the_scrape_says_whether_redis_answers_before_any_queued_sale_opens(
    app_client: AppClient,
) -> None:
    """An alert on the queue's store must fire while there is still time to fix it: before
    a queued event goes on sale, not at its opening."""
    token = "metrics-token-for-tests"
    headers = {"Authorization": f"Bearer {token}"}
    async with app_client(metrics_token=token) as client:
        up = await client.get("/metrics", headers=headers)
    async with app_client(redis_url="redis://127.0.0.1:6399/0", metrics_token=token) as client:
        down = await client.get("/metrics", headers=headers)
    assert "boxoffice_queue_store_up 1.0" in up.text.splitlines()
    assert "boxoffice_queue_store_up 0.0" in down.text.splitlines()
    assert "boxoffice_queue_waiting" not in up.text  # no line is on sale: no series invented
