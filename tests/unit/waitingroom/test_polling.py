"""Server-paced polling: waiting buyers ask just after their forecast turn, never hammer."""

from __future__ import annotations

import math

import pytest

from boxoffice.waitingroom.pacing import poll_after_seconds, polls_per_second


def test_a_buyer_at_the_front_asks_again_within_a_second() -> None:
    assert poll_after_seconds(0.0, ahead=0) == 0.5
    assert poll_after_seconds(0.5, ahead=50) == 0.75


def test_a_buyer_near_the_front_asks_again_just_after_the_forecast_turn() -> None:
    assert poll_after_seconds(8.0, ahead=800) == 8.25


def test_in_a_short_queue_a_buyer_asks_every_15_seconds_however_slow_the_rate() -> None:
    assert poll_after_seconds(600.0, ahead=6) == 15.0  # a raised rate shows within 15 s


def test_deep_in_a_long_queue_a_buyer_asks_again_after_a_quarter_of_the_wait() -> None:
    assert poll_after_seconds(30.0, ahead=3_000) == 15.0  # never less than 15 s apart there
    assert poll_after_seconds(100.0, ahead=10_000) == 25.0


def test_far_back_a_buyer_still_asks_every_two_minutes_to_see_a_changed_rate() -> None:
    assert poll_after_seconds(3600.0, ahead=360_000) == 120.0


def polls_until_admitted(position: int, rate: float = 100.0) -> tuple[int, float]:
    """One buyer at `position`, a steady rate: (polls until admitted, seconds admitted late)."""
    clock, polls = 0.0, 0
    while (ahead := position - rate * clock) > 0:
        clock += poll_after_seconds(ahead / rate, ahead=int(ahead))
        polls += 1
    return polls, clock - position / rate


@pytest.mark.parametrize("position", [1, 100, 1_000, 10_000, 100_000])
def test_polls_per_buyer_grow_with_the_log_of_the_wait_not_the_wait(position: int) -> None:
    polls, late = polls_until_admitted(position)
    wait = position / 100.0
    # each poll out there cuts the remaining wait by a quarter: a logarithm's worth of polls
    # (plus one per 15 s for the last thousand places)
    assert polls <= 5 + math.log(max(1.0, wait / 15), 4 / 3) + 1_000 / 100 / 15
    assert polls <= max(1, wait / 15)  # never more than one per 15 s of wait
    assert late <= 0.5  # and admitted on the poll right after the turn


def test_a_ten_thousand_second_wait_costs_under_a_hundred_polls() -> None:
    polls, _ = polls_until_admitted(1_000_000)
    assert polls < 100  # one per 15 s would have been 667


def test_a_line_the_door_holds_costs_no_poll_at_all() -> None:
    assert polls_per_second(waiting=1_000, admission_rate=100.0) == 0.0  # 10 s: joins held
    assert polls_per_second(waiting=0, admission_rate=100.0) == 0.0


def test_a_short_queue_beyond_the_door_costs_only_the_polls_that_admit() -> None:
    assert polls_per_second(waiting=1_400, admission_rate=100.0) == 100.0  # 14 s


def test_a_long_queue_polls_far_less_than_once_per_15_seconds_per_person() -> None:
    waiting, rate = 116_000, 280.0  # a 7-minute queue
    rate_of_polls = polls_per_second(waiting=waiting, admission_rate=rate)
    assert rate < rate_of_polls < 0.5 * waiting / 15
