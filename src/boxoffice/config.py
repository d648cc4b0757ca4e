"""Typed settings, read once from the environment.

Every knob the contract names lives here so that the composition root
(`boxoffice.app.create_app`) is the only place that turns configuration
into engines, clients and workers. Nothing in here connects to anything.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """The folder for the embedded SQLite file, the sandbox ledger and the secret key."""
    return platformdirs.user_data_path("boxoffice", appauthor=False)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BOXOFFICE_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    redis_url: str | None = None
    gateway_url: str | None = None
    gateway_key: str = "sk_test_boxoffice_sandbox"
    gateway_publishable_key: str = "pk_test_boxoffice_sandbox"
    gateway_timeout_seconds: float = Field(default=10.0, gt=0)
    # How long after an order was created no request of ours can still be charging it;
    # the reconciler asks the gateway only after that. Default: the timeout plus 20 s.
    charge_deadline_seconds: float | None = Field(default=None, gt=0)
    # Serve the sandbox acquirer at /gateway in this process (the demo's embedded default).
    mount_sandbox: bool = False
    db_pool_size: int = Field(default=20, ge=1)
    # A row lock waited on longer than this is contention, not progress (PostgreSQL).
    db_lock_timeout_ms: int = Field(default=5000, ge=10)
    # Waiting room: admissions per second for a queued event (operators change it per event).
    admission_rate: float = Field(default=50.0, gt=0)
    admission_pass_seconds: int = Field(default=600, ge=30)
    secret_key: str | None = None
    admin_key: str | None = None
    # Prometheus scrapes `GET /metrics` with this bearer token; unset, there is no /metrics.
    metrics_token: str | None = None
    hold_seconds: int = Field(default=600, ge=5)
    reconcile_interval_seconds: float = Field(default=5.0, gt=0)
    log_level: str = "INFO"
    # --- mail (boxoffice.mail): unset smtp_url means the worker logs mail instead of sending
    smtp_url: str | None = None  # smtp://[user:pass@]host:port, smtps://…, smtp+starttls://…
    mail_from: str = "Boxoffice <tickets@boxoffice.example>"
    # The address buyers reach this service at, for the links in e-mails.
    public_url: str = "http://127.0.0.1:8000"
    # --- pages (issue 7): storefront, partner console, support
    # Where browsers reach the gateway to tokenise cards with the publishable key. Unset: the
    # mounted sandbox's same-origin "/gateway" in the demo, else gateway_url.
    gateway_public_url: str | None = None
    # Pages show times, and the console reads typed times, in this zone (IANA name).
    display_timezone: str = "America/Sao_Paulo"
    # The language of a visitor whose browser names none we have: "pt_BR" or "en".
    default_locale: str = "pt_BR"
    # Token buckets per client: sign-in attempts, and support / "my tickets" lookups.
    login_attempts_per_minute: float = Field(default=10, gt=0)
    lookups_per_minute: float = Field(default=60, gt=0)
    # ---

    @cached_property
    def resolved_database_url(self) -> str:
        """An async SQLAlchemy URL: the embedded SQLite file unless told otherwise."""
        url = self.database_url
        if not url:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            return f"sqlite+aiosqlite:///{self.data_dir / 'boxoffice.sqlite3'}"
        return async_database_url(url)

    @property
    def resolved_charge_deadline_seconds(self) -> float:
        if self.charge_deadline_seconds is not None:
            return self.charge_deadline_seconds
        return self.gateway_timeout_seconds + 20.0

    @property
    def resolved_gateway_public_url(self) -> str:
        if self.gateway_public_url:
            return self.gateway_public_url.rstrip("/")
        if self.mount_sandbox:
            return "/gateway"
        return (self.gateway_url or "").rstrip("/")

    @cached_property
    def resolved_secret_key(self) -> bytes:
        """The root secret; generated once and kept in the data folder when not configured."""
        if self.secret_key:
            return self.secret_key.encode()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip().encode()


def async_database_url(url: str) -> str:
    """Map a plain `postgresql://` or `sqlite://` URL onto the project's async drivers.

    A URL that already names a driver (`postgresql+asyncpg://`) is left alone.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"not a database URL: {url!r}")
    if "+" in scheme:
        return url
    if scheme in ("postgresql", "postgres"):
        return f"postgresql+asyncpg://{rest}"
    if scheme == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    return url
