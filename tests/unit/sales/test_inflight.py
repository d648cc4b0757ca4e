"""A repeated purchase waits for the first one only when it is the very same request."""

from __future__ import annotations

import asyncio

import pytest

from boxoffice.sales.inflight import InFlight


async def test_the_same_request_finds_the_first_one_running_until_it_ends() -> None:
    in_flight = InFlight()
    with in_flight.running("ana@example.com", "k1", "fp"):
        first = in_flight.first("ana@example.com", "k1", "fp")
        assert first is not None
        assert not first.done()
    assert first.done()
    assert in_flight.first("ana@example.com", "k1", "fp") is None
    assert len(in_flight) == 0


async def test_another_body_or_buyer_under_the_key_does_not_wait() -> None:
    in_flight = InFlight()
    with in_flight.running("ana@example.com", "k1", "fp"):
        assert in_flight.first("ana@example.com", "k1", "other body") is None
        assert in_flight.first("bia@example.com", "k1", "fp") is None
        with in_flight.running("ana@example.com", "k1", "other body"):
            pass  # leaves the first registration alone
        assert in_flight.first("ana@example.com", "k1", "fp") is not None


async def test_a_purchase_that_fails_still_releases_its_waiters() -> None:
    in_flight = InFlight()

    def purchase_that_fails() -> asyncio.Future[None] | None:
        with in_flight.running("ana@example.com", "k1", "fp"):
            first = in_flight.first("ana@example.com", "k1", "fp")
            raise RuntimeError(first)

    with pytest.raises(RuntimeError) as failed:
        purchase_that_fails()
    first = failed.value.args[0]
    assert first is not None
    assert first.done()
    assert len(in_flight) == 0
