"""`boxoffice acquirer`: the sandbox card gateway as its own HTTP service.

Written as a plain function with Typer annotations so that the main CLI can
register it (`app.command("acquirer")(acquirer)`) and `python -m
boxoffice.payments.sandbox` can run it without the console script. Options
given here override the `BOXOFFICE_ACQUIRER_*` environment.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from boxoffice import collector
from boxoffice.payments.sandbox.app import create_sandbox_app
from boxoffice.payments.sandbox.faults import FaultPlan, parse_faults
from boxoffice.payments.sandbox.settings import SandboxSettings


def acquirer(
    port: Annotated[int, typer.Option(help="TCP port.")] = 12111,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    latency_ms: Annotated[
        int | None, typer.Option(min=0, help="Fixed latency added to every charge.")
    ] = None,
    jitter_ms: Annotated[
        int | None, typer.Option(min=0, help="Random extra latency, 0 to this, per charge.")
    ] = None,
    fault: Annotated[
        list[str] | None,
        typer.Option(help="name=probability, repeatable: timeout, error5xx, drop_after_capture."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed for reproducible latency and faults.")
    ] = None,
) -> None:
    """Run the sandbox card gateway (Stripe-compatible subset) until interrupted."""
    import uvicorn

    settings = SandboxSettings()
    updates: dict[str, Any] = {}
    if latency_ms is not None:
        updates["acquirer_latency_ms"] = latency_ms
    if jitter_ms is not None:
        updates["acquirer_jitter_ms"] = jitter_ms
    if fault:
        try:
            FaultPlan(faults=parse_faults(fault))
        except ValueError as problem:
            raise typer.BadParameter(str(problem), param_hint="--fault") from None
        updates["acquirer_faults"] = ",".join(fault)
    if seed is not None:
        updates["acquirer_seed"] = seed
    settings = settings.model_copy(update=updates)
    app = create_sandbox_app(settings)
    collector.tune_for_serving()  # a long-running server, as `serve` is
    typer.echo(f"sandbox acquirer on http://{host}:{port} (ledger: {settings.ledger_path()})")
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
        http="boxoffice.web.serving:OneWritePerResponse",  # one write per response
    )
