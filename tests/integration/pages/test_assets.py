"""Static files named by the deploy's version: kept for a year when current, revalidated if not."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from boxoffice.web.pages import assets
from tests.integration.tickets.conftest import paid_order
from tests.support.builders import new_event, new_partner
from tests.support.sandbox import Sandbox

ASSET = re.compile(r'(?:src|href)="(/(?:t/)?static/[^"]+)"')


@pytest.mark.parametrize("page_url", ["/", "/gate/", "/t/", "/login"])
async def test_pages_name_their_files_by_version_and_those_are_kept_for_a_year(
    client: httpx.AsyncClient, page_url: str
) -> None:
    page = await client.get(page_url)
    files = ASSET.findall(page.text)

    assert page.status_code == 200
    assert files
    for url in files:
        assert url.endswith(f"?v={assets.version()}"), url
        answer = await client.get(url)
        assert answer.status_code == 200, url
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable", url
        assert answer.headers["boxoffice-release"] == assets.version(), url


@pytest.mark.parametrize("query", ["", "?v=0000000000", "?v=" + "f" * 10 + "&x=1"])
async def test_a_file_asked_for_by_another_version_or_none_is_revalidated(
    client: httpx.AsyncClient, query: str
) -> None:
    for prefix in ("/t/static", "/static"):
        answer = await client.get(f"{prefix}/gate.js{query}")

        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "no-cache"
        assert answer.headers["boxoffice-release"] == assets.version()  # workers keep none
        assert answer.headers["etag"]


async def test_a_kept_ticket_page_is_rendered_again_after_a_deploy(
    client: httpx.AsyncClient, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner = await new_partner(client)
    event = await new_event(client, partner)
    order = await paid_order(client, event, sandbox)
    url = order["tickets"][0]["url"]
    first = await client.get(url)
    kept = {"If-None-Match": first.headers["etag"]}

    assert (await client.get(url, headers=kept)).status_code == 304
    monkeypatch.setattr(assets, "version", lambda folders=assets.RELEASE: "abcdef0123")
    again = await client.get(url, headers=kept)

    assert again.status_code == 200  # the kept page names the previous release's scripts
    assert 'src="/t/static/offline.js?v=abcdef0123"' in again.text


def kept_by(worker: httpx.Response) -> set[str]:
    return set(re.findall(r"'(/t/static/[^']+)'", worker.text))


async def test_every_file_the_scanner_page_names_is_kept_by_its_worker_for_offline(
    client: httpx.AsyncClient, event: dict[str, Any]
) -> None:
    page = await client.get(f"/gate/{event['id']}")
    named = {url.split("?")[0] for url in ASSET.findall(page.text)}

    assert named
    assert named <= kept_by(await client.get("/gate/sw.js"))


async def test_every_file_a_ticket_page_names_is_kept_by_the_wallets_worker(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    partner = await new_partner(client)
    order = await paid_order(client, await new_event(client, partner, rotating_qr=True), sandbox)
    named: set[str] = set()
    for url in (order["tickets"][0]["url"], "/t/"):
        named |= {url.split("?")[0] for url in ASSET.findall((await client.get(url)).text)}

    assert "/t/static/rotating.js" in named
    assert named <= kept_by(await client.get("/t/sw.js"))
