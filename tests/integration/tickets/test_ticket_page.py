"""The ticket page and its PDF: what a buyer sees, who may see it, and what repeats cost."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from typing import Any

import httpx
from pypdf import PdfReader

from boxoffice.tickets import rotating
from boxoffice.tickets.presentation import TicketsContext
from tests.integration.tickets.conftest import paid_order, verify_payload
from tests.support.builders import new_event, new_partner
from tests.support.sandbox import Sandbox

EN = {"Accept-Language": "en"}


class Scripts(HTMLParser):
    """Collects <script> tags, to check that none is inline (CSP without 'unsafe-inline')."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str | None] = []
        self.inline: list[str] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.sources.append(dict(attrs).get("src"))
            self._open = True

    def handle_endtag(self, tag: str) -> None:
        self._open = tag != "script" and self._open

    def handle_data(self, data: str) -> None:
        if self._open and data.strip():
            self.inline.append(data)


async def test_the_page_shows_event_holder_code_and_an_accessible_qr(
    client: httpx.AsyncClient, event: dict[str, Any], sandbox: Sandbox
) -> None:
    order = await paid_order(client, event, sandbox)
    ticket = order["tickets"][0]

    page = await client.get(ticket["url"], headers=EN)

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="en">' in html
    assert "<h1>Orquestra Sinfônica — Noite de Estreia</h1>" in html
    assert "Allianz Parque" in html
    assert f'<span class="code-text">{ticket["code"]}</span>' in html
    assert "Ana" in html
    assert "Plateia" in html
    assert re.search(r'<svg role="img" aria-label="QR code of ticket [^"]+"', html)
    assert '<link rel="manifest" href="/t/manifest.webmanifest">' in html
    scripts = Scripts()
    scripts.feed(html)
    assert scripts.inline == []
    assert all(src and src.startswith("/t/static/") for src in scripts.sources)
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"


async def test_a_repeat_view_of_the_page_with_its_etag_is_304(
    client: httpx.AsyncClient, event: dict[str, Any], sandbox: Sandbox
) -> None:
    order = await paid_order(client, event, sandbox)
    url = order["tickets"][0]["url"]

    first = await client.get(url)
    again = await client.get(url, headers={"If-None-Match": first.headers["etag"]})

    assert first.headers["cache-control"] == "private, no-cache"
    assert again.status_code == 304
    assert again.content == b""


async def test_the_page_without_a_token_says_the_ticket_exists_and_nothing_more(
    client: httpx.AsyncClient, event: dict[str, Any], sandbox: Sandbox
) -> None:
    order = await paid_order(client, event, sandbox)
    code = order["tickets"][0]["code"]

    anonymous = await client.get(f"/t/{code}")
    wrong = await client.get(f"/t/{code}", params={"token": "nope"})
    unknown = await client.get("/t/222-2222")
    typo = await client.get("/t/222-2223")

    assert anonymous.status_code == wrong.status_code == 401
    assert "Ana" not in anonymous.text
    assert "<svg" not in anonymous.text
    assert unknown.status_code == 404
    assert typo.status_code == 422
    assert "did you mean" in typo.text


async def test_a_cancelled_ticket_shows_no_qr(
    client: httpx.AsyncClient, event: dict[str, Any], partner: dict[str, Any], sandbox: Sandbox
) -> None:
    order = await paid_order(client, event, sandbox)
    await client.post(f"/api/v1/orders/{order['id']}/refund", headers=partner["headers"])

    page = await client.get(order["tickets"][0]["url"], headers=EN)

    assert "Cancelled" in page.text
    assert "<svg" not in page.text


async def test_the_service_worker_manifest_and_wallet_are_served(
    client: httpx.AsyncClient,
) -> None:
    worker = await client.get("/t/sw.js")
    manifest = await client.get("/t/manifest.webmanifest")
    wallet = await client.get("/t/", headers=EN)
    style = await client.get("/t/static/ticket.css")

    assert worker.headers["content-type"].startswith("text/javascript")
    assert "bx-tickets-v1" in worker.text
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    assert manifest.json()["scope"] == "/t/"
    assert wallet.status_code == 200
    assert "My tickets" in wallet.text
    assert style.status_code == 200


async def test_a_rotating_event_shows_digits_that_verify_and_gives_the_page_its_secret(
    client: httpx.AsyncClient,
    partner: dict[str, Any],
    sandbox: Sandbox,
    tickets_ctx: TicketsContext,
) -> None:
    event = await new_event(client, partner, rotating_qr=True)
    order = await paid_order(client, event, sandbox)
    code = order["tickets"][0]["code"]

    body = (await client.get(f"/api/v1/tickets/{code}", headers=order["headers"])).json()
    page = (await client.get(order["tickets"][0]["url"])).text

    assert event["rotating_qr"] is True
    assert re.fullmatch(r"BX1[0-9A-Z$*+\-/:]{117}\.\d{8}", body["qr"])
    assert body["qr_refresh_at"] > tickets_ctx.clock().timestamp()
    verified = await verify_payload(
        tickets_ctx,
        body["qr"],
        event["id"],
        rotation_secret=lambda c: tickets_ctx.rotation_secret(event["id"], c),
    )
    assert verified.ok
    assert re.search(r'src="/t/static/rotating.js\?v=[0-9a-f]{10}"', page)
    assert f'data-step="{rotating.STEP_SECONDS}"' in page
    assert "data-secret=" in page


async def test_the_order_pdf_has_one_page_per_ticket(
    client: httpx.AsyncClient, event: dict[str, Any], sandbox: Sandbox
) -> None:
    order = await paid_order(client, event, sandbox, quantity=3)
    path = f"/api/v1/orders/{order['id']}/tickets.pdf"

    response = await client.get(path, params={"token": order["access_token"]})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 3
    for page, ticket in zip(reader.pages, order["tickets"], strict=True):
        text = page.extract_text()
        assert ticket["code"] in text
        assert "Orquestra Sinf" in text


async def test_the_pdf_needs_the_token_or_the_owning_partner(
    client: httpx.AsyncClient, event: dict[str, Any], partner: dict[str, Any], sandbox: Sandbox
) -> None:
    order = await paid_order(client, event, sandbox)
    path = f"/api/v1/orders/{order['id']}/tickets.pdf"
    stranger = await new_partner(client, "Someone Else")

    assert (await client.get(path)).status_code == 401
    assert (await client.get(path, params={"token": "nope"})).status_code == 401
    assert (await client.get(path, headers=stranger["headers"])).status_code == 404
    assert (await client.get(path, headers=partner["headers"])).status_code == 200
    assert (await client.get("/api/v1/orders/ord_nope/tickets.pdf")).status_code == 404


async def test_the_page_speaks_the_readers_language_and_it_and_the_pdf_tell_local_time(
    client: httpx.AsyncClient, partner: dict[str, Any], sandbox: Sandbox
) -> None:
    event = await new_event(
        client, partner, starts_at="2031-01-15T23:00:00+00:00", name="Noite de Estreia"
    )
    order = await paid_order(client, event, sandbox)
    url = order["tickets"][0]["url"]
    pdf_url = f"/api/v1/orders/{order['id']}/tickets.pdf"
    token = {"token": order["access_token"]}
    pdf_pt = await client.get(pdf_url, params=token, headers={"Accept-Language": "pt-BR"})
    pdf_en = await client.get(pdf_url, params=token, headers=EN)

    portuguese = await client.get(url, headers={"Accept-Language": "pt-BR"})
    english = await client.get(url, headers=EN)
    revalidated = await client.get(url, headers={**EN, "If-None-Match": portuguese.headers["etag"]})

    assert '<html lang="pt-BR">' in portuguese.text
    assert "Válido" in portuguese.text
    assert "Mostre este código na entrada." in portuguese.text
    assert "qua., 15 de jan. de 2031 · 20:00" in portuguese.text  # São Paulo, not UTC
    assert "Valid" in english.text
    assert "Wed, Jan 15, 2031 · 8:00\u202fPM" in english.text
    assert "UTC" not in english.text
    assert portuguese.headers["etag"] != english.headers["etag"]
    assert revalidated.status_code == 200  # a page kept in Portuguese is not reused in English
    # The PDF too, in the reader's language, its zone named (Latin-1: U+202F becomes a space).
    pt_text = PdfReader(io.BytesIO(pdf_pt.content)).pages[0].extract_text()
    en_text = PdfReader(io.BytesIO(pdf_en.content)).pages[0].extract_text()
    assert "qua., 15 de jan. de 2031 · 20:00 (Horário de Brasília)" in pt_text
    assert "Mostre este QR code na entrada." in pt_text
    assert "Wed, Jan 15, 2031 · 8:00 PM (Brasilia Time)" in en_text
    assert "Show this QR code at the gate." in en_text
