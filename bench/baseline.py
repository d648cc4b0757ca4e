"""Baselines for the flash-sale figures, measured with the same load generator on the same box.

- a bare ASGI endpoint (`/healthz` of `boxoffice serve`: routing, middleware, JSON, no I/O);
- the waiting room's two requests: a waiting buyer's poll, and a join (a new place);
- a repeat view of a ticket page answered 304 from its ETag (issue 5: "costs almost nothing").

The service CPU per request (from /proc) is what `boxoffice capacity` charges the web workers
for the queue's traffic, relative to a purchase's (bench/flash_sale.py).

    python bench/baseline.py --seconds 5 --concurrency 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import aiohttp
import uvloop

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.processes import ServeProcess  # noqa: E402
from tests.support.sandbox import Sandbox  # noqa: E402

from bench.flash_sale import fresh_database  # noqa: E402
from boxoffice import collector  # noqa: E402


async def hammer(
    url: str,
    *,
    seconds: float,
    concurrency: int,
    headers: dict[str, str] | None = None,
    body: Callable[[], dict[str, str]] | None = None,
) -> float:
    """Requests per second from `concurrency` clients for `seconds`: GETs, or POSTs of a fresh
    `body()` each (a join of a new buyer, say)."""
    connector = aiohttp.TCPConnector(limit=concurrency)
    done = 0
    async with aiohttp.ClientSession(connector=connector) as http:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                if body is None:
                    request = http.get(url, headers=headers)
                else:
                    request = http.post(url, headers=headers, json=body())
                async with request as response:
                    await response.read()
                    assert response.status in (200, 201, 304), response.status
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done / (time.perf_counter() - started)


def new_buyer() -> dict[str, str]:
    return {"email": f"j{uuid.uuid4().hex[:16]}@example.com"}


async def ticket_page(base: str, gateway: Sandbox) -> tuple[str, str]:
    async with aiohttp.ClientSession(base) as http:
        async with http.post("/api/v1/partners", json={"name": "B", "email": "b@example.com"}) as r:
            auth = {"Authorization": f"Bearer {(await r.json())['api_key']}"}
        body = {
            "name": "E",
            "venue": "V",
            "starts_at": "2031-01-01T20:00:00Z",
            "ticket_types": [{"name": "A", "price": 100, "currency": "BRL", "capacity": 10}],
        }
        async with http.post("/api/v1/events", json=body, headers=auth) as r:
            event = await r.json()
        async with http.post(f"/api/v1/events/{event['id']}/publish", headers=auth) as r:
            await r.read()
        order = {
            "event_id": event["id"],
            "items": [{"ticket_type_id": event["ticket_types"][0]["id"], "quantity": 1}],
            "buyer": {"email": "x@example.com", "name": "X"},
            "payment_method": (await gateway.tokenise_many(1))[0],
        }
        async with http.post(
            "/api/v1/orders", json=order, headers={"Idempotency-Key": uuid.uuid4().hex}
        ) as r:
            paid = await r.json()
        url = paid["tickets"][0]["url"]
        async with http.get(url) as r:
            etag = r.headers["ETag"]
        return url, etag


async def queue_place(base: str) -> tuple[str, str]:
    """A queued event and one buyer's place in it: (poll path, place token)."""
    async with aiohttp.ClientSession(base) as http:
        async with http.post("/api/v1/partners", json={"name": "Q", "email": "q@example.com"}) as r:
            auth = {"Authorization": f"Bearer {(await r.json())['api_key']}"}
        body = {
            "name": "Queued",
            "venue": "V",
            "starts_at": "2031-01-01T20:00:00Z",
            "waiting_room": True,
            "ticket_types": [{"name": "A", "price": 100, "currency": "BRL", "capacity": 10}],
        }
        async with http.post("/api/v1/events", json=body, headers=auth) as r:
            event = await r.json()
        async with http.post(f"/api/v1/events/{event['id']}/publish", headers=auth) as r:
            await r.read()
        path = f"/api/v1/events/{event['id']}/queue"
        async with http.put(f"{path}/rate", json={"per_second": 0.001}, headers=auth) as r:
            await r.read()  # nobody is admitted during the measurement: a waiting buyer's poll
        for email in ("first@example.com", "waiting@example.com"):
            async with http.post(path, json={"email": email}) as r:
                place = await r.json()
        return path, place["place_token"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its reaped children, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="boxoffice-baseline-"))
    gateway = Sandbox(work / "acquirer").start()
    server = ServeProcess(
        env={
            "BOXOFFICE_DATABASE_URL": await fresh_database("boxoffice_baseline"),
            "BOXOFFICE_GATEWAY_URL": gateway.url,
            "BOXOFFICE_SECRET_KEY": "bench-secret-key-0123456789",
            "BOXOFFICE_DATA_DIR": str(work),
            "BOXOFFICE_LOG_LEVEL": "WARNING",
            "BOXOFFICE_REDIS_URL": "redis://127.0.0.1:6379/8",
        },
        log_path=work / "serve.log",
    ).start()
    assert server.process is not None
    pid = server.process.pid
    try:
        before = cpu_seconds(pid)
        health = await hammer(
            f"{server.url}/healthz", seconds=args.seconds, concurrency=args.concurrency
        )
        health_cpu_ms = (cpu_seconds(pid) - before) * 1000 / (health * args.seconds)
        poll_path, place_token = await queue_place(server.url)
        before = cpu_seconds(pid)
        polls = await hammer(
            f"{server.url}{poll_path}",
            seconds=args.seconds,
            concurrency=args.concurrency,
            headers={"Authorization": f"Bearer {place_token}"},
        )
        poll_cpu_ms = (cpu_seconds(pid) - before) * 1000 / (polls * args.seconds)
        before = cpu_seconds(pid)
        joins = await hammer(
            f"{server.url}{poll_path}",
            seconds=args.seconds,
            concurrency=args.concurrency,
            body=new_buyer,
        )
        join_cpu_ms = (cpu_seconds(pid) - before) * 1000 / (joins * args.seconds)
        path, etag = await ticket_page(server.url, gateway)
        repeat = await hammer(
            f"{server.url}{path}",
            seconds=args.seconds,
            concurrency=args.concurrency,
            headers={"If-None-Match": etag},
        )
        fresh = await hammer(
            f"{server.url}{path}", seconds=args.seconds, concurrency=args.concurrency
        )
    finally:
        server.stop()
        gateway.stop()
    print(
        json.dumps(
            {
                "healthz_per_second": round(health, 1),
                "healthz_service_cpu_ms": round(health_cpu_ms, 3),
                "queue_poll_per_second": round(polls, 1),
                "queue_poll_service_cpu_ms": round(poll_cpu_ms, 3),
                "queue_join_per_second": round(joins, 1),
                "queue_join_service_cpu_ms": round(join_cpu_ms, 3),
                "ticket_page_304_per_second": round(repeat, 1),
                "ticket_page_200_per_second": round(fresh, 1),
                "concurrency": args.concurrency,
                "workers": 1,
            }
        )
    )


if __name__ == "__main__":
    collector.tune_for_serving()  # the load generator spends as little of the box as it can
    # uvloop (installed with uvicorn[standard]) for the load generator too: on the default
    # loop the generator alone took ~40 % more CPU per purchase from the shared cores.
    uvloop.run(main())
