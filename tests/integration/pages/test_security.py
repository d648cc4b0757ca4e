"""Security headers on every answer, no inline script on any page, and rate limits on the
doors people hammer (sign-in, lookups)."""

from __future__ import annotations

import random
import re
from typing import Any

import httpx
import pytest

from tests.integration.pages.conftest import AppClient, csrf_of, paid_order, sign_in
from tests.support.redis import require_redis
from tests.support.sandbox import Sandbox

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<[^>]+\sstyle\s*=", re.I)


def some_ip() -> str:
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


async def every_page(
    client: httpx.AsyncClient, partner: dict[str, Any], event: dict[str, Any], sandbox: Sandbox
) -> dict[str, httpx.Response]:
    order = await paid_order(client, event, sandbox)
    urls = ["/", f"/events/{event['id']}", f"/orders/{order['id']}?token={order['access_token']}"]
    urls += ["/my-tickets", "/login"]
    pages = {url: await client.get(url) for url in urls}
    await sign_in(client, partner["api_key"])
    urls = ["/console", "/console/events/new", f"/console/events/{event['id']}"]
    urls += [f"/console/events/{event['id']}/edit", "/console/orders", "/support"]
    urls += [f"/support?q={order['tickets'][0]['code']}", "/support?q=abc"]
    pages |= {url: await client.get(url) for url in urls}
    return pages


async def test_pages_run_no_inline_script_under_a_strict_policy(
    client: httpx.AsyncClient, partner: dict[str, Any], event: dict[str, Any], sandbox: Sandbox
) -> None:
    for url, page in (await every_page(client, partner, event, sandbox)).items():
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy, url
        assert "unsafe-inline" not in policy, url
        assert "unsafe-eval" not in policy, url
        assert "frame-ancestors 'none'" in policy, url
        assert f"connect-src 'self' {sandbox.url};" in policy, url  # tokenising the card
        assert not INLINE_SCRIPT.search(page.text), url
        assert not INLINE_HANDLER.search(page.text), url
        assert not INLINE_STYLE.search(page.text), url
        assert page.headers["x-content-type-options"] == "nosniff", url
        assert page.headers["x-frame-options"] == "DENY", url
        assert page.headers["referrer-policy"] in ("same-origin", "no-referrer"), url


async def test_hsts_is_sent_only_when_the_request_came_over_tls(
    client: httpx.AsyncClient,
) -> None:
    plain = await client.get("/")
    behind_tls = await client.get("/", headers={"X-Forwarded-Proto": "https"})

    assert "strict-transport-security" not in plain.headers
    assert behind_tls.headers["strict-transport-security"].startswith("max-age=63072000")


async def test_the_api_and_the_explorer_keep_working_under_the_headers(
    client: httpx.AsyncClient, event: dict[str, Any]
) -> None:
    api = await client.get(f"/api/v1/events/{event['id']}")
    docs = await client.get("/docs")

    assert api.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in api.headers
    assert docs.headers["content-security-policy"] == "frame-ancestors 'none'"


async def test_the_ticket_page_keeps_its_own_stricter_policy(
    client: httpx.AsyncClient, event: dict[str, Any], sandbox: Sandbox
) -> None:
    order = await paid_order(client, event, sandbox)

    page = await client.get(order["tickets"][0]["url"])

    assert "form-action 'none'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"


async def test_sign_in_attempts_are_rate_limited_per_client(
    app_with: AppClient, partner: dict[str, Any]
) -> None:
    async with app_with(client_ip=some_ip(), login_attempts_per_minute=3) as guesser:
        answers = [await sign_in(guesser, f"bxk_guess{n}") for n in range(4)]
        as_json = await guesser.post(
            "/login", data={"key": "x"}, headers={"Accept": "application/json"}
        )
    async with app_with(client_ip=some_ip(), login_attempts_per_minute=3) as someone_else:
        other = await sign_in(someone_else, partner["api_key"])

    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert 'data-problem="rate_limited"' in answers[3].text
    assert int(answers[3].headers["retry-after"]) >= 1
    assert as_json.status_code == 429
    assert as_json.headers["content-type"] == "application/problem+json"
    assert as_json.json()["code"] == "rate_limited"
    assert other.status_code == 303


async def test_lookups_are_rate_limited(app_with: AppClient, partner: dict[str, Any]) -> None:
    async with app_with(client_ip=some_ip(), lookups_per_minute=2) as agent:
        await sign_in(agent, partner["api_key"])
        statuses = [
            (await agent.get("/support", params={"q": f"abc{n}"})).status_code for n in range(3)
        ]

    assert statuses == [200, 200, 429]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_with_redis_the_limit_holds_across_workers(
    app_with: AppClient, partner: dict[str, Any]
) -> None:
    ip, redis_url = some_ip(), require_redis()
    settings = {"client_ip": ip, "redis_url": redis_url, "login_attempts_per_minute": 2}
    async with app_with(**settings) as one, app_with(**settings) as two:
        answers = [await sign_in(worker, "bxk_guess") for worker in (one, two, one)]

    assert [a.status_code for a in answers] == [401, 401, 429]


async def test_a_csrf_token_from_one_session_does_not_work_in_another(
    app_with: AppClient, partner: dict[str, Any]
) -> None:
    async with app_with() as victim, app_with() as attacker:
        stolen = csrf_of(await attacker.get("/login"))
        await sign_in(victim, partner["api_key"])
        answer = await victim.post("/console/events", data={"csrf": stolen, "name": "x"})

    assert answer.status_code == 403
