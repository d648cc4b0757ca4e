"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from boxoffice.web.api.deps import ServicesDep
from boxoffice.web.problems import problem

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(svc: ServicesDep) -> object:
    try:
        async with svc.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        return problem(503, "not_ready", "Not ready", f"database unreachable: {type(exc).__name__}")
    return {"status": "ready"}
