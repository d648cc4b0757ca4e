"""Sandbox-only endpoints: a health probe, and changing latency and faults at runtime.

A load test turns faults on in the middle of a sale and off again to watch
the service recover, without restarting the acquirer (and losing its
connections). Changing faults needs the secret key, like any other write.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from boxoffice.payments.sandbox import errors
from boxoffice.payments.sandbox.faults import Fault, FaultPlan

if TYPE_CHECKING:
    from boxoffice.payments.sandbox.app import SandboxApp


def admin_routes(sandbox: SandboxApp) -> list[Route]:
    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def read_faults(request: Request) -> Response:
        sandbox.authenticate(request)
        return JSONResponse(sandbox.faults.plan.as_json())

    async def change_faults(request: Request) -> Response:
        """Fields given replace the current ones; `seed` given restarts the random sequence."""
        sandbox.authenticate(request)
        try:
            changes = json.loads(await request.body() or b"{}")
            if not isinstance(changes, dict):
                raise TypeError("expected a JSON object")
            plan = _updated(sandbox.faults.plan, changes)
        except (ValueError, TypeError) as problem:
            raise errors.invalid_request(f"Invalid fault settings: {problem}") from None
        sandbox.faults.replace(plan, reseed="seed" in changes)
        return JSONResponse(plan.as_json())

    return [
        Route("/_sandbox/healthz", healthz, methods=["GET"]),
        Route("/_sandbox/faults", read_faults, methods=["GET"]),
        Route("/_sandbox/faults", change_faults, methods=["POST"]),
    ]


def _updated(plan: FaultPlan, changes: dict[str, Any]) -> FaultPlan:
    unknown = set(changes) - {"latency_ms", "jitter_ms", "faults", "seed", "hang_seconds"}
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    faults = plan.faults
    if "faults" in changes:
        given = changes["faults"]
        if not isinstance(given, dict):
            raise TypeError("faults must be an object of name: probability")
        faults = {Fault(name): float(p) for name, p in given.items()}
    seed = changes.get("seed", plan.seed)
    return FaultPlan(
        latency_ms=int(changes.get("latency_ms", plan.latency_ms)),
        jitter_ms=int(changes.get("jitter_ms", plan.jitter_ms)),
        faults=faults,
        seed=None if seed is None else int(seed),
        hang_seconds=float(changes.get("hang_seconds", plan.hang_seconds)),
    )
