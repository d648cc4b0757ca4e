"""The composed services a running process shares: built once, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.config import Settings

if TYPE_CHECKING:
    from boxoffice.payments.gateway import PaymentGateway
    from boxoffice.sales.context import SalesContext


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    gateway: PaymentGateway
    sales: SalesContext
