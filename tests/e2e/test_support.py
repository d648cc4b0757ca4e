"""Support finds a ticket from the code a buyer reads out, typos included."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from boxoffice.tickets.codes import ALPHABET
from tests.e2e.conftest import ServedApp
from tests.e2e.shop import DESKTOP, buy_via_api, new_partner, published_event, snap
from tests.support.sandbox import Sandbox

pytestmark = pytest.mark.e2e
ADMIN_KEY = "bxadmin_e2e_support_key_0123456789"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    yield context.new_page()
    context.close()


@pytest.fixture
def admin_served(serve: Callable[..., ServedApp]) -> ServedApp:
    return serve(admin_key=ADMIN_KEY)


def mistype(code: str) -> str:
    """The code with its second symbol replaced by another valid one: a one-letter slip."""
    plain = code.replace("-", "")
    other = next(c for c in ALPHABET if c != plain[1])
    return plain[0] + other + plain[2:]


def test_support_finds_a_ticket_by_its_code_typed_in_lower_case_without_the_hyphen(
    page: Any, admin_served: ServedApp, sandbox: Sandbox, screenshots: Path
) -> None:
    event = published_event(admin_served, new_partner(admin_served))
    order = buy_via_api(admin_served, sandbox, event, quantity=2)
    code = order["tickets"][1]["code"]

    page.goto(f"{admin_served.url}/support")
    page.get_by_label("API key").fill(ADMIN_KEY)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Ticket code, e-mail address or order id").fill(code.replace("-", "").lower())
    page.get_by_role("button", name="Search").click()

    assert page.get_by_role("heading", name=f"Ticket {code}").is_visible()
    card = page.locator(".order-card")
    assert card.count() == 1
    assert code in card.inner_text()
    assert card.get_by_role("button", name="Resend tickets").is_visible()
    snap(page, screenshots, "support")


def test_support_gets_a_hint_for_a_typo_with_the_code_on_record_among_the_suggestions(
    page: Any, admin_served: ServedApp, sandbox: Sandbox, screenshots: Path
) -> None:
    event = published_event(admin_served, new_partner(admin_served))
    code = buy_via_api(admin_served, sandbox, event)["tickets"][0]["code"]

    page.goto(f"{admin_served.url}/support")
    page.get_by_label("API key").fill(ADMIN_KEY)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Ticket code, e-mail address or order id").fill(mistype(code).lower())
    page.get_by_role("button", name="Search").click()

    hint = page.get_by_role("alert")
    assert "one character is wrong or two are swapped" in hint.inner_text()
    on_record = page.locator(".suggestions a.on-record")
    assert on_record.count() == 1
    assert on_record.inner_text().startswith(code)
    assert page.locator(".order-card").count() == 0  # a typo is never matched to an order
    snap(page, screenshots, "support-typo")
    on_record.click()
    assert code in page.locator(".order-card").inner_text()
