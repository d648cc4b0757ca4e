"""The `boxoffice` command: thin wrappers that parse options and call one service."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from boxoffice.config import Settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Boxoffice ticket sales.")
partner_app = typer.Typer(no_args_is_help=True, help="Manage partners (event organisers).")
app.add_typer(partner_app, name="partner")


def _migrate(settings: Settings) -> None:
    from boxoffice.db.migrate import upgrade

    upgrade(settings.resolved_database_url)


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
    import uvicorn

    from boxoffice import logs

    settings = Settings()
    logs.configure(settings.log_level)
    _migrate(settings)
    uvicorn.run(
        "boxoffice.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
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

    settings = Settings()
    logs.configure(settings.log_level)
    _migrate(settings)
    application, banner = build_demo_app(settings, host=host, port=port)
    typer.echo(banner)
    uvicorn.run(application, host=host, port=port, log_config=None, access_log=False)


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
