"""Finding the admission rate a deployment holds: measured probes, doubled then halved."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boxoffice.loadtest.search import Probe, next_rate, sustainable


def deployment(capacity: float) -> Callable[[float], Probe]:
    """A box that keeps p99 at 120 ms up to `capacity` admissions/s and falls behind above."""

    def probe(rate: float) -> Probe:
        if rate <= capacity:
            return Probe(rate, selling_per_second=rate * 0.97, p99_ms=120.0, audit_ok=True)
        return Probe(rate, selling_per_second=capacity, p99_ms=4_000.0, audit_ok=True)

    return probe


def search(probe: Callable[[float], Probe], **limits: float) -> list[Probe]:
    probes: list[Probe] = []
    settings = {"p99_target_ms": 500.0, "start": 50.0, "ceiling": 5_000.0} | limits
    while (rate := next_rate(probes, **settings)) is not None:
        probes.append(probe(rate))
        assert len(probes) < 30, "the search must end"
    return probes


def test_the_rate_doubles_from_the_start_until_a_probe_fails_then_the_gap_is_halved() -> None:
    probes = search(deployment(capacity=340.0))
    assert [p.rate for p in probes][:4] == [50.0, 100.0, 200.0, 400.0]
    found = sustainable(probes, p99_target_ms=500.0)
    assert found is not None
    assert 340.0 * 0.9 <= found <= 340.0
    assert len(probes) <= 9  # a handful of short sales, not an afternoon


@given(st.floats(min_value=6.0, max_value=4_000.0))
def test_whatever_the_capacity_the_answer_is_within_a_tenth_below_it(capacity: float) -> None:
    found = sustainable(search(deployment(capacity)), p99_target_ms=500.0)
    assert found is not None
    assert capacity * 0.9 - 0.1 <= found <= capacity


def test_a_box_that_holds_everything_stops_at_the_ceiling() -> None:
    probes = search(deployment(capacity=1e9), ceiling=800.0)
    assert probes[-1].rate == 800.0
    assert sustainable(probes, p99_target_ms=500.0) == 800.0


def test_when_even_the_slowest_rate_fails_the_answer_is_none() -> None:
    probes = search(deployment(capacity=1.0))
    assert sustainable(probes, p99_target_ms=500.0) is None
    assert min(p.rate for p in probes) <= 5.0  # it tried down to a tenth of the start


@pytest.mark.parametrize(
    ("probe", "why"),
    [
        (Probe(300, selling_per_second=295, p99_ms=650, audit_ok=True), "p99 over the target"),
        (Probe(300, selling_per_second=200, p99_ms=300, audit_ok=True), "fell behind"),
        (Probe(300, selling_per_second=295, p99_ms=300, audit_ok=False), "an invariant broke"),
    ],
)
def test_a_probe_holds_only_if_fast_enough_kept_up_and_correct(probe: Probe, why: str) -> None:
    assert not probe.held(500.0), why


def test_declined_cards_are_not_counted_as_falling_behind() -> None:
    declines = Probe(300, selling_per_second=255, p99_ms=300, audit_ok=True, approving_share=0.9)
    assert declines.held(500.0)  # 255/s confirmed of 270/s that could be


def test_a_start_above_the_ceiling_probes_the_ceiling() -> None:
    assert next_rate([], p99_target_ms=500.0, start=900.0, ceiling=400.0) == 400.0
