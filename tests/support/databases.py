"""Real databases for tests: a SQLite file per test, and a PostgreSQL database per run.

PostgreSQL runs whenever it answers on 127.0.0.1:5432. Under CI=true an
unreachable PostgreSQL fails the run instead of skipping it, so a green CI
always means "tested on both".
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import asyncpg
import pytest

from boxoffice.db.migrate import upgrade
from boxoffice.db.tables import metadata

PG_HOST = os.environ.get("BOXOFFICE_TEST_PG_HOST", "127.0.0.1")
PG_ADMIN_DSN = f"postgresql://postgres@{PG_HOST}:5432/postgres"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def postgres_reachable() -> bool:
    async def probe() -> bool:
        try:
            conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False
        await conn.close()
        return True

    return asyncio.run(probe())


def require_postgres() -> None:
    if postgres_reachable():
        return
    if IN_CI:
        pytest.fail("PostgreSQL on 127.0.0.1:5432 is unreachable and CI=true", pytrace=False)
    pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")


class PostgresDatabase:
    """One throwaway database per test run, migrated once, truncated between tests."""

    def __init__(self) -> None:
        self.name = f"boxoffice_test_{uuid.uuid4().hex[:10]}"
        self.url = f"postgresql+asyncpg://postgres@{PG_HOST}:5432/{self.name}"
        self.plain_url = f"postgresql://postgres@{PG_HOST}:5432/{self.name}"

    def create(self) -> None:
        async def run() -> None:
            conn = await asyncpg.connect(PG_ADMIN_DSN)
            try:
                await conn.execute(f'CREATE DATABASE "{self.name}"')
            finally:
                await conn.close()

        asyncio.run(run())
        upgrade(self.url)

    def truncate(self) -> None:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables if t.name != "counters")

        async def run() -> None:
            conn = await asyncpg.connect(self.plain_url)
            try:
                await conn.execute(f"TRUNCATE {names} CASCADE")
            finally:
                await conn.close()

        asyncio.run(run())

    def drop(self) -> None:
        async def run() -> None:
            conn = await asyncpg.connect(PG_ADMIN_DSN)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            finally:
                await conn.close()

        asyncio.run(run())


class SqliteTemplate:
    """Migrate once per run; each test gets a copy of the migrated file."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "template.sqlite3"

    def create(self) -> None:
        upgrade(f"sqlite+aiosqlite:///{self.path}")

    def copy_to(self, folder: Path) -> str:
        target = folder / "boxoffice.sqlite3"
        shutil.copyfile(self.path, target)
        return f"sqlite+aiosqlite:///{target}"
