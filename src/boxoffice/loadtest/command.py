"""The `boxoffice loadtest` command: plan a crowd, run it with a progress bar, audit, report."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from boxoffice import collector
from boxoffice.config import Settings
from boxoffice.loadtest.report import audit_sale, figures, wait_until_settled
from boxoffice.loadtest.runner import Crowd
from boxoffice.loadtest.scenario import Scenario, plan

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
) -> None:
    """Simulate a flash sale against a running service, then audit every invariant.

    The audit reads the service's database (BOXOFFICE_DATABASE_URL) and the card
    gateway's ledger (BOXOFFICE_GATEWAY_URL, BOXOFFICE_GATEWAY_KEY); partner sign-up
    uses BOXOFFICE_ADMIN_KEY when the service requires it. Exit code 1 on any violation.
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
    report = _run_loop(_run(scenario, settings, url=url, settle_seconds=settle_seconds))
    _print(report)
    if json_out:
        json_out.write_text(json.dumps(report, indent=2))
    if not report["audit"]["ok"]:
        raise typer.Exit(1)


async def _run(scenario: Scenario, settings: Settings, *, url: str, settle_seconds: float) -> Any:
    from boxoffice.db.engine import create_engine

    assert settings.gateway_url is not None
    crowd = Crowd(
        plan(scenario), url=url, gateway_url=settings.gateway_url, admin_key=settings.admin_key
    )
    columns = (
        *Progress.get_default_columns()[:1],
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    # The crowd shares the machine with what it measures more often than not: spend as little
    # of it as possible on the collector (see boxoffice.collector).
    collector.tune_for_serving()
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task("buyers", total=scenario.buyers)
        result = await crowd.run(lambda: progress.advance(task))
    engine = create_engine(settings.resolved_database_url, pool_size=2)
    try:
        left = await wait_until_settled(engine, result.event["id"], settle_seconds)
        audit = await audit_sale(
            engine,
            result=result,
            scenario=scenario,
            gateway_url=settings.gateway_url,
            gateway_key=settings.gateway_key,
        )
    finally:
        await engine.dispose()
    return figures(result, audit, scenario, left)


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
