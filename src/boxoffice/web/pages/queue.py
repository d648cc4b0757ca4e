"""The buyer's waiting-room page: take a place, watch it move, go to checkout when admitted.

Server-rendered shell, a same-origin script (no inline code, so it runs under a strict CSP)
that joins through the API, polls the place every few seconds and, once admitted, keeps the
pass in sessionStorage (`boxoffice-pass:<event id>`) for the checkout to send with the order.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from boxoffice.catalog.service import get_public_event
from boxoffice.errors import NotFound
from boxoffice.web.api.deps import ServicesDep

ASSETS = Path(__file__).parent / "queue_static"
MEDIA_TYPES = {"queue.js": "text/javascript", "queue.css": "text/css"}
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}

router = APIRouter(include_in_schema=False)
_templates = Environment(
    loader=PackageLoader("boxoffice.web.pages", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


@router.get("/queue/{event_id}")
async def queue_page(event_id: str, svc: ServicesDep) -> HTMLResponse:
    event = await get_public_event(svc.engine, event_id)
    html = _templates.get_template("queue.html").render(event=event)
    return HTMLResponse(html, headers=HEADERS)


@router.get("/queue-static/{name}")
async def queue_asset(name: str) -> Response:
    if name not in MEDIA_TYPES:
        raise NotFound("no such file")
    return Response(
        (ASSETS / name).read_text(),
        media_type=MEDIA_TYPES[name],
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )
