"""What the pages share in a running process, built once by the composition root's lifespan."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request

from boxoffice.config import Settings
from boxoffice.ids import derive_key
from boxoffice.signing import Signer
from boxoffice.web.ratelimit import Limiter, Rate, build_limiter
from boxoffice.web.security import origin_of


@dataclass
class PagesContext:
    settings: Settings
    sessions: Signer  # console and support session cookies
    magic_links: Signer  # the buyer's "my tickets" links
    limiter: Limiter
    clock: Callable[[], float] = field(default=time.time)

    @property
    def login_rate(self) -> Rate:
        per_minute = self.settings.login_attempts_per_minute
        return Rate(per_minute=per_minute, burst=max(1, int(per_minute)))

    @property
    def lookup_rate(self) -> Rate:
        per_minute = self.settings.lookups_per_minute
        return Rate(per_minute=per_minute, burst=max(1, int(per_minute)))

    @property
    def gateway_url(self) -> str:
        """Where the browser tokenises cards (absolute, or "/gateway" on our own origin)."""
        return self.settings.resolved_gateway_public_url

    async def aclose(self) -> None:
        await self.limiter.aclose()


def build_pages(settings: Settings) -> PagesContext:
    secret = settings.resolved_secret_key
    return PagesContext(
        settings=settings,
        sessions=Signer(derive_key(secret, "pages-session"), purpose="session"),
        magic_links=Signer(derive_key(secret, "buyer-magic-link"), purpose="my-tickets"),
        limiter=build_limiter(settings.redis_url),
    )


def gateway_origins(settings: Settings) -> list[str]:
    """Origins the checkout page may call besides its own: the gateway, when elsewhere."""
    origin = origin_of(settings.resolved_gateway_public_url)
    return [origin] if origin else []


def pages_of(request: Request) -> PagesContext:
    pages: PagesContext = request.app.state.pages
    return pages
