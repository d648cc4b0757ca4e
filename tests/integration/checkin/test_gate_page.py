"""The scanner page's shell: static, no inline script, its own worker scope."""

from __future__ import annotations

import re
from typing import Any

import httpx


async def test_the_scanner_page_is_a_static_shell_under_a_strict_policy(
    client: httpx.AsyncClient, event: dict[str, Any]
) -> None:
    page = await client.get(f"/gate/{event['id']}")

    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert page.headers["permissions-policy"] == "camera=(self)"
    tags = re.findall(r"<script[^>]*>", page.text)
    # the words the scripts show (in the page's language) are data, never run
    data = [tag for tag in tags if tag == '<script type="application/json" id="gate-words">']
    scripts = [tag for tag in tags if tag not in data]
    assert scripts
    assert len(data) == 1
    assert all('src="/t/static/' in tag for tag in scripts)  # no inline script, no CDN
    assert f'data-event="{event["id"]}"' in page.text
    for tag in scripts:
        path = re.search(r'src="([^"]+)"', tag)
        assert path is not None
        assert (await client.get(path.group(1))).status_code == 200


async def test_the_gate_worker_is_scoped_to_the_gate_pages(client: httpx.AsyncClient) -> None:
    worker = await client.get("/gate/sw.js")

    assert worker.status_code == 200
    assert worker.headers["service-worker-allowed"] == "/gate/"
    assert worker.headers["content-type"].startswith("text/javascript")
    for path in re.findall(r"'(/t/static/[^']+)'", worker.text):
        assert (await client.get(path)).status_code == 200, path


async def test_a_malformed_event_id_is_not_a_scanner_page(client: httpx.AsyncClient) -> None:
    assert (await client.get("/gate/not-an-event")).status_code == 404
    assert (await client.get("/gate/")).status_code == 200
