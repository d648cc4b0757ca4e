"""The composed services a running process shares: built once, in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.config import Settings

if TYPE_CHECKING:
    from boxoffice.payments.gateway import PaymentGateway


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    gateway: PaymentGateway | None = None
    extras: dict[str, object] = field(default_factory=dict)
