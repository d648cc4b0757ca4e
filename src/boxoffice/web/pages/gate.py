"""The scanner page for gate staff: ``/gate/{event_id}`` on a phone, online or not.

The page is a static shell: the device key is typed once and kept in the phone's
localStorage, and everything else (the offline bundle, the scans) goes through the JSON API
with that key. So the HTML itself holds nothing secret and can be cached by the page's own
service worker (``/gate/sw.js``, scope ``/gate/``, separate from the ticket wallet's) to open
with no signal. Scripts are same-origin static files (the camera library is vendored, no
CDN) under a Content-Security-Policy with no inline script.

It speaks the phone's language, chosen as for every page (the ``bx_lang`` cookie,
``Accept-Language``, the site's default): the template's words, and those the scripts write
(results, reasons, the offline list's state), which they read from a JSON data block in the
page, so the copy the service worker keeps offline speaks it too. A mistyped code is
answered with the tickets it could have been (the API's ``suggestions``, or the offline
bundle), worded in the page's language. The API's ``hint`` is English, so the page does not
show it: what is wrong with a typed code (how many characters it has, which one codes never
use and what it was probably misread for) is worked out by the page from what was typed, in
its own language, online and offline alike.
"""

from __future__ import annotations

import re
from functools import cache

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from boxoffice.tickets.codes import LOOKALIKES
from boxoffice.web.pages import assets
from boxoffice.web.pages.rendering import environment, view_of

STATIC = assets.STATIC
SCANNER_LIBRARY = "vendor/html5-qrcode-2.3.8.min.js"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob: mediastream:; connect-src 'self'; worker-src 'self'; "
    "manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Permissions-Policy": "camera=(self)",
    "Cache-Control": "no-cache",
}
_EVENT_ID = re.compile(r"evt_[a-z2-7]{16}")

router = APIRouter(include_in_schema=False)


@cache
def _static_text(name: str) -> str:
    return (STATIC / name).read_text()


@router.get("/gate/sw.js")
async def gate_service_worker() -> Response:
    headers = {"Cache-Control": "no-cache", "Service-Worker-Allowed": "/gate/"}
    return Response(_static_text("gate-sw.js"), media_type="text/javascript", headers=headers)


@router.get("/gate/", response_class=HTMLResponse)
async def gate_start(request: Request) -> HTMLResponse:
    """Enter a device key; the page learns the event from it and moves to its scanner."""
    return _page(request, event_id="")


@router.get("/gate/{event_id}", response_class=HTMLResponse)
async def gate_page(event_id: str, request: Request) -> HTMLResponse:
    if not _EVENT_ID.fullmatch(event_id):
        return HTMLResponse("no such event", status_code=404, headers=PAGE_HEADERS)
    return _page(request, event_id=event_id)


def _page(request: Request, *, event_id: str) -> HTMLResponse:
    view = view_of(request)
    html = (
        environment(view.locale)
        .get_template("gate.html")
        .render(
            view=view,
            event_id=event_id,
            scanner_library=SCANNER_LIBRARY,
            lookalikes=LOOKALIKES,
        )
    )
    headers = {**PAGE_HEADERS, "Content-Language": view.lang}
    return HTMLResponse(html, headers=headers)
