"""The metrics module's own rules: a figure never fails the work it counts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from boxoffice import metrics


def test_a_metric_that_cannot_be_recorded_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metrics, "_failures", 0)

    def full_disk() -> None:
        raise OSError(28, "No space left on device")

    with caplog.at_level(logging.ERROR, logger="boxoffice.metrics"):
        metrics.record(full_disk)  # a purchase calling this goes on
        metrics.record(full_disk)

    (logged,) = caplog.records  # once, not a line per request while the disk stays full
    assert "could not be recorded" in logged.getMessage()


def test_a_scrape_without_the_database_says_so_and_invents_no_figures() -> None:
    down = {family.name: family for family in metrics.gauges(metrics.Scraped())}
    up = {
        family.name: family
        for family in metrics.gauges(
            metrics.Scraped(
                orders_pending=3, mail_waiting=7, queues={"evt_a": 12}, queue_store_up=True
            )
        )
    }

    assert down["boxoffice_database_up"].samples[0].value == 0
    assert "boxoffice_orders_pending" not in down
    assert "boxoffice_queue_store_up" not in down  # nothing was asked of it
    assert up["boxoffice_database_up"].samples[0].value == 1
    assert up["boxoffice_orders_pending"].samples[0].value == 3
    assert up["boxoffice_mail_waiting"].samples[0].value == 7
    assert up["boxoffice_queue_waiting"].samples[0].labels == {"event_id": "evt_a"}
    assert up["boxoffice_queue_waiting"].samples[0].value == 12


def test_serves_workers_share_a_fresh_folder_removed_at_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(metrics.MULTIPROCESS_ENV, raising=False)

    with metrics.shared_between_workers(tmp_path):
        folder = Path(os.environ[metrics.MULTIPROCESS_ENV])
        assert folder.parent == tmp_path
        assert folder.is_dir()

    assert metrics.MULTIPROCESS_ENV not in os.environ
    assert not folder.exists()


def test_an_operators_own_metrics_folder_is_used_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(metrics.MULTIPROCESS_ENV, str(tmp_path))

    with metrics.shared_between_workers(tmp_path / "data"):
        assert os.environ[metrics.MULTIPROCESS_ENV] == str(tmp_path)

    assert tmp_path.is_dir()
    assert not (tmp_path / "data").exists()


def _lag_samples() -> tuple[float, float]:
    """Observations so far: all of them, and those of a quarter second or less."""
    name = "boxoffice_event_loop_lag_seconds_bucket"
    total = REGISTRY.get_sample_value(name, {"le": "+Inf"}) or 0.0
    quick = REGISTRY.get_sample_value(name, {"le": "0.25"}) or 0.0
    return total, quick


async def test_a_step_that_holds_the_event_loop_shows_as_one_late_timer() -> None:
    total_before, quick_before = _lag_samples()
    watcher = asyncio.create_task(metrics.watch_event_loop(every=0.02))
    await asyncio.sleep(0.1)
    time.sleep(0.3)  # a CPU-bound step: every request of the process waits with it
    await asyncio.sleep(0.1)
    watcher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watcher
    total, quick = _lag_samples()

    assert total - total_before >= 5  # the timer kept being observed
    assert (total - quick) - (total_before - quick_before) == 1  # one wake over 0.25 s late
