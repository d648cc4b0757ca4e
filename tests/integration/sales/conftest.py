"""Fixtures for purchase tests against a real `boxoffice serve` process (`served`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from boxoffice.config import Settings
from boxoffice.db.engine import create_engine
from boxoffice.sales.audit import AuditReport, audit
from tests.support.processes import ServeProcess
from tests.support.sandbox import Sandbox


@pytest.fixture
async def http(served: ServeProcess) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=300, max_keepalive_connections=300)
    async with httpx.AsyncClient(base_url=served.url, limits=limits, timeout=60) as client:
        yield client


async def audit_sale(settings: Settings, sandbox: Sandbox, **kwargs: object) -> AuditReport:
    engine = create_engine(settings.resolved_database_url)
    try:
        return await audit(
            engine, intents=await sandbox.intents(), refunds=await sandbox.refunds(), **kwargs
        )
    finally:
        await engine.dispose()
