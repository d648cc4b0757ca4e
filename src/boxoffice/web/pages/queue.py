"""The buyer's waiting-room page: take a place, watch it move, go to checkout when admitted.

A storefront page like the others (the reader's language, the site's layout and its strict
CSP), with a same-origin script (`static/queue.js`) that joins through the API, polls the
place as the server paces it and, once admitted, keeps the pass in sessionStorage
(`boxoffice-pass:<event id>`) for the checkout to send with the order. Everything the
script writes is worded by the template, in the reader's language.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from boxoffice.catalog.service import get_public_event
from boxoffice.web.pages.rendering import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/queue/{event_id}")
async def queue_page(request: Request, event_id: str) -> Response:
    event = await get_public_event(request.app.state.services.engine, event_id)
    return render(request, "shop/queue.html", event=event)
