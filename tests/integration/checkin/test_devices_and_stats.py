"""Gate devices and the partner's check-in report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.db.tables import gate_devices
from boxoffice.ids import hash_secret
from tests.integration.checkin.conftest import Gate, check_in, sell
from tests.support.builders import new_partner
from tests.support.sandbox import Sandbox


async def test_a_device_key_is_shown_once_and_only_its_hash_is_kept(
    client: httpx.AsyncClient,
    partner: dict[str, Any],
    event: dict[str, Any],
    gate: Gate,
    engine: AsyncEngine,
) -> None:
    listed = await client.get(f"/api/v1/events/{event['id']}/devices", headers=partner["headers"])
    me = await client.get("/api/v1/checkin/device", headers=gate.headers)

    assert gate.key.startswith("gdk_")
    assert listed.status_code == 200
    assert [(d["id"], d["revoked_at"], d["scans"]) for d in listed.json()] == [(gate.id, None, 0)]
    assert gate.key not in listed.text
    assert me.json() == {"id": gate.id, "name": "phone", "event_id": event["id"]}
    async with engine.connect() as conn:
        stored = (await conn.execute(select(gate_devices))).one()
    assert stored.key_hash == hash_secret(gate.key)
    assert gate.key not in str(tuple(stored))


async def test_only_the_owning_partner_manages_devices_and_reads_the_report(
    client: httpx.AsyncClient, event: dict[str, Any], gate: Gate
) -> None:
    stranger = await new_partner(client, "Someone Else")
    base = f"/api/v1/events/{event['id']}"

    answers = [
        await client.post(f"{base}/devices", json={"name": "x"}, headers=stranger["headers"]),
        await client.get(f"{base}/devices", headers=stranger["headers"]),
        await client.post(f"{base}/devices/{gate.id}/revoke", headers=stranger["headers"]),
        await client.get(f"{base}/checkin-stats", headers=stranger["headers"]),
        await client.get(f"{base}/scans", headers=stranger["headers"]),
    ]
    anonymous = await client.post(f"{base}/devices", json={"name": "x"})
    device_as_partner = await client.get(f"{base}/checkin-stats", headers=gate.headers)

    assert [a.status_code for a in answers] == [404] * 5
    assert anonymous.status_code == device_as_partner.status_code == 401


async def test_the_report_counts_admitted_of_total_per_type_per_gate_and_per_minute(
    client: httpx.AsyncClient,
    partner: dict[str, Any],
    event: dict[str, Any],
    gate: Gate,
    sandbox: Sandbox,
) -> None:
    stands = [t["code"] for t in (await sell(client, event, sandbox, quantity=3))["tickets"]]
    vip = (await sell(client, event, sandbox, type_index=1))["tickets"][0]["code"]
    for code in stands[:2]:
        await check_in(client, gate, code=code, gate="north")
    await check_in(client, gate, code=stands[0], gate="north")  # refused: already used
    await check_in(client, gate, code=vip, gate="south")

    response = await client.get(
        f"/api/v1/events/{event['id']}/checkin-stats", headers=partner["headers"]
    )

    stats = response.json()
    assert (stats["admitted"], stats["total"], stats["scans"]) == (3, 4, 4)
    assert [(t["name"], t["admitted"], t["total"]) for t in stats["ticket_types"]] == [
        ("Arquibancada", 2, 3),
        ("VIP", 1, 1),
    ]
    assert [(g["gate"], g["admitted"], g["scans"]) for g in stats["gates"]] == [
        ("north", 2, 3),
        ("south", 1, 1),
    ]
    assert stats["gates"][0]["by_result"] == {"admitted": 2, "already_used": 1}
    assert sum(m["admitted"] for m in stats["timeline"]) == 3
    minute = datetime.fromisoformat(stats["timeline"][0]["minute"])
    assert minute.second == 0
    assert abs((datetime.now(UTC) - minute).total_seconds()) < 180
    assert stats["conflicts"] == []


async def test_the_scan_log_lists_every_attempt_newest_first(
    client: httpx.AsyncClient,
    partner: dict[str, Any],
    event: dict[str, Any],
    gate: Gate,
    sandbox: Sandbox,
) -> None:
    code = (await sell(client, event, sandbox))["tickets"][0]["code"]
    for typed in (code, code, "BAD"):
        await check_in(client, gate, code=typed, gate="east")

    log = await client.get(
        f"/api/v1/events/{event['id']}/scans", params={"limit": 2}, headers=partner["headers"]
    )
    older = await client.get(
        f"/api/v1/events/{event['id']}/scans",
        params={"before": log.json()[-1]["recorded_at"]},
        headers=partner["headers"],
    )

    assert [s["result"] for s in log.json()] == ["invalid", "already_used"]
    assert log.json()[0]["reason"] == "length"
    assert log.json()[1]["code"] == code
    assert log.json()[1]["device_name"] == "phone"
    assert [s["result"] for s in older.json()] == ["admitted"]
