"""Console: an event's page with its live sales, refreshed in place every few seconds.

The figures fragment (``/live``) replaces itself through htmx polling: a partner watching a
sale sees each order arrive without reloading, and the fragment is a plain server render,
so what it shows is exactly what `sales.dashboard.live_figures` counted, never a total
kept in the browser. Polling rather than server-sent events: a poll is one short request
that any worker on any host can answer, with no connection held open per viewer.

A queued event's waiting room is watched in the same fragment and paced below it
(`console.queue`); below that, the event's gate devices and check-in figures (`console.gate`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from boxoffice.catalog.service import get_partner_event
from boxoffice.sales.dashboard import live_figures
from boxoffice.web.pages.charts import sales_chart
from boxoffice.web.pages.console.gate import gate_view
from boxoffice.web.pages.console.queue import queue_view
from boxoffice.web.pages.rendering import PageRoute, render, view_of
from boxoffice.web.pages.sessions import signed_in_partner

router = APIRouter(prefix="/console", route_class=PageRoute, include_in_schema=False)
Partner = Annotated[str, Depends(signed_in_partner)]
POLL_SECONDS = 2


def _engine(request: Request) -> Any:
    return request.app.state.services.engine


async def _live(request: Request, partner_id: str, event: dict[str, Any]) -> dict[str, Any]:
    live = await live_figures(_engine(request), partner_id=partner_id, event_id=event["id"])
    view = view_of(request)
    now = datetime.now(UTC)
    sold = live.sold
    chart = sales_chart(
        live.timeline,
        now=now,
        title=view.gettext("Tickets sold over time"),
        description=view.gettext("%(count)s tickets sold so far.", count=view.fmt.number(sold)),
        label=view.fmt.time,
    )
    figures = {"live": live, "chart": chart, "updated": now, "poll": POLL_SECONDS}
    return figures | await queue_view(request, event)


async def dashboard_page(
    request: Request,
    event_id: str,
    partner_id: str,
    *,
    new_device: dict[str, Any] | None = None,
    rate_error: str | None = None,
    rate_typed: str | None = None,
    status: int = 200,
) -> Response:
    engine = _engine(request)
    event = await get_partner_event(engine, partner_id=partner_id, event_id=event_id)
    return render(
        request,
        "console/dashboard.html",
        status=status,
        event=event,
        msg=request.query_params.get("msg"),
        new_device=new_device,
        rate_error=rate_error,
        rate_typed=rate_typed,
        **await gate_view(engine, partner_id=partner_id, event_id=event_id),
        **await _live(request, partner_id, event),
    )


@router.get("/events/{event_id}")
async def dashboard(request: Request, event_id: str, partner_id: Partner) -> Response:
    return await dashboard_page(request, event_id, partner_id)


@router.get("/events/{event_id}/live")
async def live(request: Request, event_id: str, partner_id: Partner) -> Response:
    event = await get_partner_event(_engine(request), partner_id=partner_id, event_id=event_id)
    return render(
        request, "console/live.html", event=event, **await _live(request, partner_id, event)
    )
