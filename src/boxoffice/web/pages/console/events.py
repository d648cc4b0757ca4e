"""Console: the partner's events, creating and editing them (drafts only), publishing.

Thin: each route checks the session (and the CSRF token on posts), calls one catalog use
case, and answers with a page or a redirect. The rules are the catalog's, through the
same `NewEvent` the API validates with (`eventform` only translates the form).
"""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request, Response

from boxoffice.catalog import drafts, service
from boxoffice.web.pages.console.eventform import EventForm, TypeRow
from boxoffice.web.pages.context import pages_of
from boxoffice.web.pages.forms import read_form
from boxoffice.web.pages.rendering import PageRoute, redirect, render, view_of
from boxoffice.web.pages.sessions import check_csrf, signed_in_partner

router = APIRouter(prefix="/console", route_class=PageRoute, include_in_schema=False)
Partner = Annotated[str, Depends(signed_in_partner)]


def _engine(request: Request) -> Any:
    return request.app.state.services.engine


def _zone(request: Request) -> ZoneInfo:
    return ZoneInfo(pages_of(request).settings.display_timezone)


@router.get("")
async def events(request: Request, partner_id: Partner) -> Response:
    found = await service.list_partner_events(_engine(request), partner_id=partner_id)
    return render(request, "console/events.html", events=found, msg=request.query_params.get("msg"))


@router.get("/events/new")
async def new_event(request: Request, partner_id: Partner) -> Response:
    return render(request, "console/event_form.html", form=EventForm(), event=None)


@router.get("/events/type-row")
async def type_row(request: Request, partner_id: Partner, index: int = 0) -> Response:
    """One more ticket type row, and the "add" button again, pointing at the next index."""
    return render(
        request, "console/type_row_more.html", index=min(max(index, 0), 49), row=TypeRow()
    )


@router.post("/events")
async def create_event(request: Request, partner_id: Partner) -> Response:
    posted = await read_form(request)
    check_csrf(request, posted)
    form = EventForm.posted(posted)
    command = form.command(_zone(request))
    if command is None:
        return render(request, "console/event_form.html", status=422, form=form, event=None)
    event = await service.create_event(_engine(request), partner_id=partner_id, command=command)
    return redirect(request, f"/console/events/{event['id']}?msg=created")


@router.get("/events/{event_id}/edit")
async def edit_event(request: Request, event_id: str, partner_id: Partner) -> Response:
    event = await service.get_partner_event(
        _engine(request), partner_id=partner_id, event_id=event_id
    )
    if event["status"] != service.DRAFT:
        raise drafts.NotEditable("the event is on sale: it can no longer be edited")
    form = EventForm.of_event(event, view_of(request).fmt)
    return render(request, "console/event_form.html", form=form, event=event)


@router.post("/events/{event_id}")
async def update_event(request: Request, event_id: str, partner_id: Partner) -> Response:
    posted = await read_form(request)
    check_csrf(request, posted)
    event = await service.get_partner_event(
        _engine(request), partner_id=partner_id, event_id=event_id
    )
    form = EventForm.posted(posted)
    command = form.command(_zone(request))
    if command is None:
        return render(request, "console/event_form.html", status=422, form=form, event=event)
    await drafts.update_draft_event(
        _engine(request), partner_id=partner_id, event_id=event_id, command=command
    )
    return redirect(request, f"/console/events/{event_id}?msg=saved")


@router.post("/events/{event_id}/publish")
async def publish_event(request: Request, event_id: str, partner_id: Partner) -> Response:
    check_csrf(request, await read_form(request))
    await service.publish_event(_engine(request), partner_id=partner_id, event_id=event_id)
    return redirect(request, f"/console/events/{event_id}?msg=published")
