"""A database that is not there is told apart from a bug, however the driver says it."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import exc as sa_exc

from boxoffice.db.outage import is_outage


def raised_from(error: BaseException, cause: BaseException) -> BaseException:
    try:
        raise error from cause
    except BaseException as wrapped:
        return wrapped


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connection refused"),
        ConnectionResetError(104, "Connection reset by peer"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        sa_exc.OperationalError("SELECT 1", {}, Exception("unable to open database file")),
        sa_exc.DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True),
        sa_exc.InterfaceError("SELECT 1", {}, asyncpg.ConnectionDoesNotExistError("closed")),
        raised_from(RuntimeError("while confirming"), ConnectionRefusedError(111, "refused")),
    ],
)
def test_an_unreachable_or_departed_database_is_an_outage(error: BaseException) -> None:
    assert is_outage(error)


@pytest.mark.parametrize(
    "error",
    [
        KeyError("price"),
        sa_exc.IntegrityError("INSERT", {}, Exception("duplicate key")),
        sa_exc.ProgrammingError("SELECT nope", {}, Exception("column does not exist")),
        sa_exc.OperationalError("UPDATE", {}, Exception("database is locked")),
        asyncpg.UniqueViolationError("duplicate key value"),
        asyncpg.ProtocolViolationError("bind message supplies 2 parameters, but 3 expected"),
        FileNotFoundError(2, "template.html"),
    ],
)
def test_a_bug_or_a_decision_is_not_an_outage(error: BaseException) -> None:
    assert not is_outage(error)


def test_an_error_raised_while_handling_an_outage_is_judged_on_its_own() -> None:
    def handler_with_a_bug() -> None:
        try:
            raise ConnectionRefusedError(111, "refused")
        except ConnectionRefusedError:
            raise KeyError("a bug in the handler")  # noqa: B904 (the point: no `from`)

    with pytest.raises(KeyError) as bug:
        handler_with_a_bug()

    assert isinstance(bug.value.__context__, ConnectionRefusedError)
    assert not is_outage(bug.value)
