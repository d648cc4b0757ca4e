"""Console: an event's gate devices and its check-in figures, from the check-in service.

The rules (one key per device and event, shown once, revocation effective on the next scan)
are `boxoffice.checkin.devices`'s; this page only lists, creates and revokes through it, and
shows `boxoffice.checkin.stats`. A new key is rendered once, in the answer to the post that
made it, and never again: it is not stored anywhere it could be shown from.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from boxoffice.checkin import devices, stats
from boxoffice.web.pages.forms import read_form
from boxoffice.web.pages.rendering import PageRoute, redirect
from boxoffice.web.pages.sessions import check_csrf, signed_in_partner

router = APIRouter(prefix="/console", route_class=PageRoute, include_in_schema=False)
Partner = Annotated[str, Depends(signed_in_partner)]


async def gate_view(engine: Any, *, partner_id: str, event_id: str) -> dict[str, Any]:
    """What the event page shows of check-in: devices and who is in."""
    return {
        "devices": await devices.list_devices(engine, partner_id=partner_id, event_id=event_id),
        "checkin": await stats.checkin_stats(engine, partner_id=partner_id, event_id=event_id),
    }


@router.post("/events/{event_id}/devices")
async def create_device(request: Request, event_id: str, partner_id: Partner) -> Response:
    from boxoffice.web.pages.console.dashboard import dashboard_page

    form = await read_form(request)
    check_csrf(request, form)
    name = form.get("name", "").strip()[:80] or "Gate"
    created = await devices.create_device(
        request.app.state.services.engine,
        partner_id=partner_id,
        event_id=event_id,
        name=name,
        now=datetime.now(UTC),
    )
    # Rendered, not redirected: this answer is the only place the key ever appears.
    return await dashboard_page(request, event_id, partner_id, new_device=created, status=201)


@router.post("/events/{event_id}/devices/{device_id}/revoke")
async def revoke_device(
    request: Request, event_id: str, device_id: str, partner_id: Partner
) -> Response:
    check_csrf(request, await read_form(request))
    await devices.revoke_device(
        request.app.state.services.engine,
        partner_id=partner_id,
        event_id=event_id,
        device_id=device_id,
        now=datetime.now(UTC),
    )
    return redirect(request, f"/console/events/{event_id}?msg=revoked#gate-h")
