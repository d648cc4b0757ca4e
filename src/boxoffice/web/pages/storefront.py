"""The storefront: upcoming events, an event's page with its checkout, the order's confirmation.

Buying itself is not here. The checkout page tokenises the card in the browser, straight
at the gateway with the publishable key (the card number never reaches this server), and
places the order through the public API (``POST /api/v1/orders``) with an Idempotency-Key
rendered once into the page: whatever the buyer or the network repeats, one purchase
attempt is one order and one charge (static/checkout.js). These routes only render.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from boxoffice import i18n
from boxoffice.catalog import listing
from boxoffice.catalog.service import get_public_event, list_public_events
from boxoffice.errors import NotFound
from boxoffice.sales import queries
from boxoffice.sales.rules import SaleWindow
from boxoffice.support.lookup import order_by_id
from boxoffice.web.pages.context import pages_of
from boxoffice.web.pages.rendering import PageRoute, is_htmx, render, view_of
from boxoffice.web.pages.sessions import safe_next

router = APIRouter(route_class=PageRoute, include_in_schema=False)
MAX_PER_LINE = 10  # what one select offers; the per-buyer limit may lower it


def _engine(request: Request) -> Any:
    return request.app.state.services.engine


def now() -> datetime:
    return datetime.now(UTC)


@router.get("/")
async def home(request: Request, q: str = "") -> Response:
    events = listing.upcoming(await list_public_events(_engine(request)), now=now(), query=q)
    cards = [(event, listing.lowest_price(event)) for event in events]
    return render(request, "shop/home.html", query=q.strip(), cards=cards)


def _sale_state(event: dict[str, Any]) -> str:
    window = SaleWindow(
        event["status"], event["starts_at"], event["sales_start"], event["sales_end"]
    )
    if window.refusal(now()) is None:
        return "open"
    if event["sales_start"] and now() < event["sales_start"]:
        return "not_yet"
    return "closed"


def _max_quantity(event: dict[str, Any], ticket_type: dict[str, Any]) -> int:
    limit = int(event["per_buyer_limit"] or MAX_PER_LINE)
    return max(0, min(int(ticket_type["available"]), limit, MAX_PER_LINE))


@router.get("/events/{event_id}")
async def event_page(request: Request, event_id: str) -> Response:
    event = await get_public_event(_engine(request), event_id)
    pages = pages_of(request)
    return render(
        request,
        "shop/event.html",
        event=event,
        state=_sale_state(event),
        max_quantity=lambda tt: _max_quantity(event, tt),
        # One key per page load: a double click, a retry after a lost answer, a second tab's
        # resubmission of this page all name the same purchase attempt (see checkout.js).
        idempotency_key=secrets.token_urlsafe(24),
        gateway_url=pages.gateway_url,
        publishable_key=pages.settings.gateway_publishable_key,
    )


@router.get("/events/{event_id}/availability")
async def availability(request: Request, event_id: str) -> Response:
    """Out-of-band fragments: each ticket type's availability badge, for the page's poller."""
    event = await get_public_event(_engine(request), event_id)
    return render(request, "shop/availability.html", event=event, oob=True)


@router.get("/events/{event_id}/total")
async def total(request: Request, event_id: str) -> Response:
    """The order total as the buyer's locale writes it, as quantities change."""
    event = await get_public_event(_engine(request), event_id)
    amount, currency = 0, None
    for tt in event["ticket_types"]:
        raw = request.query_params.get(f"qty-{tt['id']}", "0")
        quantity = int(raw) if raw.isdigit() else 0
        amount += tt["price"] * min(quantity, MAX_PER_LINE)
        currency = tt["currency"]
    text = view_of(request).fmt.money(amount, currency) if currency else ""
    return render(request, "shop/total.html", text=text)


@router.get("/orders/{order_id}")
async def confirmation(request: Request, order_id: str, token: str = "") -> Response:
    """The order and its tickets, for whoever holds the order's token (from checkout or mail)."""
    services = request.app.state.services
    queries.check_access_token(services.sales, order_id, token or None)
    card = await order_by_id(_engine(request), order_id, partner_id=None)
    if card is None:
        raise NotFound("no such order")
    headers = {"Referrer-Policy": "no-referrer"}  # the token is in this page's URL
    if card.status == "pending" and not is_htmx(request):
        headers["Refresh"] = "3"  # settles within seconds; no script needed to wait for it
    return render(request, "shop/order.html", card=card, token=token, headers=headers)


@router.get("/lang")
async def switch_language(to: str = "", next: str = "/") -> Response:
    """The language switch: remembered for a year in a cookie, then back to the same page."""
    response = RedirectResponse(safe_next(next, "/"), status_code=303)
    locale = i18n.normalise(to)
    if locale:
        response.set_cookie(
            i18n.COOKIE, locale, max_age=365 * 24 * 3600, path="/", samesite="lax", httponly=True
        )
    return response
