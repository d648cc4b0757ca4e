"""The purchase's own PostgreSQL connections: bounded, reused, and replaced when one dies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest

from boxoffice.app import create_app
from boxoffice.config import Settings
from tests.support.builders import new_event, new_partner, ticket_type
from tests.support.buying import buy, order_body, tokenise
from tests.support.sandbox import Sandbox

BACKENDS = (
    "SELECT pid FROM pg_stat_activity"
    " WHERE application_name = 'boxoffice-purchase' AND datname = current_database()"
)


@asynccontextmanager
async def shop(settings: Settings, pool_size: int) -> AsyncIterator[httpx.AsyncClient]:
    if "sqlite" in settings.resolved_database_url:
        pytest.skip("the purchase's own connections are PostgreSQL's hot path")
    app = create_app(settings.model_copy(update={"db_pool_size": pool_size}), run_workers=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client


async def purchase_backends(settings: Settings) -> list[int]:
    conn = await asyncpg.connect(settings.resolved_database_url.replace("+asyncpg", ""))
    try:
        return [row["pid"] for row in await conn.fetch(BACKENDS)]
    finally:
        await conn.close()


async def test_forty_buyers_at_once_share_the_pools_three_connections(
    settings: Settings, sandbox: Sandbox
) -> None:
    async with shop(settings, pool_size=3) as client:
        event: dict[str, Any] = await new_event(
            client, await new_partner(client), ticket_types=[ticket_type(capacity=40)]
        )
        method = tokenise(sandbox.url)
        answers = await asyncio.gather(*(buy(client, order_body(event, method)) for _ in range(40)))
        backends = await purchase_backends(settings)
    assert [a.status_code for a in answers] == [201] * 40
    assert 1 <= len(backends) <= 3


async def test_after_the_database_drops_the_purchases_connections_the_next_buyers_still_buy(
    settings: Settings, sandbox: Sandbox
) -> None:
    """A restarted database (or a proxy that cut idle connections) leaves the worker holding
    dead connections: the purchase that meets one is retried on a fresh one, not refused."""
    async with shop(settings, pool_size=2) as client:
        event: dict[str, Any] = await new_event(client, await new_partner(client))
        method = tokenise(sandbox.url)
        before = [await buy(client, order_body(event, method)) for _ in range(4)]
        killer = await asyncpg.connect(settings.resolved_database_url.replace("+asyncpg", ""))
        try:
            killed = await killer.fetch(
                BACKENDS.replace("SELECT pid", "SELECT pg_terminate_backend(pid)")
            )
        finally:
            await killer.close()
        after = [await buy(client, order_body(event, method)) for _ in range(4)]
        backends = await purchase_backends(settings)
    assert [a.status_code for a in before + after] == [201] * 8
    assert killed  # there were connections to kill
    assert 1 <= len(backends) <= 2
