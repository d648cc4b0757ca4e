"""Flash-sale benchmark: many buyers racing for one ticket type, on real processes.

Starts the sandbox acquirer (its own process, with latency), a fresh
PostgreSQL database, and `boxoffice serve --workers N`; then BUYERS
concurrent buyers buy one ticket at a time until TICKETS are sold. Prints
confirmed purchases/s, latency percentiles of confirmed purchases, the
outcome mix, and the invariant audit. Optionally runs pgbench on the same
inventory update for the database's ceiling on this machine.

    python bench/flash_sale.py --workers 1 --workers 2 --pgbench
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import redis.asyncio as redis
import uvloop
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.processes import ServeProcess  # noqa: E402
from tests.support.sandbox import Sandbox  # noqa: E402

from bench import cpu  # noqa: E402
from boxoffice import collector  # noqa: E402
from boxoffice.config import Settings  # noqa: E402
from boxoffice.db.engine import create_engine  # noqa: E402
from boxoffice.db.migrate import upgrade  # noqa: E402
from boxoffice.loadtest import sale  # noqa: E402
from boxoffice.loadtest.report import selling_rate, wait_until_settled  # noqa: E402
from boxoffice.loadtest.runner import Crowd  # noqa: E402
from boxoffice.loadtest.scenario import Scenario, plan  # noqa: E402
from boxoffice.sales.audit import audit, fetch_ledger  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432"
METRICS_TOKEN = "bench-metrics-token"
REDIS = "redis://127.0.0.1:6379/7"
PG_SOCKET_DIR = "/var/run/postgresql"


async def flush_redis() -> None:
    client = redis.Redis.from_url(REDIS)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


async def fresh_database(name: str, *, migrate: bool = True, unix_socket: bool = False) -> str:
    """An empty database; migrated here unless the service under test migrates it itself
    (`--service-src`: an older tree knows only its own migrations). The service reaches it
    over TCP, or with `unix_socket` over PostgreSQL's Unix socket (a single-host deployment)."""
    conn = await asyncpg.connect(f"{PG}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    if unix_socket:
        url = f"postgresql+asyncpg://postgres@/{name}?host={PG_SOCKET_DIR}"
    if migrate:
        await asyncio.to_thread(upgrade, url)
    return url


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def classifier(server: ServeProcess, gateway: Sandbox) -> Callable[[int, str, int], str]:
    assert server.process is not None
    assert gateway.process is not None
    groups = {server.process.pid: "service", gateway.process.pid: "acquirer"}
    me = os.getpid()

    def classify(pid: int, name: str, pgid: int) -> str:
        if pid == me:
            return "load generator"
        if pgid in groups:
            return groups[pgid]
        if name.startswith("postgres") or name.startswith("postmaster"):
            return "postgresql"
        if name.startswith("redis"):
            return "redis"
        return "other"

    return classify


async def run_sale(url: str, gateway: Sandbox, *, buyers: int, tickets: int) -> dict[str, object]:
    # aiohttp, not httpx, for the buyers: httpx's pool scans every connection on every
    # request, which at 200+ connections costs more CPU than the service under test.
    connector = aiohttp.TCPConnector(limit=buyers)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as http:
        async with http.post(
            "/api/v1/partners", json={"name": "Bench", "email": "b@example.com"}
        ) as r:
            partner = await r.json()
        headers = {"Authorization": f"Bearer {partner['api_key']}"}
        event_body = {
            "name": "Flash sale",
            "venue": "Stadium",
            "starts_at": "2030-01-01T20:00:00Z",
            "ticket_types": [
                {"name": "Pista", "price": 10000, "currency": "BRL", "capacity": tickets}
            ],
        }
        async with http.post("/api/v1/events", headers=headers, json=event_body) as r:
            event = await r.json()
        async with http.post(f"/api/v1/events/{event['id']}/publish", headers=headers) as r:
            assert r.status == 200, await r.text()
        methods = await gateway.tokenise_many(buyers)
        outcomes: Counter[str] = Counter()
        latencies: list[float] = []
        sold_out = asyncio.Event()

        async def buyer(i: int) -> None:
            n = 0
            while not sold_out.is_set():
                n += 1
                body = {
                    "event_id": event["id"],
                    "items": [{"ticket_type_id": event["ticket_types"][0]["id"], "quantity": 1}],
                    "buyer": {"email": f"buyer{i}-{n}@example.com", "name": "Bench Buyer"},
                    "payment_method": methods[i],
                }
                started = time.perf_counter()
                async with http.post(
                    "/api/v1/orders", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
                ) as response:
                    answer = await response.json(content_type=None)
                elapsed = time.perf_counter() - started
                code = str(response.status)
                if response.status >= 400:
                    code += ":" + answer.get("code", "")
                outcomes[code] += 1
                if response.status == 201:
                    latencies.append(elapsed)
                elif response.status == 409 and "sold_out" in code:
                    sold_out.set()

        started = time.perf_counter()
        await asyncio.gather(*(buyer(i) for i in range(buyers)))
        duration = time.perf_counter() - started

    return {
        "event_id": event["id"],
        "confirmed": len(latencies),
        "seconds": round(duration, 2),
        "purchases_per_second": round(len(latencies) / duration, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else None,
        "outcomes": dict(outcomes),
    }


async def run_crowd_sale(
    url: str,
    gateway: Sandbox,
    *,
    buyers: int,
    tickets: int,
    in_flight: int,
    rate: float | None,
    arrival_seconds: float,
    clean: bool = False,
) -> dict[str, object]:
    """The crowd of `boxoffice loadtest`: behind the waiting room when `rate` is given
    (`buyers` queue, admitted at `rate`/s), else buying directly.

    Joins, server-paced polls and passes when queued; 2 % declines, double clicks and same-key
    retries, and a limit of 4 per buyer, unless `clean`. Latency is that of the purchases
    (of admitted buyers, behind the queue).
    """
    mix = 0.0 if clean else 0.02
    scenario = Scenario(
        buyers=buyers,
        tickets=tickets,
        concurrency=in_flight,
        per_buyer_limit=None if clean else 4,
        decline_rate=mix,
        duplicate_rate=mix,
        retry_rate=mix,
        waiting_room=rate is not None,
        arrival_seconds=arrival_seconds,
        arrival_curve="uniform",
        **({"admission_rate": rate} if rate is not None else {}),
    )
    crowd = Crowd(plan(scenario), url=url, gateway_url=gateway.url, admin_key=None)
    result = await crowd.run()
    confirmed = len(result.latencies)
    return {
        "event_id": result.event["id"],
        "crowd": buyers,
        "arrivals_over_seconds": arrival_seconds,
        "admission_rate": rate,
        "mix": "clean" if clean else "2 % declines, double clicks, retries; limit 4",
        "confirmed": confirmed,
        "seconds": round(result.seconds, 2),
        "purchases_per_second": round(confirmed / result.seconds, 1),
        # Over the middle 90 % of confirmations: the rate while selling, not capped by the
        # arrival window (boxoffice.loadtest.report.selling_rate).
        "selling_per_second": selling_rate(result.confirmed_at),
        "p50_ms": round(percentile(result.latencies, 0.50) * 1000, 1),
        "p95_ms": round(percentile(result.latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(result.latencies, 0.99) * 1000, 1),
        # In completion order: the second half of the sale, after the opening's burst of joins.
        "server_p50_p99_ms": [
            round(percentile(result.server_latencies, q) * 1000, 1) for q in (0.5, 0.99)
        ],
        "second_half_p50_p99_ms": [
            round(percentile(result.latencies[confirmed // 2 :], q) * 1000, 1) for q in (0.5, 0.99)
        ],
        "requests": result.requests,
        "outcomes": dict(sorted(result.outcomes.items())),
        "retries_answered_differently": result.replay_mismatches,
        "double_clicks_answered_differently": result.duplicate_mismatches,
    }


async def find_rate(
    url: str, gateway: Sandbox, database: str, args: argparse.Namespace
) -> dict[str, object]:
    """The product's own search (`boxoffice.loadtest.sale.find_rate`) on this deployment."""
    mix = 0.02
    base = Scenario(
        concurrency=args.buyers,
        decline_rate=mix,
        duplicate_rate=mix,
        retry_rate=mix,
        admission_rate=args.admission_rate or 100.0,
    )
    limits = sale.RateSearch(
        p99_ms=args.find_rate, probe_seconds=args.arrival_seconds or 20.0, max_rate=5000.0
    )
    settings = Settings(
        database_url=database,
        gateway_url=gateway.url,
        gateway_key=gateway.key,
        data_dir=Path(tempfile.mkdtemp(prefix="boxoffice-find-rate-")),
    )
    found = await sale.find_rate(base, limits, settings, url=url, settle=120.0)
    summary: dict[str, Any] = {k: v for k, v in found.items() if k != "reports"}
    for probe, report in zip(summary["probes"], found["reports"], strict=True):
        probe["p50_ms"] = report["latency_ms"]["p50"]
        probe["requests"] = report["requests"]
    print(json.dumps(summary, indent=2), flush=True)
    return summary


async def loop_lag(url: str) -> dict[str, float]:
    """The workers' `boxoffice_event_loop_lag_seconds` buckets so far (cumulative, summed)."""
    headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics", headers=headers) as r:
        text = await r.text()
    buckets: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "boxoffice_event_loop_lag_seconds_bucket":
                buckets[sample.labels["le"]] = sample.value
    return buckets


def lag_summary(before: dict[str, float], after: dict[str, float]) -> dict[str, object]:
    """How late the workers' loops woke during the sale: the share of wakes later than each
    bound, and the bucket that holds the 99th percentile."""
    spent = {le: after.get(le, 0.0) - before.get(le, 0.0) for le in after}
    total = spent.get("+Inf", 0.0)
    if not total:
        return {}
    late = {
        f"over_{le}s": round(1 - spent[le] / total, 4) for le in ("0.01", "0.05", "0.1", "0.25")
    }
    p99 = next(le for le in sorted(spent, key=lambda le: float(le)) if spent[le] >= 0.99 * total)
    return {"wakes": int(total), **late, "p99_at_most_s": p99}


def worker_rss_mb(server: ServeProcess) -> list[float]:
    """Resident memory of the serve process and its worker processes, in MB."""
    assert server.process is not None
    pids = [server.process.pid]
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    sizes = []
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(round(int(line.split()[1]) / 1024, 1))
    return sizes


def pgbench_ceiling(clients: int, seconds: int) -> float:
    """pgbench running the very inventory update of a hold, on one hot row."""
    subprocess.run(
        [
            "psql",
            "-q",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-c",
            "DROP TABLE IF EXISTS bench_tt; CREATE TABLE bench_tt (id text primary key, "
            "capacity int, held int, sold int); "
            "INSERT INTO bench_tt VALUES ('tt', 2000000000, 0, 0)",
        ],
        check=True,
    )
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(
            "UPDATE bench_tt SET held = held + 1 WHERE id = 'tt' AND held + sold + 1 <= capacity;\n"
        )
    out = subprocess.run(
        [
            "pgbench",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-n",
            "-c",
            str(clients),
            "-j",
            "2",
            "-T",
            str(seconds),
            "-f",
            script.name,
            "postgres",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for line in out.splitlines():
        if line.startswith("tps"):
            return float(line.split("=")[1].split()[0])
    raise RuntimeError(out)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, action="append")
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--pgbench", action="store_true")
    parser.add_argument(
        "--arrival-seconds",
        type=float,
        default=0.0,
        help="with --admission-rate: buyers arrive uniformly over this many seconds",
    )
    parser.add_argument(
        "--admission-rate",
        type=float,
        help="queue the sale (Redis waiting room) and admit this many buyers/s; --buyers "
        "is then the purchases in flight at most, and as many buyers as tickets queue",
    )
    parser.add_argument(
        "--crowd",
        action="store_true",
        help="buy with the crowd of `boxoffice loadtest` (as --admission-rate does) without a "
        "queue: as many buyers as tickets, --buyers of them in flight",
    )
    parser.add_argument(
        "--clean",
        action="store_true",
        help="with the crowd: no declines, double clicks, retries or per-buyer limit",
    )
    parser.add_argument(
        "--unix-socket",
        action="store_true",
        help=f"the service reaches PostgreSQL over its Unix socket ({PG_SOCKET_DIR}), not TCP",
    )
    parser.add_argument(
        "--service-src",
        metavar="PATH",
        help="run the service from this source tree (PYTHONPATH), e.g. a worktree of an older "
        "commit, with this load generator, acquirer and audit: an A/B in one run",
    )
    parser.add_argument(
        "--service-python",
        metavar="PATH",
        default=sys.executable,
        help="serve with this interpreter (a virtualenv's python with boxoffice installed), "
        "e.g. to compare Python versions with the same load generator, acquirer and audit",
    )
    parser.add_argument(
        "--find-rate",
        metavar="P99_MS",
        type=float,
        help="run `boxoffice loadtest --find-rate` against this deployment instead of one sale: "
        "queued probes from --admission-rate (default 100/s) up, each with arrivals as fast "
        "as admissions over --arrival-seconds (default 20), the crowd's mix, --buyers in flight",
    )
    parser.add_argument(
        "--profile",
        metavar="PREFIX",
        help="py-spy the service during the sale; writes PREFIX-<workers>.txt (pip install py-spy)",
    )
    args = parser.parse_args()
    results: dict[str, object] = {
        "buyers": args.buyers,
        "tickets": args.tickets,
        "gateway_latency_ms": args.latency_ms,
    }
    work = Path(tempfile.mkdtemp(prefix="boxoffice-bench-"))
    for workers in args.workers or [1]:
        gateway = Sandbox(work / f"acquirer-{workers}", "--latency-ms", str(args.latency_ms))
        gateway.env["BOXOFFICE_LOG_LEVEL"] = "WARNING"
        gateway.start()
        database = await fresh_database(
            "boxoffice_bench", migrate=not args.service_src, unix_socket=args.unix_socket
        )
        await flush_redis()
        server = ServeProcess(
            env={
                "BOXOFFICE_DATABASE_URL": database,
                "BOXOFFICE_GATEWAY_URL": gateway.url,
                "BOXOFFICE_SECRET_KEY": "bench-secret-key-0123456789",
                "BOXOFFICE_DATA_DIR": str(work),
                "BOXOFFICE_LOG_LEVEL": "WARNING",
                "BOXOFFICE_REDIS_URL": REDIS,
                "BOXOFFICE_METRICS_TOKEN": METRICS_TOKEN,
                **({"PYTHONPATH": args.service_src} if args.service_src else {}),
            },
            log_path=work / f"serve-{workers}.log",
            workers=workers,
            python=args.service_python,
        ).start()
        try:
            classify = classifier(server, gateway)
            spy = None
            if args.profile:
                assert server.process is not None
                spy = subprocess.Popen(  # noqa: ASYNC220 (a profiler, started once)
                    [
                        "py-spy",
                        "record",
                        "--subprocesses",
                        "--nonblocking",
                        "--format",
                        "raw",
                        "--rate",
                        "50",
                        "--pid",
                        str(server.process.pid),
                        "--output",
                        f"{args.profile}-{workers}.txt",
                    ],
                    stdout=subprocess.DEVNULL,
                )
            if args.find_rate:
                results[f"workers_{workers}"] = await find_rate(server.url, gateway, database, args)
                continue
            cpu_before, busy_before = cpu.snapshot(classify), cpu.machine_busy_seconds()
            lag_before = await loop_lag(server.url)
            if args.admission_rate or args.crowd:
                figures = await run_crowd_sale(
                    server.url,
                    gateway,
                    buyers=args.tickets,
                    tickets=args.tickets,
                    in_flight=args.buyers,
                    rate=args.admission_rate,
                    arrival_seconds=args.arrival_seconds,
                    clean=args.clean,
                )
            else:
                figures = await run_sale(
                    server.url, gateway, buyers=args.buyers, tickets=args.tickets
                )
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=60)
            cpu_after, busy_after = cpu.snapshot(classify), cpu.machine_busy_seconds()
            figures["event_loop_lag"] = lag_summary(lag_before, await loop_lag(server.url))
            confirmed = int(figures["confirmed"])  # type: ignore[call-overload]
            figures["cpu_ms_per_purchase"] = cpu.per_unit_ms(cpu_before, cpu_after, confirmed)
            figures["machine_busy_ms_per_purchase"] = round(
                (busy_after - busy_before) * 1000 / max(1, confirmed), 2
            )
            figures["rss_mb"] = worker_rss_mb(server)
            engine = create_engine(database)
            # Orders answered 202 (the gateway's answer was lost) are the reconciler's to
            # settle; audit once it has, as `boxoffice loadtest` does.
            figures["left_pending"] = await wait_until_settled(
                engine, str(figures["event_id"]), within_seconds=120
            )
            intents, refunds = await fetch_ledger(gateway.url, gateway.key)
            report = await audit(
                engine, intents=intents, refunds=refunds, event_ids=[str(figures["event_id"])]
            )
            await engine.dispose()
            figures["audit"] = "ok" if report.ok else report.violations[:10]
            figures["audit_figures"] = report.figures
        finally:
            server.stop()
            gateway.stop()
        results[f"workers_{workers}"] = figures
        print(json.dumps({f"workers_{workers}": figures}, indent=2), flush=True)
    if args.pgbench:
        tps = pgbench_ceiling(clients=16, seconds=10)
        results["pgbench_hot_row_tps"] = tps
        print(json.dumps({"pgbench_hot_row_tps": tps}), flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    collector.tune_for_serving()  # the load generator spends as little of the box as it can
    # uvloop (installed with uvicorn[standard]) for the load generator too: on the default
    # loop the generator alone took ~40 % more CPU per purchase from the shared cores.
    uvloop.run(main())
