"""Statements that find one row by its key use the key, even on a database never analysed.

A new deployment's first sale runs before autovacuum has analysed anything, and a sale's
backlog outruns the statistics. There the planner once chose a partial index (the pending
orders', the unsent e-mails') for an update of one row by its id, and read every row in
flight to find it: each confirmation, each e-mail claimed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest

from boxoffice.app import create_app
from boxoffice.config import Settings
from boxoffice.db.engine import create_engine
from boxoffice.mail.outbox import claim_due
from tests.support.builders import new_event, new_partner
from tests.support.buying import buy, order_body, tokenise
from tests.support.databases import PostgresDatabase, require_postgres
from tests.support.sandbox import Sandbox

PURCHASES = 25  # one purchase connection serves them all: well past its first five plans


async def index_scans(dsn: str) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT indexrelname, idx_scan FROM pg_stat_user_indexes")
    finally:
        await conn.close()
    return {row["indexrelname"]: row["idx_scan"] for row in rows}


async def written_scans(dsn: str, index: str, at_least: int) -> dict[str, int]:
    """The index statistics once the closed connections have written theirs (as they exit)."""
    for _ in range(50):
        scans = await index_scans(dsn)
        if scans[index] >= at_least:
            break
        await asyncio.sleep(0.1)
    return scans


@pytest.fixture
def never_analysed() -> Iterator[PostgresDatabase]:
    """A database of its own, just migrated: nothing in it was ever analysed."""
    require_postgres()
    database = PostgresDatabase()
    database.create()
    yield database
    database.drop()


async def test_on_a_never_analysed_database_confirmations_and_mail_claims_use_the_key(
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
    scans = await written_scans(never_analysed.plain_url, "pk_orders", PURCHASES)

    assert [a.status_code for a in answers] == [201] * PURCHASES
    assert scans["pk_orders"] >= PURCHASES
    assert scans["ix_orders_pending_created_at"] == 0

    # The mail worker's claims of those purchases' e-mails, a handful at a time.
    engine = create_engine(never_analysed.url)
    now = datetime.now(UTC)
    claimed, rounds = 0, 0
    try:
        while batch := await claim_due(
            engine, owner="worker-1", now=now, lease=timedelta(minutes=5), limit=5
        ):
            claimed, rounds = claimed + len(batch), rounds + 1
    finally:
        await engine.dispose()
    scans = await written_scans(never_analysed.plain_url, "pk_outbox", PURCHASES)

    assert claimed == PURCHASES
    assert scans["pk_outbox"] >= PURCHASES  # each claim updates its row by its key
    assert scans["ix_outbox_due"] <= rounds + 1  # the index is read once per round, in order
