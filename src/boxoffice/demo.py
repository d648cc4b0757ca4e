"""The demo: one process, embedded database, in-process sandbox gateway, seeded events."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import select, update

from boxoffice.app import create_app
from boxoffice.catalog.commands import NewEvent, NewPartner
from boxoffice.catalog.service import create_event, create_partner, publish_event
from boxoffice.config import Settings
from boxoffice.db.engine import create_engine
from boxoffice.db.tables import partners
from boxoffice.ids import hash_secret, new_secret

DEMO_EMAIL = "demo-partner@boxoffice.example"


def _demo_events(now: datetime) -> list[NewEvent]:
    day = timedelta(days=1)
    return [
        NewEvent.model_validate(
            {
                "name": "Orquestra Sinfônica — Noite de Estreia",
                "venue": "Sala São Paulo",
                "starts_at": (now + 30 * day).isoformat(),
                "per_buyer_limit": 4,
                "ticket_types": [
                    {"name": "Plateia", "price": 12000, "currency": "BRL", "capacity": 800},
                    {"name": "Balcão", "price": 8000, "currency": "BRL", "capacity": 400},
                ],
            }
        ),
        NewEvent.model_validate(
            {
                "name": "Festival de Verão",
                "venue": "Arena Rio",
                "starts_at": (now + 60 * day).isoformat(),
                "per_buyer_limit": 6,
                "ticket_types": [
                    {"name": "Pista", "price": 25000, "currency": "BRL", "capacity": 20000},
                    {"name": "Camarote", "price": 90000, "currency": "BRL", "capacity": 500},
                ],
            }
        ),
        # A flash sale behind the waiting room: its page sends buyers to the queue first, and
        # the partner console shows the line and its pace (docs/waitingroom.md).
        NewEvent.model_validate(
            {
                "name": "Big Act — Stadium Tour",
                "venue": "Estádio do Morumbis",
                "starts_at": (now + 90 * day).isoformat(),
                "per_buyer_limit": 4,
                "waiting_room": True,
                "ticket_types": [
                    {"name": "Pista", "price": 45000, "currency": "BRL", "capacity": 50000},
                    {"name": "Cadeira", "price": 30000, "currency": "BRL", "capacity": 15000},
                ],
            }
        ),
    ]


async def seed(settings: Settings) -> str:
    """Create the demo partner and events once; rotate and return the partner's key."""
    engine = create_engine(settings.resolved_database_url)
    try:
        async with engine.connect() as conn:
            partner_id = await conn.scalar(
                select(partners.c.id).where(partners.c.email == DEMO_EMAIL)
            )
        if partner_id is None:
            partner_id, api_key = await create_partner(
                engine, NewPartner(name="Demo Productions", email=DEMO_EMAIL)
            )
            for command in _demo_events(datetime.now(UTC)):
                event = await create_event(engine, partner_id=partner_id, command=command)
                await publish_event(engine, partner_id=partner_id, event_id=event["id"])
            return api_key
        # Keys are stored hashed, so the demo cannot show the old one: issue a new one.
        api_key = new_secret("bxk")
        async with engine.begin() as conn:
            await conn.execute(
                update(partners)
                .where(partners.c.id == partner_id)
                .values(api_key_hash=hash_secret(api_key))
            )
        return api_key
    finally:
        await engine.dispose()


def build_demo_app(settings: Settings, *, host: str, port: int) -> tuple[FastAPI, str]:
    api_key = asyncio.run(seed(settings))
    base = f"http://{host}:{port}"
    application = create_app(settings)
    banner = "\n".join(
        [
            "Boxoffice demo",
            f"  storefront         {base}/",  # pages (issue 7)
            f"  partner console    {base}/console   (sign in with the key below)",
            f"  support            {base}/support   (the partner key, or BOXOFFICE_ADMIN_KEY)",
            f"  API                {base}/api/v1/events",
            f"  API docs           {base}/docs",
            f"  demo partner key   {api_key}",
            f"  database           {settings.resolved_database_url}",
        ]
    )
    return application, banner
