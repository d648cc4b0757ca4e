"""The admission brake: slow purchases admit fewer buyers, quick ones give the rate back."""

from __future__ import annotations

import pytest

from boxoffice.waitingroom.brake import BRAKE, FLOOR, RELEASE, TICK_SECONDS, AdmissionBrake


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def tick(brake: AdmissionBrake, clock: Clock, *purchases: float) -> float:
    """Purchases finish during a quarter second; then the queue asks for the factor."""
    for seconds in purchases:
        brake.record(seconds)
    clock.now += TICK_SECONDS
    return brake.factor()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_slow_purchases_brake_admission_by_a_fifth_each_quarter_second(clock: Clock) -> None:
    brake = AdmissionBrake(0.25, clock=clock)

    first = tick(brake, clock, *[0.4] * 20)
    second = tick(brake, clock, *[0.4] * 20)

    assert first == pytest.approx(BRAKE)
    assert second == pytest.approx(BRAKE * BRAKE)


def test_a_few_slow_purchases_among_quick_ones_do_not_brake(clock: Clock) -> None:
    brake = AdmissionBrake(0.25, clock=clock)

    assert tick(brake, clock, *[0.08] * 18, 2.0) == 1.0  # one in nineteen: under the 90th


def test_quick_purchases_give_the_rate_back_gradually_up_to_the_operators(clock: Clock) -> None:
    brake = AdmissionBrake(0.25, clock=clock)
    for _ in range(5):
        tick(brake, clock, *[1.0] * 10)
    braked = brake.factor()

    released = [tick(brake, clock, *[0.05] * 10) for _ in range(40)]

    assert released[0] == pytest.approx(braked + RELEASE)
    assert released[-1] == 1.0
    assert released == sorted(released)


def test_purchases_near_the_target_hold_the_brake_where_it_is(clock: Clock) -> None:
    brake = AdmissionBrake(0.25, clock=clock)
    braked = tick(brake, clock, *[0.5] * 10)

    assert tick(brake, clock, *[0.2] * 10) == braked  # over half the target: no release yet


def test_the_brake_never_stops_the_queue(clock: Clock) -> None:
    brake = AdmissionBrake(0.25, clock=clock)

    for _ in range(100):
        tick(brake, clock, *[5.0] * 10)

    assert brake.factor() == FLOOR


def test_too_few_purchases_to_judge_release_the_brake(clock: Clock) -> None:
    brake = AdmissionBrake(0.25, clock=clock)
    braked = tick(brake, clock, *[1.0] * 10)

    assert tick(brake, clock, 3.0, 3.0) == pytest.approx(braked + RELEASE)
    assert tick(brake, clock) == pytest.approx(braked + 2 * RELEASE)


def test_the_factor_is_judged_once_a_quarter_second(clock: Clock) -> None:
    brake = AdmissionBrake(0.25, clock=clock)
    braked = tick(brake, clock, *[1.0] * 10)

    for _ in range(10):
        brake.record(1.0)
        clock.now += TICK_SECONDS / 20
        assert brake.factor() == braked


def test_a_brake_without_a_target_always_admits_at_the_operators_rate(clock: Clock) -> None:
    brake = AdmissionBrake(0, clock=clock)

    assert tick(brake, clock, *[10.0] * 50) == 1.0


def test_a_quiet_second_releases_four_ticks_worth_when_next_asked(clock: Clock) -> None:
    brake = AdmissionBrake(0.25, clock=clock)
    braked = tick(brake, clock, *[1.0] * 10)

    clock.now += 4 * TICK_SECONDS - TICK_SECONDS / 2  # nobody asked for the factor meanwhile

    assert tick(brake, clock) == pytest.approx(braked + 4 * RELEASE)
