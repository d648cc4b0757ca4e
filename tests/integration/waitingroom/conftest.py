"""Apps wired to the real Redis (or to a Redis that is down)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from boxoffice.app import create_app
from boxoffice.config import Settings
from tests.support.redis import require_redis

AppClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def redis_url() -> str:
    return require_redis()


@pytest.fixture
def app_client(settings: Settings, redis_url: str) -> AppClient:
    """Start an app (a 'web worker') on the shared database and Redis; several may run."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        configured = settings.model_copy(update={"redis_url": redis_url, **overrides})
        app = create_app(configured, run_workers=False)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://worker") as c:
                yield c

    return start
