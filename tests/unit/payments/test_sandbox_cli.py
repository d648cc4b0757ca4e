from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from boxoffice.payments.sandbox.app import SandboxApp
from boxoffice.payments.sandbox.cli import acquirer
from boxoffice.payments.sandbox.faults import Fault


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """What the command would serve, captured instead of running a server."""
    captured: dict[str, Any] = {}

    def run(app: SandboxApp, **options: Any) -> None:
        captured.update(app=app, **options)

    monkeypatch.setattr("uvicorn.run", run)
    monkeypatch.setenv("BOXOFFICE_DATA_DIR", str(tmp_path))
    return captured


def invoke(*args: str) -> Any:
    command = typer.Typer()
    command.command()(acquirer)
    return CliRunner().invoke(command, list(args))


def test_command_line_options_override_the_environment(
    served: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOXOFFICE_ACQUIRER_LATENCY_MS", "5")
    monkeypatch.setenv("BOXOFFICE_ACQUIRER_JITTER_MS", "7")
    result = invoke(
        "--port",
        "12345",
        "--latency-ms",
        "50",
        "--fault",
        "timeout=0.05",
        "--fault",
        "error5xx=0.1",
        "--seed",
        "3",
    )
    assert result.exit_code == 0, result.output
    plan = served["app"].faults.plan
    assert (plan.latency_ms, plan.jitter_ms, plan.seed) == (50, 7, 3)
    assert plan.faults == {Fault.TIMEOUT: 0.05, Fault.ERROR_5XX: 0.1}
    assert (served["host"], served["port"]) == ("127.0.0.1", 12345)


@pytest.mark.parametrize("spec", ["meteor=0.1", "timeout=2", "timeout=0.7,error5xx=0.7"])
def test_bad_faults_are_refused_before_serving(served: dict[str, Any], spec: str) -> None:
    result = invoke("--fault", spec)
    assert result.exit_code == 2
    assert "app" not in served
