"""Shared fixtures: a real database per backend, the composed app, an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from boxoffice.app import create_app
from boxoffice.config import Settings
from tests.support.databases import PostgresDatabase, SqliteTemplate, require_postgres
from tests.support.sandbox import Sandbox

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    template = SqliteTemplate(tmp_path_factory.mktemp("sqlite-template"))
    template.create()
    return template


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[PostgresDatabase]:
    require_postgres()
    database = PostgresDatabase()
    database.create()
    yield database
    database.drop()


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: SqliteTemplate
) -> str:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        return sqlite_template.copy_to(tmp_path)
    database: PostgresDatabase = request.getfixturevalue("postgres_database")
    database.truncate()
    return database.url


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One sandbox acquirer process for the run: a real HTTP gateway the stripe SDK talks to."""
    gateway = Sandbox(tmp_path_factory.mktemp("acquirer")).start()
    yield gateway
    gateway.stop()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, sandbox: Sandbox) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        secret_key="test-secret-key-not-for-production",
        admin_key=None,
        gateway_url=sandbox.url,
        gateway_key=sandbox.key,
        gateway_timeout_seconds=10,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings, run_workers=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://boxoffice.test") as c:
        yield c
