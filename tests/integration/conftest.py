"""Fixtures shared by integration tests: a real `boxoffice serve` process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from boxoffice.config import Settings
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
