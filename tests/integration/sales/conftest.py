"""Fixtures for purchase tests against a real `boxoffice serve` process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from boxoffice.config import Settings
from boxoffice.db.engine import create_engine
from boxoffice.sales.audit import AuditReport, audit
from tests.support.processes import ServeProcess
from tests.support.sandbox import Sandbox


def serve_env(settings: Settings, gateway_url: str, **extra: str) -> dict[str, str]:
    env = {
        "BOXOFFICE_DATABASE_URL": settings.resolved_database_url,
        "BOXOFFICE_GATEWAY_URL": gateway_url,
        "BOXOFFICE_SECRET_KEY": settings.secret_key or "",
        "BOXOFFICE_DATA_DIR": str(settings.data_dir),
        "BOXOFFICE_LOG_LEVEL": "WARNING",
        "BOXOFFICE_DB_POOL_SIZE": "20" if "postgresql" in settings.resolved_database_url else "8",
    }
    return env | extra


@pytest.fixture
def served(settings: Settings, sandbox: Sandbox, tmp_path: Path) -> Iterator[ServeProcess]:
    process = ServeProcess(env=serve_env(settings, sandbox.url), log_path=tmp_path / "serve.log")
    process.start()
    yield process
    process.stop()


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
