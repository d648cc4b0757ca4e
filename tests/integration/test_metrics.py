"""Prometheus metrics: an operator scrapes what the sale is doing, and nobody else can."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from boxoffice.app import create_app
from boxoffice.config import Settings
from tests.integration.conftest import serve_env
from tests.support.builders import new_event, new_partner, ticket_type
from tests.support.buying import DECLINE, buy, order_body, tokenise
from tests.support.processes import ServeProcess
from tests.support.sandbox import Sandbox

TOKEN = "metrics-token-for-tests-0123456789"
SCRAPE = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"metrics_token": TOKEN})


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape, by name and labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(
    scraped: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await client.get("/metrics", headers=SCRAPE)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return samples(response.text)


async def test_a_scrape_counts_purchases_charges_tickets_and_requests_by_route(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    partner = await new_partner(client)
    event = await new_event(client, partner, ticket_types=[ticket_type(capacity=3)])
    before = await scrape(client)

    paid = await buy(client, order_body(event, tokenise(sandbox.url), quantity=2))
    key, declining = uuid.uuid4().hex, order_body(event, tokenise(sandbox.url, DECLINE))
    declined = await buy(client, declining, key)
    replayed = await buy(client, declining, key)
    sold_out = await buy(client, order_body(event, tokenise(sandbox.url), quantity=2))
    after = await scrape(client)

    assert [r.status_code for r in (paid, declined, replayed, sold_out)] == [201, 402, 402, 409]

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("boxoffice_purchases_total", outcome="paid") == 1
    assert grew("boxoffice_purchases_total", outcome="card_declined") == 1  # the replay is not
    assert grew("boxoffice_purchases_total", outcome="sold_out") == 1
    assert grew("boxoffice_tickets_sold_total") == 2
    assert grew("boxoffice_gateway_charge_duration_seconds_count", outcome="approved") == 1
    assert grew("boxoffice_gateway_charge_duration_seconds_count", outcome="declined") == 1
    orders = {"route": "/api/v1/orders", "method": "POST"}
    assert grew("boxoffice_http_request_duration_seconds_count", **orders, status="201") == 1
    assert grew("boxoffice_http_request_duration_seconds_count", **orders, status="402") == 2
    assert grew("boxoffice_http_request_duration_seconds_count", **orders, status="409") == 1
    assert value(after, "boxoffice_database_up") == 1
    assert value(after, "boxoffice_orders_pending") == 0
    assert value(after, "boxoffice_mail_waiting") >= 1  # the paid order's tickets e-mail
    # routes by template, never by path: no series per order
    assert not [
        labels
        for name, labels in after
        if ("route", f"/api/v1/orders/{paid.json()['id']}") in labels
    ]


async def test_metrics_need_the_token_and_are_off_without_one(
    client: httpx.AsyncClient, settings: Settings, app: Any
) -> None:
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
    anonymous = await client.get("/metrics")

    assert wrong.status_code == 401
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"

    app.state.services.settings.metrics_token = None
    off = await client.get("/metrics", headers=SCRAPE)
    assert off.status_code == 404
    assert off.json()["code"] == "not_found"


async def test_with_the_database_down_a_scrape_still_answers_and_says_so(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    settings = Settings(
        database_url="sqlite:////nonexistent/dir/boxoffice.db",
        data_dir=tmp_path,
        secret_key="test-secret-key-not-for-production",
        gateway_url=sandbox.url,
        gateway_key=sandbox.key,
        metrics_token=TOKEN,
    )
    app = create_app(settings, run_workers=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ops") as client:
            ready = await client.get("/readyz")
            scraped = await scrape(client)

    assert ready.status_code == 503
    assert value(scraped, "boxoffice_database_up") == 0
    assert ("boxoffice_orders_pending", frozenset()) not in scraped
    readyz = {"route": "/readyz", "method": "GET", "status": "503"}
    assert value(scraped, "boxoffice_http_request_duration_seconds_count", **readyz) >= 1


@pytest.fixture
def two_workers(settings: Settings, sandbox: Sandbox, tmp_path: Path) -> Iterator[ServeProcess]:
    env = serve_env(settings, sandbox.url, BOXOFFICE_METRICS_TOKEN=TOKEN)
    process = ServeProcess(env=env, log_path=tmp_path / "serve.log", workers=2).start()
    yield process
    process.stop()
    assert not list(tmp_path.glob("metrics-*")), "the workers' metrics folder outlives serve"


async def test_two_workers_answer_every_scrape_with_the_sum_of_both(
    two_workers: ServeProcess, sandbox: Sandbox
) -> None:
    purchases = 40
    limits = httpx.Limits(max_connections=purchases)
    async with httpx.AsyncClient(base_url=two_workers.url, limits=limits, timeout=60) as http:
        partner = await new_partner(http)
        event = await new_event(http, partner, ticket_types=[ticket_type(capacity=purchases)])
        bodies = [order_body(event, tokenise(sandbox.url)) for _ in range(purchases)]
        answers = await asyncio.gather(*(buy(http, body) for body in bodies))
        scrapes = [samples((await http.get("/metrics", headers=SCRAPE)).text) for _ in range(10)]
        await asyncio.sleep(1.0)
        later = samples((await http.get("/metrics", headers=SCRAPE)).text)

    assert [a.status_code for a in answers] == [201] * purchases
    # whichever worker answers the scrape, it counts the other's purchases too
    assert {value(s, "boxoffice_purchases_total", outcome="paid") for s in scrapes} == {purchases}
    # the served workers watch how late their event loops run (ten timers a second each): a
    # second later, about twenty more wakes (counted from the time passed, not from how long
    # the purchases above happened to take)
    lag_wakes = "boxoffice_event_loop_lag_seconds_count"
    assert value(later, lag_wakes) - value(scrapes[-1], lag_wakes) >= 10
