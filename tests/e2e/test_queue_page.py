"""The waiting-room page in a real browser: a place, an ETA, then admission by itself."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from boxoffice.waitingroom.service import SEATS_FRESH_SECONDS
from tests.e2e.conftest import ServedApp
from tests.support.buying import order_body, tokenise
from tests.support.sandbox import Sandbox

pytestmark = pytest.mark.e2e


def queued_event(
    base: str, *, capacity: int = 100, per_second: float = 0.01, waiting: int = 5
) -> tuple[dict[str, Any], dict[str, str]]:
    """An event on sale behind the queue, admitting `per_second`, `waiting` people in line."""
    with httpx.Client(base_url=base) as http:
        partner = http.post(
            "/api/v1/partners", json={"name": "Arena", "email": "arena@example.com"}
        ).json()
        auth = {"Authorization": f"Bearer {partner['api_key']}"}
        event = http.post(
            "/api/v1/events",
            headers=auth,
            json={
                "name": "Big Act — Tour",
                "venue": "Estádio",
                "starts_at": (datetime.now(UTC) + timedelta(days=60)).isoformat(),
                "sales_start": (datetime.now(UTC) - timedelta(seconds=1)).isoformat(),
                "waiting_room": True,
                "ticket_types": [
                    {"name": "Pista", "price": 30000, "currency": "BRL", "capacity": capacity}
                ],
            },
        ).json()
        http.post(f"/api/v1/events/{event['id']}/publish", headers=auth).raise_for_status()
        http.put(
            f"/api/v1/events/{event['id']}/queue/rate",
            headers=auth,
            json={"per_second": per_second},
        ).raise_for_status()
        for i in range(waiting):  # people already waiting
            http.post(f"/api/v1/events/{event['id']}/queue", json={"email": f"f{i}@example.com"})
    return event, auth


def test_a_buyer_sees_their_place_and_moves_on_to_checkout_when_admitted(
    browser: Any, served: ServedApp, screenshots: Path
) -> None:
    event, auth = queued_event(served.url)
    page = browser.new_page(viewport={"width": 390, "height": 844})

    page.goto(f"{served.url}/queue/{event['id']}")
    page.get_by_label("Your e-mail").fill("ana@example.com")
    page.get_by_role("button", name="Take my place").click()

    page.wait_for_selector("#position:not(:empty)")
    assert page.locator("#position").inner_text() == "6"
    assert "min" in page.locator("#eta").inner_text()
    page.screenshot(path=str(screenshots / "queue-waiting-phone.png"), full_page=True)

    httpx.put(
        f"{served.url}/api/v1/events/{event['id']}/queue/rate",
        headers=auth,
        json={"per_second": 100},
    ).raise_for_status()

    # In a short queue the page asks again every 15 s (boxoffice.waitingroom.pacing), counted
    # from its join, which came just before the rate changed: allow that, and some slack.
    page.wait_for_selector("#admitted:not([hidden])", timeout=20_000)
    link = page.get_by_role("link", name="Buy tickets")
    assert link.get_attribute("href") == f"/events/{event['id']}"
    stored = page.evaluate(f"sessionStorage.getItem('boxoffice-pass:{event['id']}')")
    assert stored.startswith("p.")
    page.screenshot(path=str(screenshots / "queue-admitted-phone.png"), full_page=True)
    page.close()


def join_as_the_line_starts_moving(
    browser: Any, served: ServedApp, *, waiting: int, per_second: float
) -> tuple[Any, dict[str, Any]]:
    """A buyer fills in the queue page behind `waiting` people, the operator sets the rate to
    `per_second`, and the buyer presses "Take my place"."""
    event, auth = queued_event(served.url, per_second=0.001, waiting=waiting)
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{served.url}/queue/{event['id']}")
    page.get_by_label("Your e-mail").fill("ana@example.com")
    httpx.put(
        f"{served.url}/api/v1/events/{event['id']}/queue/rate",
        headers=auth,
        json={"per_second": per_second},
    ).raise_for_status()
    page.get_by_role("button", name="Take my place").click()
    return page, event


def queue_polls(served: ServedApp) -> list[Any]:
    """The polls (`GET …/queue`) the server received."""
    return [r for r in served.recorder.received if r.method == "GET" and r.path.endswith("/queue")]


def test_near_the_front_of_a_short_line_the_buyer_goes_straight_to_checkout(
    browser: Any, served: ServedApp
) -> None:
    """Two people ahead at 5 admissions/s: the join itself answers with the pass (held well
    under a second at the door), so the page never has to ask again."""
    page, event = join_as_the_line_starts_moving(browser, served, waiting=2, per_second=5)

    page.wait_for_selector("#admitted:not([hidden])", timeout=5_000)
    stored = page.evaluate(f"sessionStorage.getItem('boxoffice-pass:{event['id']}')")
    assert stored.startswith("p.")
    assert queue_polls(served) == []
    page.close()


def test_a_buyer_who_joins_a_sold_out_sale_is_told_so_and_keeps_the_place(
    browser: Any, served: ServedApp, sandbox: Sandbox, screenshots: Path
) -> None:
    event, _ = queued_event(served.url, capacity=1, per_second=1000, waiting=0)
    queue = f"/api/v1/events/{event['id']}/queue"
    with httpx.Client(base_url=served.url) as http:
        first = http.post(queue, json={"email": "first@example.com"}).json()
        time.sleep(0.3)
        admitted = http.get(
            queue, headers={"Authorization": f"Bearer {first['place_token']}"}
        ).json()
        bought = http.post(
            "/api/v1/orders",
            json=order_body(event, tokenise(sandbox.url), email="first@example.com"),
            headers={
                "Idempotency-Key": "last-ticket",
                "Boxoffice-Waiting-Room-Pass": admitted["pass"],
            },
        )
        assert bought.status_code == 201, bought.text
    time.sleep(SEATS_FRESH_SECONDS)  # the workers' snapshot of the seats left catches up
    page = browser.new_page(viewport={"width": 390, "height": 844})

    page.goto(f"{served.url}/queue/{event['id']}")
    page.get_by_label("Your e-mail").fill("ana@example.com")
    page.get_by_role("button", name="Take my place").click()

    page.wait_for_selector("#sold-out:not([hidden])")
    assert "Sold out for now" in page.locator("#sold-out").inner_text()
    assert page.locator("#position").inner_text() == "2"
    assert page.locator("#admitted").is_hidden()
    assert page.locator("#wait").is_hidden()  # no ETA to a sale that has nothing left
    page.screenshot(path=str(screenshots / "queue-sold-out-phone.png"), full_page=True)
    page.close()


def test_while_the_door_holds_the_join_the_page_says_so_and_takes_one_click(
    browser: Any, served: ServedApp
) -> None:
    """Five ahead at 2 admissions/s: the join is held about three seconds for the turn; the
    button says what is happening and cannot be pressed again, then checkout opens."""
    page, _ = join_as_the_line_starts_moving(browser, served, waiting=5, per_second=2)

    busy = page.get_by_role("button", name="Taking your place…")
    busy.wait_for(timeout=2_000)
    assert busy.is_disabled()

    page.wait_for_selector("#admitted:not([hidden])", timeout=10_000)
    assert queue_polls(served) == []  # the join itself carried the pass
    page.close()


def test_a_portuguese_reader_waits_in_portuguese(browser: Any, served: ServedApp) -> None:
    """The storefront speaks the reader's language, and so does its waiting room: the page and
    every line its script writes (places, people ahead, the wait, the pass)."""
    event, auth = queued_event(served.url, per_second=0.001, waiting=1)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="pt-BR")
    page = context.new_page()
    page.goto(f"{served.url}/queue/{event['id']}")
    page.get_by_label("Seu e-mail").fill("ana@example.com")
    page.get_by_role("button", name="Pegar meu lugar").click()

    page.wait_for_selector("#position:not(:empty)")
    assert page.locator("#ahead").inner_text() == "1 pessoa na sua frente"
    assert page.locator("#eta").inner_text().startswith("faltam cerca de ")
    httpx.put(
        f"{served.url}/api/v1/events/{event['id']}/queue/rate",
        headers=auth,
        json={"per_second": 100},
    ).raise_for_status()
    page.wait_for_selector("#admitted:not([hidden])", timeout=20_000)
    assert page.locator("#pass-expiry").inner_text().startswith("Seu passe vale até ")
    assert page.get_by_role("link", name="Comprar ingressos").is_visible()
    context.close()
