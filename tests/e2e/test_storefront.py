"""A buyer finds an event, pays with a card tokenised in the browser, and gets the tickets."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ServedApp
from tests.e2e.shop import (
    APPROVE,
    DECLINE,
    DESKTOP,
    assert_card_never_reached,
    charges_for,
    console_errors,
    fill_card,
    fill_checkout,
    new_partner,
    order_languages,
    orders_of,
    published_event,
    snap,
)
from tests.support.sandbox import Sandbox

pytestmark = pytest.mark.e2e


@pytest.fixture
def english(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    yield context
    context.close()


@pytest.fixture
def portuguese(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP, locale="pt-BR")
    yield context
    context.close()


def buyer_email() -> str:
    return f"ana-{uuid.uuid4().hex[:8]}@example.com"


def test_a_buyer_buys_two_tickets_with_the_approving_card_and_sees_them(
    english: Any, served: ServedApp, sandbox: Sandbox, screenshots: Path
) -> None:
    partner = new_partner(served)
    event = published_event(served, partner)
    published_event(served, partner, name="Festival de Verão", venue="Arena Rio", days=60)
    published_event(served, partner, name="Hamlet", venue="Teatro Municipal", days=45)
    page = english.new_page()
    problems = console_errors(page)
    email = buyer_email()

    page.goto(served.url + "/")
    snap(page, screenshots, "storefront")
    page.get_by_label("Search by event or venue").fill("sinfonica sao paulo")
    page.wait_for_url("**/?q=sinfonica*")
    assert page.locator(".event-card").count() == 1
    page.get_by_role("link", name="Orquestra Sinfônica").click()
    fill_checkout(page, event, quantities={0: 2}, email=email, card=APPROVE)
    expect(page.locator("#total")).to_have_text("R$240.00")
    snap(page, screenshots, "checkout")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/orders/**")
    snap(page, screenshots, "confirmation")

    assert page.get_by_role("heading", level=1).inner_text() == "You're going!"
    links = page.get_by_role("link", name="Open ticket")
    assert links.count() == 2
    (order,) = orders_of(served, email)
    assert order.status == "paid"
    assert [t.code for t in order.tickets] == [
        page.locator(".ticket-code").nth(i).inner_text() for i in range(2)
    ]
    links.first.click()
    assert page.locator(".code-text").inner_text() == order.tickets[0].code
    assert_card_never_reached(served, APPROVE)
    assert problems == []  # no script error, no CSP violation


def test_the_checkout_speaks_portuguese_and_writes_prices_the_brazilian_way(
    portuguese: Any, served: ServedApp, sandbox: Sandbox
) -> None:
    event = published_event(served, new_partner(served))
    page = portuguese.new_page()
    email = buyer_email()

    page.goto(f"{served.url}/events/{event['id']}")
    assert page.locator("html").get_attribute("lang") == "pt-BR"
    assert "R$\xa0120,00" in page.locator(".type-price").first.inner_text()
    fill_checkout(page, event, quantities={1: 1}, email=email, card=APPROVE)
    page.get_by_label("Número do cartão").fill(APPROVE)
    page.get_by_role("button", name="Pagar").click()
    page.wait_for_url("**/orders/**")

    assert page.get_by_role("heading", level=1).inner_text() == "Você vai!"
    assert "R$\xa080,00" in page.locator(".facts").inner_text()
    assert page.get_by_role("link", name="Abrir ingresso").count() == 1
    assert order_languages(served, email) == ["pt_BR"]  # the tickets e-mail's language


def test_the_language_switch_turns_the_checkout_and_the_tickets_email_into_english(
    portuguese: Any, served: ServedApp, sandbox: Sandbox
) -> None:
    event = published_event(served, new_partner(served))
    page = portuguese.new_page()
    email = buyer_email()

    page.goto(f"{served.url}/events/{event['id']}")
    page.get_by_role("link", name="English").click()

    assert page.url.endswith(f"/events/{event['id']}")
    assert page.get_by_role("button", name="Pay").is_visible()
    assert "R$120.00" in page.locator(".type-price").first.inner_text()
    fill_checkout(page, event, quantities={0: 1}, email=email, card=APPROVE)
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/orders/**")
    # a browser that asks for Portuguese, a reader who chose English: the e-mail follows the
    # reader's choice, as the page did
    assert order_languages(served, email) == ["en"]


def test_a_declined_card_is_explained_and_another_card_then_pays(
    english: Any, served: ServedApp, sandbox: Sandbox
) -> None:
    event = published_event(served, new_partner(served))
    page = english.new_page()
    email = buyer_email()

    page.goto(f"{served.url}/events/{event['id']}")
    fill_checkout(page, event, quantities={0: 1}, email=email, card=DECLINE)
    page.get_by_role("button", name="Pay").click()
    alert = page.locator("#outcome")
    alert.wait_for(state="visible")
    assert "declined" in alert.inner_text()
    assert "nothing was charged" in alert.inner_text()
    assert page.locator("#card-number").input_value() == ""

    fill_card(page, APPROVE)
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/orders/**")

    assert page.get_by_role("link", name="Open ticket").count() == 1
    orders = orders_of(served, email)
    assert sorted(o.status for o in orders) == ["declined", "paid"]
    charges = charges_for(sandbox, {o.id for o in orders})
    assert sorted(c["status"] for c in charges) == ["requires_payment_method", "succeeded"]
    assert_card_never_reached(served, APPROVE, DECLINE)


def test_a_double_click_on_pay_charges_once(
    english: Any, served: ServedApp, sandbox: Sandbox
) -> None:
    event = published_event(served, new_partner(served))
    page = english.new_page()
    email = buyer_email()

    page.goto(f"{served.url}/events/{event['id']}")
    fill_checkout(page, event, quantities={0: 2}, email=email, card=APPROVE)
    page.get_by_role("button", name="Pay").dblclick()
    page.wait_for_url("**/orders/**")

    (order,) = orders_of(served, email)
    (charge,) = charges_for(sandbox, {order.id})
    assert charge["status"] == "succeeded"
    assert charge["amount"] == 24000
    posts = [
        r for r in served.recorder.received if (r.method, r.path) == ("POST", "/api/v1/orders")
    ]
    keys = {
        line
        for r in posts
        for line in r.headers.split(b"\n")
        if line.startswith(b"idempotency-key")
    }
    assert len(keys) == 1


def test_a_retry_after_a_lost_answer_replays_the_order_instead_of_charging_again(
    english: Any, served: ServedApp, sandbox: Sandbox
) -> None:
    event = published_event(served, new_partner(served))
    page = english.new_page()
    email = buyer_email()
    lost: list[int] = []

    def lose_the_first_answer(route: Any) -> None:
        if lost:
            route.continue_()
            return
        answer = route.fetch()  # the server takes the order and charges the card...
        lost.append(answer.status)
        route.abort("connectionreset")  # ...and the answer never reaches the browser

    page.route("**/api/v1/orders", lose_the_first_answer)
    page.goto(f"{served.url}/events/{event['id']}")
    fill_checkout(page, event, quantities={0: 1}, email=email, card=APPROVE)
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/orders/**")

    assert lost == [201]
    (order,) = orders_of(served, email)
    assert order.status == "paid"
    assert len(charges_for(sandbox, {order.id})) == 1


def test_the_card_number_goes_to_the_gateway_and_never_to_our_server(
    english: Any, served: ServedApp, sandbox: Sandbox
) -> None:
    event = published_event(served, new_partner(served))
    page = english.new_page()
    to_gateway: list[str] = []
    page.on(
        "request",
        lambda request: (
            to_gateway.append(request.post_data or "")
            if request.url.startswith(sandbox.url)
            else None
        ),
    )

    page.goto(f"{served.url}/events/{event['id']}")
    fill_checkout(page, event, quantities={0: 1}, email=buyer_email(), card=APPROVE)
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/orders/**")

    assert any(APPROVE in body for body in to_gateway)  # the browser did send it, there
    orders_posted = [r for r in served.recorder.received if r.path == "/api/v1/orders"]
    assert orders_posted
    assert b'"payment_method":"pm_' in orders_posted[0].body.replace(b" ", b"")
    assert_card_never_reached(served, APPROVE)


@pytest.fixture
def dropping_sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """A gateway that charges, then drops the connection before answering: outcome unknown."""
    gateway = Sandbox(tmp_path / "dropping", "--fault", "drop_after_capture=1.0").start()
    yield gateway
    gateway.stop()


def test_an_unknown_outcome_shows_pending_then_the_tickets_once_settled(
    english: Any, serve: Callable[..., ServedApp], dropping_sandbox: Sandbox
) -> None:
    served = serve(
        gateway_url=dropping_sandbox.url,
        charge_deadline_seconds=1,
        reconcile_interval_seconds=0.3,
    )
    event = published_event(served, new_partner(served))
    page = english.new_page()
    email = buyer_email()

    page.goto(f"{served.url}/events/{event['id']}")
    fill_checkout(page, event, quantities={0: 1}, email=email, card=APPROVE)
    page.get_by_role("button", name="Pay").click()
    expect(page.locator("#outcome")).to_contain_text("confirming the payment")
    page.wait_for_url("**/orders/**", timeout=15_000)  # the reconciler asked the gateway

    assert page.get_by_role("link", name="Open ticket").count() == 1
    (order,) = orders_of(served, email)
    assert order.status == "paid"
    assert len(charges_for(dropping_sandbox, {order.id})) == 1
