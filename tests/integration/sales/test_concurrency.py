"""Real concurrency: many clients, one real server process, real transactions, counted after.

PostgreSQL runs the full sizes the product promises; SQLite, which
serialises writers, runs smaller ones (the invariants are the same).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

import httpx

from boxoffice.config import Settings
from tests.integration.sales.conftest import audit_sale
from tests.support.builders import new_event, new_partner, ticket_type
from tests.support.buying import order_body
from tests.support.sandbox import Sandbox


def is_postgres(settings: Settings) -> bool:
    return "postgresql" in settings.resolved_database_url


async def published_event(http: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    return await new_event(http, await new_partner(http), **overrides)


async def test_concurrent_buyers_never_exceed_capacity(
    http: httpx.AsyncClient, settings: Settings, sandbox: Sandbox
) -> None:
    attempts, capacity = (1000, 100) if is_postgres(settings) else (200, 20)
    event = await published_event(http, ticket_types=[ticket_type(capacity=capacity)])
    methods = await sandbox.tokenise_many(50)

    async def attempt(i: int) -> httpx.Response:
        body = order_body(event, methods[i % len(methods)], email=f"fan{i}@example.com")
        return await http.post(
            "/api/v1/orders", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
        )

    responses = await asyncio.gather(*(attempt(i) for i in range(attempts)))

    outcomes = Counter(
        (r.status_code, r.json().get("code") if r.status_code >= 400 else None) for r in responses
    )
    assert outcomes == {(201, None): capacity, (409, "sold_out"): attempts - capacity}, outcomes
    report = await audit_sale(settings, sandbox, event_ids=[event["id"]])
    assert report.ok, report.violations
    assert report.figures["tickets_live"] == capacity
    assert report.figures["captures"] == capacity


async def test_one_buyer_racing_many_orders_never_passes_the_limit(
    http: httpx.AsyncClient, settings: Settings, sandbox: Sandbox
) -> None:
    event = await published_event(http, per_buyer_limit=4)
    methods = await sandbox.tokenise_many(20)

    responses = await asyncio.gather(
        *(
            http.post(
                "/api/v1/orders",
                json=order_body(event, methods[i], email="Same.Buyer@example.com"),
                headers={"Idempotency-Key": f"tab-{i}"},
            )
            for i in range(20)
        )
    )

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 4, 429: 16}, statuses
    report = await audit_sale(settings, sandbox, event_ids=[event["id"]])
    assert report.ok, report.violations
    assert report.figures["tickets_live"] == 4


async def test_one_idempotency_key_fired_fifty_times_charges_once(
    http: httpx.AsyncClient, settings: Settings, sandbox: Sandbox
) -> None:
    event = await published_event(http)
    body = order_body(event, (await sandbox.tokenise_many(1))[0], quantity=2)

    responses = await asyncio.gather(
        *(
            http.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "double-click"})
            for _ in range(50)
        )
    )

    paid = [r for r in responses if r.status_code == 201]
    in_progress = [r for r in responses if r.status_code == 409]
    assert len(paid) + len(in_progress) == 50
    assert paid, "at least the first request must answer with the paid order"
    assert all(r.json() == paid[0].json() for r in paid)
    assert all(r.json()["code"] == "idempotency_key_in_progress" for r in in_progress)
    report = await audit_sale(settings, sandbox, event_ids=[event["id"]])
    assert report.ok, report.violations
    assert report.figures == report.figures | {"orders_paid": 1, "captures": 1, "tickets_live": 2}
