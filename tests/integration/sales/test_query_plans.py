"""The purchase's statements find their rows by key, even on a database never analysed.

A new deployment's first sale runs before autovacuum has analysed anything. There the
planner once chose the reconciler's partial index of pending orders for each confirmation,
so that every confirmation read all the orders in flight to find its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from boxoffice.app import create_app
from boxoffice.config import Settings
from tests.support.builders import new_event, new_partner
from tests.support.buying import buy, order_body, tokenise
from tests.support.databases import PostgresDatabase, require_postgres
from tests.support.sandbox import Sandbox

PURCHASES = 25  # one purchase connection serves them all: well past its first five plans


async def index_scans(dsn: str) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT indexrelname, idx_scan FROM pg_stat_user_indexes WHERE relname = 'orders'"
        )
    finally:
        await conn.close()
    return {row["indexrelname"]: row["idx_scan"] for row in rows}


@pytest.fixture
def never_analysed() -> Iterator[PostgresDatabase]:
    """A database of its own, just migrated: nothing in it was ever analysed."""
    require_postgres()
    database = PostgresDatabase()
    database.create()
    yield database
    database.drop()


async def test_confirming_on_a_never_analysed_database_reads_the_order_by_its_key(
    never_analysed: PostgresDatabase, tmp_path: Path, sandbox: Sandbox
) -> None:
    settings = Settings(
        database_url=never_analysed.url,
        data_dir=tmp_path,
        secret_key="test-secret-key-not-for-production",
        gateway_url=sandbox.url,
        gateway_key=sandbox.key,
    )
    app = create_app(settings, run_workers=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            event = await new_event(client, await new_partner(client))
            method = tokenise(sandbox.url)
            answers = [await buy(client, order_body(event, method)) for _ in range(PURCHASES)]
    # The purchase connections have closed, and their statistics are written as they exit.
    for _ in range(50):
        scans = await index_scans(never_analysed.plain_url)
        if scans["pk_orders"] >= PURCHASES:
            break
        await asyncio.sleep(0.1)

    assert [a.status_code for a in answers] == [201] * PURCHASES
    assert scans["pk_orders"] >= PURCHASES
    assert scans["ix_orders_pending_created_at"] == 0
