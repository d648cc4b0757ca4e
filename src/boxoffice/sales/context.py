"""Everything the sales use cases need from the outside, built once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.ids import derived_token
from boxoffice.payments.gateway import PaymentGateway
from boxoffice.sales.hotpath import PostgresHotPath
from boxoffice.sales.inflight import InFlight
from boxoffice.sales.inventory import InventoryGuard
from boxoffice.sales.pressure import SalesPressure
from boxoffice.tickets.codes import CodeBook
from boxoffice.tickets.issuance import SerialBlocks
from boxoffice.waitingroom.service import WaitingRoom


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SalesContext:
    engine: AsyncEngine
    gateway: PaymentGateway
    code_book: CodeBook
    serials: SerialBlocks
    access_key: bytes
    # After this long no request of ours can still be waiting on the gateway for an
    # order (the client's timeout plus a margin), so its fate can be asked safely.
    charge_deadline: timedelta
    hold_ttl: timedelta
    # How long a repeated request waits for the first one with its key to finish.
    in_flight_wait: timedelta = timedelta(seconds=5)
    inventory: InventoryGuard = field(default_factory=InventoryGuard)
    # PostgreSQL's one-round-trip hold and confirm (boxoffice.sales.hotpath); None on SQLite.
    hot_path: PostgresHotPath | None = None
    waiting_room: WaitingRoom | None = None
    # Purchases in flight in this process, so that background work yields to them.
    pressure: SalesPressure = field(default_factory=SalesPressure)
    # The same, by buyer and key, so that a repeated request waits for the first one here.
    in_flight: InFlight = field(default_factory=InFlight)
    # Per-process cache of published events' sale terms (boxoffice.sales.purchase).
    terms_cache: dict[str, Any] = field(default_factory=dict)
    clock: Callable[[], datetime] = utc_now

    def access_token(self, order_id: str) -> str:
        return derived_token(self.access_key, order_id)
