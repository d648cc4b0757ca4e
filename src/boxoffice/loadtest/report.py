"""After the sale: wait for it to settle, audit every invariant, report figures."""

from __future__ import annotations

import asyncio
import statistics
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.db.tables import order_items, orders
from boxoffice.loadtest.runner import Result
from boxoffice.loadtest.scenario import Scenario
from boxoffice.sales.audit import AuditReport, audit, fetch_ledger


async def wait_until_settled(engine: AsyncEngine, event_id: str, within_seconds: float) -> int:
    """Let the service's reconciler settle pending orders; returns how many are left."""
    deadline = asyncio.get_running_loop().time() + within_seconds
    while True:
        async with engine.connect() as conn:
            left = int(
                await conn.scalar(
                    select(func.count()).where(
                        orders.c.event_id == event_id, orders.c.status == "pending"
                    )
                )
                or 0
            )
        if left == 0 or asyncio.get_running_loop().time() >= deadline:
            return left
        await asyncio.sleep(1)


async def audit_sale(
    engine: AsyncEngine, *, result: Result, scenario: Scenario, gateway_url: str, gateway_key: str
) -> AuditReport:
    event_id = result.event["id"]
    intents, refunds = await fetch_ledger(gateway_url, gateway_key)
    report = await audit(engine, intents=intents, refunds=refunds, event_ids=[event_id])
    if result.replay_mismatches:
        report.violations.append(f"{result.replay_mismatches} retries got a different answer")
    if result.duplicate_mismatches:
        report.violations.append(f"{result.duplicate_mismatches} double clicks got two answers")
    sold_out = sum(n for k, n in result.outcomes.items() if k.endswith("sold_out"))
    async with engine.connect() as conn:
        returned = int(
            await conn.scalar(
                select(func.coalesce(func.sum(order_items.c.quantity), 0))
                .join(orders, orders.c.id == order_items.c.order_id)
                .where(
                    orders.c.event_id == event_id,
                    orders.c.status.in_(["declined", "released", "refunded"]),
                )
            )
            or 0
        )
    live = report.figures.get("tickets_live", 0)
    if sold_out and live + returned < scenario.tickets:
        report.violations.append(
            f"sold out was answered, yet {scenario.tickets - live - returned} seats were "
            "neither sold nor returned by a decline"
        )
    report.figures["seats_returned_by_declines"] = returned
    return report


def figures(
    result: Result, report: AuditReport, scenario: Scenario, left_pending: int
) -> dict[str, Any]:
    lat = sorted(result.latencies)

    def pct(q: float) -> float | None:
        return round(lat[min(len(lat) - 1, int(q * len(lat)))] * 1000, 1) if lat else None

    confirmed = len(lat)
    return {
        "event_id": result.event.get("id"),
        "buyers": scenario.buyers,
        "tickets": scenario.tickets,
        "concurrency": scenario.concurrency,
        "waiting_room": scenario.waiting_room,
        "seconds": round(result.seconds, 2),
        "confirmed_purchases": confirmed,
        "confirmed_per_second": round(confirmed / result.seconds, 1) if result.seconds else 0,
        "selling_per_second": selling_rate(result.confirmed_at),
        "latency_ms": {
            "p50": pct(0.50),
            "p95": pct(0.95),
            "p99": pct(0.99),
            "mean": round(statistics.fmean(lat) * 1000, 1) if lat else None,
        },
        # The same purchases as the service timed them (Server-Timing): the difference is
        # the network and the load generator's own waiting, on a shared machine mostly the latter.
        "server_latency_ms": {
            "p50": _percentile_ms(result.server_latencies, 0.50),
            "p99": _percentile_ms(result.server_latencies, 0.99),
        },
        "outcomes": dict(sorted(result.outcomes.items())),
        "requests": result.requests,
        "bytes_per_request": round(
            (result.bytes_sent + result.bytes_received) / max(1, result.requests)
        ),
        "left_pending": left_pending,
        "audit": {"ok": report.ok, "violations": report.violations[:50], **report.figures},
    }


def selling_rate(confirmed_at: list[float], *, body: float = 0.9) -> float | None:
    """Purchases per second while the sale was selling: over the middle `body` of the
    confirmations, without the ramp before the first buyers are through and the tail of the
    last retries. `confirmed_per_second` (over the whole run) is capped by the arrivals: 10,000
    buyers arriving over 20 s can never be served at 500/s on average."""
    if len(confirmed_at) < 20:
        return None
    times = sorted(confirmed_at)
    skip = round(len(times) * (1 - body) / 2)
    first, last = times[skip], times[-skip - 1]
    if last <= first:
        return None
    return round((len(times) - 2 * skip - 1) / (last - first), 1)


def _percentile_ms(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)
