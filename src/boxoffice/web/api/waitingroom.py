"""The waiting room's doors: join, poll one's place, set the admission rate."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from boxoffice.catalog.service import get_partner_event
from boxoffice.email_address import EmailAddress
from boxoffice.errors import BoxofficeError
from boxoffice.sales.rules import normalise_email
from boxoffice.services import Services
from boxoffice.waitingroom import door, service
from boxoffice.web.api import bodies
from boxoffice.web.api.deps import PartnerId, ServicesDep, bearer_token, services_of

router = APIRouter(prefix="/api/v1/events/{event_id}/queue", tags=["waiting room"])


class JoinQueue(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    email: EmailAddress


class AdmissionRate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    per_second: Annotated[float, Field(gt=0, le=100_000)]


def _room(svc: Services) -> service.WaitingRoom:
    room = svc.sales.waiting_room
    if room is None:
        raise BoxofficeError("no waiting room is configured")
    return room


@router.post(
    "", status_code=201, responses={422: bodies.INVALID}, openapi_extra=bodies.documented(JoinQueue)
)
async def join(event_id: str, request: Request) -> JSONResponse:
    body = await bodies.read(request, JoinQueue)
    svc = services_of(request)
    answer = await door.join(
        _room(svc), svc.engine, event_id=event_id, buyer=normalise_email(str(body.email))
    )
    return JSONResponse(answer, status_code=201, headers={"Cache-Control": "no-store"})


@router.get("")
async def place(event_id: str, request: Request) -> JSONResponse:
    svc = services_of(request)
    room = _room(svc)
    async with room.doors:
        answer = await service.status(
            room, event_id=event_id, place_token=bearer_token(request), engine=svc.engine
        )
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


@router.put("/rate")
async def set_rate(
    event_id: str, body: AdmissionRate, partner_id: PartnerId, svc: ServicesDep
) -> dict[str, Any]:
    await get_partner_event(svc.engine, partner_id=partner_id, event_id=event_id)
    await service.set_rate(_room(svc), event_id=event_id, per_second=body.per_second)
    return {"event_id": event_id, "admission_rate": body.per_second}
