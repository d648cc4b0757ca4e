"""The sandbox acquirer as one ASGI app: composition, authentication, idempotent execution.

`SandboxApp` owns the ledger thread, the fault injector and the in-flight key
guard; the handlers live in `routes.py` (the Stripe `/v1` subset) and
`_admin.py`. Plain Starlette rather than FastAPI: the sandbox shares two cores
with the service in every benchmark, and every layer costs CPU per request.
Errors leave in Stripe's shape whatever raised them, so the SDK on the other
side always finds the exception class it expects.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from boxoffice.payments.sandbox import errors
from boxoffice.payments.sandbox._admin import admin_routes
from boxoffice.payments.sandbox._drop import RAW_SEND
from boxoffice.payments.sandbox.faults import FaultInjector, FaultPlan, parse_faults
from boxoffice.payments.sandbox.idempotency import Answer, Execute, KeyGuard, run_idempotent
from boxoffice.payments.sandbox.idempotency import scope_of as key_scope
from boxoffice.payments.sandbox.ledger import Ledger
from boxoffice.payments.sandbox.routes import JSON, api_routes
from boxoffice.payments.sandbox.settings import SandboxSettings

_CORS_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "Stripe-Version"]


class SandboxApp:
    """The ASGI app plus what it owns: the ledger thread and the fault injector.

    Standalone (uvicorn), its lifespan opens and closes the ledger. Mounted in
    another Starlette app (`Mount("/gateway", app=sandbox)`) it opens lazily and
    the host's lifespan must `await sandbox.aclose()`.
    """

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self.ledger = Ledger(settings.ledger_path())
        self.faults = FaultInjector(
            FaultPlan(
                latency_ms=settings.acquirer_latency_ms,
                jitter_ms=settings.acquirer_jitter_ms,
                faults=parse_faults(settings.acquirer_faults),
                seed=settings.acquirer_seed,
                hang_seconds=settings.acquirer_hang_seconds,
            )
        )
        self.guard = KeyGuard()
        self._app = _build_starlette(self)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = {**scope, RAW_SEND: send}
        await self._app(scope, receive, send)

    async def aclose(self) -> None:
        await self.ledger.aclose()

    # authentication ------------------------------------------------------------------------

    def authenticate(self, request: Request, *, publishable_ok: bool = False) -> str:
        """The caller's API key: a secret key, or a publishable one where the browser calls."""
        key = _api_key(request.headers.get("authorization"))
        configured = self.settings.gateway_key
        if key == configured or (configured is None and key.startswith("sk_test_")):
            return key
        if key.startswith("pk_test_"):
            if publishable_ok:
                return key
            raise errors.authentication(
                "This API call cannot be made with a publishable API key."
                " Please use a secret API key."
            )
        raise errors.authentication(f"Invalid API Key provided: {_redact(key)}")

    # idempotent execution ------------------------------------------------------------------

    async def execute(
        self,
        request: Request,
        *,
        api_key: str,
        path: str,
        pairs: list[tuple[str, str]],
        work: Execute,
        delay: float = 0.0,
    ) -> Response:
        idempotency_key = request.headers.get("idempotency-key") or None
        if idempotency_key is not None and len(idempotency_key) > 255:
            raise errors.invalid_request(
                "Idempotency-Key is longer than 255 characters.", code="parameter_invalid"
            )
        scope = key_scope(api_key)
        async with self.guard.hold(scope, idempotency_key):
            if delay > 0:
                await asyncio.sleep(delay)
            answer = await self.ledger.run(
                lambda store: run_idempotent(
                    store,
                    scope=scope,
                    key=idempotency_key,
                    path=path,
                    pairs=pairs,
                    execute=work,
                )
            )
        return _answer(answer, idempotency_key)


def _answer(answer: Answer, idempotency_key: str | None) -> Response:
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    if answer.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(answer.body, status_code=answer.status, headers=headers, media_type=JSON)


def _api_key(header: str | None) -> str:
    if not header:
        raise errors.authentication(
            "You did not provide an API key. Provide it in the Authorization header,"
            " using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
        )
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip()
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(credentials).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            pass
    raise errors.authentication("Invalid Authorization header: use Bearer auth.")


def _redact(key: str) -> str:
    return f"{key[:8]}****{key[-4:]}" if len(key) > 12 else "****"


async def _on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.ApiError)
    return JSONResponse(exc.body(), status_code=exc.status)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = f"Unrecognized request URL ({request.method}: {request.url.path})."
    return JSONResponse(
        {"error": {"type": "invalid_request_error", "message": message}},
        status_code=exc.status_code,
    )


async def _on_crash(request: Request, exc: Exception) -> Response:
    return JSONResponse(errors.api_error().body(), status_code=500)


def _build_starlette(sandbox: SandboxApp) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await sandbox.ledger.open()
        try:
            yield
        finally:
            await sandbox.aclose()

    return Starlette(
        routes=[*api_routes(sandbox), *admin_routes(sandbox)],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "POST"],
                allow_headers=_CORS_HEADERS,
                expose_headers=["Idempotent-Replayed", "Idempotency-Key"],
                max_age=600,
            )
        ],
        exception_handlers={
            errors.ApiError: _on_api_error,
            HTTPException: _on_http_error,
            Exception: _on_crash,
        },
        lifespan=lifespan,
    )


def create_sandbox_app(settings: SandboxSettings | None = None) -> SandboxApp:
    """The sandbox acquirer as an ASGI app (see `SandboxApp` for its lifecycle)."""
    return SandboxApp(settings or SandboxSettings())
