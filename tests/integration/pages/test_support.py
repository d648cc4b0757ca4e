"""The support view: the admin key sees every event, a partner only its own; typos are hinted,
never matched; resending and cancelling go through the same services as the API."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from boxoffice.db.engine import create_engine
from boxoffice.db.tables import outbox
from boxoffice.tickets.codes import ALPHABET, format_code
from tests.integration.pages.conftest import AppClient, csrf_of, paid_order, sign_in
from tests.support.builders import new_event, new_partner
from tests.support.sandbox import Sandbox

ADMIN_KEY = "bxadmin_support_tests_0123456789abcdef"


def slip(code: str, position: int = 3) -> str:
    """The code as misheard: one symbol replaced by another valid one, typed sloppily."""
    plain = code.replace("-", "")
    other = next(c for c in ALPHABET if c != plain[position])
    return (plain[:position] + other + plain[position + 1 :]).lower()


async def test_the_admin_key_finds_any_partners_order_by_a_code_typed_loosely(
    app_with: AppClient, sandbox: Sandbox
) -> None:
    async with app_with(admin_key=ADMIN_KEY) as client:
        partner = await new_partner_as_admin(client)
        event = await new_event(client, partner)
        order = await paid_order(client, event, sandbox, quantity=2)
        signed_in = await sign_in(client, ADMIN_KEY)
        code = order["tickets"][1]["code"]

        found = await client.get("/support", params={"q": f" {code.replace('-', '').lower()} "})

    assert signed_in.headers["location"] == "/support"
    assert found.status_code == 200
    assert f"Ticket {code}" in found.text
    assert order["id"] in found.text


async def new_partner_as_admin(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.post(
        "/api/v1/partners",
        json={"name": "Arena", "email": "arena@example.com"},
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    )
    partner: dict[str, Any] = answer.json()
    partner["headers"] = {"Authorization": f"Bearer {partner['api_key']}"}
    return partner


async def test_a_typo_gets_a_hint_with_the_code_on_record_and_matches_no_order(
    client: httpx.AsyncClient, partner: dict[str, Any], event: dict[str, Any], sandbox: Sandbox
) -> None:
    order = await paid_order(client, event, sandbox)
    code = order["tickets"][0]["code"]
    await sign_in(client, partner["api_key"])

    answer = await client.get("/support", params={"q": slip(code)})

    assert "one character is wrong or two are swapped" in answer.text
    assert order["id"] not in answer.text
    assert f'class="on-record">{code} · on record' in answer.text


async def test_a_look_alike_character_is_named_in_the_hint(
    client: httpx.AsyncClient, partner: dict[str, Any]
) -> None:
    await sign_in(client, partner["api_key"])

    answer = await client.get("/support", params={"q": "7kj-dw0q"})

    assert "“0” is never used in ticket codes (character 6). Did you mean D / Q?" in answer.text


async def test_a_partners_agent_sees_only_that_partners_tickets_even_as_suggestions(
    client: httpx.AsyncClient, event: dict[str, Any], sandbox: Sandbox
) -> None:
    order = await paid_order(client, event, sandbox)
    code = order["tickets"][0]["code"]
    other = await new_partner(client, name="Outra")
    await sign_in(client, other["api_key"])

    exact = await client.get("/support", params={"q": code})
    typo = await client.get("/support", params={"q": slip(code)})
    by_email = await client.get("/support", params={"q": order["email"]})

    assert "Nothing found." in exact.text
    assert 'class="on-record"' not in typo.text
    assert format_code(code) in typo.text  # still suggested: it is a valid code after all
    assert order["id"] not in by_email.text


async def test_support_resends_the_tickets_and_cancels_an_order_with_a_refund(
    client: httpx.AsyncClient,
    partner: dict[str, Any],
    event: dict[str, Any],
    sandbox: Sandbox,
    database_url: str,
) -> None:
    order = await paid_order(client, event, sandbox)
    await sign_in(client, partner["api_key"])
    page = await client.get("/support", params={"q": order["email"]})
    back = f"/support?q={order['email']}"

    resent = await client.post(
        f"/support/orders/{order['id']}/resend", data={"csrf": csrf_of(page), "back": back}
    )
    cancelled = await client.post(
        f"/support/orders/{order['id']}/cancel", data={"csrf": csrf_of(page), "back": back}
    )
    after = (await client.get(f"/api/v1/orders/{order['id']}", headers=partner["headers"])).json()
    refunds = [r for r in await sandbox.refunds() if r["payment_intent"]]

    assert resent.headers["location"] == f"{back}&msg=resent"
    assert cancelled.headers["location"] == f"{back}&msg=cancelled"
    assert after["status"] == "refunded"
    assert {t["status"] for t in after["tickets"]} == {"cancelled"}
    assert refunds
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            keys = (await conn.scalars(select(outbox.c.dedupe_key))).all()
    finally:
        await engine.dispose()
    assert sum(key.startswith(f"resend:{order['id']}") for key in keys) == 1


async def test_a_partner_cannot_act_on_another_partners_order(
    client: httpx.AsyncClient, event: dict[str, Any], sandbox: Sandbox
) -> None:
    order = await paid_order(client, event, sandbox)
    other = await new_partner(client, name="Outra")
    await sign_in(client, other["api_key"])
    page = await client.get("/support")

    answer = await client.post(
        f"/support/orders/{order['id']}/cancel", data={"csrf": csrf_of(page)}
    )

    assert answer.status_code == 404
    still = await client.get(
        f"/api/v1/orders/{order['id']}",
        headers={"Authorization": f"Bearer {order['access_token']}"},
    )
    assert still.json()["status"] == "paid"


async def test_support_is_closed_without_signing_in(client: httpx.AsyncClient) -> None:
    answer = await client.get("/support", params={"q": "7KJ-DW4Q"})

    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=%2Fsupport")
