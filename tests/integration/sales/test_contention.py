"""Contention we cannot wait out gets a bounded retry, then a clear 503: never a 500 or a hang."""

from __future__ import annotations

import time
from typing import Any

import asyncpg
import httpx
import pytest

from boxoffice.app import create_app
from boxoffice.config import Settings
from tests.support.builders import new_event, new_partner
from tests.support.buying import buy, order_body, tokenise
from tests.support.sandbox import Sandbox


async def test_a_purchase_blocked_by_a_held_lock_is_refused_as_busy_and_holds_nothing(
    settings: Settings, sandbox: Sandbox
) -> None:
    if "sqlite" in settings.resolved_database_url:
        pytest.skip("lock timeouts are PostgreSQL's; SQLite queues writers on its busy timeout")
    app = create_app(settings.model_copy(update={"db_lock_timeout_ms": 100}), run_workers=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            event: dict[str, Any] = await new_event(client, await new_partner(client))
            blocker = await asyncpg.connect(settings.resolved_database_url.replace("+asyncpg", ""))
            try:
                locking = blocker.transaction()
                await locking.start()
                await blocker.execute(
                    "SELECT * FROM inventory_buckets WHERE ticket_type_id = $1 FOR UPDATE",
                    event["ticket_types"][0]["id"],
                )
                started = time.monotonic()
                blocked = await buy(client, order_body(event, tokenise(sandbox.url)))
                waited = time.monotonic() - started
                await locking.rollback()
            finally:
                await blocker.close()
            after = await buy(client, order_body(event, tokenise(sandbox.url)))
            figures = (await client.get(f"/api/v1/events/{event['id']}")).json()

    assert blocked.status_code == 503, blocked.text
    assert blocked.json()["code"] == "busy"
    assert waited < 10
    assert after.status_code == 201
    assert figures["ticket_types"][0]["available"] == 99
