"""Every database read of a scan is contention-safe: a 503 `busy` to retry, never a 500.

A scan reads before it redeems: the device key, the event's public keys (once per process and
`FACTS_TTL_SECONDS`), and with a nonce the recorded answer. A burst on a fresh worker hits
those reads first, with an empty pool and an empty cache. A held lock stands in for every
transient failure there (lock timeout, exhausted pool): each must be retried and then
refused as busy like the redemption itself, and a burst on a cold cache must load the
event's keys once, not once per scan.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.app import create_app
from boxoffice.config import Settings
from boxoffice.db.engine import create_engine
from tests.integration.checkin.conftest import Gate, new_gate, qr_payload, sell, ticket_state
from tests.support.builders import new_event, new_partner
from tests.support.sandbox import Sandbox

BURST = 8


@pytest.fixture
async def impatient_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app with a 100 ms lock timeout, so a held lock fails fast instead of waiting."""
    app = create_app(settings.model_copy(update={"db_lock_timeout_ms": 100}), run_workers=False)
    async with app.router.lifespan_context(app):
        yield app


async def _scan(http: httpx.AsyncClient, gate: Gate, payload: str, **extra: str) -> httpx.Response:
    body = {"payload": payload, "gate": "north", **extra}
    return await http.post("/api/v1/checkin", json=body, headers=gate.headers)


@pytest.mark.parametrize(
    ("table", "with_nonce"),
    [
        ("gate_devices", False),  # the device lookup every gate request starts with
        ("event_keys", False),  # loading the event's keys on a cold cache
        ("checkin_scans", True),  # a nonce's replay lookup
    ],
)
async def test_a_scan_blocked_by_a_held_lock_before_redeeming_is_busy_then_admits_once(
    impatient_app: FastAPI, settings: Settings, sandbox: Sandbox, table: str, with_nonce: bool
) -> None:
    if "sqlite" in settings.resolved_database_url:
        pytest.skip("lock timeouts are PostgreSQL's; SQLite readers never wait for a writer")
    transport = httpx.ASGITransport(app=impatient_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        partner = await new_partner(http)
        event = await new_event(http, partner)
        order = await sell(http, event, sandbox)
        code = order["tickets"][0]["code"]
        payload = await qr_payload(http, order, code)
        gate = await new_gate(http, partner, event["id"])

        blocker = create_engine(settings.resolved_database_url)
        try:
            async with blocker.connect() as conn, conn.begin() as locking:
                await conn.execute(text(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE'))
                nonces = [{"nonce": f"scan-nonce-{i}"} if with_nonce else {} for i in range(BURST)]
                blocked = await asyncio.gather(*(_scan(http, gate, payload, **n) for n in nonces))
                await locking.rollback()
        finally:
            await blocker.dispose()

        after = await _scan(http, gate, payload)

    assert [r.status_code for r in blocked] == [503] * BURST, blocked[0].text
    assert {r.json()["code"] for r in blocked} == {"busy"}
    assert after.status_code == 200, after.text
    assert after.json()["result"] == "admitted"
    engine: AsyncEngine = impatient_app.state.services.engine
    assert await ticket_state(engine, code) == ("used", 1, 1)


async def test_a_burst_of_scans_on_a_cold_cache_loads_the_event_keys_once(
    app: FastAPI, client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    partner: dict[str, Any] = await new_partner(client)
    event = await new_event(client, partner)
    order = await sell(client, event, sandbox)
    payload = await qr_payload(client, order, order["tickets"][0]["code"])
    gates = [await new_gate(client, partner, event["id"], f"phone {n}") for n in range(4)]
    engine: AsyncEngine = app.state.services.engine
    key_reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM event_keys" in statement:
            key_reads.append(statement)

    sa_event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        answers = await asyncio.gather(
            *(_scan(client, gates[i % len(gates)], payload) for i in range(40))
        )
    finally:
        sa_event.remove(engine.sync_engine, "before_cursor_execute", count)

    assert {r.status_code for r in answers} == {200}
    results = sorted(r.json()["result"] for r in answers)
    assert results == ["admitted"] + ["already_used"] * 39
    assert len(key_reads) == 1, key_reads
