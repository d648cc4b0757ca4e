"""The waiting-room page in a real browser: a place, an ETA, then admission by itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ServedApp

pytestmark = pytest.mark.e2e


def queued_event(base: str) -> tuple[dict[str, Any], dict[str, str]]:
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
                    {"name": "Pista", "price": 30000, "currency": "BRL", "capacity": 100}
                ],
            },
        ).json()
        http.post(f"/api/v1/events/{event['id']}/publish", headers=auth).raise_for_status()
        http.put(
            f"/api/v1/events/{event['id']}/queue/rate", headers=auth, json={"per_second": 0.01}
        ).raise_for_status()
        for i in range(5):  # people already waiting
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

    page.wait_for_selector("#admitted:not([hidden])", timeout=15_000)
    link = page.get_by_role("link", name="Buy tickets")
    assert link.get_attribute("href") == f"/events/{event['id']}"
    stored = page.evaluate(f"sessionStorage.getItem('boxoffice-pass:{event['id']}')")
    assert stored.startswith("p.")
    page.screenshot(path=str(screenshots / "queue-admitted-phone.png"), full_page=True)
    page.close()
