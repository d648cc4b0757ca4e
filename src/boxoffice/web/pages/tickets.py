"""The ticket page ``/t/{code}?token=…``, the offline wallet ``/t/``, and their worker.

Everything a ticket needs at the gate is in the one HTML response: the QR is inline SVG, the
styles and scripts are same-origin static files (no inline script, so the page runs under a
strict Content-Security-Policy). The service worker at ``/t/sw.js`` (scope ``/t/``) keeps
every ticket page opened on the device, so it shows, QR included, with no signal.

Rotating-QR events: the page embeds the ticket's rotation secret (it is only ever rendered
for the order's token or the partner's key) and ``rotating.js`` computes the digits with
WebCrypto, offline too. Who has the link can show the ticket anyway; what rotation defeats
is a *picture* of the code being passed around or sold.
"""

from __future__ import annotations

import base64
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from boxoffice.errors import BoxofficeError
from boxoffice.tickets import pdf, rotating
from boxoffice.tickets.presentation import Shown, TicketsContext, open_ticket, show
from boxoffice.web.api.deps import bearer_token
from boxoffice.web.pages import qrcodes
from boxoffice.web.pages.caching import conditional

STATIC = Path(__file__).parent / "static"
STATIC_URL = "/t/static"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; manifest-src 'self'; worker-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
# The token is in the URL: never send it on as a Referer, and never let a frame show it.
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
STATUS_TEXT = {"valid": "Valid", "used": "Used", "cancelled": "Cancelled"}
PROBLEM_TEXT = {
    401: ("Open it from your e-mail", "This ticket exists. Open it with the link in your e-mail."),
    404: ("Ticket not found", "No ticket has this code."),
    422: ("Check the code", ""),
}

router = APIRouter(include_in_schema=False)
_templates = Environment(
    loader=PackageLoader("boxoffice.web.pages", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def static_files() -> StaticFiles:
    """The page's CSS, scripts and icons, for ``app.mount(STATIC_URL, static_files())``."""
    return StaticFiles(directory=STATIC)


@cache
def _static_text(name: str) -> str:
    return (STATIC / name).read_text()


@router.get("/t/sw.js")
async def service_worker() -> Response:
    # Served from /t/ so that its scope covers the ticket pages.
    headers = {"Cache-Control": "no-cache", "Service-Worker-Allowed": "/t/"}
    return Response(_static_text("sw.js"), media_type="text/javascript", headers=headers)


@router.get("/t/manifest.webmanifest")
async def manifest() -> Response:
    return Response(
        _static_text("manifest.webmanifest"),
        media_type="application/manifest+json",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/t/", response_class=HTMLResponse)
async def wallet() -> HTMLResponse:
    html = _templates.get_template("wallet.html").render()
    return HTMLResponse(html, headers={**PAGE_HEADERS, "Cache-Control": "no-cache"})


@router.get("/t/{code}", response_class=HTMLResponse)
async def ticket_page(code: str, request: Request) -> Response:
    ctx: TicketsContext = request.app.state.tickets
    token = request.query_params.get("token") or bearer_token(request)
    try:
        shown = await show(ctx, await open_ticket(ctx, code_text=code, token=token))
    except BoxofficeError as error:
        return _problem_page(error)
    response = conditional(
        request, shown.etag("page"), lambda: HTMLResponse(render_ticket(shown)), vary=None
    )
    response.headers.update(PAGE_HEADERS)
    return response


def render_ticket(shown: Shown) -> str:
    t = shown.ticket
    secret = shown.rotation_secret
    return _templates.get_template("ticket.html").render(
        t=t,
        when=pdf.when(t.starts_at),
        status_text=STATUS_TEXT.get(t.status, t.status.title()),
        show_qr=t.status != "cancelled",
        svg=qrcodes.inline_svg(shown.payload, label=f"QR code of ticket {t.display_code}"),
        payload=shown.payload,
        rotating=secret is not None,
        signed=shown.signed,
        secret=base64.urlsafe_b64encode(secret).decode().rstrip("=") if secret else "",
        step=rotating.STEP_SECONDS,
        digits=rotating.DIGITS,
    )


def _problem_page(error: BoxofficeError) -> HTMLResponse:
    title, message = PROBLEM_TEXT.get(error.status, ("Something went wrong", error.detail))
    html = _templates.get_template("problem.html").render(
        title=title, message=message or error.detail
    )
    headers = {**PAGE_HEADERS, "Cache-Control": "no-store"}
    return HTMLResponse(html, status_code=error.status, headers=headers)
