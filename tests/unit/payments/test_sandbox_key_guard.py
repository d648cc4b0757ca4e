from __future__ import annotations

import asyncio

import pytest

from boxoffice.payments.sandbox.errors import ApiError
from boxoffice.payments.sandbox.idempotency import KeyGuard

pytestmark = pytest.mark.asyncio


async def test_a_second_holder_of_a_key_waits_for_the_first() -> None:
    guard, order = KeyGuard(), []

    async def use(name: str, pause: float) -> None:
        async with guard.hold("merchant", "key"):
            order.append(f"{name} in")
            await asyncio.sleep(pause)
            order.append(f"{name} out")

    await asyncio.gather(use("first", 0.05), use("second", 0))
    assert order == ["first in", "first out", "second in", "second out"]


async def test_different_keys_and_scopes_do_not_wait_for_each_other() -> None:
    guard = KeyGuard(wait_seconds=0.01)
    async with (
        guard.hold("merchant", "key"),
        guard.hold("merchant", "other"),
        guard.hold("other merchant", "key"),
    ):
        pass


async def test_waiting_longer_than_the_bound_is_a_409_in_progress() -> None:
    guard = KeyGuard(wait_seconds=0.02)
    async with guard.hold("merchant", "key"):
        with pytest.raises(ApiError) as refused:
            async with guard.hold("merchant", "key"):
                pass
    assert refused.value.status == 409
    assert refused.value.error["type"] == "idempotency_error"
    assert "currently being processed" in refused.value.error["message"]
    async with guard.hold("merchant", "key"):
        pass  # released: usable again
