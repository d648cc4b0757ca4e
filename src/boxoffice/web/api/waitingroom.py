"""The waiting room's doors: join, poll one's place; for the partner, watch it and set its rate."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from boxoffice.catalog.service import get_partner_event
from boxoffice.email_address import EmailAddress
from boxoffice.errors import BoxofficeError, NoWaitingRoom
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
    per_second: Annotated[float, Field(gt=0, le=service.MAX_ADMISSION_RATE)]


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
    answer = await door.poll(
        _room(svc), svc.engine, event_id=event_id, place_token=bearer_token(request)
    )
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


async def _queued_partner_event(svc: Services, partner_id: str, event_id: str) -> None:
    """The partner's own event, with a waiting room (another partner's is not found)."""
    event = await get_partner_event(svc.engine, partner_id=partner_id, event_id=event_id)
    if not event["waiting_room"]:
        raise NoWaitingRoom("this event sells without a waiting room")


@router.get("/stats")
async def stats(event_id: str, partner_id: PartnerId, svc: ServicesDep) -> dict[str, Any]:
    """How many joined, were admitted and still wait, at what rate, and when the line clears."""
    await _queued_partner_event(svc, partner_id, event_id)
    return await service.overview(_room(svc), event_id=event_id)


@router.put("/rate")
async def set_rate(
    event_id: str, body: AdmissionRate, partner_id: PartnerId, svc: ServicesDep
) -> dict[str, Any]:
    await _queued_partner_event(svc, partner_id, event_id)
    await service.set_rate(_room(svc), event_id=event_id, per_second=body.per_second)
    return {"event_id": event_id, "admission_rate": body.per_second}
