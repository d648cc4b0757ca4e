"""Partners, events and ticket types."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from boxoffice.catalog import service
from boxoffice.catalog.commands import NewEvent, NewPartner
from boxoffice.errors import NotFound, Unauthorized
from boxoffice.ids import tokens_match
from boxoffice.web.api.deps import PartnerId, ServicesDep, bearer_token

router = APIRouter(prefix="/api/v1", tags=["catalog"])


@router.post("/partners", status_code=201)
async def create_partner(body: NewPartner, request: Request, svc: ServicesDep) -> JSONResponse:
    admin_key = svc.settings.admin_key
    if admin_key:
        token = bearer_token(request)
        if token is None or not tokens_match(token, admin_key):
            raise Unauthorized("creating partners needs the admin key")
    partner_id, api_key = await service.create_partner(svc.engine, body)
    return JSONResponse(
        {"id": partner_id, "name": body.name, "email": str(body.email), "api_key": api_key},
        status_code=201,
    )


@router.post("/events", status_code=201)
async def create_event(body: NewEvent, partner_id: PartnerId, svc: ServicesDep) -> dict[str, Any]:
    return await service.create_event(svc.engine, partner_id=partner_id, command=body)


@router.post("/events/{event_id}/publish")
async def publish_event(event_id: str, partner_id: PartnerId, svc: ServicesDep) -> dict[str, Any]:
    return await service.publish_event(svc.engine, partner_id=partner_id, event_id=event_id)


@router.get("/partner/events")
async def list_my_events(partner_id: PartnerId, svc: ServicesDep) -> list[dict[str, Any]]:
    return await service.list_partner_events(svc.engine, partner_id=partner_id)


@router.get("/events/{event_id}/sales")
async def sales(event_id: str, partner_id: PartnerId, svc: ServicesDep) -> dict[str, Any]:
    return await service.sales_figures(svc.engine, partner_id=partner_id, event_id=event_id)


@router.get("/events")
async def list_events(svc: ServicesDep) -> list[dict[str, Any]]:
    return await service.list_public_events(svc.engine)


@router.get("/events/{event_id}")
async def get_event(event_id: str, request: Request, svc: ServicesDep) -> dict[str, Any]:
    """Published events for everyone; the owner also sees its drafts (with its key)."""
    token = bearer_token(request)
    if token is not None:
        try:
            partner_id = await service.authenticate_partner(svc.engine, token)
        except Unauthorized:
            partner_id = None
        if partner_id is not None:
            try:
                return await service.get_partner_event(
                    svc.engine, partner_id=partner_id, event_id=event_id
                )
            except NotFound:
                pass
    return await service.get_public_event(svc.engine, event_id)
