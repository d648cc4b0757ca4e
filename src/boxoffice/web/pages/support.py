"""The support view: find an order from what the buyer reads out, resend it, cancel it.

Open to the admin key (every event) and to partners (their own events): the scope comes
from the session, never from the form, and every action re-checks that the order lies
within it, answering "not found" otherwise, as the API does for other partners' data.
Lookups are rate limited per client: codes are short, and the limit is what keeps a
signed-in stranger from walking the code space.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response

from boxoffice.errors import NotFound
from boxoffice.mail.outbox import resend_tickets
from boxoffice.sales import queries, refunds
from boxoffice.support.search import search
from boxoffice.tickets.codes import ALPHABET, CODE_LENGTH, LOOKALIKES, InvalidCode
from boxoffice.web.pages.context import pages_of
from boxoffice.web.pages.forms import read_form
from boxoffice.web.pages.rendering import PageRoute, redirect, render
from boxoffice.web.pages.sessions import check_csrf, client_key, safe_next, signed_in_agent
from boxoffice.web.ratelimit import enforce

router = APIRouter(prefix="/support", route_class=PageRoute, include_in_schema=False)
Agent = Annotated[str | None, Depends(signed_in_agent)]


def typo(problem: InvalidCode, typed: str) -> dict[str, Any]:
    """What the hint names: the symbol count, or the first symbol no code uses."""
    symbols = "".join(typed.split()).replace("-", "").upper()
    details: dict[str, Any] = {"reason": problem.reason, "count": len(symbols)}
    details["expected"] = CODE_LENGTH
    for position, char in enumerate(symbols, start=1):
        if char not in ALPHABET:
            instead = " / ".join(LOOKALIKES[char]) if char in LOOKALIKES else None
            details |= {"char": char, "position": position, "instead": instead}
            break
    return details


@router.get("")
async def support(request: Request, agent: Agent, q: str = "") -> Response:
    result = None
    if q.strip():
        pages = pages_of(request)
        await enforce(pages.limiter, f"lookup:{client_key(request)}", pages.lookup_rate)
        result = await search(request.app.state.services.engine, text=q, partner_id=agent)
    details = typo(result.problem, result.typed) if result and result.problem else None
    return render(
        request,
        "support/index.html",
        query=q.strip(),
        result=result,
        typo=details,
        back=f"/support?q={quote(q.strip())}",
        msg=request.query_params.get("msg"),
    )


async def owner_within(request: Request, order_id: str, scope: str | None) -> str:
    """The order's partner, if the order lies within the agent's scope."""
    owner = await queries.order_owner(request.app.state.services.sales, order_id)
    if owner is None or (scope is not None and owner != scope):
        raise NotFound("no such order")
    return owner


async def resend(request: Request, order_id: str, scope: str | None) -> None:
    owner = await owner_within(request, order_id, scope)
    sales = request.app.state.services.sales
    await resend_tickets(sales.engine, partner_id=owner, order_id=order_id, now=sales.clock())


async def cancel(request: Request, order_id: str, scope: str | None) -> None:
    """Cancel = refund at the gateway, cancel the tickets, return the seats (one service)."""
    owner = await owner_within(request, order_id, scope)
    await refunds.refund_order(
        request.app.state.services.sales, partner_id=owner, order_id=order_id
    )


def _back(form: dict[str, str], msg: str) -> str:
    target = safe_next(form.get("back"), "/support")
    return f"{target}{'&' if '?' in target else '?'}msg={msg}"


@router.post("/orders/{order_id}/resend")
async def resend_order(request: Request, order_id: str, agent: Agent) -> Response:
    form = await read_form(request)
    check_csrf(request, form)
    await resend(request, order_id, agent)
    return redirect(request, _back(form, "resent"))


@router.post("/orders/{order_id}/cancel")
async def cancel_order(request: Request, order_id: str, agent: Agent) -> Response:
    form = await read_form(request)
    check_csrf(request, form)
    await cancel(request, order_id, agent)
    return redirect(request, _back(form, "cancelled"))
