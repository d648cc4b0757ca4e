"""RFC 9457 problem documents: the one place errors become HTTP answers.

Every failure a client can cause maps to a stable `code`; a database that is not
answering is a 503 `database_unavailable` with `Retry-After` (`boxoffice.db.outage`);
anything else is a bug, logged with the request id and answered as a 500
`internal_error` problem (never a stack trace).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from boxoffice.db.outage import RETRY_AFTER_SECONDS, is_outage
from boxoffice.errors import BoxofficeError, DatabaseUnavailable

log = logging.getLogger("boxoffice.web")

PROBLEM_JSON = "application/problem+json"

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": f"https://boxoffice.dev/problems/{code}", "title": title, "status": status}
    body |= {"detail": detail, "code": code, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def problem_for(error: BoxofficeError) -> JSONResponse:
    response = problem(error.status, error.code, error.title, error.detail, **error.extra)
    if "retry_after" in error.extra:
        response.headers["Retry-After"] = str(error.extra["retry_after"])
    return response


def database_unavailable(request: Request, error: BaseException) -> DatabaseUnavailable:
    """The answer for a request the database's absence stopped (logged without a trace: an
    outage fails every request, and one line each says enough)."""
    log.warning(
        "database unavailable on %s %s: %s: %s",
        request.method,
        request.url.path,
        type(error).__name__,
        error,
    )
    return DatabaseUnavailable(
        "the database is not answering; try again shortly with the same request (a purchase"
        " with the same Idempotency-Key is never charged twice)",
        retry_after=RETRY_AFTER_SECONDS,
    )


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [p for p in loc if p not in ("body", "query", "path", "header")]
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(BoxofficeError)
    async def _domain(_: Request, exc: BoxofficeError) -> JSONResponse:
        return problem_for(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_name(tuple(e.get("loc", ()))), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "body", "message": "invalid"}
        return problem(
            422,
            "invalid_request",
            "Invalid request",
            f"{first['field']}: {first['message']}",
            field=first["field"],
            errors=errors,
        )

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        return problem(exc.status_code, code, code.replace("_", " ").capitalize(), str(exc.detail))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        if is_outage(exc):
            return problem_for(database_unavailable(request, exc))
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "internal_error", "Internal error", "an unexpected error occurred")
