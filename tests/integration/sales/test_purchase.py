"""Buying tickets one request at a time: outcomes a buyer sees, and what stays behind."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.event import listen as event_listen
from sqlalchemy.event import remove as event_remove

from tests.support.builders import new_event, new_partner, ticket_type
from tests.support.buying import APPROVE, DECLINE, INSUFFICIENT_FUNDS, buy, order_body, tokenise
from tests.support.sandbox import Sandbox


@pytest.fixture
async def partner(client: httpx.AsyncClient) -> dict[str, Any]:
    return await new_partner(client)


@pytest.fixture
async def event(client: httpx.AsyncClient, partner: dict[str, Any]) -> dict[str, Any]:
    return await new_event(
        client,
        partner,
        per_buyer_limit=4,
        ticket_types=[ticket_type(name="Pista", capacity=10), ticket_type(name="VIP", price=50000)],
    )


async def sales_of(
    client: httpx.AsyncClient, partner: dict[str, Any], event: dict[str, Any]
) -> Any:
    response = await client.get(f"/api/v1/events/{event['id']}/sales", headers=partner["headers"])
    return response.json()


async def test_an_approved_card_buys_paid_tickets_with_short_codes(
    client: httpx.AsyncClient, event: dict[str, Any], partner: dict[str, Any], sandbox: Sandbox
) -> None:
    response = await buy(client, order_body(event, tokenise(sandbox.url), quantity=2))

    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "paid"
    assert order["total"] == 24000
    assert order["currency"] == "BRL"
    assert len(order["tickets"]) == 2
    for ticket in order["tickets"]:
        assert len(ticket["code"]) == 8
        assert ticket["code"][3] == "-"
        assert ticket["url"] == f"/t/{ticket['code']}?token={order['access_token']}"
    figures = await sales_of(client, partner, event)
    assert figures["ticket_types"][0] | {"id": 0, "name": 0} == {
        "id": 0,
        "name": 0,
        "capacity": 10,
        "sold": 2,
        "held": 0,
        "available": 8,
    }
    assert figures["orders_paid"] == 1
    assert figures["revenue"] == 24000
    captures = [i for i in await sandbox.intents() if i["metadata"]["order_id"] == order["id"]]
    assert [(c["status"], c["amount"]) for c in captures] == [("succeeded", 24000)]
    # How long the purchase took inside the service, for clients and load generators.
    metric, duration = response.headers["Server-Timing"].split(";dur=")
    assert metric == "purchase"
    assert float(duration) > 0


async def test_the_order_opens_with_its_access_token_and_nothing_else(
    client: httpx.AsyncClient, event: dict[str, Any], partner: dict[str, Any], sandbox: Sandbox
) -> None:
    order = (await buy(client, order_body(event, tokenise(sandbox.url)))).json()
    path = f"/api/v1/orders/{order['id']}"

    mine = await client.get(path, headers={"Authorization": f"Bearer {order['access_token']}"})
    partners = await client.get(path, headers=partner["headers"])
    anonymous = await client.get(path)
    forged = await client.get(path, headers={"Authorization": "Bearer not-the-token"})
    stranger = await client.get(path, headers=(await new_partner(client, "Other"))["headers"])

    assert mine.status_code == 200
    assert mine.json()["status"] == "paid"
    assert [t["code"] for t in mine.json()["tickets"]] == [t["code"] for t in order["tickets"]]
    assert partners.status_code == 200
    assert anonymous.status_code == 401
    assert forged.status_code == 401
    assert stranger.status_code == 404


@pytest.mark.parametrize(
    ("card", "decline_code"),
    [(DECLINE, "generic_decline"), (INSUFFICIENT_FUNDS, "insufficient_funds")],
)
async def test_a_declined_card_is_a_402_and_holds_nothing(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    partner: dict[str, Any],
    sandbox: Sandbox,
    card: str,
    decline_code: str,
) -> None:
    body = order_body(event, tokenise(sandbox.url, card), quantity=4)

    response = await buy(client, body)

    assert response.status_code == 402
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "card_declined"
    assert response.json()["decline_code"] == decline_code
    figures = await sales_of(client, partner, event)
    assert figures["ticket_types"][0]["held"] == 0
    assert figures["ticket_types"][0]["sold"] == 0
    # The allowance came back too: the same buyer can now buy their 4 with a good card.
    body["payment_method"] = tokenise(sandbox.url, APPROVE)
    assert (await buy(client, body)).status_code == 201


async def test_asking_for_more_than_is_left_is_sold_out(
    client: httpx.AsyncClient, event: dict[str, Any], partner: dict[str, Any], sandbox: Sandbox
) -> None:
    for _ in range(3):
        assert (
            await buy(client, order_body(event, tokenise(sandbox.url), quantity=3))
        ).status_code == 201

    response = await buy(client, order_body(event, tokenise(sandbox.url), quantity=2))

    assert response.status_code == 409
    assert response.json()["code"] == "sold_out"
    assert (await sales_of(client, partner, event))["ticket_types"][0]["sold"] == 9


async def test_the_per_buyer_limit_counts_all_of_a_buyers_orders(
    client: httpx.AsyncClient, event: dict[str, Any], sandbox: Sandbox
) -> None:
    email = "Fan@Example.com"
    first = await buy(client, order_body(event, tokenise(sandbox.url), quantity=3, email=email))
    second = await buy(
        client, order_body(event, tokenise(sandbox.url), quantity=2, email="fan@example.COM")
    )

    assert first.status_code == 201
    assert second.status_code == 429
    assert second.json()["code"] == "buyer_limit_reached"


async def test_a_draft_event_is_not_on_sale(
    client: httpx.AsyncClient, partner: dict[str, Any], sandbox: Sandbox
) -> None:
    draft = await new_event(client, partner, publish=False)
    response = await buy(client, order_body(draft, tokenise(sandbox.url)))
    assert response.status_code == 409
    assert response.json()["code"] == "not_on_sale"


async def test_the_same_key_and_body_replays_the_first_answer_without_charging_again(
    client: httpx.AsyncClient, event: dict[str, Any], sandbox: Sandbox
) -> None:
    body = order_body(event, tokenise(sandbox.url), quantity=2)

    first = await buy(client, body, key="checkout-123")
    again = await buy(client, body, key="checkout-123")

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    order_id = first.json()["id"]
    assert len([i for i in await sandbox.intents() if i["metadata"]["order_id"] == order_id]) == 1


async def test_the_same_key_with_another_body_is_refused(
    client: httpx.AsyncClient, event: dict[str, Any], sandbox: Sandbox
) -> None:
    body = order_body(event, tokenise(sandbox.url), quantity=1)
    assert (await buy(client, body, key="k1")).status_code == 201

    body["items"][0]["quantity"] = 2
    response = await buy(client, body, key="k1")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"


async def test_a_refusal_is_replayed_too(
    client: httpx.AsyncClient, event: dict[str, Any], sandbox: Sandbox
) -> None:
    body = order_body(event, tokenise(sandbox.url), quantity=5)  # over the limit of 4
    first = await buy(client, body, key="same")
    again = await buy(client, body, key="same")
    assert first.status_code == again.status_code == 429
    assert first.json() == again.json()


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b["items"][0].update(quantity=0), "items[0].quantity"),
        (lambda b: b["items"][0].update(ticket_type_id="tt_nope"), "items[0].ticket_type_id"),
        (lambda b: b.update(items=[]), "items"),
        (lambda b: b["buyer"].update(email="nope"), "buyer.email"),
        (lambda b: b.update(payment_method="4242424242424242"), "payment_method"),
        (lambda b: b["buyer"].update(locale="Português, por favor"), "buyer.locale"),
        (lambda b: b["buyer"].update(locale="x" * 40), "buyer.locale"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field_and_changes_nothing(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    partner: dict[str, Any],
    sandbox: Sandbox,
    mutate: Any,
    field: str,
) -> None:
    body = order_body(event, tokenise(sandbox.url))
    mutate(body)

    response = await buy(client, body)

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_request"
    assert response.json()["field"] == field
    figures = await sales_of(client, partner, event)
    assert all(tt["held"] == tt["sold"] == 0 for tt in figures["ticket_types"])


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"{not json", "body"),
        (b"", "body"),
        (b"[]", "body"),
        (
            b'{"event_id": "evt_x", "items": [], "buyer": {}, "payment_method": "pm_x", "x": 1}',
            "items",
        ),
    ],
)
async def test_a_body_that_is_not_an_order_is_a_422_problem(
    client: httpx.AsyncClient, raw: bytes, field: str
) -> None:
    response = await client.post(
        "/api/v1/orders",
        content=raw,
        headers={"Idempotency-Key": "k", "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "invalid_request"
    assert response.json()["field"] == field


async def test_an_order_needs_an_idempotency_key(
    client: httpx.AsyncClient, event: dict[str, Any], sandbox: Sandbox
) -> None:
    response = await client.post("/api/v1/orders", json=order_body(event, tokenise(sandbox.url)))
    assert response.status_code == 422
    assert response.json()["field"] == "Idempotency-Key"


async def test_an_unknown_event_is_not_found(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    body = order_body(
        {"id": "evt_missing", "ticket_types": [{"id": "tt_x"}]}, tokenise(sandbox.url)
    )
    response = await buy(client, body)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.fixture
def slow_gateway(sandbox: Sandbox) -> Iterator[None]:
    """The shared acquirer answers charges after 400 ms for one test, then at once again."""
    with sandbox.charges_taking(400):
        yield


async def test_a_double_click_waits_for_the_first_purchase_instead_of_polling_the_database(
    app: FastAPI,
    client: httpx.AsyncClient,
    event: dict[str, Any],
    sandbox: Sandbox,
    slow_gateway: None,
) -> None:
    body = order_body(event, tokenise(sandbox.url), quantity=1)
    answer_reads = []

    def count_answer_reads(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("SELECT") and "orders.idempotency_key =" in statement:
            answer_reads.append(statement)

    engine = app.state.services.engine.sync_engine
    event_listen(engine, "before_cursor_execute", count_answer_reads)
    try:
        first, twin = await asyncio.gather(
            buy(client, body, key="double-click"), buy(client, body, key="double-click")
        )
    finally:
        event_remove(engine, "before_cursor_execute", count_answer_reads)

    assert first.status_code == twin.status_code == 201
    assert first.json() == twin.json()
    order_id = first.json()["id"]
    assert len([i for i in await sandbox.intents() if i["metadata"]["order_id"] == order_id]) == 1
    # The twin read the stored answer once, after the first request finished; polling every
    # 50 ms through a 400 ms charge would have read it about eight times.
    assert len(answer_reads) == 1, answer_reads
