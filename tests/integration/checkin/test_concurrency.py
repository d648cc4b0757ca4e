"""A hundred gates scan one ticket at the same moment: it is admitted exactly once.

Real concurrency on both backends: concurrent requests through the app in this process,
and through a real `boxoffice serve` with two worker processes; then the admissions are
counted in the database. The control shows the race the conditional update closes.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.config import Settings
from boxoffice.db.engine import create_engine
from boxoffice.db.tables import tickets
from boxoffice.tickets.codes import parse_code
from tests.integration.checkin.conftest import Gate, new_gate, qr_payload, sell, ticket_state
from tests.integration.conftest import serve_env
from tests.support.builders import new_event, new_partner
from tests.support.processes import ServeProcess
from tests.support.sandbox import Sandbox

SCANS = 100


async def scan_at_once(http: httpx.AsyncClient, devices: list[Gate], payload: str) -> list[Any]:
    """SCANS requests from different gates (and devices), all in flight together."""

    async def scan(i: int) -> dict[str, Any]:
        device = devices[i % len(devices)]
        body = {"payload": payload, "gate": f"gate-{i:02d}"}
        response = await http.post("/api/v1/checkin", json=body, headers=device.headers)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    return list(await asyncio.gather(*(scan(i) for i in range(SCANS))))


def assert_admitted_once(answers: list[dict[str, Any]]) -> str:
    results = Counter(a["result"] for a in answers)
    assert results == {"admitted": 1, "already_used": SCANS - 1}, results
    (winner,) = (i for i, a in enumerate(answers) if a["result"] == "admitted")
    first_gate = f"gate-{winner:02d}"
    assert {a["first_gate"] for a in answers if a["result"] == "already_used"} == {first_gate}
    assert len({a["first_scanned_at"] for a in answers if a["result"] == "already_used"}) == 1
    return first_gate


async def test_a_hundred_concurrent_scans_of_one_ticket_admit_it_exactly_once(
    client: httpx.AsyncClient,
    partner: dict[str, Any],
    event: dict[str, Any],
    sandbox: Sandbox,
    engine: AsyncEngine,
) -> None:
    order = await sell(client, event, sandbox)
    code = order["tickets"][0]["code"]
    payload = await qr_payload(client, order, code)
    devices = [await new_gate(client, partner, event["id"], f"phone {n}") for n in range(4)]

    answers = await scan_at_once(client, devices, payload)

    assert_admitted_once(answers)
    assert await ticket_state(engine, code) == ("used", 1, SCANS)


@pytest.fixture
def two_workers(settings: Settings, sandbox: Sandbox, tmp_path: Path) -> Iterator[ServeProcess]:
    env = serve_env(settings, sandbox.url, BOXOFFICE_RECONCILE_INTERVAL_SECONDS="60")
    process = ServeProcess(env=env, log_path=tmp_path / "serve.log", workers=2)
    process.start()
    yield process
    process.stop()


async def test_a_hundred_scans_across_two_server_processes_admit_once(
    two_workers: ServeProcess, settings: Settings, sandbox: Sandbox
) -> None:
    limits = httpx.Limits(max_connections=SCANS, max_keepalive_connections=SCANS)
    async with httpx.AsyncClient(base_url=two_workers.url, limits=limits, timeout=60) as http:
        partner = await new_partner(http)
        event = await new_event(http, partner)
        order = await sell(http, event, sandbox)
        code = order["tickets"][0]["code"]
        payload = await qr_payload(http, order, code)
        devices = [await new_gate(http, partner, event["id"], f"phone {n}") for n in range(4)]

        answers = await scan_at_once(http, devices, payload)

    first_gate = assert_admitted_once(answers)
    engine = create_engine(settings.resolved_database_url)
    try:
        assert await ticket_state(engine, code) == ("used", 1, SCANS)
    finally:
        await engine.dispose()
    assert first_gate.startswith("gate-")


async def _race(engine: AsyncEngine, code: str, *, conditional: bool, racers: int) -> int:
    """`racers` transactions that all read the ticket before any writes; how many admit."""
    barrier = asyncio.Barrier(racers)

    async def racer() -> bool:
        async with engine.begin() as conn:
            status = await conn.scalar(select(tickets.c.status).where(tickets.c.code == code))
            await barrier.wait()  # everyone has seen "valid"
            if not conditional:
                if status != "valid":
                    return False
                await conn.execute(
                    update(tickets).where(tickets.c.code == code).values(status="used")
                )
                return True
            claimed = await conn.execute(
                update(tickets)
                .where(tickets.c.code == code, tickets.c.status == "valid")
                .values(status="used")
            )
            return claimed.rowcount == 1

    return sum(await asyncio.gather(*(racer() for _ in range(racers))))


async def test_control_read_then_write_admits_many_where_the_conditional_update_admits_one(
    client: httpx.AsyncClient, event: dict[str, Any], sandbox: Sandbox, engine: AsyncEngine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: the race needs PostgreSQL's concurrent writers")
    order = await sell(client, event, sandbox, quantity=2)
    naive_code, guarded_code = (parse_code(t["code"]) for t in order["tickets"])

    naive = await _race(engine, naive_code, conditional=False, racers=10)
    guarded = await _race(engine, guarded_code, conditional=True, racers=10)

    assert naive == 10  # every gate "admitted" the same ticket
    assert guarded == 1
