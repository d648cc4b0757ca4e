"""Server-paced polling: waiting buyers ask just after their forecast turn, never hammer."""

from __future__ import annotations

import pytest

from boxoffice.waitingroom.service import poll_after_seconds


def test_a_buyer_at_the_front_asks_again_within_a_second() -> None:
    assert poll_after_seconds(0.0) == 0.5
    assert poll_after_seconds(0.5) == 0.75


def test_a_buyer_further_back_asks_again_just_after_the_forecast_turn() -> None:
    assert poll_after_seconds(8.0) == 8.25


def test_far_back_a_buyer_still_asks_every_15_seconds_to_see_a_changed_rate() -> None:
    assert poll_after_seconds(3600.0) == 15.0


@pytest.mark.parametrize("position", [1, 100, 1_000, 10_000, 100_000])
def test_polls_per_admitted_buyer_stay_a_handful_however_long_the_queue(position: int) -> None:
    """One buyer at `position`, 100 admissions/s, a steady rate: count the polls until admitted."""
    rate, clock, polls = 100.0, 0.0, 0
    while position - rate * clock > 0:
        eta = (position - rate * clock) / rate
        clock += poll_after_seconds(eta)
        polls += 1
    assert polls <= 1 + position / rate / 15  # one per 15 s of wait, and the one that admits
