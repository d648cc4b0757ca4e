"""A partner signs in, creates and publishes an event, and watches a sale arrive live."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ServedApp
from tests.e2e.shop import (
    DESKTOP,
    buy_via_api,
    console_errors,
    new_partner,
    published_event,
    snap,
)
from tests.support.sandbox import Sandbox

pytestmark = pytest.mark.e2e


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # "Publish this event?" and the like
    yield page
    context.close()


def sign_in(page: Any, served: ServedApp, key: str, *, then: str = "/console") -> None:
    page.goto(f"{served.url}{then}")  # not signed in yet: the sign-in page, then back here
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{then}")


def test_a_partner_creates_and_publishes_an_event_and_sees_a_sale_without_reloading(
    page: Any, served: ServedApp, sandbox: Sandbox, screenshots: Path
) -> None:
    partner = new_partner(served)
    problems = console_errors(page)
    sign_in(page, served, partner["api_key"])

    page.get_by_role("link", name="New event").click()
    page.get_by_label("Name", exact=True).fill("Festival de Verão")
    page.get_by_label("Venue").fill("Arena Rio")
    page.get_by_label("Starts at").fill("2031-01-15T20:00")
    page.get_by_label("Tickets per buyer (optional)").fill("6")
    page.get_by_label("Ticket type 1: name").fill("Pista")
    page.get_by_label("Price").first.fill("250,00")
    page.get_by_label("Capacity").first.fill("20000")
    page.get_by_role("button", name="Add a ticket type").click()  # htmx adds a third row
    page.get_by_label("Ticket type 3: name").fill("Camarote")
    page.locator("#type-2-price").fill("900")
    page.locator("#type-2-capacity").fill("500")
    snap(page, screenshots, "console-event-form")
    page.get_by_role("button", name="Create draft").click()
    page.wait_for_url("**/console/events/evt_*")
    assert page.locator("#event-status").inner_text() == "Draft"

    page.get_by_role("button", name="Publish").click()
    page.wait_for_url("**msg=published")
    assert page.locator("#event-status").inner_text() == "On sale"
    event_id = page.url.split("/console/events/")[1].split("?")[0]
    page.evaluate("window.stillTheSamePage = true")
    assert page.locator("#total-sold").inner_text() == "0"

    event = {"id": event_id, "ticket_types": [{"id": _type_id(page, "Pista")}]}
    buy_via_api(served, sandbox, event, quantity=2)
    expect(page.locator("#total-sold")).to_have_text("2", timeout=10_000)

    assert page.evaluate("window.stillTheSamePage") is True  # updated in place, not reloaded
    row = page.locator("#sales-table tbody tr").first
    assert row.locator("[data-figure=sold]").inner_text() == "2"
    assert row.locator("[data-figure=revenue]").inner_text() == "R$500.00"
    assert page.get_by_role("img", name="Tickets sold over time").is_visible()
    snap(page, screenshots, "console-dashboard")
    assert problems == []


def test_a_partner_finds_an_order_by_code_and_refunds_it(
    page: Any, served: ServedApp, sandbox: Sandbox, screenshots: Path
) -> None:
    from tests.e2e.shop import published_event

    partner = new_partner(served)
    event = published_event(served, partner)
    order = buy_via_api(served, sandbox, event, quantity=2)
    code = order["tickets"][0]["code"]
    sign_in(page, served, partner["api_key"], then="/console/orders")

    page.get_by_label("Ticket code or buyer's e-mail").fill(code.replace("-", "").lower())
    page.get_by_role("button", name="Search").click()
    card = page.locator(".order-card")
    assert code in card.inner_text()
    snap(page, screenshots, "console-orders")
    card.get_by_role("button", name="Refund").click()
    page.wait_for_url("**msg=refunded")

    assert "Refunded" in page.locator(".order-card").inner_text()


def _type_id(page: Any, name: str) -> str:
    row = page.locator("#sales-table tbody tr", has_text=name)
    return str(row.get_attribute("id")).removeprefix("row-")


def test_a_partner_watches_the_waiting_room_fill_and_lets_people_in_faster(
    page: Any, served: ServedApp, screenshots: Path
) -> None:
    partner = new_partner(served)
    opened = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    event = published_event(served, partner, waiting_room=True, sales_start=opened)
    queue = f"{served.url}/api/v1/events/{event['id']}/queue"

    def join(count: int, start: int) -> None:
        for i in range(start, start + count):
            answer = httpx.post(queue, json={"email": f"fan{i}@example.com"}, timeout=30)
            assert answer.status_code == 201, answer.text

    httpx.put(
        f"{queue}/rate", json={"per_second": 0.01}, headers=partner["headers"]
    ).raise_for_status()
    join(5, start=0)
    problems = console_errors(page)
    sign_in(page, served, partner["api_key"], then=f"/console/events/{event['id']}")
    figures = page.locator("#queue-figures")
    expect(figures.locator("[data-figure=waiting]")).to_have_text("5")
    expect(figures.locator("[data-figure=rate]")).to_have_text("0.01 per second")

    page.evaluate("window.stillTheSamePage = true")
    join(2, start=5)
    expect(figures.locator("[data-figure=waiting]")).to_have_text("7", timeout=10_000)
    assert page.evaluate("window.stillTheSamePage") is True  # counted in place, not reloaded

    page.get_by_label("Let in this many people per second").fill("50")
    page.get_by_role("button", name="Set the admission rate").click()
    page.wait_for_url("**msg=rate_set*")
    expect(page.locator("#flash")).to_contain_text("Admission rate set")
    expect(figures.locator("[data-figure=rate]")).to_have_text("50 per second")
    expect(figures.locator("[data-figure=waiting]")).to_have_text("0", timeout=10_000)
    expect(figures.locator("[data-figure=admitted]")).to_have_text("7")
    snap(page, screenshots, "console-waiting-room")
    assert problems == []
