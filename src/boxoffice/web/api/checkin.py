"""Check-in: gate devices (partner), scans and offline bundles (device key), the report.

Gate requests carry ``Authorization: Bearer gdk_…``, a key that works for one event only; a
device asking about another event's URL gets 404, as partners do for others' data.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.encoders import jsonable_encoder

from boxoffice.checkin import bundle, devices, merge, redemption, stats
from boxoffice.checkin.commands import NewDevice, OfflineUpload, Scan
from boxoffice.checkin.context import CheckinContext
from boxoffice.checkin.devices import Device
from boxoffice.errors import NotFound
from boxoffice.web.api.deps import PartnerId, ServicesDep, bearer_token

router = APIRouter(prefix="/api/v1", tags=["check-in"])

# A bundle is ~45 bytes of JSON a ticket and gzips ~4.7x (measured on 10,000 tickets): worth
# it for a stadium's 60,000 tickets fetched over a crowded venue network.
GZIP_FROM_BYTES = 4096


async def checkin_context(request: Request) -> CheckinContext:
    context: CheckinContext = request.app.state.checkin
    return context


async def current_device(request: Request, svc: ServicesDep) -> Device:
    return await devices.authenticate_device(svc.engine, bearer_token(request))


Ctx = Annotated[CheckinContext, Depends(checkin_context)]
GateDevice = Annotated[Device, Depends(current_device)]


def _own_event(device: Device, event_id: str) -> None:
    if device.event_id != event_id:
        raise NotFound("no such event for this device")


@router.post("/events/{event_id}/devices", status_code=201)
async def create_device(
    event_id: str, body: NewDevice, partner_id: PartnerId, ctx: Ctx
) -> dict[str, Any]:
    """A gate device key for the event (`key` is shown only in this answer)."""
    return await devices.create_device(
        ctx.engine, partner_id=partner_id, event_id=event_id, name=body.name, now=ctx.now()
    )


@router.get("/events/{event_id}/devices")
async def list_devices(event_id: str, partner_id: PartnerId, ctx: Ctx) -> list[dict[str, Any]]:
    return await devices.list_devices(ctx.engine, partner_id=partner_id, event_id=event_id)


@router.post("/events/{event_id}/devices/{device_id}/revoke")
async def revoke_device(
    event_id: str, device_id: str, partner_id: PartnerId, ctx: Ctx
) -> dict[str, Any]:
    """The key stops working at once, on every worker."""
    return await devices.revoke_device(
        ctx.engine, partner_id=partner_id, event_id=event_id, device_id=device_id, now=ctx.now()
    )


@router.get("/checkin/device")
async def who_am_i(device: GateDevice) -> dict[str, Any]:
    """The device behind the key: what the scanner page checks when the key is entered."""
    return {"id": device.id, "name": device.name, "event_id": device.event_id}


@router.post("/checkin")
async def check_in(body: Scan, device: GateDevice, ctx: Ctx) -> dict[str, Any]:
    """`{result: admitted|already_used|invalid|wrong_event|cancelled, ticket?, first_…?}`."""
    answer = await redemption.check_in(ctx, device=device, scan=body)
    return answer.as_json()


@router.get("/events/{event_id}/offline-bundle")
async def offline_bundle(
    event_id: str,
    device: GateDevice,
    ctx: Ctx,
    request: Request,
    since: Annotated[int | None, Query(ge=0, description="`version` of the last bundle")] = None,
) -> Response:
    """Keys, tickets, cancellations and admissions for deciding offline (see docs/checkin.md)."""
    _own_event(device, event_id)
    body = await bundle.offline_bundle(ctx, device=device, since=since)
    raw = json.dumps(jsonable_encoder(body), separators=(",", ":")).encode()
    headers = {"Cache-Control": "no-store", "Vary": "Accept-Encoding, Authorization"}
    if len(raw) >= GZIP_FROM_BYTES and "gzip" in request.headers.get("accept-encoding", ""):
        raw = gzip.compress(raw, compresslevel=5)
        headers["Content-Encoding"] = "gzip"
    return Response(raw, media_type="application/json", headers=headers)


@router.post("/events/{event_id}/offline-scans")
async def offline_scans(
    event_id: str, body: OfflineUpload, device: GateDevice, ctx: Ctx
) -> dict[str, Any]:
    """Merge scans made offline; re-uploads change nothing; answers with the conflicts."""
    _own_event(device, event_id)
    return await merge.merge_offline_scans(ctx, device=device, upload=body)


@router.get("/events/{event_id}/checkin-stats")
async def checkin_stats(event_id: str, partner_id: PartnerId, ctx: Ctx) -> dict[str, Any]:
    """Admitted / total per ticket type and gate, admissions per minute, conflicts."""
    return await stats.checkin_stats(ctx.engine, partner_id=partner_id, event_id=event_id)


@router.get("/events/{event_id}/scans")
async def scan_log(
    event_id: str,
    partner_id: PartnerId,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=stats.MAX_LOG_PAGE)] = 100,
    before: datetime | None = None,
) -> list[dict[str, Any]]:
    """Every scan attempt, newest first; page with `before` = the last `recorded_at` seen."""
    if before is not None and before.tzinfo is None:
        before = before.replace(tzinfo=UTC)
    return await stats.scan_log(
        ctx.engine, partner_id=partner_id, event_id=event_id, limit=limit, before=before
    )
