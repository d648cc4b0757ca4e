"""The Stripe-compatible `/v1` endpoints: authenticate, parse, execute, answer.

Only intent creation draws latency and faults (see `faults.py`): that is the
call whose failures the service must survive. The draw happens before the
first `await`, so draws follow the order in which requests arrive.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from boxoffice.payments.sandbox import errors, listing, resources
from boxoffice.payments.sandbox._drop import DroppedResponse, HangResponse
from boxoffice.payments.sandbox._forms import Form, FormError, parse_form
from boxoffice.payments.sandbox.faults import Fault

if TYPE_CHECKING:
    from boxoffice.payments.sandbox.app import SandboxApp

JSON = "application/json"


async def _form(request: Request) -> tuple[Form, list[tuple[str, str]]]:
    try:
        return parse_form(await request.body())
    except FormError as error:
        raise errors.invalid_request(
            str(error), code="parameter_invalid", param=error.param
        ) from None


def _now() -> int:
    return int(time.time())


def api_routes(sandbox: SandboxApp) -> list[Route]:
    """The `/v1` endpoints, closed over the sandbox that owns the ledger and faults."""

    async def create_payment_method(request: Request) -> Response:
        api_key = sandbox.authenticate(request, publishable_ok=True)
        form, pairs = await _form(request)
        row = resources.parse_payment_method(form, today=datetime.now(UTC).date())
        now = _now()
        return await sandbox.execute(
            request,
            api_key=api_key,
            path="/v1/payment_methods",
            pairs=pairs,
            work=lambda store: resources.create_payment_method(store, row, now=now),
        )

    async def create_payment_intent(request: Request) -> Response:
        api_key = sandbox.authenticate(request)
        decision = sandbox.faults.draw()  # before any await: draws follow arrival order
        form, pairs = await _form(request)
        if decision.fault is Fault.TIMEOUT:
            return HangResponse(sandbox.faults.plan.hang_seconds)
        if decision.fault is Fault.ERROR_5XX:
            await asyncio.sleep(decision.delay_seconds)
            raise errors.api_error()
        intent = resources.parse_intent(form)
        now = _now()
        response = await sandbox.execute(
            request,
            api_key=api_key,
            path="/v1/payment_intents",
            pairs=pairs,
            work=lambda store: resources.create_intent(store, intent, now=now),
            delay=decision.delay_seconds,
        )
        if decision.fault is Fault.DROP_AFTER_CAPTURE:
            return DroppedResponse()
        return response

    async def retrieve_payment_intent(request: Request) -> Response:
        sandbox.authenticate(request)
        intent_id = request.path_params["intent_id"]
        body = await sandbox.ledger.run(lambda store: store.intent_body(intent_id))
        if body is None:
            raise errors.no_such("payment_intent", intent_id)
        return Response(body, media_type=JSON)

    async def list_payment_intents(request: Request) -> Response:
        sandbox.authenticate(request)
        page = listing.parse_list(request.query_params)
        body = await sandbox.ledger.run(lambda store: listing.list_intents(store, page))
        return Response(body, media_type=JSON)

    async def search_payment_intents(request: Request) -> Response:
        sandbox.authenticate(request)
        search = listing.parse_search(request.query_params)
        body = await sandbox.ledger.run(lambda store: listing.search_intents(store, search))
        return Response(body, media_type=JSON)

    async def create_refund(request: Request) -> Response:
        api_key = sandbox.authenticate(request)
        form, pairs = await _form(request)
        refund = resources.parse_refund(form)
        now = _now()
        return await sandbox.execute(
            request,
            api_key=api_key,
            path="/v1/refunds",
            pairs=pairs,
            work=lambda store: resources.create_refund(store, refund, now=now),
        )

    async def list_refunds(request: Request) -> Response:
        sandbox.authenticate(request)
        page = listing.parse_list(request.query_params)
        intent_id = request.query_params.get("payment_intent") or None
        body = await sandbox.ledger.run(
            lambda store: listing.list_refunds(store, page, payment_intent=intent_id)
        )
        return Response(body, media_type=JSON)

    return [
        Route("/v1/payment_methods", create_payment_method, methods=["POST"]),
        Route("/v1/payment_intents", create_payment_intent, methods=["POST"]),
        Route("/v1/payment_intents", list_payment_intents, methods=["GET"]),
        Route("/v1/payment_intents/search", search_payment_intents, methods=["GET"]),
        Route("/v1/payment_intents/{intent_id}", retrieve_payment_intent, methods=["GET"]),
        Route("/v1/refunds", create_refund, methods=["POST"]),
        Route("/v1/refunds", list_refunds, methods=["GET"]),
    ]
