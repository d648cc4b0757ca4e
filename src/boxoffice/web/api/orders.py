"""Orders: the purchase door, reading an order back, and refunds."""

from __future__ import annotations

import re
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from boxoffice.catalog.service import authenticate_partner
from boxoffice.errors import InvalidRequest, NotFound
from boxoffice.sales import purchase, queries, refunds
from boxoffice.sales.commands import IDEMPOTENCY_KEY_PATTERN, PlaceOrder
from boxoffice.sales.context import SalesContext
from boxoffice.sales.responses import with_access
from boxoffice.web.api import bodies
from boxoffice.web.api.deps import (
    PartnerId,
    ServicesDep,
    bearer_token,
    reader_locale,
    services_of,
)
from boxoffice.web.problems import PROBLEM_JSON

router = APIRouter(prefix="/api/v1", tags=["orders"])


def sales(svc: Any) -> SalesContext:
    context: SalesContext = svc.sales
    return context


# The purchase's two headers, documented here and read straight from the request: declared
# as `Header()` parameters, FastAPI re-inspected their annotations on every purchase (~25 µs
# of CPU, a tenth of the framework's share of the hot path).
_PURCHASE_HEADERS = [
    {
        "name": "Idempotency-Key",
        "in": "header",
        "required": True,
        "description": "1-255 printable characters; a retry with the same key and body gets "
        "the same answer and never a second charge",
        "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN},
    },
    {
        "name": "Boxoffice-Waiting-Room-Pass",
        "in": "header",
        "required": False,
        "description": "the waiting room's admission pass, for events with a queue",
        "schema": {"type": "string"},
    },
]

_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


@router.post(
    "/orders",
    status_code=201,
    responses={202: {"description": "pending"}, 402: {}, 409: {}, 422: bodies.INVALID, 429: {}},
    openapi_extra={"parameters": _PURCHASE_HEADERS, **bodies.documented(PlaceOrder)},
)
async def place_order(request: Request) -> JSONResponse:
    body = await bodies.read(request, PlaceOrder)
    idempotency_key = request.headers.get("idempotency-key")
    admission_pass = request.headers.get("boxoffice-waiting-room-pass")
    if idempotency_key is None:
        raise InvalidRequest("the Idempotency-Key header is required", field="Idempotency-Key")
    if not _IDEMPOTENCY_KEY.fullmatch(idempotency_key):
        raise InvalidRequest(
            "Idempotency-Key must be 1-255 printable ASCII characters", field="Idempotency-Key"
        )
    ctx = sales(services_of(request))
    started = time.perf_counter()
    # Without `buyer.locale`, the tickets e-mail is written in the checkout page's language.
    locale = reader_locale(request)
    order_id, answer = await purchase.place_order(
        ctx, purchase.Purchase.of(body, idempotency_key, admission_pass, locale=locale)
    )
    # How long the purchase itself took in here (W3C Server-Timing), so that a client or a
    # load generator can tell our time from the network's and its own.
    timing = {"Server-Timing": f"purchase;dur={(time.perf_counter() - started) * 1000:.1f}"}
    if answer.is_problem:
        return JSONResponse(
            answer.body, status_code=answer.status, media_type=PROBLEM_JSON, headers=timing
        )
    token = ctx.access_token(order_id or answer.body["id"])
    return JSONResponse(with_access(answer, token), status_code=answer.status, headers=timing)


@router.get("/orders/{order_id}")
async def get_order(order_id: str, request: Request, svc: ServicesDep) -> dict[str, Any]:
    ctx = sales(svc)
    token = bearer_token(request)
    if token is not None and token.startswith("bxk_"):
        partner_id = await authenticate_partner(svc.engine, token)
        if await queries.order_owner(ctx, order_id) != partner_id:
            raise NotFound("no such order")
    else:
        queries.check_access_token(ctx, order_id, token)
    return await queries.order_view(ctx, order_id)


@router.post("/orders/{order_id}/refund")
async def refund(order_id: str, partner_id: PartnerId, svc: ServicesDep) -> dict[str, Any]:
    return await refunds.refund_order(sales(svc), partner_id=partner_id, order_id=order_id)
