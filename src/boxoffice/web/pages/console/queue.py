"""Console: a queued event's waiting room, watched live and paced by its partner.

On sale day the partner watches who waits and how fast they are let in, and turns the
admission rate up or down (the same rule as `PUT /api/v1/events/{id}/queue/rate`: the
waiting room's `set_rate`). The figures are part of the live fragment, refreshed with the
sales; the rate's form sits outside it, so a poll never wipes what the partner is typing.
A queue that cannot be reached is said so, never shown as an empty line.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from boxoffice.catalog.service import get_partner_event
from boxoffice.errors import InvalidRequest, NoWaitingRoom, WaitingRoomUnavailable
from boxoffice.waitingroom import service
from boxoffice.web.pages.forms import read_form
from boxoffice.web.pages.rendering import PageRoute, redirect
from boxoffice.web.pages.sessions import check_csrf, signed_in_partner

router = APIRouter(prefix="/console", route_class=PageRoute, include_in_schema=False)
Partner = Annotated[str, Depends(signed_in_partner)]


def _room(request: Request) -> service.WaitingRoom | None:
    room: service.WaitingRoom | None = request.app.state.services.sales.waiting_room
    return room


async def queue_view(request: Request, event: dict[str, Any]) -> dict[str, Any]:
    """What the event page shows of its waiting room: None for an event without one."""
    room = _room(request)
    if not event["waiting_room"] or room is None:
        return {"queue": None, "queue_down": bool(event["waiting_room"])}
    try:
        return {"queue": await service.overview(room, event_id=event["id"]), "queue_down": False}
    except WaitingRoomUnavailable:
        return {"queue": None, "queue_down": True}


@router.post("/events/{event_id}/queue/rate")
async def set_rate(request: Request, event_id: str, partner_id: Partner) -> Response:
    from boxoffice.web.pages.console.dashboard import dashboard_page

    form = await read_form(request)
    check_csrf(request, form)
    services = request.app.state.services
    event = await get_partner_event(services.engine, partner_id=partner_id, event_id=event_id)
    room = _room(request)
    if not event["waiting_room"] or room is None:
        raise NoWaitingRoom("this event sells without a waiting room")
    typed = form.get("per_second", "")
    try:
        # The field is a number input: browsers send "12.5" whatever the reader's locale.
        await service.set_rate(room, event_id=event_id, per_second=float(typed))
    except (ValueError, InvalidRequest):
        return await dashboard_page(
            request, event_id, partner_id, status=422, rate_error="invalid", rate_typed=typed
        )
    except WaitingRoomUnavailable:
        return await dashboard_page(
            request, event_id, partner_id, status=503, rate_error="unavailable", rate_typed=typed
        )
    return redirect(request, f"/console/events/{event_id}?msg=rate_set")
