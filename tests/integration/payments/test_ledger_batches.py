"""The ledger thread's group commit: each item stands or falls alone, none is lost."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from boxoffice.payments.sandbox import errors, resources
from boxoffice.payments.sandbox.idempotency import run_idempotent
from boxoffice.payments.sandbox.ledger import Ledger
from boxoffice.payments.sandbox.listing import ListRequest, list_intents
from boxoffice.payments.sandbox.store import Store

pytestmark = pytest.mark.asyncio


def intent(order_id: str, amount: int = 100) -> resources.IntentRequest:
    return resources.IntentRequest(amount, "brl", "pm_card_visa", {"order_id": order_id}, None)


def charge(order_id: str, *, key: str | None = None, amount: int = 100):  # type: ignore[no-untyped-def]
    request = intent(order_id, amount)
    return lambda store: run_idempotent(
        store,
        scope="merchant",
        key=key or order_id,
        path="/v1/payment_intents",
        pairs=[("order", order_id), ("amount", str(amount))],
        execute=lambda s: resources.create_intent(s, request, now=1),
    )


async def count_intents(ledger: Ledger) -> int:
    body = await ledger.run(lambda store: list_intents(store, ListRequest(100, None, None)))
    return body.count('"object":"payment_intent"')


async def test_concurrent_work_is_committed_in_batches_without_losing_any(tmp_path: Path) -> None:
    ledger = Ledger(str(tmp_path / "ledger.sqlite3"))
    answers = await asyncio.gather(*(ledger.run(charge(f"ord_{i}")) for i in range(90)))
    assert {answer.status for answer in answers} == {200}
    assert await count_intents(ledger) == 90
    await ledger.aclose()


async def test_a_failing_item_is_undone_alone_and_its_neighbours_commit(tmp_path: Path) -> None:
    ledger = Ledger(str(tmp_path / "ledger.sqlite3"))

    def fails(store: Store) -> None:
        charge("ord_doomed")(store)
        raise errors.invalid_request("refused after writing")

    results = await asyncio.gather(
        ledger.run(charge("ord_a")),
        ledger.run(fails),
        ledger.run(charge("ord_b")),
        return_exceptions=True,
    )
    assert isinstance(results[1], errors.ApiError)
    body = await ledger.run(lambda store: list_intents(store, ListRequest(100, None, None)))
    assert "ord_a" in body
    assert "ord_b" in body
    assert "ord_doomed" not in body
    await ledger.aclose()


async def test_the_same_key_twice_in_one_batch_charges_once(tmp_path: Path) -> None:
    ledger = Ledger(str(tmp_path / "ledger.sqlite3"))
    first, second = await asyncio.gather(
        ledger.run(charge("ord_same")), ledger.run(charge("ord_same"))
    )
    assert (first.replayed, second.replayed) == (False, True)
    assert first.body == second.body
    assert await count_intents(ledger) == 1
    await ledger.aclose()


async def test_a_closed_ledger_reopens_on_next_use_with_its_data(tmp_path: Path) -> None:
    ledger = Ledger(str(tmp_path / "ledger.sqlite3"))
    await ledger.run(charge("ord_kept"))
    await ledger.aclose()
    assert await count_intents(ledger) == 1
    await ledger.aclose()


async def test_a_ledger_that_cannot_open_fails_the_caller_instead_of_hanging(
    tmp_path: Path,
) -> None:
    (tmp_path / "not-a-folder").write_text("")
    ledger = Ledger(str(tmp_path / "not-a-folder" / "ledger.sqlite3"))
    with pytest.raises(FileExistsError):
        await asyncio.wait_for(ledger.open(), timeout=5)
    await ledger.aclose()


async def test_an_in_memory_ledger_works_for_embedded_use() -> None:
    ledger = Ledger(":memory:")
    await ledger.run(charge("ord_memory"))
    assert await count_intents(ledger) == 1
    await ledger.aclose()
