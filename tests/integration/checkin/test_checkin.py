"""Online check-in: the first scan admits, later ones name it; refusals change nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.db.tables import checkin_scans, ticket_admissions
from boxoffice.tickets import qr, rotating
from boxoffice.tickets.codes import InvalidCode, parse_code
from boxoffice.tickets.presentation import TicketsContext
from tests.integration.checkin.conftest import (
    Gate,
    check_in,
    count_rows,
    new_gate,
    qr_payload,
    sell,
    ticket_state,
)
from tests.support.builders import new_event
from tests.support.sandbox import Sandbox


async def test_the_first_scan_admits_and_every_later_one_names_the_first_gate(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    gate: Gate,
    sandbox: Sandbox,
    engine: AsyncEngine,
) -> None:
    order = await sell(client, event, sandbox)
    ticket = order["tickets"][0]
    payload = await qr_payload(client, order, ticket["code"])

    first = await check_in(client, gate, payload=payload, gate="north-1")
    second = await check_in(client, gate, payload=payload, gate="south-2")

    assert first["result"] == "admitted"
    assert first["ticket"] == {
        "code": ticket["code"],
        "holder_name": "Ana",
        "ticket_type_id": event["ticket_types"][0]["id"],
    }
    assert second["result"] == "already_used"
    assert second["first_gate"] == "north-1"
    assert datetime.fromisoformat(second["first_scanned_at"]).tzinfo is not None
    assert second["ticket"]["code"] == ticket["code"]
    assert await ticket_state(engine, ticket["code"]) == ("used", 1, 2)
    shown = await client.get(f"/api/v1/tickets/{ticket['code']}", headers=order["headers"])
    assert shown.json()["status"] == "used"


async def test_a_typed_code_admits_and_a_typo_is_refused_with_a_hint_before_any_lookup(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    gate: Gate,
    sandbox: Sandbox,
    engine: AsyncEngine,
) -> None:
    code = (await sell(client, event, sandbox))["tickets"][0]["code"]
    # two neighbours swapped (two equal ones would swap into the same code: then misread one)
    swapped = code[:-2] + code[-1] + code[-2]
    if swapped == code:
        swapped = code[:-1] + ("2" if code[-1] != "2" else "3")
    nobody = next(  # a mistyped code none of whose corrections is a ticket of this event
        c for c in (f"22{x}-{y}222" for x in "3456789" for y in "ABCDEFG") if _invalid(c)
    )

    typo = await check_in(client, gate, code=swapped)
    stray = await check_in(client, gate, code=nobody)
    admitted = await check_in(client, gate, code=code.replace("-", "").lower())

    assert typo["result"] == "invalid"
    assert typo["reason"] == "check"
    assert code in typo["hint"]
    assert typo["suggestions"] == [code]  # of the codes one typo away, the one that is a ticket
    assert "ticket" not in typo
    assert stray["reason"] == "check"
    assert "suggestions" not in stray
    assert admitted["result"] == "admitted"
    assert await ticket_state(engine, code) == ("used", 1, 1)


def _invalid(text: str) -> bool:
    try:
        parse_code(text)
    except InvalidCode:
        return True
    return False


async def test_a_forged_payload_for_a_real_ticket_is_invalid_and_changes_nothing(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    gate: Gate,
    sandbox: Sandbox,
    engine: AsyncEngine,
) -> None:
    order = await sell(client, event, sandbox)
    code = order["tickets"][0]["code"]
    genuine = await qr_payload(client, order, code)
    claim = qr.Claim(event_id=event["id"], key_id=1, code=parse_code(code))
    forged = qr.sign(claim, Ed25519PrivateKey.generate())  # right format, wrong key
    altered = genuine[:-1] + ("A" if genuine[-1] != "A" else "B")  # one symbol changed

    answers = [
        await check_in(client, gate, payload=forged),
        await check_in(client, gate, payload=altered),
        await check_in(client, gate, payload="https://example.com/not-a-ticket"),
    ]

    assert [a["result"] for a in answers] == ["invalid"] * 3
    assert [a["reason"] for a in answers] == ["bad_signature", "bad_signature", "not_a_ticket"]
    assert await ticket_state(engine, code) == ("valid", 0, 0)
    assert await count_rows(engine, checkin_scans) == 3  # every attempt is in the log


async def test_a_ticket_of_another_event_is_wrong_event_by_qr_and_by_code(
    client: httpx.AsyncClient,
    partner: dict[str, Any],
    event: dict[str, Any],
    gate: Gate,
    sandbox: Sandbox,
    engine: AsyncEngine,
) -> None:
    other = await new_event(client, partner, name="Another Night")
    order = await sell(client, other, sandbox)
    code = order["tickets"][0]["code"]

    by_qr = await check_in(client, gate, payload=await qr_payload(client, order, code))
    by_code = await check_in(client, gate, code=code)

    assert by_qr == by_code | {"scan_id": by_qr["scan_id"]}
    assert by_qr["result"] == "wrong_event"
    assert "ticket" not in by_qr  # nothing about another event's holder leaks to this gate
    assert await ticket_state(engine, code) == ("valid", 0, 0)


async def test_a_device_key_of_another_event_cannot_admit_this_events_tickets(
    client: httpx.AsyncClient,
    partner: dict[str, Any],
    event: dict[str, Any],
    sandbox: Sandbox,
    engine: AsyncEngine,
) -> None:
    other = await new_event(client, partner, name="Another Night")
    foreign_gate = await new_gate(client, partner, other["id"])
    order = await sell(client, event, sandbox)
    code = order["tickets"][0]["code"]

    answer = await check_in(client, foreign_gate, payload=await qr_payload(client, order, code))
    bundle = await client.get(
        f"/api/v1/events/{event['id']}/offline-bundle", headers=foreign_gate.headers
    )

    assert answer["result"] == "wrong_event"
    assert bundle.status_code == 404
    assert await ticket_state(engine, code) == ("valid", 0, 0)


async def test_a_refunded_ticket_is_cancelled_at_the_gate(
    client: httpx.AsyncClient,
    partner: dict[str, Any],
    event: dict[str, Any],
    gate: Gate,
    sandbox: Sandbox,
    engine: AsyncEngine,
) -> None:
    order = await sell(client, event, sandbox)
    code = order["tickets"][0]["code"]
    payload = await qr_payload(client, order, code)
    refund = await client.post(f"/api/v1/orders/{order['id']}/refund", headers=partner["headers"])
    assert refund.status_code == 200, refund.text

    answer = await check_in(client, gate, payload=payload, gate="east")

    assert answer["result"] == "cancelled"
    assert answer["ticket"]["holder_name"] == "Ana"
    assert await ticket_state(engine, code) == ("cancelled", 0, 1)


async def test_a_revoked_device_key_is_refused_with_401_and_nothing_is_recorded(
    client: httpx.AsyncClient,
    partner: dict[str, Any],
    event: dict[str, Any],
    gate: Gate,
    sandbox: Sandbox,
    engine: AsyncEngine,
) -> None:
    code = (await sell(client, event, sandbox))["tickets"][0]["code"]
    revoked = await client.post(
        f"/api/v1/events/{event['id']}/devices/{gate.id}/revoke", headers=partner["headers"]
    )
    assert revoked.status_code == 200, revoked.text

    scan = await client.post("/api/v1/checkin", json={"code": code}, headers=gate.headers)
    bundle = await client.get(f"/api/v1/events/{event['id']}/offline-bundle", headers=gate.headers)
    unknown = await client.post(
        "/api/v1/checkin", json={"code": code}, headers={"Authorization": "Bearer gdk_nope"}
    )

    assert scan.status_code == bundle.status_code == unknown.status_code == 401
    assert "revoked" in scan.json()["detail"]
    assert await ticket_state(engine, code) == ("valid", 0, 0)
    assert await count_rows(engine, checkin_scans) == 0


async def test_a_retried_scan_with_the_same_nonce_gets_the_first_answer_again(
    client: httpx.AsyncClient, event: dict[str, Any], gate: Gate, sandbox: Sandbox
) -> None:
    code = (await sell(client, event, sandbox))["tickets"][0]["code"]
    body = {"code": code, "gate": "north-1", "nonce": "scan-0001-retry"}

    first = await check_in(client, gate, **body)
    retry = await check_in(client, gate, **body)
    fresh = await check_in(client, gate, **(body | {"nonce": "scan-0002-other"}))

    assert first["result"] == retry["result"] == "admitted"
    assert retry["scan_id"] == first["scan_id"]
    assert fresh["result"] == "already_used"


async def test_a_rotating_qr_admits_with_current_digits_and_refuses_a_stale_screenshot(
    client: httpx.AsyncClient,
    partner: dict[str, Any],
    sandbox: Sandbox,
    app_tickets: TicketsContext,
    engine: AsyncEngine,
) -> None:
    live = await new_event(client, partner, rotating_qr=True)
    gate = await new_gate(client, partner, live["id"])
    order = await sell(client, live, sandbox, quantity=2)
    fresh_code, stale_code = (t["code"] for t in order["tickets"])
    fresh = await qr_payload(client, order, fresh_code)
    signed = (await qr_payload(client, order, stale_code)).split(".")[0]
    secret = app_tickets.rotation_secret(live["id"], parse_code(stale_code))
    an_hour_ago = app_tickets.clock().timestamp() - 3600
    stale = qr.with_rotation(signed, rotating.code_at(secret, an_hour_ago))

    assert (await check_in(client, gate, payload=fresh))["result"] == "admitted"
    refused = await check_in(client, gate, payload=stale)
    printed = await check_in(client, gate, payload=signed)

    assert (refused["result"], refused["reason"]) == ("invalid", "live_code_expired")
    assert (printed["result"], printed["reason"]) == ("invalid", "live_code_missing")
    assert await ticket_state(engine, stale_code) == ("valid", 0, 0)


async def test_a_payload_signed_after_a_key_rotation_admits_without_waiting_for_the_cache(
    client: httpx.AsyncClient,
    partner: dict[str, Any],
    event: dict[str, Any],
    gate: Gate,
    sandbox: Sandbox,
) -> None:
    order = await sell(client, event, sandbox, quantity=2)
    before, after = (t["code"] for t in order["tickets"])
    await check_in(client, gate, payload=await qr_payload(client, order, before))  # keys cached
    rotated = await client.post(
        f"/api/v1/events/{event['id']}/keys/rotate", headers=partner["headers"]
    )
    assert rotated.json()["key_id"] == 2

    answer = await check_in(client, gate, payload=await qr_payload(client, order, after))

    assert answer["result"] == "admitted"


async def test_admissions_are_one_row_per_ticket(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    gate: Gate,
    sandbox: Sandbox,
    engine: AsyncEngine,
) -> None:
    order = await sell(client, event, sandbox, quantity=3)
    for ticket in order["tickets"]:
        for _ in range(2):
            await check_in(client, gate, code=ticket["code"])

    assert await count_rows(engine, ticket_admissions) == 3
    assert await count_rows(engine, checkin_scans) == 6
