from __future__ import annotations

from pathlib import Path

import pytest

from boxoffice.payments.sandbox.settings import SandboxSettings


def test_the_ledger_lives_in_the_data_folder_by_default(tmp_path: Path) -> None:
    settings = SandboxSettings(data_dir=tmp_path)
    assert settings.ledger_path() == str(tmp_path / "acquirer.sqlite3")


def test_settings_come_from_the_boxoffice_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BOXOFFICE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BOXOFFICE_GATEWAY_KEY", "sk_test_configured")
    monkeypatch.setenv("BOXOFFICE_ACQUIRER_LATENCY_MS", "50")
    monkeypatch.setenv("BOXOFFICE_ACQUIRER_JITTER_MS", "20")
    monkeypatch.setenv("BOXOFFICE_ACQUIRER_FAULTS", "timeout=0.05,error5xx=0.05")
    monkeypatch.setenv("BOXOFFICE_ACQUIRER_SEED", "7")
    settings = SandboxSettings()
    assert settings.data_dir == tmp_path
    assert settings.gateway_key == "sk_test_configured"
    assert (settings.acquirer_latency_ms, settings.acquirer_jitter_ms) == (50, 20)
    assert settings.acquirer_faults == "timeout=0.05,error5xx=0.05"
    assert settings.acquirer_seed == 7


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:////var/lib/acquirer.db", "/var/lib/acquirer.db"),
        ("sqlite:///relative.db", "relative.db"),
        ("sqlite+aiosqlite:////tmp/a.db", "/tmp/a.db"),
        ("sqlite://", ":memory:"),
        ("sqlite:///:memory:", ":memory:"),
    ],
)
def test_a_database_url_names_the_ledger_file(url: str, path: str) -> None:
    assert SandboxSettings(acquirer_database_url=url).ledger_path() == path


def test_ledgers_other_than_sqlite_are_refused() -> None:
    with pytest.raises(ValueError, match="sqlite"):
        SandboxSettings(acquirer_database_url="postgresql://localhost/x").ledger_path()
