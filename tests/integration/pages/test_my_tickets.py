""" "My tickets": a link by e-mail, signed and expiring, to every paid ticket of an address."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator

import httpx
import pytest

from boxoffice.config import Settings
from boxoffice.ids import derive_key
from boxoffice.signing import Signer
from tests.integration.pages.conftest import AppClient, csrf_of, paid_order
from tests.integration.tickets.test_ticket_email import SmtpServer
from tests.support.builders import new_event, new_partner
from tests.support.sandbox import Sandbox

LINK = re.compile(r"https://tickets\.test(/my-tickets/open\?token=\S+)")


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


async def ask_for_link(client: httpx.AsyncClient, email: str) -> httpx.Response:
    page = await client.get("/my-tickets")
    return await client.post("/my-tickets", data={"csrf": csrf_of(page), "email": email})


async def inbox_after(smtp: SmtpServer, count: int) -> list[str]:
    for _ in range(100):
        if len(smtp.inbox.messages) >= count:
            break
        await asyncio.sleep(0.05)
    return [str(m.get_body(preferencelist=("plain",)).get_content()) for m in smtp.inbox.messages]  # type: ignore[union-attr]


async def test_a_buyer_gets_a_link_that_lists_every_paid_ticket_of_the_address(
    app_with: AppClient, sandbox: Sandbox, smtp: SmtpServer
) -> None:
    mail = {"smtp_url": f"smtp://127.0.0.1:{smtp.port}", "public_url": "https://tickets.test"}
    async with app_with(**mail) as client:
        partner = await new_partner(client)
        first = await paid_order(
            client, await new_event(client, partner), sandbox, email="Ana@Example.com"
        )
        second = await paid_order(
            client,
            await new_event(client, partner, name="Outro Show"),
            sandbox,
            quantity=2,
            email="ana@example.com",
        )
        sent = await ask_for_link(client, "ANA@example.com")
        (body,) = await inbox_after(smtp, 1)
        link = LINK.search(body)
        assert link is not None
        opened = await client.get(link.group(1))

    assert sent.status_code == 200
    assert 'id="link-sent"' in sent.text
    assert smtp.inbox.messages[0]["To"] == "ana@example.com"
    assert opened.status_code == 200
    assert opened.headers["referrer-policy"] == "no-referrer"
    for order in (first, second):
        for ticket in order["tickets"]:
            assert f"/t/{ticket['code']}?token={order['access_token']}" in opened.text


async def test_an_address_without_orders_gets_the_same_answer_and_no_mail(
    app_with: AppClient, smtp: SmtpServer
) -> None:
    async with app_with(smtp_url=f"smtp://127.0.0.1:{smtp.port}") as client:
        answer = await ask_for_link(client, "nobody@example.com")
        await asyncio.sleep(0.2)

    assert answer.status_code == 200
    assert 'id="link-sent"' in answer.text
    assert smtp.inbox.messages == []


async def test_an_expired_or_altered_link_opens_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    signer = Signer(
        derive_key(settings.resolved_secret_key, "buyer-magic-link"), purpose="my-tickets"
    )
    expired = signer.dumps({"email": "ana@example.com"}, now=time.time() - 7200, ttl_seconds=3600)
    valid = signer.dumps({"email": "ana@example.com"}, now=time.time(), ttl_seconds=3600)
    altered = valid.replace(
        valid.split(".")[0],
        signer.dumps({"email": "eve@example.com"}, now=time.time(), ttl_seconds=3600).split(".")[0],
    )

    too_late = await client.get("/my-tickets/open", params={"token": expired})
    forged = await client.get("/my-tickets/open", params={"token": altered})

    assert too_late.status_code == 410
    assert "expired" in too_late.text
    assert forged.status_code == 404
    assert "ana@example.com" not in too_late.text + forged.text
