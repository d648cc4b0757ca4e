"""Injected faults: an unknown outcome is never a decline, and reconciles by lookup."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import stripe

from boxoffice.payments.gateway import Approved, NotCharged, StripeGateway, Unknown
from tests.integration.payments.helpers import intents_for, new_order_id, sdk_client
from tests.support.sandbox_process import SandboxProcess, free_port, running_sandbox

pytestmark = pytest.mark.asyncio

VISA = "pm_card_visa"


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """An acquirer whose faults each test sets through the admin endpoint."""
    with running_sandbox(data_dir=tmp_path_factory.mktemp("faulty")) as sandbox:
        yield sandbox


@pytest.fixture
async def faulty_gateway(faulty: SandboxProcess) -> AsyncIterator[StripeGateway]:
    gateway = StripeGateway(api_key=faulty.secret_key, base_url=faulty.url, timeout_seconds=1.0)
    yield gateway
    await gateway.aclose()


def set_faults(sandbox: SandboxProcess, **settings: object) -> dict[str, object]:
    answer = httpx.post(
        f"{sandbox.url}/_sandbox/faults",
        json={"latency_ms": 0, "jitter_ms": 0, "faults": {}, **settings},
        headers={"Authorization": f"Bearer {sandbox.secret_key}"},
    )
    answer.raise_for_status()
    result: dict[str, object] = answer.json()
    return result


async def charge_many(sandbox: SandboxProcess, count: int) -> list[str]:
    gateway = StripeGateway(api_key=sandbox.secret_key, base_url=sandbox.url, timeout_seconds=1)
    try:
        return [
            type(
                await gateway.charge(
                    order_id=new_order_id(), amount=100, currency="brl", payment_method=VISA
                )
            ).__name__
            for _ in range(count)
        ]
    finally:
        await gateway.aclose()


async def test_seeded_faults_from_the_command_line_repeat_across_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    options = {"faults": ["error5xx=0.3", "drop_after_capture=0.3"], "seed": 7}
    runs = []
    for _ in range(2):
        with running_sandbox(data_dir=tmp_path_factory.mktemp("seeded"), **options) as sandbox:
            runs.append(await charge_many(sandbox, 16))
    assert runs[0] == runs[1]
    assert {"Approved", "Unknown"} <= set(runs[0])


async def test_a_capture_whose_answer_is_lost_is_unknown_and_found_by_lookup(
    faulty: SandboxProcess, faulty_gateway: StripeGateway
) -> None:
    set_faults(faulty, faults={"drop_after_capture": 1.0})
    order_id = new_order_id()
    outcome = await faulty_gateway.charge(
        order_id=order_id, amount=1500, currency="brl", payment_method=VISA
    )
    assert isinstance(outcome, Unknown)
    found = await faulty_gateway.lookup(order_id)
    assert isinstance(found, Approved)
    assert found.amount == 1500

    retried = await faulty_gateway.charge(
        order_id=order_id, amount=1500, currency="brl", payment_method=VISA
    )
    assert isinstance(retried, Unknown)
    set_faults(faulty)
    healed = await faulty_gateway.charge(
        order_id=order_id, amount=1500, currency="brl", payment_method=VISA
    )
    assert healed == found
    async with sdk_client(faulty) as client:
        assert len(await intents_for(client, order_id)) == 1


async def test_a_dropped_answer_is_a_connection_error_not_an_http_status(
    faulty: SandboxProcess,
) -> None:
    set_faults(faulty, faults={"drop_after_capture": 1.0})
    async with sdk_client(faulty) as client:
        with pytest.raises(stripe.APIConnectionError) as dropped:
            await client.v1.payment_intents.create_async(
                {"amount": 100, "currency": "brl", "payment_method": VISA, "confirm": True}
            )
    assert dropped.value.http_status is None
    assert isinstance(dropped.value.__cause__, httpx.RemoteProtocolError)


async def test_a_5xx_is_unknown_and_charges_nothing(
    faulty: SandboxProcess, faulty_gateway: StripeGateway
) -> None:
    set_faults(faulty, faults={"error5xx": 1.0})
    order_id = new_order_id()
    outcome = await faulty_gateway.charge(
        order_id=order_id, amount=100, currency="brl", payment_method=VISA
    )
    assert isinstance(outcome, Unknown)
    assert "500" in outcome.reason
    assert isinstance(await faulty_gateway.lookup(order_id), NotCharged)
    set_faults(faulty)
    retried = await faulty_gateway.charge(
        order_id=order_id, amount=100, currency="brl", payment_method=VISA
    )
    assert isinstance(retried, Approved)


async def test_a_hung_acquirer_is_unknown_after_the_client_timeout_and_charges_nothing(
    faulty: SandboxProcess, faulty_gateway: StripeGateway
) -> None:
    set_faults(faulty, faults={"timeout": 1.0})
    order_id = new_order_id()
    started = time.monotonic()
    outcome = await faulty_gateway.charge(
        order_id=order_id, amount=100, currency="brl", payment_method=VISA
    )
    assert isinstance(outcome, Unknown)
    assert 0.9 <= time.monotonic() - started < 3
    assert isinstance(await faulty_gateway.lookup(order_id), NotCharged)


async def test_reseeding_at_runtime_restarts_the_sequence_of_outcomes(
    faulty: SandboxProcess,
) -> None:
    faults = {"error5xx": 0.3, "drop_after_capture": 0.3}
    set_faults(faulty, faults=faults, seed=1234)
    first = await charge_many(faulty, 16)
    set_faults(faulty, faults=faults, seed=1234)
    assert await charge_many(faulty, 16) == first


async def test_latency_delays_every_charge(
    faulty: SandboxProcess, faulty_gateway: StripeGateway
) -> None:
    set_faults(faulty, latency_ms=200, jitter_ms=50)
    started = time.monotonic()
    outcome = await faulty_gateway.charge(
        order_id=new_order_id(), amount=100, currency="brl", payment_method=VISA
    )
    assert isinstance(outcome, Approved)
    assert 0.2 <= time.monotonic() - started < 0.9


async def test_changing_faults_requires_the_secret_key(faulty: SandboxProcess) -> None:
    for key in ("pk_test_browser", "nope"):
        answer = httpx.post(
            f"{faulty.url}/_sandbox/faults",
            json={"faults": {"timeout": 1.0}},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert answer.status_code == 401
    assert httpx.post(f"{faulty.url}/_sandbox/faults", json={}).status_code == 401


async def test_invalid_fault_settings_are_refused(faulty: SandboxProcess) -> None:
    answer = httpx.post(
        f"{faulty.url}/_sandbox/faults",
        json={"faults": {"meteor": 0.5}},
        headers={"Authorization": f"Bearer {faulty.secret_key}"},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["type"] == "invalid_request_error"


async def test_an_unreachable_gateway_is_unknown_never_declined() -> None:
    gateway = StripeGateway(
        api_key="sk_test_x", base_url=f"http://127.0.0.1:{free_port()}", timeout_seconds=1
    )
    try:
        charged = await gateway.charge(
            order_id=new_order_id(), amount=100, currency="brl", payment_method=VISA
        )
        found = await gateway.lookup(new_order_id())
        refunded = await gateway.refund(order_id=new_order_id(), intent_id="pi_x")
    finally:
        await gateway.aclose()
    assert all(isinstance(outcome, Unknown) for outcome in (charged, found, refunded))


async def test_an_approval_the_client_cannot_read_is_unknown_never_a_crash() -> None:
    """A 200 without the fields a verdict needs (a gateway bug, a proxy in the way): the
    charge may have happened, so it is unknown and left to the reconciler."""
    from aiohttp import web

    async def half_an_intent(_: web.Request) -> web.Response:
        return web.json_response({"object": "payment_intent", "status": "succeeded"})

    acquirer = web.Application()
    acquirer.router.add_post("/v1/payment_intents", half_an_intent)
    runner = web.AppRunner(acquirer)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    gateway = StripeGateway(api_key="sk_test_x", base_url=f"http://127.0.0.1:{port}")
    try:
        charged = await gateway.charge(
            order_id=new_order_id(), amount=100, currency="brl", payment_method=VISA
        )
    finally:
        await gateway.aclose()
        await runner.cleanup()
    assert isinstance(charged, Unknown)
