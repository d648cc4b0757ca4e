"""With the database unreachable, every request gets a clear, retryable 503, never a 500."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from boxoffice.app import create_app
from boxoffice.config import Settings
from tests.support.sandbox import Sandbox

# aiosqlite opens each connection on a thread of its own; one still failing to open the
# missing file when a test's event loop closes reports its error to a closed loop, from
# that thread. Harness noise of an unopenable SQLite file, not a finding.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")

UNREACHABLE = {
    "postgresql": "postgresql://postgres@127.0.0.1:1/boxoffice",  # nothing listens on port 1
    "sqlite": "sqlite:////nonexistent/dir/boxoffice.db",
}


@pytest.fixture(params=sorted(UNREACHABLE))
async def client(
    request: pytest.FixtureRequest, tmp_path: Path, sandbox: Sandbox
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=UNREACHABLE[request.param],
        data_dir=tmp_path,
        secret_key="test-secret-key-not-for-production",
        gateway_url=sandbox.url,
        gateway_key=sandbox.key,
    )
    app = create_app(settings, run_workers=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            yield http


def assert_retryable(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "5"


async def test_api_calls_answer_database_unavailable_with_a_retry_after(
    client: httpx.AsyncClient,
) -> None:
    listing = await client.get("/api/v1/events")
    event = await client.get("/api/v1/events/evt_aaaaaaaaaaaaaaaa")
    order = await client.post(
        "/api/v1/orders",
        json={
            "event_id": "evt_aaaaaaaaaaaaaaaa",
            "items": [{"ticket_type_id": "tt_aaaaaaaaaaaaaaaa", "quantity": 1}],
            "buyer": {"email": "ana@example.com", "name": "Ana"},
            "payment_method": "pm_card_visa",
        },
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )

    for answer in (listing, event, order):
        assert_retryable(answer)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "database_unavailable"


async def test_pages_say_so_in_the_readers_language(client: httpx.AsyncClient) -> None:
    english = await client.get("/", headers={"Accept-Language": "en"})
    portuguese = await client.get("/", headers={"Accept-Language": "pt-BR"})

    assert_retryable(english)
    assert_retryable(portuguese)
    assert 'data-problem="database_unavailable"' in english.text
    assert "We cannot reach our database right now" in english.text
    assert "Não conseguimos acessar nosso banco de dados agora" in portuguese.text
