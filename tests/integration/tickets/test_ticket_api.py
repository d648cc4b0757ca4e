"""The ticket API: who may see a ticket, what it says, and the QR images."""

from __future__ import annotations

import io
from typing import Any

import httpx
import zxingcpp
from PIL import Image

from boxoffice.tickets.presentation import TicketsContext
from tests.integration.tickets.conftest import paid_order, verify_payload
from tests.support.builders import new_partner
from tests.support.sandbox import Sandbox


async def test_the_order_token_opens_its_ticket_with_a_verifiable_qr_payload(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    sandbox: Sandbox,
    tickets_ctx: TicketsContext,
) -> None:
    order = await paid_order(client, event, sandbox)
    ticket = order["tickets"][0]

    response = await client.get(f"/api/v1/tickets/{ticket['code']}", headers=order["headers"])

    assert response.status_code == 200, response.text
    body = response.json()
    assert body | {"qr": None} == {
        "code": ticket["code"],
        "status": "valid",
        "event_id": event["id"],
        "ticket_type_id": event["ticket_types"][0]["id"],
        "holder_name": "Ana",
        "qr": None,
    }
    verified = await verify_payload(tickets_ctx, body["qr"], event["id"])
    assert verified.ok
    assert verified.claim is not None
    assert verified.claim.code == ticket["code"].replace("-", "")


async def test_the_token_may_come_as_a_query_parameter_and_the_code_in_any_typed_form(
    client: httpx.AsyncClient, event: dict[str, Any], sandbox: Sandbox
) -> None:
    order = await paid_order(client, event, sandbox)
    code = order["tickets"][0]["code"]
    typed = code.replace("-", "").lower()

    response = await client.get(f"/api/v1/tickets/{typed}", params={"token": order["access_token"]})

    assert response.status_code == 200
    assert response.json()["code"] == code


async def test_the_owning_partner_opens_the_ticket_and_another_partner_does_not_find_it(
    client: httpx.AsyncClient, event: dict[str, Any], partner: dict[str, Any], sandbox: Sandbox
) -> None:
    order = await paid_order(client, event, sandbox)
    path = f"/api/v1/tickets/{order['tickets'][0]['code']}"
    stranger = await new_partner(client, "Someone Else")

    assert (await client.get(path, headers=partner["headers"])).status_code == 200
    assert (await client.get(path, headers=stranger["headers"])).status_code == 404


async def test_without_credentials_a_code_only_says_whether_it_exists(
    client: httpx.AsyncClient, event: dict[str, Any], sandbox: Sandbox
) -> None:
    order = await paid_order(client, event, sandbox)
    code = order["tickets"][0]["code"]
    unknown = "222-2222"  # a valid code (check character) that was never issued

    existing = await client.get(f"/api/v1/tickets/{code}")
    missing = await client.get(f"/api/v1/tickets/{unknown}")

    assert existing.status_code == 401
    assert existing.headers["content-type"].startswith("application/problem+json")
    assert "Ana" not in existing.text
    assert event["id"] not in existing.text
    assert missing.status_code == 404


async def test_a_wrong_token_or_another_orders_token_is_refused(
    client: httpx.AsyncClient, event: dict[str, Any], sandbox: Sandbox
) -> None:
    mine = await paid_order(client, event, sandbox)
    theirs = await paid_order(client, event, sandbox)
    path = f"/api/v1/tickets/{mine['tickets'][0]['code']}"

    forged = await client.get(path, headers={"Authorization": "Bearer not-the-token"})
    borrowed = await client.get(path, headers=theirs["headers"])
    bad_partner_key = await client.get(path, params={"token": "bxk_not-a-key"})

    assert forged.status_code == borrowed.status_code == bad_partner_key.status_code == 401


async def test_a_typo_in_the_code_is_a_422_with_a_hint(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/tickets/222-2223")
    lookalike = await client.get("/api/v1/tickets/0KJ-DW4Q")

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"
    assert response.json()["field"] == "code"
    assert "did you mean" in response.json()["hint"]
    assert lookalike.status_code == 422
    assert "0 and O are not used" in lookalike.json()["hint"]


async def test_a_repeat_request_with_the_etag_is_304_without_a_body(
    client: httpx.AsyncClient, event: dict[str, Any], sandbox: Sandbox
) -> None:
    order = await paid_order(client, event, sandbox)
    path = f"/api/v1/tickets/{order['tickets'][0]['code']}"

    first = await client.get(path, headers=order["headers"])
    etag = first.headers["etag"]
    again = await client.get(path, headers={**order["headers"], "If-None-Match": etag})
    stale = await client.get(path, headers={**order["headers"], "If-None-Match": '"old"'})

    assert first.headers["cache-control"] == "private, no-cache"
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert stale.status_code == 200


async def test_an_etag_does_not_open_a_ticket_without_credentials(
    client: httpx.AsyncClient, event: dict[str, Any], sandbox: Sandbox
) -> None:
    order = await paid_order(client, event, sandbox)
    path = f"/api/v1/tickets/{order['tickets'][0]['code']}"
    etag = (await client.get(path, headers=order["headers"])).headers["etag"]

    assert (await client.get(path, headers={"If-None-Match": etag})).status_code == 401


async def test_qr_images_are_svg_and_png_that_decode_to_the_payload(
    client: httpx.AsyncClient, event: dict[str, Any], sandbox: Sandbox
) -> None:
    order = await paid_order(client, event, sandbox)
    code = order["tickets"][0]["code"]
    payload = (await client.get(f"/api/v1/tickets/{code}", headers=order["headers"])).json()["qr"]

    svg = await client.get(f"/api/v1/tickets/{code}/qr.svg", headers=order["headers"])
    png = await client.get(
        f"/api/v1/tickets/{code}/qr.png", params={"token": order["access_token"]}
    )
    anonymous = await client.get(f"/api/v1/tickets/{code}/qr.png")

    assert svg.status_code == png.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.lstrip().startswith("<?xml") or svg.text.lstrip().startswith("<svg")
    assert png.headers["content-type"] == "image/png"
    (scanned,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert scanned.text == payload
    assert anonymous.status_code == 401


async def test_a_refunded_ticket_is_cancelled(
    client: httpx.AsyncClient, event: dict[str, Any], partner: dict[str, Any], sandbox: Sandbox
) -> None:
    order = await paid_order(client, event, sandbox)
    refunded = await client.post(f"/api/v1/orders/{order['id']}/refund", headers=partner["headers"])
    assert refunded.status_code == 200, refunded.text

    response = await client.get(
        f"/api/v1/tickets/{order['tickets'][0]['code']}", headers=order["headers"]
    )

    assert response.json()["status"] == "cancelled"
