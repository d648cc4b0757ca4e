"""A buyer opens their ticket on a phone, then shows it at a gate with no signal."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image

from boxoffice.tickets import qr, rotating
from boxoffice.tickets.codes import parse_code
from boxoffice.web.pages import assets
from tests.e2e.conftest import (
    PHONE,
    ServedApp,
    cache_names,
    controlled_by_version,
    deploy,
    scripts_run,
)
from tests.support.builders import event_body
from tests.support.buying import order_body, tokenise
from tests.support.sandbox import Sandbox

pytestmark = pytest.mark.e2e


def buy_ticket(served: ServedApp, sandbox: Sandbox, **event: Any) -> dict[str, Any]:
    """Partner, published event and a paid order, through the served API."""
    with httpx.Client(base_url=served.url, timeout=30) as http:
        email = f"p-{uuid.uuid4().hex[:8]}@example.com"
        partner = http.post("/api/v1/partners", json={"name": "Arena", "email": email}).json()
        headers = {"Authorization": f"Bearer {partner['api_key']}"}
        body = event_body(name="Festival de Verão", venue="Arena Rio", **event)
        created = http.post("/api/v1/events", json=body, headers=headers).json()
        published = http.post(f"/api/v1/events/{created['id']}/publish", headers=headers).json()
        order = http.post(
            "/api/v1/orders",
            json=order_body(published, tokenise(sandbox.url)),
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        assert order.status_code == 201, order.text
        result: dict[str, Any] = order.json()
        result["event_id"] = published["id"]
        return result


def scan(element: Any) -> str:
    """Screenshot an element and decode the QR in it, as a gate's camera would."""
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(element.screenshot())))
    return str(found.text)


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(**PHONE)
    yield context
    context.close()


def test_an_opened_ticket_still_shows_with_its_qr_when_the_phone_goes_offline(
    context: Any, served: ServedApp, sandbox: Sandbox, screenshots: Path
) -> None:
    order = buy_ticket(served, sandbox)
    ticket = order["tickets"][0]
    page = context.new_page()

    page.goto(served.url + ticket["url"])
    page.wait_for_selector("html[data-offline=ready]", timeout=10_000)
    online_payload = scan(page.locator("#qr-box svg"))
    page.screenshot(path=screenshots / "ticket-phone.png", full_page=True)

    context.set_offline(True)
    response = page.reload()
    page.wait_for_selector("html[data-offline=copy]", timeout=10_000)
    page.screenshot(path=screenshots / "ticket-offline.png", full_page=True)

    assert response is not None
    assert response.from_service_worker
    assert page.evaluate("navigator.onLine") is False
    assert page.locator("h1").inner_text() == "Festival de Verão"
    assert page.locator(".code-text").inner_text() == ticket["code"]
    assert page.get_by_role("img", name=f"QR code of ticket {ticket['code']}").is_visible()
    assert scan(page.locator("#qr-box svg")) == online_payload
    assert "No signal" in page.locator("#offline-status").inner_text()
    claim = qr.parse(online_payload).claim
    assert (claim.event_id, claim.code) == (order["event_id"], parse_code(ticket["code"]))


def test_after_a_deploy_a_kept_ticket_still_shows_offline_with_the_new_scripts(
    context: Any, served: ServedApp, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = buy_ticket(served, sandbox)
    ticket = order["tickets"][0]
    page = context.new_page()
    page.goto(served.url + ticket["url"])
    page.wait_for_selector("html[data-offline=ready]", timeout=10_000)
    released = assets.version()
    # The same phone keeps a gate scanner too: the origin's caches are shared.
    page.evaluate("caches.open('bx-gate-pages').then(c => c.put('/gate/x', new Response('x')))")

    deploy(monkeypatch, "9e8d7c6b5a")
    page.reload()
    controlled_by_version(page, "9e8d7c6b5a")
    page.wait_for_function(
        f"caches.keys().then(names => !names.includes('bx-shell-{released}'))", timeout=10_000
    )

    assert all(url.endswith("?v=9e8d7c6b5a") for url in scripts_run(page))
    assert {"bx-shell-9e8d7c6b5a", "bx-tickets-v1", "bx-gate-pages"} <= cache_names(page)
    context.set_offline(True)
    response = page.reload()
    page.wait_for_selector("html[data-offline=copy]", timeout=10_000)
    assert response is not None
    assert response.from_service_worker
    assert page.locator(".code-text").inner_text() == ticket["code"]
    assert qr.parse(scan(page.locator("#qr-box svg"))).claim.code == parse_code(ticket["code"])
    assert all(url.endswith("?v=9e8d7c6b5a") for url in scripts_run(page))


def test_a_rotating_qr_changes_every_step_and_keeps_changing_offline(
    context: Any, served: ServedApp, sandbox: Sandbox, screenshots: Path
) -> None:
    order = buy_ticket(served, sandbox, rotating_qr=True)
    ticket = order["tickets"][0]
    page = context.new_page()
    page.clock.install()

    page.goto(served.url + ticket["url"])
    page.wait_for_selector("html[data-offline=ready]", timeout=10_000)
    first = scan(page.locator("#qr-box svg"))
    page.screenshot(path=screenshots / "ticket-rotating.png", full_page=True)
    context.set_offline(True)
    page.clock.fast_forward(rotating.STEP_SECONDS * 1000)
    page.wait_for_function(f"document.getElementById('qr').dataset.payload !== {first!r}")
    later = scan(page.locator("#qr-box svg"))
    browser_now = page.evaluate("Date.now() / 1000")

    assert later.split(".")[0] == first.split(".")[0]  # the signed part stays
    assert later != first  # the digits moved on, with no network
    secret = rotating.ticket_secret(
        _event_secret(served, order["event_id"]), parse_code(ticket["code"])
    )
    assert rotating.accepts(secret, later.split(".")[1], now=browser_now, skew=0)
    assert not rotating.accepts(secret, first.split(".")[1], now=browser_now + 60)


def _event_secret(served: ServedApp, event_id: str) -> bytes:
    from boxoffice.ids import derive_key

    return derive_key(served.settings.resolved_secret_key, f"qr-rotation:{event_id}")
