"""Scans made offline, merged later: the earliest admission wins, duplicates are conflicts."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.db.tables import checkin_scans, ticket_admissions, tickets
from boxoffice.tickets.codes import parse_code
from tests.integration.checkin.conftest import (
    Gate,
    check_in,
    count_rows,
    new_gate,
    qr_payload,
    sell,
    ticket_state,
)
from tests.support.sandbox import Sandbox

_nonces = itertools.count(1)


def offline_scan(
    minutes_ago: float, gate: str, result: str = "admitted", **ticket: str
) -> dict[str, Any]:
    """One scan as a gate queued it: its own nonce, the time it happened, what it showed."""
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {
        "nonce": f"offline-scan-{next(_nonces):06d}",
        "scanned_at": at.isoformat(),
        "gate": gate,
        "result": result,
        **ticket,
    }


async def upload(client: httpx.AsyncClient, device: Gate, *scans: dict[str, Any]) -> Any:
    response = await client.post(
        f"/api/v1/events/{device.event_id}/offline-scans",
        json={"scans": list(scans)},
        headers=device.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def first_admission(engine: AsyncEngine, code: str) -> Any:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                select(ticket_admissions)
                .join(tickets, tickets.c.id == ticket_admissions.c.ticket_id)
                .where(tickets.c.code == parse_code(code))
            )
        ).one()


async def test_two_gates_admitting_one_ticket_offline_record_the_earliest_and_one_conflict(
    client: httpx.AsyncClient,
    partner: dict[str, Any],
    event: dict[str, Any],
    sandbox: Sandbox,
    engine: AsyncEngine,
) -> None:
    north, south = [await new_gate(client, partner, event["id"], n) for n in ("north", "south")]
    order = await sell(client, event, sandbox)
    code = order["tickets"][0]["code"]
    payload = await qr_payload(client, order, code)
    late, early = offline_scan(3, "north", payload=payload), offline_scan(5, "south", code=code)

    first_upload = await upload(client, north, late)  # the later scan arrives first
    second_upload = await upload(client, south, early)

    assert first_upload["results"][0]["outcome"] == "admitted"
    assert second_upload["results"][0]["outcome"] == "admitted"
    admission = await first_admission(engine, code)
    assert (admission.gate, admission.source) == ("south", "offline")
    assert admission.admitted_at == datetime.fromisoformat(early["scanned_at"])
    (conflict,) = second_upload["conflicts"]
    assert conflict["kind"] == "duplicate"
    assert (conflict["scan"]["gate"], conflict["first"]["gate"]) == ("north", "south")
    assert await ticket_state(engine, code) == ("used", 1, 2)
    online = await check_in(client, north, code=code, gate="north")
    assert (online["result"], online["first_gate"]) == ("already_used", "south")
    stats = await client.get(
        f"/api/v1/events/{event['id']}/checkin-stats", headers=partner["headers"]
    )
    assert [c["scan"]["gate"] for c in stats.json()["conflicts"]] == ["north"]


async def test_an_offline_scan_after_an_online_admission_is_a_conflict(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    gate: Gate,
    sandbox: Sandbox,
    engine: AsyncEngine,
) -> None:
    code = (await sell(client, event, sandbox))["tickets"][0]["code"]
    await check_in(client, gate, code=code, gate="main")

    report = await upload(client, gate, offline_scan(0, "side", code=code))

    assert report["results"][0]["outcome"] == "conflict"
    (conflict,) = report["conflicts"]
    assert conflict["kind"] == "duplicate"
    assert conflict["first"]["source"] == "online"
    assert (await first_admission(engine, code)).gate == "main"


async def test_an_offline_scan_earlier_than_the_online_admission_takes_its_place(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    gate: Gate,
    sandbox: Sandbox,
    engine: AsyncEngine,
) -> None:
    code = (await sell(client, event, sandbox))["tickets"][0]["code"]
    await check_in(client, gate, code=code, gate="main")

    report = await upload(client, gate, offline_scan(10, "side", code=code))

    assert report["results"][0]["outcome"] == "admitted"
    (conflict,) = report["conflicts"]
    assert (conflict["scan"]["source"], conflict["scan"]["gate"]) == ("online", "main")
    assert (await first_admission(engine, code)).gate == "side"


async def test_uploading_the_same_scans_again_changes_nothing(
    client: httpx.AsyncClient,
    partner: dict[str, Any],
    event: dict[str, Any],
    sandbox: Sandbox,
    engine: AsyncEngine,
) -> None:
    north, south = [await new_gate(client, partner, event["id"], n) for n in ("north", "south")]
    codes = [t["code"] for t in (await sell(client, event, sandbox, quantity=3))["tickets"]]
    north_scans = [offline_scan(4, "north", code=c) for c in codes]
    await upload(client, south, offline_scan(6, "south", code=codes[0]))
    first = await upload(client, north, *north_scans)
    counts = [await count_rows(engine, t) for t in (checkin_scans, ticket_admissions)]

    again = await upload(client, north, *north_scans)

    assert [r["outcome"] for r in again["results"]] == ["already_recorded"] * 3
    assert (again["recorded"], again["already_recorded"]) == (0, 3)
    assert [await count_rows(engine, t) for t in (checkin_scans, ticket_admissions)] == counts
    assert again["conflicts"] == first["conflicts"]
    assert len(first["conflicts"]) == 1


async def test_concurrent_uploads_converge_on_the_earliest_scan(
    client: httpx.AsyncClient,
    partner: dict[str, Any],
    event: dict[str, Any],
    sandbox: Sandbox,
    engine: AsyncEngine,
) -> None:
    devices = [await new_gate(client, partner, event["id"], f"gate {n}") for n in range(10)]
    code = (await sell(client, event, sandbox))["tickets"][0]["code"]
    scans = [offline_scan(30 - n, f"g{n}", code=code) for n in range(10)]  # g0 is earliest

    await asyncio.gather(*(upload(client, d, s) for d, s in zip(devices, scans, strict=True)))

    assert (await first_admission(engine, code)).gate == "g0"
    stats = await client.get(
        f"/api/v1/events/{event['id']}/checkin-stats", headers=partner["headers"]
    )
    conflicts = stats.json()["conflicts"]
    assert sorted(c["scan"]["gate"] for c in conflicts) == [f"g{n}" for n in range(1, 10)]
    assert {c["first"]["gate"] for c in conflicts} == {"g0"}


async def test_offline_admissions_of_cancelled_or_unknown_tickets_are_reported(
    client: httpx.AsyncClient,
    partner: dict[str, Any],
    event: dict[str, Any],
    gate: Gate,
    sandbox: Sandbox,
    engine: AsyncEngine,
) -> None:
    order = await sell(client, event, sandbox)
    code = order["tickets"][0]["code"]
    await client.post(f"/api/v1/orders/{order['id']}/refund", headers=partner["headers"])

    report = await upload(
        client, gate, offline_scan(2, "n", code=code), offline_scan(1, "n", code="222-2222")
    )

    assert [r["outcome"] for r in report["results"]] == ["conflict", "conflict"]
    assert sorted(c["kind"] for c in report["conflicts"]) == ["cancelled", "invalid"]
    assert await ticket_state(engine, code) == ("cancelled", 0, 1)


async def test_scans_the_gate_refused_offline_are_logged_and_never_admit(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    gate: Gate,
    sandbox: Sandbox,
    engine: AsyncEngine,
) -> None:
    code = (await sell(client, event, sandbox))["tickets"][0]["code"]

    report = await upload(client, gate, offline_scan(1, "n", result="already_used", code=code))

    assert report["results"][0]["outcome"] == "recorded"
    assert report["conflicts"] == []
    assert await ticket_state(engine, code) == ("valid", 0, 1)
