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

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from boxoffice.errors import BoxofficeError
from boxoffice.i18n import N_
from boxoffice.tickets import rotating
from boxoffice.tickets.presentation import Shown, TicketsContext, open_ticket, show
from boxoffice.web.api.deps import bearer_token
from boxoffice.web.pages import assets, qrcodes
from boxoffice.web.pages.caching import conditional
from boxoffice.web.pages.rendering import View, environment, view_of

STATIC = assets.STATIC
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
STATUS_TEXT = {"valid": N_("Valid"), "used": N_("Used"), "cancelled": N_("Cancelled")}
PROBLEM_TEXT = {
    401: (
        N_("Open it from your e-mail"),
        N_("This ticket exists. Open it with the link in your e-mail."),
    ),
    404: (N_("Ticket not found"), N_("No ticket has this code.")),
    422: (N_("Check the code"), ""),
}

router = APIRouter(include_in_schema=False)


def static_files() -> StaticFiles:
    """The page's CSS, scripts and icons, for ``app.mount(STATIC_URL, static_files())``."""
    return assets.VersionedStaticFiles(STATIC)


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
async def wallet(request: Request) -> HTMLResponse:
    view = view_of(request)
    html = environment(view.locale).get_template("wallet.html").render(view=view)
    return HTMLResponse(html, headers={**PAGE_HEADERS, "Cache-Control": "no-cache"})


@router.get("/t/{code}", response_class=HTMLResponse)
async def ticket_page(code: str, request: Request) -> Response:
    ctx: TicketsContext = request.app.state.tickets
    token = request.query_params.get("token") or bearer_token(request)
    view = view_of(request)
    try:
        shown = await show(ctx, await open_ticket(ctx, code_text=code, token=token))
    except BoxofficeError as error:
        return _problem_page(view, error)
    # No `Vary`: the service worker finds the page offline by its URL alone (the Cache API
    # honours Vary). The validator names the language, so a page kept in one language is
    # revalidated, not reused, when the reader's language changes, and so does a deploy that
    # changed its scripts (the page names them by version).
    response = conditional(
        request,
        shown.etag(f"page:{view.locale}:{assets.version()}"),
        lambda: HTMLResponse(render_ticket(shown, view)),
        vary=None,
    )
    response.headers.update(PAGE_HEADERS)
    return response


def render_ticket(shown: Shown, view: View) -> str:
    """The ticket in the reader's language, its time in the site's display zone."""
    t = shown.ticket
    secret = shown.rotation_secret
    label = view.gettext("QR code of ticket %(code)s", code=t.display_code)
    return (
        environment(view.locale)
        .get_template("ticket.html")
        .render(
            view=view,
            t=t,
            when=view.fmt.when(t.starts_at),
            status_text=view.gettext(STATUS_TEXT.get(t.status, t.status.title())),
            show_qr=t.status != "cancelled",
            svg=qrcodes.inline_svg(shown.payload, label=label),
            payload=shown.payload,
            rotating=secret is not None,
            signed=shown.signed,
            secret=base64.urlsafe_b64encode(secret).decode().rstrip("=") if secret else "",
            step=rotating.STEP_SECONDS,
            digits=rotating.DIGITS,
        )
    )


def _problem_page(view: View, error: BoxofficeError) -> HTMLResponse:
    title, message = PROBLEM_TEXT.get(error.status, (N_("Something went wrong"), ""))
    html = (
        environment(view.locale)
        .get_template("problem.html")
        .render(
            view=view,
            title=view.gettext(title),
            message=view.gettext(message) if message else error.detail,
        )
    )
    headers = {**PAGE_HEADERS, "Cache-Control": "no-store"}
    return HTMLResponse(html, status_code=error.status, headers=headers)
