"""The tickets e-mail: queued with the payment, delivered over real SMTP, once, despite outages."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import email
import io
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from pypdf import PdfReader
from sqlalchemy import select

from boxoffice.db.tables import outbox
from boxoffice.mail.messages import Letterhead
from boxoffice.mail.smtp import LogMailer, SmtpMailer
from boxoffice.mail.worker import Backoff, MailContext, deliver_due, run_forever
from boxoffice.tickets.presentation import TicketsContext
from tests.integration.tickets.conftest import paid_order
from tests.support.buying import DECLINE, buy, order_body, tokenise
from tests.support.processes import free_port
from tests.support.sandbox import Sandbox

EN = {"Accept-Language": "en-US,en;q=0.9"}
PT = {"Accept-Language": "pt-BR,pt;q=0.9"}
LETTERHEAD = Letterhead(mail_from="Boxoffice <tickets@boxoffice.test>", public_url="https://t.test")


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        self.messages.append(email.message_from_bytes(raw, policy=default_policy))  # type: ignore[arg-type]
        return "250 OK"


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.stop()


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now().astimezone()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def mail_context(
    tickets_ctx: TicketsContext, smtp: SmtpServer, *, clock: Clock | None = None, **kwargs: Any
) -> MailContext:
    tickets = dataclasses.replace(tickets_ctx, clock=clock) if clock else tickets_ctx
    mailer = SmtpMailer(host="127.0.0.1", port=smtp.port, security="plain", timeout=5)
    return MailContext(tickets=tickets, mailer=mailer, letterhead=LETTERHEAD, **kwargs)


async def outbox_rows(ctx: TicketsContext, order_id: str) -> list[Any]:
    async with ctx.engine.connect() as conn:
        rows = await conn.execute(select(outbox).where(outbox.c.order_id == order_id))
        return list(rows.all())


async def test_paying_queues_one_email_and_a_declined_card_none(
    client: httpx.AsyncClient, event: dict[str, Any], sandbox: Sandbox, tickets_ctx: TicketsContext
) -> None:
    order = await paid_order(client, event, sandbox)
    declined = await buy(client, order_body(event, tokenise(sandbox.url, DECLINE)))

    assert len(await outbox_rows(tickets_ctx, order["id"])) == 1
    assert declined.status_code == 402
    async with tickets_ctx.engine.connect() as conn:
        assert len((await conn.execute(select(outbox.c.id))).all()) == 1


async def test_the_worker_mails_the_tickets_with_links_and_the_pdf(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    sandbox: Sandbox,
    tickets_ctx: TicketsContext,
    smtp: SmtpServer,
) -> None:
    order = await paid_order(client, event, sandbox, quantity=2, locale="en")
    smtp.start()
    ctx = mail_context(tickets_ctx, smtp)

    first = await deliver_due(ctx)
    second = await deliver_due(ctx)

    assert first == {"sent": 1}
    assert second == {}
    (message,) = smtp.inbox.messages
    assert message["Subject"] == f"Your tickets for {event['name']}"
    buyer = (await client.get(f"/api/v1/orders/{order['id']}", headers=order["headers"])).json()
    assert buyer["buyer"]["email"] in message["To"]
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    for ticket in order["tickets"]:
        assert f"https://t.test{ticket['url']}" in text.get_content()
    assert "(Brasilia Time)" in text.get_content()  # the display zone's, named, not UTC
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "tickets.pdf"
    assert attachment.get_content().startswith(b"%PDF")
    (row,) = await outbox_rows(tickets_ctx, order["id"])
    assert row.sent_at is not None
    assert row.attempts == 1


async def test_the_email_and_its_pdf_speak_the_language_the_buyer_bought_in(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    sandbox: Sandbox,
    tickets_ctx: TicketsContext,
    smtp: SmtpServer,
) -> None:
    english = "Your tickets for", "Hello Ana,", "Show this QR code at the gate.", "(Brasilia Time)"
    portuguese = (
        "Seus ingressos para",
        "Olá, Ana,",
        "Mostre este QR code na entrada.",
        "(Horário de Brasília)",
    )
    bought = {
        # the API client names the language
        "said en-US": (await paid_order(client, event, sandbox, locale="en-US"), english),
        "said pt-BR": (
            await paid_order(client, event, sandbox, locale="pt-BR", headers=EN),
            portuguese,
        ),
        # the storefront's checkout: the language its page was shown in
        "browser en": (await paid_order(client, event, sandbox, headers=EN), english),
        "switch to en": (
            await paid_order(client, event, sandbox, headers={"Cookie": "bx_lang=en", **PT}),
            english,
        ),
        # a language the site does not speak: the request's, else the site's default (pt_BR)
        "said fr, browser en": (
            await paid_order(client, event, sandbox, locale="fr-FR", headers=EN),
            english,
        ),
        "nothing said": (await paid_order(client, event, sandbox), portuguese),
    }
    smtp.start()

    assert await deliver_due(mail_context(tickets_ctx, smtp)) == {"sent": len(bought)}

    for case, (order, (subject, greeting, pdf_note, zone)) in bought.items():
        (message,) = [m for m in smtp.inbox.messages if order["id"] in m.as_string()]
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        assert text is not None
        assert html is not None
        (attachment,) = list(message.iter_attachments())
        pdf_text = PdfReader(io.BytesIO(attachment.get_content())).pages[0].extract_text()
        assert message["Subject"] == f"{subject} {event['name']}", case
        assert text.get_content().startswith(greeting), case
        assert zone in text.get_content(), case
        lang = "en" if subject == english[0] else "pt-BR"
        assert f'<html lang="{lang}">' in html.get_content(), case
        assert pdf_note in pdf_text, case


async def test_an_smtp_outage_is_retried_with_backoff_and_delivered_once_it_is_back(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    sandbox: Sandbox,
    tickets_ctx: TicketsContext,
    smtp: SmtpServer,
) -> None:
    order = await paid_order(client, event, sandbox)
    clock = Clock()
    ctx = mail_context(tickets_ctx, smtp, clock=clock, backoff=Backoff(base_seconds=5))

    assert await deliver_due(ctx) == {"retry": 1}  # nothing listens on the port yet
    (row,) = await outbox_rows(tickets_ctx, order["id"])
    assert row.next_attempt_at - clock.now == timedelta(seconds=5)
    clock.advance(4)
    assert await deliver_due(ctx) == {}  # not due yet
    clock.advance(1)
    assert await deliver_due(ctx) == {"retry": 1}
    (row,) = await outbox_rows(tickets_ctx, order["id"])
    assert row.next_attempt_at - clock.now == timedelta(seconds=10)  # doubled
    assert "ConnectionRefused" in row.last_error

    smtp.start()
    clock.advance(10)
    assert await deliver_due(ctx) == {"sent": 1}

    assert len(smtp.inbox.messages) == 1
    (row,) = await outbox_rows(tickets_ctx, order["id"])
    assert (row.attempts, row.sent_at, row.last_error) == (3, clock.now, None)


async def test_two_workers_deliver_each_order_exactly_once(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    sandbox: Sandbox,
    tickets_ctx: TicketsContext,
    smtp: SmtpServer,
) -> None:
    orders = [await paid_order(client, event, sandbox) for _ in range(4)]
    smtp.start()
    workers = [mail_context(tickets_ctx, smtp), mail_context(tickets_ctx, smtp)]
    assert workers[0].owner != workers[1].owner

    async def work(ctx: MailContext) -> int:
        sent = 0
        for _ in range(3):
            sent += (await deliver_due(ctx, limit=10))["sent"]
        return sent

    counts = await asyncio.gather(*(work(ctx) for ctx in workers))

    assert sum(counts) == 4
    assert len(smtp.inbox.messages) == 4
    assert len({m["Message-ID"] for m in smtp.inbox.messages}) == 4
    for order in orders:
        (row,) = await outbox_rows(tickets_ctx, order["id"])
        assert row.sent_at is not None


async def test_the_partner_can_have_the_tickets_sent_again(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    partner: dict[str, Any],
    sandbox: Sandbox,
    tickets_ctx: TicketsContext,
    smtp: SmtpServer,
) -> None:
    order = await paid_order(client, event, sandbox, locale="pt-BR")
    smtp.start()
    ctx = mail_context(tickets_ctx, smtp)
    await deliver_due(ctx)
    path = f"/api/v1/orders/{order['id']}/resend"

    resent = await client.post(path, headers=partner["headers"])
    by_buyer = await client.post(path, headers=order["headers"])

    assert resent.status_code == 202
    assert resent.json()["status"] == "queued"
    assert by_buyer.status_code == 401
    assert await deliver_due(ctx) == {"sent": 1}
    assert len(smtp.inbox.messages) == 2
    again = smtp.inbox.messages[1].get_body(preferencelist=("plain",))
    assert again is not None
    # in the buyer's language, whoever asked for it again
    assert "Aqui estão de novo seus ingressos" in again.get_content()


async def test_without_an_smtp_url_the_mail_is_logged(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    sandbox: Sandbox,
    tickets_ctx: TicketsContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    order = await paid_order(client, event, sandbox)
    ctx = MailContext(tickets=tickets_ctx, mailer=LogMailer(), letterhead=LETTERHEAD)

    with caplog.at_level(logging.INFO, logger="boxoffice.mail"):
        assert await deliver_due(ctx) == {"sent": 1}

    assert order["tickets"][0]["code"] in caplog.text


async def test_while_the_process_is_selling_the_mail_waits_its_turn_then_catches_up(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    sandbox: Sandbox,
    tickets_ctx: TicketsContext,
    smtp: SmtpServer,
) -> None:
    """A PDF costs as much CPU as ten purchases: during a rush the worker trickles."""
    for _ in range(6):
        await paid_order(client, event, sandbox)
    smtp.start()
    selling = True
    worker = asyncio.create_task(
        run_forever(mail_context(tickets_ctx, smtp), interval_seconds=0.05, selling=lambda: selling)
    )
    try:
        await asyncio.sleep(2.5)
        during_rush = len(smtp.inbox.messages)
        selling = False
        for _ in range(100):
            if len(smtp.inbox.messages) == 6:
                break
            await asyncio.sleep(0.1)
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker

    assert 1 <= during_rush <= 3  # about one a second: the backlog moves, slowly
    assert len(smtp.inbox.messages) == 6  # and drains once the rush is over
