"""The offline bundle: enough for a gate to decide alone, and deltas with only what changed."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.db.tables import tickets
from boxoffice.tickets import qr, rotating
from boxoffice.tickets.codes import parse_code
from boxoffice.tickets.presentation import TicketsContext
from boxoffice.web.api import checkin as checkin_api
from tests.integration.checkin.conftest import Gate, check_in, new_gate, qr_payload, sell
from tests.support.builders import new_event
from tests.support.sandbox import Sandbox


async def fetch_bundle(
    client: httpx.AsyncClient, gate: Gate, since: int | None = None
) -> dict[str, Any]:
    params = {"since": since} if since is not None else {}
    response = await client.get(
        f"/api/v1/events/{gate.event_id}/offline-bundle", params=params, headers=gate.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def rows_by_code(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row[0]: dict(zip(bundle["fields"], row, strict=True)) for row in bundle["tickets"]}


async def test_the_bundle_carries_keys_tickets_cancellations_and_first_admissions(
    client: httpx.AsyncClient,
    partner: dict[str, Any],
    event: dict[str, Any],
    gate: Gate,
    sandbox: Sandbox,
) -> None:
    kept = await sell(client, event, sandbox, quantity=2)
    refunded = await sell(client, event, sandbox, type_index=1)
    await client.post(f"/api/v1/orders/{refunded['id']}/refund", headers=partner["headers"])
    used_code, valid_code = (t["code"] for t in kept["tickets"])
    payload = await qr_payload(client, kept, valid_code)
    await check_in(client, gate, code=used_code, gate="north-1")

    bundle = await fetch_bundle(client, gate)

    rows = rows_by_code(bundle)
    cancelled_code = parse_code(refunded["tickets"][0]["code"])
    assert set(rows) == {parse_code(used_code), parse_code(valid_code), cancelled_code}
    assert rows[parse_code(valid_code)] | {"type": None} == {
        "code": parse_code(valid_code),
        "status": "v",
        "holder_name": "Ana",
        "type": None,
        "admitted_at": None,
        "gate": None,
    }
    assert bundle["ticket_types"][rows[cancelled_code]["type"]]["name"] == "VIP"
    assert rows[parse_code(used_code)]["status"] == "u"
    assert rows[parse_code(used_code)]["gate"] == "north-1"
    assert rows[cancelled_code]["status"] == "c"
    assert bundle["revoked"] == [cancelled_code]
    assert bundle["full"] is True
    assert bundle["event"]["id"] == event["id"]
    # The keys alone verify a genuine payload, as a gate with no network does.
    keys = {int(i): qr.load_public_key(text) for i, text in bundle["keys"].items()}
    now = datetime.now(UTC).timestamp()
    verified = qr.verify(payload, event_id=event["id"], public_keys=keys, now=now)
    assert verified.ok


async def test_a_delta_since_a_version_carries_only_what_changed_after_it(
    client: httpx.AsyncClient,
    partner: dict[str, Any],
    event: dict[str, Any],
    gate: Gate,
    sandbox: Sandbox,
    engine: AsyncEngine,
) -> None:
    earlier = await sell(client, event, sandbox, quantity=3)
    old_codes = [parse_code(t["code"]) for t in earlier["tickets"]]
    async with engine.begin() as conn:  # these were sold an hour ago
        hour_ago = datetime.now(UTC) - timedelta(hours=1)
        await conn.execute(
            update(tickets).where(tickets.c.code.in_(old_codes)).values(created_at=hour_ago)
        )
    first = await fetch_bundle(client, gate)
    later = await sell(client, event, sandbox)
    await check_in(client, gate, code=old_codes[0], gate="west")

    delta = await fetch_bundle(client, gate, since=first["version"])

    rows = rows_by_code(delta)
    assert set(rows) == {old_codes[0], parse_code(later["tickets"][0]["code"])}
    assert rows[old_codes[0]]["status"] == "u"
    assert delta["full"] is False
    assert delta["version"] >= first["version"]
    assert delta["keys"] == first["keys"]


async def test_a_rotating_qr_bundle_carries_each_tickets_secret(
    client: httpx.AsyncClient,
    partner: dict[str, Any],
    sandbox: Sandbox,
    app_tickets: TicketsContext,
) -> None:
    live = await new_event(client, partner, rotating_qr=True)
    gate = await new_gate(client, partner, live["id"])
    order = await sell(client, live, sandbox)
    code = parse_code(order["tickets"][0]["code"])
    payload = await qr_payload(client, order, code)

    bundle = await fetch_bundle(client, gate)

    row = rows_by_code(bundle)[code]
    secret = base64.urlsafe_b64decode(row["rotation_secret"] + "=")
    assert secret == app_tickets.rotation_secret(live["id"], code)
    now = datetime.now(UTC).timestamp()
    assert rotating.accepts(secret, payload.split(".")[1], now=now)
    assert bundle["event"]["rotating_qr"] is True


async def test_a_bundle_is_gzipped_for_gates_that_accept_it(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    gate: Gate,
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(checkin_api, "GZIP_FROM_BYTES", 0)
    await sell(client, event, sandbox)
    path = f"/api/v1/events/{event['id']}/offline-bundle"

    zipped = await client.get(path, headers={**gate.headers, "Accept-Encoding": "gzip"})
    plain = await client.get(path, headers={**gate.headers, "Accept-Encoding": "identity"})

    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert zipped.json()["tickets"] == plain.json()["tickets"]
