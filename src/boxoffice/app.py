"""The composition root: settings in, a running ASGI application out.

Nothing connects at import time. The lifespan builds the engine and the
gateway client, starts the background workers (reconciler, hold sweeper)
and closes everything on shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from boxoffice import __version__
from boxoffice.config import Settings
from boxoffice.db.engine import create_engine
from boxoffice.services import Services
from boxoffice.web import problems
from boxoffice.web.api import catalog, health
from boxoffice.web.middleware import RequestContext


def create_app(settings: Settings | None = None, *, run_workers: bool = True) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.resolved_database_url)
        app.state.services = Services(settings=settings, engine=engine)
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title="Boxoffice",
        version=__version__,
        summary="Ticket sales for live events",
        lifespan=lifespan,
    )
    problems.install(app)
    app.include_router(health.router)
    app.include_router(catalog.router)
    app.add_middleware(RequestContext)
    return app
