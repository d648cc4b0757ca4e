"""Running simulated sales against a deployment: one sale, or probes for the rate it holds."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from boxoffice import collector
from boxoffice.config import Settings
from boxoffice.loadtest.report import audit_sale, figures, wait_until_settled
from boxoffice.loadtest.runner import Crowd
from boxoffice.loadtest.scenario import Scenario, plan
from boxoffice.loadtest.search import Probe, next_rate, sustainable


async def run_sale(
    scenario: Scenario, settings: Settings, *, url: str, settle_seconds: float
) -> dict[str, Any]:
    """One simulated sale with a progress bar, then its audit: the report's figures."""
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


@dataclass(frozen=True)
class RateSearch:
    p99_ms: float
    probe_seconds: float
    max_rate: float


async def find_rate(
    base: Scenario,
    limits: RateSearch,
    settings: Settings,
    *,
    url: str,
    settle: float,
    on_probe: Callable[[Probe, bool], None] = lambda probe, held: None,
) -> dict[str, Any]:
    """Probe queued sales at the rates `search.next_rate` asks for, each with buyers arriving
    as fast as they are admitted for `probe_seconds` and a seat for every one of them, so that
    the probe measures the deployment at that rate and not a sell-out."""
    probes: list[Probe] = []
    reports: list[dict[str, Any]] = []
    while (
        rate := next_rate(
            probes, p99_target_ms=limits.p99_ms, start=base.admission_rate, ceiling=limits.max_rate
        )
    ) is not None:
        buyers = max(20, math.ceil(rate * limits.probe_seconds))
        scenario = replace(
            base,
            buyers=buyers,
            tickets=buyers * base.tickets_per_order,
            arrival_seconds=limits.probe_seconds,
            arrival_curve="uniform",
            waiting_room=True,
            admission_rate=rate,
        )
        report = await run_sale(scenario, settings, url=url, settle_seconds=settle)
        reports.append(report)
        probe = Probe(
            rate=rate,
            selling_per_second=report["selling_per_second"] or 0.0,
            p99_ms=report["latency_ms"]["p99"] or float("inf"),
            audit_ok=report["audit"]["ok"],
            approving_share=1 - base.decline_rate,
        )
        probes.append(probe)
        on_probe(probe, probe.held(limits.p99_ms))
    return {
        "p99_target_ms": limits.p99_ms,
        "probe_seconds": limits.probe_seconds,
        "sustainable_admission_rate": sustainable(probes, p99_target_ms=limits.p99_ms),
        "probes": [asdict(p) | {"held": p.held(limits.p99_ms)} for p in probes],
        "reports": reports,
    }
