"""The partner console through its forms: signing in, events, publishing, figures, orders."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import update

from boxoffice.db.engine import create_engine
from boxoffice.db.tables import partners
from boxoffice.ids import hash_secret
from tests.integration.pages.conftest import csrf_of, paid_order, post_form, sign_in
from tests.support.builders import new_event, new_partner
from tests.support.sandbox import Sandbox

EN = {"Accept-Language": "en"}


def new_event_form(**overrides: str) -> dict[str, str]:
    return {
        "name": "Festival de Verão",
        "venue": "Arena Rio",
        "starts_at": "2031-01-15T20:00",
        "per_buyer_limit": "6",
        "currency": "BRL",
        "type-0-name": "Pista",
        "type-0-price": "1.250,50",
        "type-0-capacity": "20000",
        "type-1-name": "",
        "type-1-price": "",
        "type-1-capacity": "",
        **overrides,
    }


async def test_the_console_sends_visitors_to_sign_in_and_back(client: httpx.AsyncClient) -> None:
    answer = await client.get("/console/orders")

    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fconsole%2Forders"


async def test_a_wrong_key_is_refused_and_the_right_one_opens_a_hardened_session(
    client: httpx.AsyncClient, partner: dict[str, Any]
) -> None:
    wrong = await sign_in(client, "bxk_not-a-key")
    right = await sign_in(client, partner["api_key"])

    assert wrong.status_code == 401
    assert "That key is not valid" in wrong.text
    assert right.status_code == 303
    assert right.headers["location"] == "/console"
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/" in cookie
    assert partner["api_key"] not in right.headers["set-cookie"]
    assert (await client.get("/console")).status_code == 200


async def test_a_form_post_without_its_csrf_token_or_from_another_site_is_refused(
    client: httpx.AsyncClient, partner: dict[str, Any]
) -> None:
    await sign_in(client, partner["api_key"])
    token = csrf_of(await client.get("/console/events/new"))

    missing = await client.post("/console/events", data=new_event_form())
    forged = await client.post("/console/events", data={**new_event_form(), "csrf": "guess"})
    elsewhere = await client.post(
        "/console/events",
        data={**new_event_form(), "csrf": token},
        headers={"Origin": "https://evil.example"},
    )

    assert missing.status_code == forged.status_code == elsewhere.status_code == 403
    assert 'data-problem="forbidden"' in missing.text
    assert (await client.get("/console")).text.count("Festival de Verão") == 0


async def test_signing_in_issues_a_new_csrf_token(
    client: httpx.AsyncClient, partner: dict[str, Any]
) -> None:
    before = csrf_of(await client.get("/login"))
    await sign_in(client, partner["api_key"])
    after = csrf_of(await client.get("/console/events/new"))

    assert before != after


async def test_a_partner_creates_edits_and_publishes_an_event_through_the_forms(
    client: httpx.AsyncClient, partner: dict[str, Any]
) -> None:
    await sign_in(client, partner["api_key"])

    created = await post_form(client, "/console/events/new", "/console/events", new_event_form())
    event_url = created.headers["location"].split("?")[0]
    event_id = event_url.rsplit("/", 1)[1]
    edited = await post_form(
        client,
        f"{event_url}/edit",
        event_url,
        new_event_form(**{"name": "Festival de Verão 2031", "type-1-name": "Camarote"})
        | {"type-1-price": "900", "type-1-capacity": "500"},
    )
    published = await post_form(client, event_url, f"{event_url}/publish", {})
    edit_after = await client.get(f"{event_url}/edit", headers=EN)
    public = (await client.get(f"/api/v1/events/{event_id}")).json()

    assert created.status_code == edited.status_code == published.status_code == 303
    assert public["name"] == "Festival de Verão 2031"
    assert public["status"] == "on_sale"
    assert public["starts_at"].startswith("2031-01-15T23:00")  # 20:00 in São Paulo
    assert [(t["name"], t["price"], t["capacity"]) for t in public["ticket_types"]] == [
        ("Pista", 125050, 20000),
        ("Camarote", 90000, 500),
    ]
    assert edit_after.status_code == 409
    assert 'data-problem="not_editable"' in edit_after.text


async def test_a_form_with_mistakes_comes_back_with_each_error_next_to_its_field(
    client: httpx.AsyncClient, partner: dict[str, Any]
) -> None:
    await sign_in(client, partner["api_key"])
    form = new_event_form(name="", **{"type-0-price": "12,3456", "type-0-capacity": "lots"})

    answer = await post_form(client, "/console/events/new", "/console/events", form)

    assert answer.status_code == 422
    for field in ("name", "type-0-price", "type-0-capacity"):
        assert f'id="{field}-error"' in answer.text
        assert f'{field}-error"' in answer.text.split(f'id="{field}"')[1].split(">")[0]
    assert 'value="Arena Rio"' in answer.text  # what was typed is kept


async def test_the_live_figures_count_sales_and_revenue_per_ticket_type(
    client: httpx.AsyncClient, partner: dict[str, Any], event: dict[str, Any], sandbox: Sandbox
) -> None:
    await paid_order(client, event, sandbox, quantity=3)
    await sign_in(client, partner["api_key"])

    live = await client.get(f"/console/events/{event['id']}/live", headers=EN)

    assert live.status_code == 200
    assert 'hx-trigger="every 2s"' in live.text
    assert '<td class="num" id="total-sold">3</td>' in live.text
    assert '<td class="num" id="total-revenue">R$360.00</td>' in live.text
    assert 'role="img"' in live.text
    assert "3 tickets sold so far." in live.text


async def test_another_partner_cannot_see_the_event_or_find_its_orders(
    client: httpx.AsyncClient, event: dict[str, Any], sandbox: Sandbox
) -> None:
    order = await paid_order(client, event, sandbox)
    other = await new_partner(client, name="Outra Produtora")
    await sign_in(client, other["api_key"])

    dashboard = await client.get(f"/console/events/{event['id']}")
    by_code = await client.get("/console/orders", params={"q": order["tickets"][0]["code"]})
    by_email = await client.get("/console/orders", params={"q": order["email"]})

    assert dashboard.status_code == 404
    assert order["id"] not in by_code.text
    assert order["id"] not in by_email.text


async def test_a_partner_finds_an_order_by_code_or_email_and_refunds_it(
    client: httpx.AsyncClient, partner: dict[str, Any], event: dict[str, Any], sandbox: Sandbox
) -> None:
    order = await paid_order(client, event, sandbox, quantity=2)
    await sign_in(client, partner["api_key"])
    code = order["tickets"][0]["code"]

    by_code = await client.get("/console/orders", params={"q": code.replace("-", "").lower()})
    by_email = await client.get("/console/orders", params={"q": order["email"].upper()})
    refunded = await client.post(
        f"/console/orders/{order['id']}/refund",
        data={"csrf": csrf_of(by_code), "back": f"/console/orders?q={code}"},
    )
    after = await client.get(f"/api/v1/orders/{order['id']}", headers=partner["headers"])

    assert order["id"] in by_code.text
    assert order["id"] in by_email.text
    assert refunded.status_code == 303
    assert refunded.headers["location"].endswith("msg=refunded")
    assert after.json()["status"] == "refunded"
    assert [t["status"] for t in after.json()["tickets"]] == ["cancelled", "cancelled"]


async def test_a_gate_device_key_is_shown_once_and_works_at_the_gate(
    client: httpx.AsyncClient, partner: dict[str, Any], event: dict[str, Any]
) -> None:
    await sign_in(client, partner["api_key"])
    page = await client.get(f"/console/events/{event['id']}")

    created = await client.post(
        f"/console/events/{event['id']}/devices", data={"csrf": csrf_of(page), "name": "Norte 1"}
    )
    key = created.text.split('id="device-key" class="codes" readonly value="')[1].split('"')[0]
    again = await client.get(f"/console/events/{event['id']}")
    device = await client.get("/api/v1/checkin/device", headers={"Authorization": f"Bearer {key}"})

    assert created.status_code == 201
    assert key.startswith("gdk_")
    assert key not in again.text
    assert "Norte 1" in again.text
    assert device.status_code == 200
    assert device.json()["event_id"] == event["id"]


async def test_a_session_ends_when_the_key_it_was_opened_with_is_replaced(
    client: httpx.AsyncClient, partner: dict[str, Any], database_url: str
) -> None:
    await sign_in(client, partner["api_key"])
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                update(partners)
                .where(partners.c.id == partner["id"])
                .values(api_key_hash=hash_secret("bxk_the-new-key"))
            )
    finally:
        await engine.dispose()

    assert (await client.get("/console")).status_code == 303


async def test_a_partner_watches_its_waiting_room_and_sets_its_pace(
    client: httpx.AsyncClient, partner: dict[str, Any]
) -> None:
    queued = await new_event(client, partner, waiting_room=True)
    for i in range(3):
        joined = await client.post(
            f"/api/v1/events/{queued['id']}/queue", json={"email": f"fan{i}@example.com"}
        )
        assert joined.status_code == 201
    await sign_in(client, partner["api_key"])
    page = f"/console/events/{queued['id']}"
    action = f"/console/events/{queued['id']}/queue/rate"

    too_fast = await post_form(client, page, action, {"per_second": "1e9"})
    not_a_number = await post_form(client, page, action, {"per_second": "fast"})
    paced = await post_form(client, page, action, {"per_second": "12.5"})
    live = await client.get(f"/console/events/{queued['id']}/live")
    stats = await client.get(
        f"/api/v1/events/{queued['id']}/queue/stats", headers=partner["headers"]
    )

    for refused in (too_fast, not_a_number):
        assert refused.status_code == 422
        assert 'id="per-second-error"' in refused.text
        assert 'aria-invalid="true"' in refused.text.split('id="per-second"')[1].split(">")[0]
    assert 'value="fast"' in not_a_number.text  # what was typed is kept
    assert paced.status_code == 303
    assert paced.headers["location"] == f"/console/events/{queued['id']}?msg=rate_set"
    assert stats.json()["admission_rate"] == 12.5
    assert '<dd data-figure="rate">12.5 per second</dd>' in live.text
    assert '<dd data-figure="waiting">0</dd>' in live.text  # 3 people at 12.5/s: all let in


async def test_an_event_without_a_waiting_room_shows_none_and_cannot_be_paced(
    client: httpx.AsyncClient, partner: dict[str, Any], event: dict[str, Any]
) -> None:
    await sign_in(client, partner["api_key"])
    dashboard = await client.get(f"/console/events/{event['id']}")
    paced = await client.post(
        f"/console/events/{event['id']}/queue/rate",
        data={"csrf": csrf_of(dashboard), "per_second": "10"},
    )

    assert "queue-figures" not in dashboard.text
    assert "per_second" not in dashboard.text
    assert paced.status_code == 409
