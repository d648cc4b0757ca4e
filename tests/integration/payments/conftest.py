"""The sandbox acquirer as a real process, and our gateway client on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import stripe

from boxoffice.payments.gateway import StripeGateway
from tests.integration.payments.helpers import sdk_client
from tests.support.sandbox_process import SandboxProcess, running_sandbox


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """One well-behaved acquirer, shared by the tests that inject no faults."""
    with running_sandbox(data_dir=tmp_path_factory.mktemp("acquirer")) as process:
        yield process


@pytest.fixture
async def gateway(sandbox: SandboxProcess) -> AsyncIterator[StripeGateway]:
    gateway = StripeGateway(api_key=sandbox.secret_key, base_url=sandbox.url, timeout_seconds=5)
    yield gateway
    await gateway.aclose()


@pytest.fixture
async def stripe_client(sandbox: SandboxProcess) -> AsyncIterator[stripe.StripeClient]:
    async with sdk_client(sandbox) as client:
        yield client
