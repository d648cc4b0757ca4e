"""Refunds: money back at the gateway, tickets cancelled, capacity and allowance returned."""

from __future__ import annotations

import asyncio

import httpx

from tests.support.builders import new_event, new_partner, ticket_type
from tests.support.buying import buy, order_body, tokenise
from tests.support.sandbox import Sandbox


async def test_a_refund_cancels_tickets_and_returns_capacity_once(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    partner = await new_partner(client)
    event = await new_event(
        client, partner, per_buyer_limit=2, ticket_types=[ticket_type(capacity=2)]
    )
    body = order_body(event, tokenise(sandbox.url), quantity=2, email="fan@example.com")
    order = (await buy(client, body)).json()
    path = f"/api/v1/orders/{order['id']}/refund"

    refunds = await asyncio.gather(
        *(client.post(path, headers=partner["headers"]) for _ in range(5))
    )

    assert {r.status_code for r in refunds} == {200}
    assert all(r.json()["status"] == "refunded" for r in refunds)
    assert {t["status"] for t in refunds[0].json()["tickets"]} == {"cancelled"}
    sales = (
        await client.get(f"/api/v1/events/{event['id']}/sales", headers=partner["headers"])
    ).json()
    assert sales["ticket_types"][0]["sold"] == 0
    assert sales["ticket_types"][0]["available"] == 2
    ledger = [
        r
        for r in await sandbox.refunds()
        if r["metadata"].get("order_id", "") == order["id"]
        or r["payment_intent"]
        in {i["id"] for i in await sandbox.intents() if i["metadata"]["order_id"] == order["id"]}
    ]
    assert len(ledger) == 1
    # Capacity and the buyer's allowance are back: the same buyer can buy two again.
    body["payment_method"] = tokenise(sandbox.url)
    assert (await buy(client, body)).status_code == 201


async def test_only_the_owner_can_refund_and_only_paid_orders(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    owner, stranger = await new_partner(client), await new_partner(client, "Other")
    event = await new_event(client, owner)
    paid = (await buy(client, order_body(event, tokenise(sandbox.url)))).json()
    declined = await buy(client, order_body(event, tokenise(sandbox.url, "4000000000000002")))

    foreign = await client.post(f"/api/v1/orders/{paid['id']}/refund", headers=stranger["headers"])
    not_paid = await client.post(
        f"/api/v1/orders/{declined.json().get('order_id', 'ord_missing')}/refund",
        headers=owner["headers"],
    )

    assert foreign.status_code == 404
    assert not_paid.status_code == 404
