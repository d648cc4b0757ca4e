"""The sandbox acquirer's settings, read from the same `BOXOFFICE_` environment as the app."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from boxoffice.config import default_data_dir

LEDGER_FILENAME = "acquirer.sqlite3"
MEMORY = ":memory:"


class SandboxSettings(BaseSettings):
    """Who may call the acquirer, where its ledger lives, and how badly it behaves.

    `gateway_key` unset means any `sk_test_…` key is a secret key, so that a test
    or a demo needs no shared configuration. Faults are a comma-separated list of
    `name=probability` (`timeout`, `error5xx`, `drop_after_capture`).
    """

    model_config = SettingsConfigDict(env_prefix="BOXOFFICE_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    gateway_key: str | None = None
    acquirer_database_url: str | None = None
    acquirer_latency_ms: int = Field(default=0, ge=0)
    acquirer_jitter_ms: int = Field(default=0, ge=0)
    acquirer_faults: str = ""
    acquirer_seed: int | None = None
    acquirer_hang_seconds: float = Field(default=60.0, gt=0)
    """How long the `timeout` fault hangs: longer than any client waits."""

    def ledger_path(self) -> str:
        """The SQLite file of the ledger (or `:memory:`), from the URL or the data folder."""
        url = self.acquirer_database_url
        if not url:
            return str(self.data_dir / LEDGER_FILENAME)
        return sqlite_path(url)


def sqlite_path(url: str) -> str:
    """The file named by a `sqlite:///path` URL (any `sqlite+driver` scheme).

    The ledger is SQLite only: it is a test double for a card network, and one
    file per acquirer keeps it independent of the service's own database.
    """
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+", 1)[0] != "sqlite":
        raise ValueError(f"the sandbox acquirer's ledger must be a sqlite:/// URL, not {url!r}")
    path = rest[1:] if rest.startswith("/") else rest
    path = path.split("?", 1)[0]
    if path in ("", MEMORY):
        return MEMORY
    return path
