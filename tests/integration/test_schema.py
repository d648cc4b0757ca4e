"""The schema the migrations build, and the indexes the hot queries rely on."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from boxoffice.db.migrate import alembic_config, upgrade
from boxoffice.db.tables import metadata
from boxoffice.mail.outbox import DUE_MAIL
from boxoffice.sales.reconciler import DUE_PENDING_ORDERS


async def test_the_migrations_build_exactly_the_schema_the_code_declares(
    database_url: str,
) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            drift = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
    finally:
        await engine.dispose()
    assert drift == []


async def generic_plan(
    database_url: str, statement: Any, *, pg_args: str, sqlite_args: tuple[Any, ...]
) -> str:
    """The plan a driver's cached statement gets: planned once for any parameters (a generic
    plan on PostgreSQL), with table scans ruled out, so that only an index can serve it."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            sql = str(statement.compile(dialect=engine.dialect))
            if engine.dialect.name == "postgresql":
                driver: Any = (await conn.get_raw_connection()).driver_connection
                await driver.execute("SET plan_cache_mode = force_generic_plan")
                await driver.execute("SET enable_seqscan = off")
                await driver.execute(f"PREPARE planned AS {sql}")
                plan: Any = await driver.fetch(f"EXPLAIN EXECUTE planned({pg_args})")
                await driver.execute("DEALLOCATE planned")
            else:
                plan = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", sqlite_args)).all()
    finally:
        await engine.dispose()
    return str(plan)


async def test_the_reconciler_finds_due_orders_through_the_index_of_pending_ones(
    database_url: str,
) -> None:
    """The plan must be able to use the partial index, which holds only the orders in flight,
    however many orders were ever sold."""
    plan = await generic_plan(
        database_url,
        DUE_PENDING_ORDERS,
        pg_args="now(), 100",
        sqlite_args=("2030-01-01", 100, 0),
    )
    assert "ix_orders_pending_created_at" in plan, plan


async def test_the_mail_worker_takes_due_rows_in_order_from_the_index_of_unsent_ones(
    database_url: str,
) -> None:
    """The worker wants a handful of the oldest due rows while thousands wait during a sale:
    the plan must read them in order from the partial index and stop, never sort the
    backlog (8.2 ms for 9,779 unsent rows before, 0.08 after: migration 0006)."""
    plan = await generic_plan(
        database_url,
        DUE_MAIL,
        pg_args="now(), 10",
        sqlite_args=("2030-01-01", "2030-01-01", 10, 0),
    )
    assert "ix_outbox_due" in plan, plan
    assert "Sort" not in plan, plan  # PostgreSQL: read in order, no sort of the backlog
    assert "TEMP B-TREE" not in plan, plan  # SQLite: the same


async def test_the_order_language_migration_rolls_back_and_forward(database_url: str) -> None:
    """A release rolled back must leave the schema, and on PostgreSQL the hold function, as
    the release before it wrote them; rolling forward again must work."""

    async def language_column_and_hold_arguments() -> tuple[bool, int | None]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as conn:
                columns = await conn.run_sync(
                    lambda sync: [c["name"] for c in inspect(sync).get_columns("orders")]
                )
                arguments = None
                if engine.dialect.name == "postgresql":
                    arguments = await conn.scalar(
                        text("SELECT pronargs FROM pg_proc WHERE proname = 'boxoffice_hold'")
                    )
        finally:
            await engine.dispose()
        return "locale" in columns, arguments

    postgres = database_url.startswith("postgresql")
    assert await language_column_and_hold_arguments() == (True, 16 if postgres else None)
    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0006")
    assert await language_column_and_hold_arguments() == (False, 15 if postgres else None)
    await asyncio.to_thread(upgrade, database_url)
    assert await language_column_and_hold_arguments() == (True, 16 if postgres else None)
