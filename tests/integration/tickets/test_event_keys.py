"""Event signing keys: made once on first use, sealed at rest, rotated without breaking tickets."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import select

from boxoffice.db.tables import event_keys
from boxoffice.tickets import qr
from boxoffice.tickets.presentation import TicketsContext
from tests.integration.tickets.conftest import paid_order, verify_payload
from tests.support.builders import new_event, new_partner
from tests.support.sandbox import Sandbox


async def test_concurrent_first_views_create_exactly_one_key(
    client: httpx.AsyncClient, partner: dict[str, Any], tickets_ctx: TicketsContext
) -> None:
    event = await new_event(client, partner)
    # Separate stores, as separate worker processes would have (no shared cache).
    stores = [
        type(tickets_ctx.keys)(
            tickets_ctx.engine, root_secret=tickets_ctx.root_secret, clock=tickets_ctx.clock
        )
        for _ in range(8)
    ]

    keys = await asyncio.gather(*(store.signing_key(event["id"]) for store in stores))

    assert {key.key_id for key in keys} == {1}
    assert len({qr.public_key_text(key.public_key) for key in keys}) == 1
    async with tickets_ctx.engine.connect() as conn:
        rows = await conn.execute(select(event_keys).where(event_keys.c.event_id == event["id"]))
        assert len(rows.all()) == 1


async def test_the_private_key_is_not_stored_in_the_clear(
    client: httpx.AsyncClient, partner: dict[str, Any], tickets_ctx: TicketsContext
) -> None:
    event = await new_event(client, partner)
    key = await tickets_ctx.keys.signing_key(event["id"])
    raw = key.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    async with tickets_ctx.engine.connect() as conn:
        stored = await conn.scalar(
            select(event_keys.c.private_key).where(event_keys.c.event_id == event["id"])
        )

    assert stored is not None
    assert raw not in base64.b64decode(stored)
    assert base64.b64encode(raw).decode() not in stored


async def test_rotating_the_key_keeps_tickets_shown_before_valid(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    partner: dict[str, Any],
    sandbox: Sandbox,
    tickets_ctx: TicketsContext,
) -> None:
    order = await paid_order(client, event, sandbox)
    path = f"/api/v1/tickets/{order['tickets'][0]['code']}"
    before = (await client.get(path, headers=order["headers"])).json()["qr"]

    rotated = await client.post(
        f"/api/v1/events/{event['id']}/keys/rotate", headers=partner["headers"]
    )
    after = (await client.get(path, headers=order["headers"])).json()["qr"]
    listed = await client.get(f"/api/v1/events/{event['id']}/keys", headers=partner["headers"])

    assert rotated.status_code == 201
    assert rotated.json()["key_id"] == 2
    assert [k["key_id"] for k in listed.json()["keys"]] == [1, 2]
    assert qr.parse(before).claim.key_id == 1
    assert qr.parse(after).claim.key_id == 2
    assert (await verify_payload(tickets_ctx, before, event["id"])).ok
    assert (await verify_payload(tickets_ctx, after, event["id"])).ok


async def test_only_the_owner_sees_or_rotates_an_events_keys(
    client: httpx.AsyncClient, event: dict[str, Any]
) -> None:
    stranger = await new_partner(client, "Someone Else")
    rotate = await client.post(
        f"/api/v1/events/{event['id']}/keys/rotate", headers=stranger["headers"]
    )
    listed = await client.get(f"/api/v1/events/{event['id']}/keys", headers=stranger["headers"])
    anonymous = await client.get(f"/api/v1/events/{event['id']}/keys")

    assert rotate.status_code == listed.status_code == 404
    assert anonymous.status_code == 401
