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


async def test_a_purchase_whose_connection_is_cut_mid_statement_is_sold_once_on_a_fresh_one(
    settings: Settings, sandbox: Sandbox
) -> None:
    """The database terminates the purchase's backend while its hold waits for a lock (as
    a failover or an operator would): the hold runs again on a new connection, and the buyer
    gets a paid order, not a 500; one order, one capture, one seat."""
    dsn = settings.resolved_database_url.replace("+asyncpg", "")
    async with shop(settings, pool_size=2) as client:
        event: dict[str, Any] = await new_event(
            client, await new_partner(client), ticket_types=[ticket_type(capacity=10)]
        )
        type_id = event["ticket_types"][0]["id"]
        locker, watcher = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
        try:
            locking = locker.transaction()
            await locking.start()
            await locker.execute(
                "SELECT * FROM inventory_buckets WHERE ticket_type_id = $1 FOR UPDATE", type_id
            )
            buying = asyncio.create_task(buy(client, order_body(event, tokenise(sandbox.url))))
            waiting: list[int] = []
            for _ in range(200):
                waiting = [
                    row["pid"]
                    for row in await watcher.fetch(BACKENDS + " AND wait_event_type = 'Lock'")
                ]
                if waiting:
                    break
                await asyncio.sleep(0.02)
            assert waiting, "the hold never waited on the locked bucket"
            await watcher.fetch("SELECT pg_terminate_backend($1)", waiting[0])
            await asyncio.sleep(0.2)
            await locking.rollback()
            answer = await buying
            taken = await locker.fetchval(
                "SELECT sum(taken) FROM inventory_buckets WHERE ticket_type_id = $1", type_id
            )
            orders = await locker.fetch(
                "SELECT status FROM orders WHERE event_id = $1", event["id"]
            )
        finally:
            await locker.close()
            await watcher.close()
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "paid"
    assert [row["status"] for row in orders] == ["paid"]
    assert taken == 1
    order_id = answer.json()["id"]
    intents = [i for i in await sandbox.intents() if i["metadata"]["order_id"] == order_id]
    assert [i["status"] for i in intents] == ["succeeded"]
