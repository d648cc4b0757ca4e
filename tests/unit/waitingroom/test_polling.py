"""Server-paced polling: waiting buyers ask about a second before their turn, never hammer."""

from __future__ import annotations

import pytest

from boxoffice.waitingroom.service import poll_after_seconds


def test_a_buyer_near_the_front_asks_every_second() -> None:
    assert poll_after_seconds(0.0) == 1.0
    assert poll_after_seconds(1.5) == 1.0


def test_a_buyer_further_back_asks_again_a_second_before_the_forecast_turn() -> None:
    assert poll_after_seconds(8.0) == 7.0


def test_far_back_a_buyer_still_asks_every_10_seconds_to_see_a_changed_rate() -> None:
    assert poll_after_seconds(3600.0) == 10.0


@pytest.mark.parametrize("position", [100, 1_000, 10_000, 100_000])
def test_polls_per_admitted_buyer_stay_a_handful_however_long_the_queue(position: int) -> None:
    """Simulate one buyer at `position` with 100 admissions/s: count the polls until admitted."""
    rate, clock, polls = 100.0, 0.0, 0
    while position - rate * clock > 0:
        eta = (position - rate * clock) / rate
        clock += poll_after_seconds(eta)
        polls += 1
    assert polls <= 2 + position / rate / 10  # one per 10 s of wait, plus the last two
