"""Online check-ins/s on PostgreSQL: 10,000 distinct tickets, then one hot ticket.

Tickets are inserted straight into a fresh database (buying them is not what is measured),
payloads are signed with the event's real key, and CLIENTS concurrent gates POST
/api/v1/checkin to `boxoffice serve --workers N`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import asyncpg
import uvloop

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.processes import ServeProcess  # noqa: E402

from boxoffice.db.engine import create_engine  # noqa: E402
from boxoffice.db.migrate import upgrade  # noqa: E402
from boxoffice.db.tables import events, orders, partners, ticket_types, tickets  # noqa: E402
from boxoffice.ids import new_id  # noqa: E402
from boxoffice.tickets import qr  # noqa: E402
from boxoffice.tickets.codes import CodeBook  # noqa: E402
from boxoffice.tickets.keys import KeyStore  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432"
SECRET = "bench-secret-key-not-for-production"


async def fresh_database(name: str) -> str:
    conn = await asyncpg.connect(f"{PG}/postgres")
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    await asyncio.to_thread(upgrade, url)
    return url


async def seed(url: str, count: int) -> tuple[str, list[str]]:
    engine = create_engine(url)
    now = datetime.now(UTC)
    event_id, partner_id, tt_id, order_id = (
        new_id("evt"),
        new_id("prt"),
        new_id("tt"),
        new_id("ord"),
    )
    book = CodeBook(b"bench-code-key-0123456789abcdef")
    codes = [book.issue(i) for i in range(count)]
    async with engine.begin() as conn:
        await conn.execute(
            partners.insert().values(
                id=partner_id, name="p", email="p@x", api_key_hash="h" * 64, created_at=now
            )
        )
        await conn.execute(
            events.insert().values(
                id=event_id,
                partner_id=partner_id,
                name="Bench",
                venue="v",
                starts_at=now,
                waiting_room=False,
                rotating_qr=False,
                status="on_sale",
                created_at=now,
            )
        )
        await conn.execute(
            ticket_types.insert().values(
                id=tt_id,
                event_id=event_id,
                position=0,
                name="t",
                price=1,
                currency="BRL",
                capacity=count,
                buckets=1,
            )
        )
        await conn.execute(
            orders.insert().values(
                id=order_id,
                event_id=event_id,
                buyer_email="b@x",
                buyer_name="B",
                status="paid",
                total=1,
                currency="BRL",
                payment_method="pm",
                idempotency_key="k",
                request_fingerprint="f",
                created_at=now,
                updated_at=now,
            )
        )
        await conn.execute(
            tickets.insert(),
            [
                {
                    "id": new_id("tkt"),
                    "order_id": order_id,
                    "event_id": event_id,
                    "ticket_type_id": tt_id,
                    "serial": i,
                    "code": c,
                    "holder_name": "Holder",
                    "status": "valid",
                    "created_at": now,
                }
                for i, c in enumerate(codes)
            ],
        )
    keys = KeyStore(engine, root_secret=SECRET.encode(), clock=lambda: datetime.now(UTC))
    key = await keys.signing_key(event_id)
    payloads = [
        qr.sign(qr.Claim(event_id=event_id, key_id=key.key_id, code=c), key.private_key)
        for c in codes
    ]
    async with engine.begin() as conn:
        from boxoffice.db.tables import gate_devices
        from boxoffice.ids import hash_secret

        await conn.execute(
            gate_devices.insert().values(
                id=new_id("gdv"),
                event_id=event_id,
                name="bench",
                key_hash=hash_secret("gdk_bench"),
                created_at=now,
            )
        )
    await engine.dispose()
    return event_id, payloads


async def run(
    url: str, payloads: list[str], clients: int
) -> tuple[float, Counter[str], list[float]]:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for p in payloads:
        queue.put_nowait(p)
    results: Counter[str] = Counter()
    latencies: list[float] = []
    headers = {"Authorization": "Bearer gdk_bench"}
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def gate(n: int) -> None:
            while True:
                try:
                    payload = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                started = time.perf_counter()
                async with session.post(
                    f"{url}/api/v1/checkin", json={"payload": payload, "gate": f"g{n}"}
                ) as r:
                    body = await r.json()
                latencies.append(time.perf_counter() - started)
                results[body.get("result", str(r.status))] += 1

        started = time.perf_counter()
        await asyncio.gather(*(gate(n) for n in range(clients)))
        elapsed = time.perf_counter() - started
    return elapsed, results, latencies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--hot", type=int, default=5_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    url = await fresh_database("boxoffice_bench_checkin")
    _event_id, payloads = await seed(url, args.tickets)
    with tempfile.TemporaryDirectory() as folder:
        env = {
            "BOXOFFICE_DATABASE_URL": url,
            "BOXOFFICE_SECRET_KEY": SECRET,
            "BOXOFFICE_DATA_DIR": folder,
            "BOXOFFICE_GATEWAY_URL": "http://127.0.0.1:9",
            "BOXOFFICE_LOG_LEVEL": "WARNING",
            "BOXOFFICE_DB_POOL_SIZE": "20",
            "BOXOFFICE_RECONCILE_INTERVAL_SECONDS": "3600",
        }
        served = ServeProcess(
            env=env, log_path=Path(folder) / "serve.log", workers=args.workers
        ).start()
        try:
            await run(served.url, payloads[:200], args.clients)  # warm up (200 admitted)
            for label, batch in (("distinct", payloads[200:]), ("hot", [payloads[0]] * args.hot)):
                elapsed, results, lat = await run(served.url, batch, args.clients)
                print(
                    f"{label:9s} {len(batch):6d} scans in {elapsed:6.2f}s = "
                    f"{len(batch) / elapsed:7.0f}/s "
                    f"p50 {pct(lat, 0.5):5.1f} ms p99 {pct(lat, 0.99):6.1f} ms {dict(results)}"
                )
        finally:
            served.stop()
    conn = await asyncpg.connect(f"{PG}/postgres")
    await conn.execute('DROP DATABASE IF EXISTS "boxoffice_bench_checkin" WITH (FORCE)')
    await conn.close()


if __name__ == "__main__":
    # uvloop (installed with uvicorn[standard]) for the load generator too: on the default
    # loop the generator alone took ~40 % more CPU per purchase from the shared cores.
    uvloop.run(main())
