"""The demo's data: what someone trying the product finds, and a key that works each start."""

from __future__ import annotations

from pathlib import Path

import httpx

from boxoffice.app import create_app
from boxoffice.config import Settings
from boxoffice.demo import seed
from tests.support.databases import SqliteTemplate
from tests.support.sandbox import Sandbox


async def test_the_demo_seeds_its_events_once_and_hands_out_a_working_key_each_start(
    tmp_path: Path, sqlite_template: SqliteTemplate, sandbox: Sandbox
) -> None:
    settings = Settings(
        database_url=sqlite_template.copy_to(tmp_path),
        data_dir=tmp_path,
        secret_key="test-secret-key-not-for-production",
        gateway_url=sandbox.url,
        gateway_key=sandbox.key,
    )
    first_key = await seed(settings)
    second_key = await seed(settings)
    app = create_app(settings, run_workers=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
            events = (await client.get("/api/v1/events")).json()
            old_key = await client.get(
                "/api/v1/events", headers={"Authorization": f"Bearer {first_key}"}
            )
            queued = next(e for e in events if e["waiting_room"])
            watched = await client.get(
                f"/api/v1/events/{queued['id']}/queue/stats",
                headers={"Authorization": f"Bearer {second_key}"},
            )
            refused = await client.get(
                f"/api/v1/events/{queued['id']}/queue/stats",
                headers={"Authorization": f"Bearer {first_key}"},
            )

    assert len(events) == 3  # seeded once, not again on the second start
    assert all(e["status"] == "on_sale" for e in events)
    assert [e["name"] for e in events if e["waiting_room"]] == ["Big Act — Stadium Tour"]
    assert old_key.status_code == 200  # the public list needs no key
    assert watched.status_code == 200
    assert watched.json()["waiting"] == 0
    assert refused.status_code == 401  # the key of the earlier start was replaced
