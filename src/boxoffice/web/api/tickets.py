"""Tickets: the JSON view, QR images, the order's PDF, re-sending the e-mail, event keys.

Credentials come as ``Authorization: Bearer <token>`` or ``?token=<token>``: the order's
access token or the owning partner's key (rules in `boxoffice.tickets.presentation`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from boxoffice.catalog.service import get_partner_event
from boxoffice.mail.outbox import resend_tickets
from boxoffice.tickets import pdf
from boxoffice.tickets.presentation import (
    Shown,
    TicketsContext,
    open_order_tickets,
    open_ticket,
    show,
)
from boxoffice.tickets.qr import public_key_text
from boxoffice.web.api.deps import PartnerId, ServicesDep, bearer_token, reader_locale
from boxoffice.web.pages import qrcodes
from boxoffice.web.pages.caching import conditional

router = APIRouter(prefix="/api/v1", tags=["tickets"])

_AUTH: dict[int | str, dict[str, Any]] = {
    401: {"description": "the code exists, but no or wrong credentials"},
    404: {"description": "no such ticket (or another partner's)"},
    422: {"description": "not a ticket code; `hint` says what is wrong"},
}


def tickets_context(request: Request) -> TicketsContext:
    context: TicketsContext = request.app.state.tickets
    return context


def credentials(request: Request) -> str | None:
    return bearer_token(request) or request.query_params.get("token") or None


async def _shown_ticket(request: Request, code: str) -> Shown:
    ctx = tickets_context(request)
    return await show(ctx, await open_ticket(ctx, code_text=code, token=credentials(request)))


@router.get("/tickets/{code}", responses=_AUTH)
async def get_ticket(code: str, request: Request) -> Response:
    """`{code, status, event_id, ticket_type_id, holder_name, qr}`; `qr` is the payload text."""
    shown = await _shown_ticket(request, code)
    return conditional(request, shown.etag("json"), lambda: JSONResponse(shown.as_json()))


@router.get("/tickets/{code}/qr.svg", responses=_AUTH, response_class=Response)
async def ticket_qr_svg(code: str, request: Request) -> Response:
    shown = await _shown_ticket(request, code)
    return conditional(
        request,
        shown.etag("svg"),
        lambda: Response(qrcodes.svg_document(shown.payload), media_type="image/svg+xml"),
    )


@router.get("/tickets/{code}/qr.png", responses=_AUTH, response_class=Response)
async def ticket_qr_png(code: str, request: Request) -> Response:
    shown = await _shown_ticket(request, code)
    return conditional(
        request,
        shown.etag("png"),
        lambda: Response(qrcodes.png(shown.payload), media_type="image/png"),
    )


@router.get("/orders/{order_id}/tickets.pdf", responses=_AUTH, response_class=Response)
async def order_tickets_pdf(order_id: str, request: Request) -> Response:
    """The order's tickets, one A4 page each."""
    ctx = tickets_context(request)
    tickets = await open_order_tickets(ctx, order_id=order_id, token=credentials(request))
    shown = [await show(ctx, ticket) for ticket in tickets]
    return Response(
        pdf.render_tickets(shown, locale=reader_locale(request), zone=ctx.display_zone),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="tickets-{order_id}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/orders/{order_id}/resend", status_code=202)
async def resend(order_id: str, partner_id: PartnerId, request: Request) -> dict[str, Any]:
    """Queue the tickets e-mail to the buyer again (partner key)."""
    ctx = tickets_context(request)
    mail_id = await resend_tickets(
        ctx.engine, partner_id=partner_id, order_id=order_id, now=ctx.clock()
    )
    return {"order_id": order_id, "status": "queued", "mail_id": mail_id}


@router.get("/events/{event_id}/keys")
async def event_keys(
    event_id: str, partner_id: PartnerId, svc: ServicesDep, request: Request
) -> dict[str, Any]:
    """The event's public keys by key id, retired ones included (what gates verify with)."""
    await get_partner_event(svc.engine, partner_id=partner_id, event_id=event_id)
    keys = await tickets_context(request).keys.public_keys(event_id)
    return {
        "event_id": event_id,
        "keys": [{"key_id": i, "public_key": public_key_text(k)} for i, k in keys.items()],
    }


@router.post("/events/{event_id}/keys/rotate", status_code=201)
async def rotate_event_key(
    event_id: str, partner_id: PartnerId, svc: ServicesDep, request: Request
) -> dict[str, Any]:
    """A new signing key for the event; tickets shown under older keys stay valid."""
    await get_partner_event(svc.engine, partner_id=partner_id, event_id=event_id)
    key = await tickets_context(request).keys.rotate(event_id)
    return {
        "event_id": event_id,
        "key_id": key.key_id,
        "public_key": public_key_text(key.public_key),
    }
