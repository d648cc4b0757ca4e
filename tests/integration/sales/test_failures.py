"""Failures halfway: a misbehaving card network and a server killed mid-sale.

Whatever happens, after reconciliation every capture in the gateway's
ledger belongs to exactly one paid order with tickets (or was refunded),
every paid order has exactly one capture, and no hold is left behind.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from boxoffice.app import build_gateway, build_sales
from boxoffice.config import Settings
from boxoffice.db.engine import create_engine
from boxoffice.db.tables import orders
from boxoffice.sales.reconciler import reconcile_once
from tests.integration.conftest import serve_env
from tests.integration.sales.conftest import audit_sale
from tests.support.builders import new_event, new_partner, ticket_type
from tests.support.buying import order_body
from tests.support.processes import ServeProcess
from tests.support.sandbox import Sandbox

pytestmark = pytest.mark.slow

FAST_RECONCILE = {
    "BOXOFFICE_GATEWAY_TIMEOUT_SECONDS": "1",
    "BOXOFFICE_CHARGE_DEADLINE_SECONDS": "4",
    "BOXOFFICE_RECONCILE_INTERVAL_SECONDS": "0.5",
}


def is_postgres(settings: Settings) -> bool:
    return "postgresql" in settings.resolved_database_url


@pytest.fixture
def faulty_sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    gateway = Sandbox(
        tmp_path / "faulty-acquirer",
        "--fault",
        "timeout=0.2",
        "--fault",
        "error5xx=0.2",
        "--fault",
        "drop_after_capture=0.2",
        "--seed",
        "7",
        env={"BOXOFFICE_ACQUIRER_HANG_SECONDS": "3"},
    ).start()
    yield gateway
    gateway.stop()


async def pending_count(settings: Settings) -> int:
    engine = create_engine(settings.resolved_database_url)
    try:
        async with engine.connect() as conn:
            count = await conn.scalar(
                select(func.count()).select_from(orders).where(orders.c.status == "pending")
            )
    finally:
        await engine.dispose()
    return int(count or 0)


async def wait_until_settled(settings: Settings, timeout: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while await pending_count(settings):
        assert asyncio.get_running_loop().time() < deadline, "orders were left pending"
        await asyncio.sleep(0.5)


async def fire(
    url: str,
    event: dict[str, Any],
    methods: list[str],
    count: int,
    concurrency: int = 100,
    answered: asyncio.Event | None = None,
) -> Counter[int]:
    """Buy `count` tickets; sets `answered` once a tenth of them have been answered."""
    limits = httpx.Limits(max_connections=concurrency)
    gate = asyncio.Semaphore(concurrency)
    done: list[int] = []
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:

        async def one(i: int) -> int:
            body = order_body(event, methods[i % len(methods)], email=f"b{i}@example.com")
            async with gate:
                try:
                    response = await http.post(
                        "/api/v1/orders", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
                    )
                except httpx.HTTPError:
                    return -1  # the server died under us
                done.append(response.status_code)
                if answered is not None and len(done) >= count // 10:
                    answered.set()
                return response.status_code

        return Counter(await asyncio.gather(*(one(i) for i in range(count))))


async def test_gateway_faults_never_lose_or_double_a_charge(
    settings: Settings, faulty_sandbox: Sandbox, tmp_path: Path
) -> None:
    purchases = 500 if is_postgres(settings) else 120
    env = serve_env(settings, faulty_sandbox.url, **FAST_RECONCILE)
    server = ServeProcess(env=env, log_path=tmp_path / "serve.log").start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as http:
            event = await new_event(
                http, await new_partner(http), ticket_types=[ticket_type(capacity=10_000)]
            )
        methods = await faulty_sandbox.tokenise_many(20)

        statuses = await fire(server.url, event, methods, purchases)

        assert set(statuses) <= {201, 202}, statuses
        assert statuses[202] > 0, "the faults should have left some answers unknown"
        # Reconcilers racing each other: the server's own loop and four more from here.
        ctx_settings = settings.model_copy(
            update={
                "gateway_url": faulty_sandbox.url,
                "gateway_timeout_seconds": 5,
                "charge_deadline_seconds": 4,
            }
        )
        await asyncio.sleep(4.5)
        engine = create_engine(ctx_settings.resolved_database_url)
        gateway = build_gateway(ctx_settings)
        ctx = build_sales(ctx_settings, engine, gateway)
        try:
            await asyncio.gather(*(reconcile_once(ctx) for _ in range(4)))
        finally:
            await gateway.aclose()
            if ctx.hot_path is not None:
                await ctx.hot_path.aclose()
            await engine.dispose()
        await wait_until_settled(settings)
    finally:
        server.stop()

    report = await audit_sale(settings, faulty_sandbox, event_ids=[event["id"]])
    assert report.ok, report.violations[:20]
    assert report.figures["orders_paid"] > 0


async def test_a_server_killed_mid_sale_loses_no_paid_order(
    settings: Settings, tmp_path: Path
) -> None:
    slow_gateway = Sandbox(tmp_path / "slow-acquirer", "--latency-ms", "150", "--jitter-ms", "100")
    slow_gateway.start()
    env = serve_env(settings, slow_gateway.url, **FAST_RECONCILE)
    env["BOXOFFICE_GATEWAY_TIMEOUT_SECONDS"] = "2"
    server = ServeProcess(env=env, log_path=tmp_path / "serve.log").start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as http:
            event = await new_event(
                http, await new_partner(http), ticket_types=[ticket_type(capacity=10_000)]
            )
        methods = await slow_gateway.tokenise_many(20)
        count = 600 if is_postgres(settings) else 300
        answered = asyncio.Event()

        sale = asyncio.create_task(
            fire(server.url, event, methods, count, concurrency=60, answered=answered)
        )
        await asyncio.wait_for(answered.wait(), timeout=60)
        server.kill()  # mid-sale: purchases are being held, charged and confirmed right now
        statuses = await sale
        assert statuses[-1] > 0, "the kill should have cut some purchases off"
        assert await pending_count(settings) > 0 or statuses[201] > 0

        server = ServeProcess(env=env, log_path=tmp_path / "serve-restarted.log").start()
        await wait_until_settled(settings)
        report = await audit_sale(settings, slow_gateway, event_ids=[event["id"]])
    finally:
        server.stop()
        slow_gateway.stop()

    assert report.ok, report.violations[:20]
    assert report.figures["orders_paid"] > 0
