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


async def test_a_charge_that_cannot_be_recorded_is_answered_pending_and_settled_later(
    settings: Settings, sandbox: Sandbox
) -> None:
    if "sqlite" in settings.resolved_database_url:
        pytest.skip("lock timeouts are PostgreSQL's; SQLite queues writers on its busy timeout")
    from datetime import timedelta

    from boxoffice.sales.reconciler import reconcile_once

    app = create_app(settings.model_copy(update={"db_lock_timeout_ms": 100}), run_workers=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            event: dict[str, Any] = await new_event(client, await new_partner(client))
            blocker = await asyncpg.connect(settings.resolved_database_url.replace("+asyncpg", ""))
            try:
                locking = blocker.transaction()
                await locking.start()
                # Tickets cannot be written: the hold goes through, the card is charged,
                # and then confirming the order fails.
                await blocker.execute("LOCK TABLE tickets IN SHARE MODE")
                answered = await buy(client, order_body(event, tokenise(sandbox.url)))
                await locking.rollback()
            finally:
                await blocker.close()
            order_id = answered.json()["id"]
            settled = await reconcile_once(app.state.services.sales, older_than=timedelta(0))
            order = await client.get(
                f"/api/v1/orders/{order_id}",
                headers={"Authorization": f"Bearer {answered.json()['access_token']}"},
            )

    assert answered.status_code == 202, answered.text
    assert answered.json()["status"] == "pending"
    assert settled == {"confirmed": 1}
    assert order.json()["status"] == "paid"
    assert len(order.json()["tickets"]) == 1
    captures = [i for i in await sandbox.intents() if i["metadata"]["order_id"] == order_id]
    assert [c["status"] for c in captures] == ["succeeded"]
