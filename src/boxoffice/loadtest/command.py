"""The `boxoffice loadtest` command: plan a crowd, run it with a progress bar, audit, report."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from boxoffice.config import Settings
from boxoffice.loadtest import sale
from boxoffice.loadtest.scenario import Scenario
from boxoffice.loadtest.search import Probe

T = TypeVar("T")


def loadtest(
    url: Annotated[
        str, typer.Option(help="Base URL of the running service.")
    ] = "http://127.0.0.1:8000",
    buyers: Annotated[int, typer.Option(min=1, help="How many buyers arrive.")] = 2000,
    tickets: Annotated[int, typer.Option(min=1, help="Capacity of the one ticket type.")] = 1000,
    concurrency: Annotated[int, typer.Option(min=1, help="Purchases in flight at most.")] = 200,
    arrival_seconds: Annotated[float, typer.Option(min=0, help="Arrivals spread over.")] = 0.0,
    arrival_curve: Annotated[str, typer.Option(help="burst | uniform | ramp")] = "burst",
    tickets_per_order: Annotated[int, typer.Option(min=1, max=50)] = 1,
    per_buyer_limit: Annotated[int, typer.Option(min=0, help="0 for none.")] = 4,
    decline_rate: Annotated[float, typer.Option(min=0, max=1)] = 0.05,
    duplicate_rate: Annotated[float, typer.Option(min=0, max=1, help="Double clicks.")] = 0.05,
    retry_rate: Annotated[float, typer.Option(min=0, max=1, help="Same-key retries.")] = 0.05,
    waiting_room: Annotated[bool, typer.Option(help="Queue the sale.")] = False,
    admission_rate: Annotated[float, typer.Option(min=0.1, help="Admissions/s if queued.")] = 200.0,
    seed: Annotated[int, typer.Option(help="Same seed, same crowd.")] = 7,
    settle_seconds: Annotated[float, typer.Option(help="Wait for pending orders.")] = 120.0,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the report here.")] = None,
    find_rate: Annotated[
        bool,
        typer.Option(
            help="Instead of one sale, find the highest admission rate whose admitted buyers' "
            "p99 stays under --p99-ms: queued probes from --admission-rate up."
        ),
    ] = False,
    p99_ms: Annotated[float, typer.Option(min=1, help="With --find-rate: the target.")] = 500.0,
    probe_seconds: Annotated[
        float, typer.Option(min=2, help="With --find-rate: each probe's arrivals span.")
    ] = 20.0,
    max_rate: Annotated[
        float, typer.Option(min=1, help="With --find-rate: probe no faster than this.")
    ] = 5000.0,
) -> None:
    """Simulate a flash sale against a running service, then audit every invariant.

    The audit reads the service's database (BOXOFFICE_DATABASE_URL) and the card
    gateway's ledger (BOXOFFICE_GATEWAY_URL, BOXOFFICE_GATEWAY_KEY); partner sign-up
    uses BOXOFFICE_ADMIN_KEY when the service requires it. Exit code 1 on any violation.

    With --find-rate it runs short queued sales instead, one rate after another, and
    reports the highest admission rate the deployment held with admitted buyers' p99 under
    --p99-ms (boxoffice.loadtest.search): the rate to give the waiting room.
    """
    settings = Settings()
    if not settings.gateway_url:
        raise typer.BadParameter("set BOXOFFICE_GATEWAY_URL to the gateway the service uses")
    scenario = Scenario(
        buyers=buyers,
        tickets=tickets,
        concurrency=concurrency,
        arrival_seconds=arrival_seconds,
        arrival_curve=arrival_curve,
        tickets_per_order=tickets_per_order,
        per_buyer_limit=per_buyer_limit or None,
        decline_rate=decline_rate,
        duplicate_rate=duplicate_rate,
        retry_rate=retry_rate,
        waiting_room=waiting_room,
        admission_rate=admission_rate,
        seed=seed,
    )
    if find_rate:
        limits = sale.RateSearch(p99_ms=p99_ms, probe_seconds=probe_seconds, max_rate=max_rate)
        console = Console()

        def said(probe: Probe, held: bool) -> None:
            verdict = "[green]held[/green]" if held else "[red]did not hold[/red]"
            console.print(
                f"{probe.rate:g} admissions/s: {probe.selling_per_second:g} confirmed/s, "
                f"p99 {probe.p99_ms:g} ms, {verdict}"
            )

        found = _run_loop(
            sale.find_rate(
                scenario, limits, settings, url=url, settle=settle_seconds, on_probe=said
            )
        )
        _print_search(found)
        if json_out:
            json_out.write_text(json.dumps(found, indent=2))
        if not all(report["audit"]["ok"] for report in found["reports"]):
            raise typer.Exit(1)
        return
    report = _run_loop(sale.run_sale(scenario, settings, url=url, settle_seconds=settle_seconds))
    _print(report)
    if json_out:
        json_out.write_text(json.dumps(report, indent=2))
    if not report["audit"]["ok"]:
        raise typer.Exit(1)


def _print_search(found: dict[str, Any]) -> None:
    console = Console()
    table = Table(
        title=f"Admission rates probed (admitted buyers' p99 ≤ {found['p99_target_ms']} ms)"
    )
    for column in ("admissions/s", "confirmed/s while selling", "p99 (ms)", "audit", "held"):
        table.add_column(column, justify="right")
    for probe in found["probes"]:
        table.add_row(
            str(probe["rate"]),
            str(probe["selling_per_second"]),
            str(probe["p99_ms"]),
            "ok" if probe["audit_ok"] else "[red]VIOLATIONS[/red]",
            "[green]yes[/green]" if probe["held"] else "no",
        )
    console.print(table)
    rate = found["sustainable_admission_rate"]
    if rate is None:
        console.print("[red]No rate held[/red]: not even the slowest probe met the target.")
    else:
        console.print(
            f"This deployment holds [bold]{rate}[/bold] admissions/s: set the queue's rate to it."
        )


def _print(report: dict[str, Any]) -> None:
    console = Console()
    table = Table(title="Flash sale", show_header=False)
    for key in (
        "buyers",
        "tickets",
        "concurrency",
        "waiting_room",
        "seconds",
        "confirmed_purchases",
        "confirmed_per_second",
        "selling_per_second",
        "requests",
        "left_pending",
    ):
        table.add_row(key, str(report[key]))
    for key, value in report["latency_ms"].items():
        table.add_row(f"latency {key} (ms)", str(value))
    for key, value in report["outcomes"].items():
        table.add_row(f"answer {key}", str(value))
    audit = report["audit"]
    table.add_row("audit", "[green]ok[/green]" if audit["ok"] else "[red]VIOLATIONS[/red]")
    for key, value in audit.items():
        if key not in ("ok", "violations"):
            table.add_row(f"  {key}", str(value))
    console.print(table)
    for violation in audit["violations"]:
        console.print(f"[red]✗[/red] {violation}")


def _run_loop(work: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop where it is installed (uvicorn[standard] brings it): the crowd is
    simulated on the same machine as the service more often than not, and every core the
    generator saves is one the service can use."""
    try:
        import uvloop
    except ImportError:  # e.g. on Windows
        return asyncio.run(work)
    return uvloop.run(work)
