"""The load generator reads the service's own timing of a purchase from Server-Timing."""

from __future__ import annotations

from boxoffice.loadtest.runner import _durations


def test_durations_are_read_in_seconds_from_every_metric() -> None:
    assert _durations("purchase;dur=12.5") == [0.0125]
    assert _durations('db;dur=2, purchase;desc="all";dur=40') == [0.002, 0.04]


def test_a_missing_or_malformed_header_gives_no_duration() -> None:
    assert _durations("") == []
    assert _durations("purchase;dur=soon") == []
