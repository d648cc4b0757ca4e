"""`boxoffice loadtest` against a real server: it sells, audits, and reports the figures.

Also the flash-sale invariants across two `serve` processes on different ports
sharing one database and Redis, with the load split between them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from boxoffice.config import Settings
from boxoffice.db.engine import create_engine
from boxoffice.loadtest.report import audit_sale, wait_until_settled
from boxoffice.loadtest.runner import Crowd
from boxoffice.loadtest.scenario import Scenario, plan
from tests.integration.conftest import serve_env
from tests.support.processes import ServeProcess
from tests.support.redis import require_redis
from tests.support.sandbox import Sandbox

pytestmark = pytest.mark.slow


def run_loadtest(
    settings: Settings, sandbox: Sandbox, served: ServeProcess, report_path: Path, *args: str
) -> tuple[subprocess.CompletedProcess[str], Any]:
    """`boxoffice loadtest --url <served> ARGS --json REPORT` as an operator runs it."""
    command = [sys.executable, "-m", "boxoffice", "loadtest", "--url", served.url]
    completed = subprocess.run(
        [*command, *args, "--json", str(report_path)],
        env={**os.environ, **serve_env(settings, sandbox.url)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return completed, json.loads(report_path.read_text())


def test_the_loadtest_command_sells_out_and_passes_its_audit(
    settings: Settings, sandbox: Sandbox, served: ServeProcess, tmp_path: Path
) -> None:
    completed, report = run_loadtest(
        settings,
        sandbox,
        served,
        tmp_path / "report.json",
        *("--buyers", "150", "--tickets", "100", "--concurrency", "50"),
        *("--decline-rate", "0.1", "--duplicate-rate", "0.2", "--retry-rate", "0.2"),
    )

    assert report["audit"]["ok"], report["audit"]["violations"]
    assert report["audit"]["tickets_live"] + report["audit"]["seats_returned_by_declines"] >= 100
    assert report["confirmed_purchases"] == report["audit"]["orders_paid"]
    assert report["outcomes"].get("409:sold_out", 0) > 0
    assert "Flash sale" in completed.stdout


def test_find_rate_probes_queued_sales_at_doubling_rates_and_reports_the_highest_that_held(
    settings: Settings, sandbox: Sandbox, served: ServeProcess, tmp_path: Path
) -> None:
    completed, found = run_loadtest(
        settings,
        sandbox,
        served,
        tmp_path / "search.json",
        *("--find-rate", "--admission-rate", "10", "--max-rate", "40"),
        *("--probe-seconds", "3", "--p99-ms", "5000"),
    )
    assert [p["rate"] for p in found["probes"]] == [10.0, 20.0, 40.0]  # up to the ceiling
    assert found["sustainable_admission_rate"] == 40.0
    for probe, report in zip(found["probes"], found["reports"], strict=True):
        assert report["waiting_room"]
        assert report["audit"]["ok"], report["audit"]["violations"]
        assert report["buyers"] == probe["rate"] * 3  # arrivals as fast as the admissions
        assert report["confirmed_purchases"] == report["audit"]["orders_paid"] > 0
    assert "holds 40.0 admissions/s" in completed.stdout
    assert "20 admissions/s:" in completed.stdout  # each probe said as it ends


async def test_two_servers_sharing_one_database_and_redis_keep_every_invariant(
    settings: Settings, sandbox: Sandbox, tmp_path: Path
) -> None:
    if "sqlite" in settings.resolved_database_url:
        pytest.skip("several hosts share PostgreSQL in production; SQLite is one process")
    env = serve_env(
        settings,
        sandbox.url,
        BOXOFFICE_REDIS_URL=require_redis(),
        BOXOFFICE_DB_POOL_SIZE="10",  # two servers on a shared PostgreSQL: leave headroom
        BOXOFFICE_CHARGE_DEADLINE_SECONDS="3",
        BOXOFFICE_RECONCILE_INTERVAL_SECONDS="0.5",
    )
    servers = [
        ServeProcess(env=env, log_path=tmp_path / f"serve-{i}.log").start() for i in range(2)
    ]
    engine = create_engine(settings.resolved_database_url)
    try:
        scenario = Scenario(
            buyers=600,
            tickets=300,
            concurrency=100,
            decline_rate=0.1,
            duplicate_rate=0.2,
            retry_rate=0.1,
            waiting_room=True,
            admission_rate=500,
        )
        crowd = Crowd(
            plan(scenario), url=[s.url for s in servers], gateway_url=sandbox.url, admin_key=None
        )
        result = await crowd.run()
        # Any answer left unknown is settled by the servers' own reconcilers.
        assert await wait_until_settled(engine, result.event["id"], 60) == 0
        report = await audit_sale(
            engine,
            result=result,
            scenario=scenario,
            gateway_url=sandbox.url,
            gateway_key=sandbox.key,
        )
    finally:
        for server in servers:
            server.stop()
        await engine.dispose()
    assert report.ok, report.violations
    assert report.figures["tickets_live"] + report.figures["seats_returned_by_declines"] >= 300
