"""The `boxoffice` command: thin wrappers that parse options and call one service."""

from __future__ import annotations

import asyncio
import os
from typing import Annotated

import typer

from boxoffice.capacity.command import capacity
from boxoffice.config import Settings
from boxoffice.loadtest.command import loadtest
from boxoffice.payments.sandbox.cli import acquirer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Boxoffice ticket sales.")
partner_app = typer.Typer(no_args_is_help=True, help="Manage partners (event organisers).")
app.add_typer(partner_app, name="partner")
app.command("acquirer")(acquirer)
app.command("loadtest")(loadtest)
app.command("capacity")(capacity)


def _migrate(settings: Settings) -> None:
    from boxoffice.db.migrate import upgrade

    upgrade(settings.resolved_database_url)


def _with_embedded_gateway(settings: Settings, *, host: str, port: int) -> Settings:
    """No gateway configured: serve the sandbox acquirer in-process at /gateway.

    The choice goes into the environment so that every worker process of
    `serve --workers N` (which builds its own settings) makes the same one.
    """
    if settings.gateway_url:
        return settings
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
    os.environ["BOXOFFICE_GATEWAY_URL"] = f"http://{local}:{port}/gateway"
    os.environ["BOXOFFICE_MOUNT_SANDBOX"] = "true"
    if settings.database_url is None:
        # Keep the sandbox ledger next to the embedded database.
        os.environ.setdefault("BOXOFFICE_DATA_DIR", str(settings.data_dir))
    return Settings()


@app.command()
def reconcile() -> None:
    """Settle every pending order and expired hold once, by asking the gateway."""
    from boxoffice.app import build_gateway, build_sales
    from boxoffice.db.engine import create_engine
    from boxoffice.sales.reconciler import reconcile_once

    settings = Settings()
    if not settings.gateway_url:
        raise typer.BadParameter("set BOXOFFICE_GATEWAY_URL to the gateway that took the charges")
    _migrate(settings)

    async def run() -> dict[str, int]:
        engine = create_engine(settings.resolved_database_url)
        gateway = build_gateway(settings)
        sales = build_sales(settings, engine, gateway)
        try:
            return dict(await reconcile_once(sales, batch=10_000))
        finally:
            await gateway.aclose()
            if sales.hot_path is not None:
                await sales.hot_path.aclose()
            await engine.dispose()

    tally = asyncio.run(run())
    typer.echo(" ".join(f"{k}={v}" for k, v in sorted(tally.items())) or "nothing to settle")


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    settings = Settings()
    _migrate(settings)
    typer.echo(f"schema up to date on {settings.resolved_database_url.split('@')[-1]}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Run the web service, configured from the environment."""
    from contextlib import nullcontext

    import uvicorn

    from boxoffice import logs, metrics

    settings = _with_embedded_gateway(Settings(), host=host, port=port)
    logs.configure(settings.log_level)
    _migrate(settings)
    # Several workers: each keeps its metrics in a shared folder, so any of them answers a
    # scrape with the sum (boxoffice.metrics); one worker keeps them in memory.
    shared = metrics.shared_between_workers(settings.data_dir) if workers > 1 else nullcontext()
    with shared:
        uvicorn.run(
            "boxoffice.app:create_served_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=10,
            # Longer than a load balancer's idle timeout (commonly 60 s), so that the balancer,
            # not us, closes idle keep-alive connections and never sends on a closing one.
            timeout_keep_alive=75,
            http="boxoffice.web.serving:OneWritePerResponse",  # one write per response
        )


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
) -> None:
    """The whole product in one process: SQLite, in-process sandbox gateway, demo data."""
    import uvicorn

    from boxoffice import logs
    from boxoffice.demo import build_demo_app

    settings = _with_embedded_gateway(Settings(), host=host, port=port)
    logs.configure(settings.log_level)
    _migrate(settings)
    application, banner = build_demo_app(settings, host=host, port=port)
    typer.echo(banner)
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        http="boxoffice.web.serving:OneWritePerResponse",  # one write per response
    )


@partner_app.command("create")
def partner_create(
    name: Annotated[str, typer.Option(help="Partner name.")],
    email: Annotated[str, typer.Option(help="Contact e-mail.")],
) -> None:
    """Create a partner and print its API key (shown once)."""
    from pydantic import ValidationError

    from boxoffice.catalog.commands import NewPartner
    from boxoffice.catalog.service import create_partner
    from boxoffice.db.engine import create_engine

    try:
        command = NewPartner(name=name, email=email)
    except ValidationError as exc:
        raise typer.BadParameter(exc.errors()[0]["msg"]) from exc
    settings = Settings()
    _migrate(settings)

    async def run() -> tuple[str, str]:
        engine = create_engine(settings.resolved_database_url)
        try:
            return await create_partner(engine, command)
        finally:
            await engine.dispose()

    partner_id, api_key = asyncio.run(run())
    typer.echo(f"partner id: {partner_id}")
    typer.echo(f"api key:    {api_key}   (shown once; store it now)")
