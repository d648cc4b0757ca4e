"""Showing a ticket: find it by its short code, check who asks, and build what is shown.

Access rules, the same for the JSON view, the page, the QR images and the PDF:

- the order's access token (``Authorization: Bearer`` or ``?token=``) opens its tickets;
- the key of the partner that owns the event opens them too; another partner's key gets
  404, as every partner-facing read does for someone else's data;
- without credentials, an existing code answers 401 and an unknown one 404: the short
  code alone says that the ticket exists and nothing else (support staff read codes out
  loud; the code is not a secret, the token is);
- a typed code with a wrong check character is a 422 with the hint from
  `boxoffice.tickets.codes`, before any lookup.

Reads only: the one write that can happen here is the event's signing key being created
on first use, which `KeyStore` does in its own transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.catalog.service import authenticate_partner
from boxoffice.db.tables import events, orders, ticket_types, tickets
from boxoffice.errors import InvalidRequest, NotFound, Unauthorized
from boxoffice.ids import derive_key, tokens_match
from boxoffice.tickets import qr, rotating
from boxoffice.tickets.codes import InvalidCode, format_code, parse_code
from boxoffice.tickets.keys import KeyStore

PARTNER_KEY_PREFIX = "bxk_"
# Bump when what the JSON or an image shows changes for the same data, so ETags change too.
# (The HTML page's ETag also names the release's version: boxoffice.web.pages.assets.)
RENDER_VERSION = "1"


@dataclass(frozen=True)
class TicketsContext:
    engine: AsyncEngine
    keys: KeyStore
    access_token: Callable[[str], str]  # order id -> the order's bearer token
    root_secret: bytes
    clock: Callable[[], datetime]
    # Where the PDF and the e-mail tell the event's time (the pages' display zone), not UTC.
    display_zone: ZoneInfo
    # The language of a tickets e-mail whose order recorded none (the site's default).
    default_locale: str = "en"

    def rotation_secret(self, event_id: str, code: str) -> bytes:
        """A ticket's rotating-QR secret: recomputed from the root secret, never stored."""
        event_secret = derive_key(self.root_secret, f"qr-rotation:{event_id}")
        return rotating.ticket_secret(event_secret, code)


@dataclass(frozen=True, slots=True)
class Ticket:
    """A ticket with what its page shows about the event."""

    id: str
    code: str  # canonical, 7 symbols
    status: str
    holder_name: str
    ticket_type_id: str
    ticket_type_name: str
    order_id: str
    event_id: str
    event_name: str
    venue: str
    starts_at: datetime
    rotating_qr: bool
    partner_id: str

    @property
    def display_code(self) -> str:
        return format_code(self.code)


@dataclass(frozen=True, slots=True)
class Shown:
    """A ticket with the QR payload it shows right now."""

    ticket: Ticket
    payload: str  # what the QR encodes now
    signed: str  # the signed part alone (for a rotating QR, `payload` adds the digits)
    key_id: int
    # For rotating-QR events: the ticket's secret (only ever given to its holder) and when
    # the digits in `payload` stop being current.
    rotation_secret: bytes | None
    refresh_at: float | None

    def etag(self, variant: str) -> str:
        """A strong validator over everything that `variant` shows."""
        t = self.ticket
        parts = [RENDER_VERSION, variant, self.payload, t.status, t.holder_name]
        parts += [t.ticket_type_name, t.event_name, t.venue, t.starts_at.isoformat()]
        digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
        return f'"{digest[:32]}"'

    def as_json(self) -> dict[str, Any]:
        t = self.ticket
        body: dict[str, Any] = {
            "code": t.display_code,
            "status": t.status,
            "event_id": t.event_id,
            "ticket_type_id": t.ticket_type_id,
            "holder_name": t.holder_name,
            "qr": self.payload,
        }
        if self.refresh_at is not None:
            body["qr_refresh_at"] = self.refresh_at
        return body


def _query() -> Select[Any]:
    return (
        select(
            tickets.c.id,
            tickets.c.code,
            tickets.c.status,
            tickets.c.holder_name,
            tickets.c.ticket_type_id,
            ticket_types.c.name.label("ticket_type_name"),
            tickets.c.order_id,
            tickets.c.event_id,
            events.c.name.label("event_name"),
            events.c.venue,
            events.c.starts_at,
            events.c.rotating_qr,
            events.c.partner_id,
        )
        .join_from(tickets, events, events.c.id == tickets.c.event_id)
        .join(ticket_types, ticket_types.c.id == tickets.c.ticket_type_id)
    )


def parse_typed_code(text: str) -> str:
    try:
        return parse_code(text)
    except InvalidCode as exc:
        raise InvalidRequest(exc.hint, field="code", hint=exc.hint, reason=exc.reason) from exc


async def _authorise(
    ctx: TicketsContext, *, order_id: str, partner_id: str, token: str | None, what: str
) -> None:
    if token is None:
        raise Unauthorized(f"this {what} exists; it opens with the order's access token")
    if token.startswith(PARTNER_KEY_PREFIX):
        if await authenticate_partner(ctx.engine, token) != partner_id:
            raise NotFound(f"no such {what}")
        return
    if not tokens_match(token, ctx.access_token(order_id)):
        raise Unauthorized(f"the token does not open this {what}")


async def open_ticket(ctx: TicketsContext, *, code_text: str, token: str | None) -> Ticket:
    """The ticket behind a typed code, if `token` may see it (see the module docstring)."""
    code = parse_typed_code(code_text)
    async with ctx.engine.connect() as conn:
        row = (await conn.execute(_query().where(tickets.c.code == code))).first()
    if row is None:
        raise NotFound("no ticket has this code")
    ticket = Ticket(**row._mapping)
    await _authorise(
        ctx, order_id=ticket.order_id, partner_id=ticket.partner_id, token=token, what="ticket"
    )
    return ticket


async def open_order_tickets(
    ctx: TicketsContext, *, order_id: str, token: str | None
) -> list[Ticket]:
    """All tickets of an order, in issue order, if `token` may see them."""
    async with ctx.engine.connect() as conn:
        owner = await conn.scalar(
            select(events.c.partner_id)
            .join_from(orders, events, events.c.id == orders.c.event_id)
            .where(orders.c.id == order_id)
        )
    if owner is None:
        raise NotFound("no such order")
    await _authorise(ctx, order_id=order_id, partner_id=owner, token=token, what="order")
    async with ctx.engine.connect() as conn:
        rows = await conn.execute(
            _query().where(tickets.c.order_id == order_id).order_by(tickets.c.serial)
        )
        return [Ticket(**row._mapping) for row in rows]


async def show(ctx: TicketsContext, ticket: Ticket) -> Shown:
    """Sign the ticket's payload under the event's active key, with the digits of now."""
    key = await ctx.keys.signing_key(ticket.event_id)
    claim = qr.Claim(event_id=ticket.event_id, key_id=key.key_id, code=ticket.code)
    payload = qr.sign(claim, key.private_key)
    if not ticket.rotating_qr:
        return Shown(ticket, payload, payload, key.key_id, rotation_secret=None, refresh_at=None)
    now = ctx.clock().timestamp()
    secret = ctx.rotation_secret(ticket.event_id, ticket.code)
    digits = rotating.code_at(secret, now)
    refresh_at = now + rotating.seconds_left(now)
    return Shown(
        ticket,
        qr.with_rotation(payload, digits),
        payload,
        key.key_id,
        rotation_secret=secret,
        refresh_at=refresh_at,
    )


def build_tickets(
    *,
    engine: AsyncEngine,
    root_secret: bytes,
    access_token: Callable[[str], str],
    clock: Callable[[], datetime],
    display_zone: str = "UTC",
    default_locale: str = "en",
) -> TicketsContext:
    """The composition root's one call: keys and tokens from the same root secret as sales."""
    return TicketsContext(
        engine=engine,
        keys=KeyStore(engine, root_secret=root_secret, clock=clock),
        access_token=access_token,
        root_secret=root_secret,
        clock=clock,
        display_zone=ZoneInfo(display_zone),
        default_locale=default_locale,
    )
