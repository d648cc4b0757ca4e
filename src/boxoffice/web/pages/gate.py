"""The scanner page for gate staff: ``/gate/{event_id}`` on a phone, online or not.

The page is a static shell: the device key is typed once and kept in the phone's
localStorage, and everything else (the offline bundle, the scans) goes through the JSON API
with that key. So the HTML itself holds nothing secret and can be cached by the page's own
service worker (``/gate/sw.js``, scope ``/gate/``, separate from the ticket wallet's) to open
with no signal. Scripts are same-origin static files (the camera library is vendored, no
CDN) under a Content-Security-Policy with no inline script.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

STATIC = Path(__file__).parent / "static"
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
_templates = Environment(
    loader=PackageLoader("boxoffice.web.pages", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


@cache
def _static_text(name: str) -> str:
    return (STATIC / name).read_text()


@router.get("/gate/sw.js")
async def gate_service_worker() -> Response:
    headers = {"Cache-Control": "no-cache", "Service-Worker-Allowed": "/gate/"}
    return Response(_static_text("gate-sw.js"), media_type="text/javascript", headers=headers)


@router.get("/gate/", response_class=HTMLResponse)
async def gate_start() -> HTMLResponse:
    """Enter a device key; the page learns the event from it and moves to its scanner."""
    return _page(event_id="")


@router.get("/gate/{event_id}", response_class=HTMLResponse)
async def gate_page(event_id: str) -> HTMLResponse:
    if not _EVENT_ID.fullmatch(event_id):
        return HTMLResponse("no such event", status_code=404, headers=PAGE_HEADERS)
    return _page(event_id=event_id)


def _page(*, event_id: str) -> HTMLResponse:
    html = _templates.get_template("gate.html").render(
        event_id=event_id, scanner_library=SCANNER_LIBRARY
    )
    return HTMLResponse(html, headers=PAGE_HEADERS)
