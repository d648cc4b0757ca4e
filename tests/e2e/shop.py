"""Helpers for the storefront, console and support browser tests: data through the API, the
checkout form as a buyer fills it, and screenshots at the two sizes the docs show."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import select

from boxoffice.db.engine import create_engine
from boxoffice.db.tables import orders
from boxoffice.support.lookup import OrderCard, orders_by_email
from tests.e2e.conftest import ServedApp
from tests.support.builders import event_body, ticket_type
from tests.support.buying import order_body, tokenise
from tests.support.sandbox import Sandbox

T = TypeVar("T")
APPROVE = "4242424242424242"
DECLINE = "4000000000000002"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def new_partner(served: ServedApp) -> dict[str, Any]:
    email = f"p-{uuid.uuid4().hex[:8]}@example.com"
    headers = (
        {"Authorization": f"Bearer {served.settings.admin_key}"}
        if served.settings.admin_key
        else {}
    )
    answer = httpx.post(
        f"{served.url}/api/v1/partners",
        json={"name": "Arena Produções", "email": email},
        headers=headers,
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    partner: dict[str, Any] = answer.json()
    partner["headers"] = {"Authorization": f"Bearer {partner['api_key']}"}
    return partner


def published_event(
    served: ServedApp, partner: dict[str, Any], *, days: int = 30, **overrides: Any
) -> dict[str, Any]:
    starts_at = (datetime.now(UTC) + timedelta(days=days)).replace(hour=21, minute=0, second=0)
    body = event_body(
        **{
            "name": "Orquestra Sinfônica — Noite de Estreia",
            "venue": "Sala São Paulo",
            "per_buyer_limit": 4,
            "starts_at": starts_at.isoformat(),
            "ticket_types": [
                ticket_type(name="Plateia", price=12000, capacity=50),
                ticket_type(name="Balcão", price=8000, capacity=30),
            ],
            **overrides,
        }
    )
    with httpx.Client(base_url=served.url, headers=partner["headers"], timeout=30) as http:
        created = http.post("/api/v1/events", json=body)
        assert created.status_code == 201, created.text
        published = http.post(f"/api/v1/events/{created.json()['id']}/publish")
        assert published.status_code == 200, published.text
        event: dict[str, Any] = published.json()
        return event


def buy_via_api(
    served: ServedApp, sandbox: Sandbox, event: dict[str, Any], *, quantity: int = 1
) -> dict[str, Any]:
    answer = httpx.post(
        f"{served.url}/api/v1/orders",
        json=order_body(event, tokenise(sandbox.url), quantity=quantity),
        headers={"Idempotency-Key": uuid.uuid4().hex},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    order: dict[str, Any] = answer.json()
    return order


def fill_checkout(
    page: Any, event: dict[str, Any], *, quantities: dict[int, int], email: str, card: str
) -> None:
    for index, quantity in quantities.items():
        page.select_option(f"#qty-{event['ticket_types'][index]['id']}", str(quantity))
    page.fill("#buyer-name", "Ana Souza")
    page.fill("#buyer-email", email)
    fill_card(page, card)


def fill_card(page: Any, number: str) -> None:
    page.fill("#card-number", number)
    page.fill("#card-expiry", "12/31")
    page.fill("#card-cvc", "123")


def run_async(work: Callable[[], Awaitable[T]]) -> T:
    """Await `work()` from a test: Playwright's sync API holds this thread's event loop."""

    async def main() -> T:
        return await work()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


def orders_of(served: ServedApp, email: str) -> list[OrderCard]:
    async def read() -> list[OrderCard]:
        engine = create_engine(served.settings.resolved_database_url)
        try:
            return await orders_by_email(engine, email=email, partner_id=None)
        finally:
            await engine.dispose()

    return run_async(read)


def order_languages(served: ServedApp, email: str) -> list[str | None]:
    """The language each of the buyer's orders recorded (its tickets e-mail's and PDF's)."""

    async def read() -> list[str | None]:
        engine = create_engine(served.settings.resolved_database_url)
        try:
            async with engine.connect() as conn:
                query = select(orders.c.locale).where(orders.c.buyer_email == email)
                return list((await conn.scalars(query)).all())
        finally:
            await engine.dispose()

    return run_async(read)


def charges_for(sandbox: Sandbox, order_ids: set[str]) -> list[dict[str, Any]]:
    """Payment intents in the gateway's ledger for these orders (declines included)."""
    intents = run_async(sandbox.intents)
    return [i for i in intents if i.get("metadata", {}).get("order_id") in order_ids]


def console_errors(page: Any) -> list[str]:
    """Errors the page logs from now on (a CSP violation is one): the list fills as they come."""
    found: list[str] = []
    page.on(
        "console", lambda message: found.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: found.append(str(error)))
    return found


def snap(page: Any, folder: Path, name: str) -> None:
    """`name-desktop.png` (1280x800) and `name-phone.png` (390x844), whole page."""
    before = page.viewport_size
    for suffix, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=folder / f"{name}-{suffix}.png", full_page=True)
    page.set_viewport_size(before)


def assert_card_never_reached(served: ServedApp, *numbers: str) -> None:
    received = served.recorder.received
    assert received, "the recorder saw no request at all"
    for number in numbers:
        groups = [number[i : i + 4] for i in range(0, len(number), 4)]
        spellings = {number, *(sep.join(groups) for sep in (" ", "+", "%20", "-"))}
        for spelling in spellings:
            leaked = [r for r in received if r.contains(spelling.encode())]
            assert not leaked, (
                f"the card number reached our server: {leaked[0].method} {leaked[0].path}"
            )
