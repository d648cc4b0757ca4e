"""Console: the partner's orders, searched by short code or e-mail, refunded or re-sent.

The same search and the same actions as the support view (`web.pages.support`), scoped to
the signed-in partner's events.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response

from boxoffice.catalog.service import list_partner_events
from boxoffice.support.lookup import recent_orders
from boxoffice.support.search import search
from boxoffice.web.pages import support
from boxoffice.web.pages.context import pages_of
from boxoffice.web.pages.forms import read_form
from boxoffice.web.pages.rendering import PageRoute, redirect, render
from boxoffice.web.pages.sessions import check_csrf, client_key, signed_in_partner
from boxoffice.web.ratelimit import enforce

router = APIRouter(prefix="/console", route_class=PageRoute, include_in_schema=False)
Partner = Annotated[str, Depends(signed_in_partner)]


@router.get("/orders")
async def orders(request: Request, partner_id: Partner, q: str = "", event: str = "") -> Response:
    engine = request.app.state.services.engine
    result = None
    if q.strip():
        pages = pages_of(request)
        await enforce(pages.limiter, f"lookup:{client_key(request)}", pages.lookup_rate)
        result = await search(engine, text=q, partner_id=partner_id)
        cards = result.cards
    else:
        cards = await recent_orders(engine, partner_id=partner_id, event_id=event or None)
    details = support.typo(result.problem, result.typed) if result and result.problem else None
    query = {k: v for k, v in (("q", q.strip()), ("event", event)) if v}
    return render(
        request,
        "console/orders.html",
        query=q.strip(),
        event_id=event,
        events=await list_partner_events(engine, partner_id=partner_id),
        result=result,
        cards=cards,
        typo=details,
        back="/console/orders" + (f"?{urlencode(query)}" if query else ""),
        msg=request.query_params.get("msg"),
    )


@router.post("/orders/{order_id}/refund")
async def refund(request: Request, order_id: str, partner_id: Partner) -> Response:
    form = await read_form(request)
    check_csrf(request, form)
    await support.cancel(request, order_id, partner_id)
    return redirect(request, _back(form, "refunded"))


@router.post("/orders/{order_id}/resend")
async def resend(request: Request, order_id: str, partner_id: Partner) -> Response:
    form = await read_form(request)
    check_csrf(request, form)
    await support.resend(request, order_id, partner_id)
    return redirect(request, _back(form, "resent"))


def _back(form: dict[str, str], msg: str) -> str:
    target = form.get("back", "")
    if not target.startswith("/console/orders"):
        target = "/console/orders"
    return f"{target}{'&' if '?' in target else '?'}msg={msg}"
