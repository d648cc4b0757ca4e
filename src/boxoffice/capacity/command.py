"""The `boxoffice capacity` command: a capacity plan from a sale's shape and measured costs."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from boxoffice.capacity.plan import HEADROOM, Costs, Sale, plan

# Measured on the reference machine (2 shared cores, PostgreSQL, sandbox gateway with 50 ms
# latency), the night of 2026-11-29/30; see docs/benchmarks.md. Purchases without a queue: a
# median of 433 purchases/s from 2 workers (375-458 in three runs), about 1.05 requests each;
# a queued sale met admitted buyers' p99 of 237-339 ms at 200 admissions/s (1.1-1.3 s when
# the box ran a quarter slower). The waiting room's requests in purchases' worth of worker
# CPU, measured back to back on the same box: a join 0.67-0.83 ms and a waiting buyer's poll
# 0.31-0.37 ms of service CPU (bench/baseline.py) against 2.63 ms per purchase
# (bench/flash_sale.py, 2 workers). Replace with your own deployment's figures:
# `boxoffice capacity --from-loadtest report.json`.
REFERENCE = Costs(
    purchases_per_second_per_worker=216.0,
    p99_ms=339.0,
    requests_per_purchase=1.1,
    bytes_per_request=1500,
    database_purchases_per_second=2000.0,
    join_cost=0.3,
    poll_cost=0.15,
)


def costs_from_loadtest(path: Path, workers: int) -> Costs:
    """Purchase costs from a `boxoffice loadtest --json` report of a sale without a queue,
    or from a `--find-rate` report (`costs_from_rate_search`).

    A single queued run is refused: its purchases/s per worker already paid for that run's
    joins and polls, and the plan charges the queue's traffic itself (join and poll costs stay
    the reference's unless measured with bench/baseline.py on the deployment).
    """
    report: dict[str, Any] = json.loads(path.read_text())
    if "sustainable_admission_rate" in report:
        return costs_from_rate_search(report, workers, source=str(path))
    if report.get("waiting_room"):
        raise ValueError(
            "this load test queued its buyers: measure purchases without the waiting room "
            "(boxoffice loadtest without --waiting-room; the plan adds the queue's traffic), "
            "or search the rate with --find-rate"
        )
    confirmed = report["confirmed_purchases"]
    return Costs(
        purchases_per_second_per_worker=report["confirmed_per_second"] / workers,
        p99_ms=report["latency_ms"]["p99"] or 0.0,
        requests_per_purchase=report["requests"] / max(1, confirmed),
        bytes_per_request=report["bytes_per_request"],
        join_cost=REFERENCE.join_cost,
        poll_cost=REFERENCE.poll_cost,
        source=str(path),
    )


def capacity(
    tickets: Annotated[int, typer.Option(min=1, help="Tickets on sale.")],
    audience: Annotated[int, typer.Option(min=1, help="People expected.")],
    arrival_minutes: Annotated[float, typer.Option(min=0.1, help="They arrive over.")] = 10.0,
    tickets_per_order: Annotated[float, typer.Option(min=1)] = 2.0,
    decline_rate: Annotated[float, typer.Option(min=0, max=0.99)] = 0.05,
    target_sellout_minutes: Annotated[float | None, typer.Option(min=0.1)] = None,
    max_workers: Annotated[int | None, typer.Option(min=1, help="A fixed deployment.")] = None,
    waiting_room: Annotated[
        bool | None,
        typer.Option(
            "--waiting-room/--no-waiting-room",
            help="The event queues every buyer / never queues (default: advise one).",
        ),
    ] = None,
    from_loadtest: Annotated[
        Path | None, typer.Option(help="A `boxoffice loadtest --json` report of your deployment.")
    ] = None,
    loadtest_workers: Annotated[int, typer.Option(min=1, help="Workers in that run.")] = 1,
    join_cost: Annotated[
        float | None,
        typer.Option(min=0, help="A queue join's CPU as a fraction of a purchase's (measured)."),
    ] = None,
    poll_cost: Annotated[
        float | None,
        typer.Option(min=0, help="A waiting buyer's poll's CPU as a fraction of a purchase's."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Plan a sale: throughput, admission rate, workers, database, storage, bandwidth, time."""
    try:
        costs = costs_from_loadtest(from_loadtest, loadtest_workers) if from_loadtest else REFERENCE
    except (ValueError, KeyError, TypeError, AttributeError, StopIteration) as error:
        why = str(error) if isinstance(error, ValueError) else f"not a loadtest report ({error!r})"
        raise typer.BadParameter(why, param_hint="--from-loadtest") from error
    if join_cost is not None:
        costs = replace(costs, join_cost=join_cost)
    if poll_cost is not None:
        costs = replace(costs, poll_cost=poll_cost)
    sale = Sale(
        tickets=tickets,
        audience=audience,
        arrival_minutes=arrival_minutes,
        tickets_per_order=tickets_per_order,
        decline_rate=decline_rate,
        target_sellout_minutes=target_sellout_minutes,
        max_workers=max_workers,
        waiting_room=waiting_room,
    )
    try:
        result = plan(sale, costs)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    if as_json:
        typer.echo(json.dumps(asdict(result), indent=2))
        return
    table = Table(title="Capacity plan", show_header=False)
    for key, value in asdict(result).items():
        if key != "assumptions":
            table.add_row(key.replace("_", " "), str(value))
    table.add_row("costs from", costs.source)
    Console().print(table)


def costs_from_rate_search(report: dict[str, Any], workers: int, *, source: str) -> Costs:
    """Costs from the highest admission rate the deployment held at its p99 target, queue
    included (`boxoffice loadtest --find-rate`).

    Each buyer of that search joined the queue once and bought, so a worker held
    `rate / workers` purchases a second *with their joins*, already at the target p99. In the
    plan's units (a purchase, plus `join_cost` for each arrival's join, under its headroom):
    for an event that queues every buyer (`--waiting-room`) on the measured workers, it plans
    the measured rate; without a queue it counts no joins, and with a longer line than the
    probes had it adds that line's polls.
    """
    rate = report["sustainable_admission_rate"]
    if rate is None:
        raise ValueError("this search found no rate that held: plan from a sale that did")
    held = next(
        sale
        for probe, sale in zip(report["probes"], report["reports"], strict=True)
        if probe["rate"] == rate
    )
    return Costs(
        purchases_per_second_per_worker=rate / workers * (1 + REFERENCE.join_cost) / HEADROOM,
        p99_ms=held["latency_ms"]["p99"] or 0.0,
        # Every buyer joined once; the plan adds the joins itself.
        requests_per_purchase=max(
            1.0, (held["requests"] - held["buyers"]) / max(1, held["confirmed_purchases"])
        ),
        bytes_per_request=held["bytes_per_request"],
        join_cost=REFERENCE.join_cost,
        poll_cost=REFERENCE.poll_cost,
        source=f"{source} (held {rate:g} admissions/s on {workers} workers)",
    )
