"""The storefront's pages: what a buyer sees before and after paying (the paying itself runs
in the browser, see tests/e2e/test_storefront.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.integration.pages.conftest import paid_order
from tests.support.builders import new_event, ticket_type
from tests.support.sandbox import Sandbox

EN = {"Accept-Language": "en-US,en;q=0.9"}
PT = {"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.5"}


async def test_the_event_list_shows_only_upcoming_published_events(
    client: httpx.AsyncClient, partner: dict[str, Any], event: dict[str, Any]
) -> None:
    draft = await new_event(client, partner, name="Ensaio Fechado", publish=False)
    past = await new_event(
        client,
        partner,
        name="Show de Ontem",
        starts_at=(datetime.now(UTC) - timedelta(days=1)).isoformat(),
    )

    page = await client.get("/", headers=EN)

    assert page.status_code == 200
    assert event["name"] in page.text
    assert draft["name"] not in page.text
    assert past["name"] not in page.text
    assert "from R$80.00" in page.text  # the cheapest ticket type


async def test_search_ignores_case_and_accents_and_needs_every_word(
    client: httpx.AsyncClient, partner: dict[str, Any], event: dict[str, Any]
) -> None:
    await new_event(client, partner, name="Festival de Verão", venue="Arena Rio")

    found = await client.get("/", params={"q": "SINFONICA sao paulo"}, headers=EN)
    neither = await client.get("/", params={"q": "sinfonica rio"}, headers=EN)

    assert event["name"] in found.text
    assert "Festival de Verão" not in found.text
    assert "No upcoming event matches" in neither.text


async def test_prices_and_words_follow_the_browser_language_unless_the_visitor_chose_one(
    client: httpx.AsyncClient, event: dict[str, Any]
) -> None:
    url = f"/events/{event['id']}"

    english = await client.get(url, headers=EN)
    portuguese = await client.get(url, headers=PT)
    switched = await client.get("/lang", params={"to": "en", "next": url}, headers=PT)
    chosen = await client.get(url, headers=PT)

    assert '<html lang="en">' in english.text
    assert "R$120.00" in english.text
    assert ">Pay<" in english.text
    assert '<html lang="pt-BR">' in portuguese.text
    assert "R$\xa0120,00" in portuguese.text
    assert ">Pagar<" in portuguese.text
    assert switched.status_code == 303
    assert switched.headers["location"] == url
    assert '<html lang="en">' in chosen.text  # the cookie beats Accept-Language


async def test_the_language_switch_only_returns_to_pages_of_this_site(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/lang", params={"to": "pt-BR", "next": "//evil.example/x"})

    assert answer.headers["location"] == "/"


async def test_each_checkout_page_load_gets_its_own_idempotency_key_and_card_fields_have_no_name(
    client: httpx.AsyncClient, event: dict[str, Any], sandbox: Sandbox
) -> None:
    first = await client.get(f"/events/{event['id']}")
    second = await client.get(f"/events/{event['id']}")

    keys = [re.search(r'data-idempotency-key="([^"]+)"', p.text).group(1) for p in (first, second)]  # type: ignore[union-attr]
    assert keys[0] != keys[1]
    assert f'data-gateway-url="{sandbox.url}"' in first.text
    assert 'data-publishable-key="pk_test_' in first.text
    for field in ("card-number", "card-expiry", "card-cvc"):
        tag = re.search(rf'<input id="{field}"[^>]*>', first.text)
        assert tag
        assert " name=" not in tag.group(0)


async def test_availability_says_sold_out_once_the_last_ticket_is_sold(
    client: httpx.AsyncClient, partner: dict[str, Any], sandbox: Sandbox
) -> None:
    event = await new_event(client, partner, ticket_types=[ticket_type(name="Única", capacity=1)])
    before = await client.get(f"/events/{event['id']}/availability", headers=EN)
    await paid_order(client, event, sandbox)
    after = await client.get(f"/events/{event['id']}/availability", headers=EN)

    assert "Only 1 left" in before.text
    assert 'hx-swap-oob="true"' in after.text
    assert "Sold out" in after.text


async def test_the_total_is_written_for_the_visitor(
    client: httpx.AsyncClient, event: dict[str, Any]
) -> None:
    plateia, balcao = (t["id"] for t in event["ticket_types"])
    params = {f"qty-{plateia}": "2", f"qty-{balcao}": "1"}

    english = await client.get(f"/events/{event['id']}/total", params=params, headers=EN)
    portuguese = await client.get(f"/events/{event['id']}/total", params=params, headers=PT)

    assert english.text.strip() == "R$320.00"
    assert portuguese.text.strip() == "R$\xa0320,00"


async def test_the_confirmation_shows_the_tickets_only_with_the_order_token(
    client: httpx.AsyncClient, event: dict[str, Any], sandbox: Sandbox
) -> None:
    order = await paid_order(client, event, sandbox, quantity=2)
    url = f"/orders/{order['id']}"

    without = await client.get(url, headers=EN)
    wrong = await client.get(url, params={"token": "x" * 32}, headers=EN)
    right = await client.get(url, params={"token": order["access_token"]}, headers=EN)

    assert without.status_code == wrong.status_code == 401
    assert right.status_code == 200
    assert right.headers["referrer-policy"] == "no-referrer"
    for ticket in order["tickets"]:
        assert ticket["code"] in right.text
        assert f'href="/t/{ticket["code"]}?token={order["access_token"]}"' in right.text


async def test_an_unknown_event_is_a_page_that_says_so(client: httpx.AsyncClient) -> None:
    page = await client.get("/events/evt_nope", headers=EN)

    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert 'data-problem="not_found"' in page.text


async def test_browsing_the_storefront_sets_no_cookie(
    client: httpx.AsyncClient, event: dict[str, Any]
) -> None:
    for url in ("/", f"/events/{event['id']}"):
        assert "set-cookie" not in (await client.get(url)).headers


async def test_a_queued_sale_sends_buyers_to_the_waiting_room_first(
    client: httpx.AsyncClient, partner: dict[str, Any]
) -> None:
    event = await new_event(client, partner, waiting_room=True)

    page = await client.get(f"/events/{event['id']}")

    assert 'id="queue-notice"' in page.text
    assert f'href="/queue/{event["id"]}"' in page.text
    assert f'data-queue-url="/queue/{event["id"]}"' in page.text


async def test_a_bug_behind_a_page_is_a_page_not_a_trace(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(engine: object) -> list[dict[str, Any]]:
        raise RuntimeError("the database fell over")

    monkeypatch.setattr("boxoffice.web.pages.storefront.list_public_events", broken)

    page = await client.get("/", headers=EN)

    assert page.status_code == 500
    assert 'data-problem="internal_error"' in page.text
    assert "fell over" not in page.text


async def test_the_waiting_room_page_speaks_the_readers_language_under_the_sites_policy(
    client: httpx.AsyncClient, partner: dict[str, Any]
) -> None:
    queued = await new_event(client, partner, waiting_room=True)

    portuguese = await client.get(f"/queue/{queued['id']}", headers={"Accept-Language": "pt-BR"})
    english = await client.get(f"/queue/{queued['id']}", headers={"Accept-Language": "en"})

    assert portuguese.status_code == english.status_code == 200
    assert "Pegar meu lugar" in portuguese.text
    assert 'data-ahead-one="{n} pessoa na sua frente"' in portuguese.text
    assert 'data-ahead-other="{n} pessoas na sua frente"' in portuguese.text
    assert "Take my place" in english.text
    assert 'data-ahead-other="{n} people ahead of you"' in english.text
    policy = portuguese.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
