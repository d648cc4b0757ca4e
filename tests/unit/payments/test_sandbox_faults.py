from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boxoffice.payments.sandbox.faults import Fault, FaultInjector, FaultPlan, parse_faults


def plan(**faults: float) -> FaultPlan:
    return FaultPlan(faults={Fault(name): p for name, p in faults.items()}, seed=7)


def test_faults_parse_from_the_environment_form_and_from_repeated_options() -> None:
    expected = {Fault.TIMEOUT: 0.05, Fault.ERROR_5XX: 0.1, Fault.DROP_AFTER_CAPTURE: 0.2}
    assert parse_faults("timeout=0.05,error5xx=0.1,drop_after_capture=0.2") == expected
    assert parse_faults(["timeout=0.05", "error5xx=0.1", "drop_after_capture=0.2"]) == expected
    assert parse_faults("") == {}


def test_a_fault_named_without_probability_always_happens() -> None:
    assert parse_faults(["error5xx"]) == {Fault.ERROR_5XX: 1.0}


@pytest.mark.parametrize("spec", ["explode=0.1", "timeout=lots"])
def test_unknown_faults_and_bad_probabilities_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="bad fault"):
        parse_faults(spec)


def test_probabilities_adding_up_to_more_than_one_are_refused() -> None:
    with pytest.raises(ValueError, match="more than 1"):
        plan(timeout=0.6, error5xx=0.6)


@given(st.integers(), st.integers(min_value=1, max_value=50))
def test_the_same_seed_draws_the_same_sequence(seed: int, count: int) -> None:
    config = FaultPlan(
        latency_ms=5, jitter_ms=20, faults={Fault.TIMEOUT: 0.3, Fault.ERROR_5XX: 0.3}, seed=seed
    )
    first, second = FaultInjector(config), FaultInjector(config)
    assert [first.draw() for _ in range(count)] == [second.draw() for _ in range(count)]


def test_faults_happen_at_roughly_their_probability() -> None:
    injector = FaultInjector(plan(timeout=0.1, error5xx=0.2, drop_after_capture=0.3))
    counts = Counter(injector.draw().fault for _ in range(20_000))
    assert counts[Fault.TIMEOUT] / 20_000 == pytest.approx(0.1, abs=0.015)
    assert counts[Fault.ERROR_5XX] / 20_000 == pytest.approx(0.2, abs=0.015)
    assert counts[Fault.DROP_AFTER_CAPTURE] / 20_000 == pytest.approx(0.3, abs=0.015)
    assert counts[None] / 20_000 == pytest.approx(0.4, abs=0.015)


def test_delay_is_the_latency_plus_at_most_the_jitter() -> None:
    injector = FaultInjector(FaultPlan(latency_ms=50, jitter_ms=20, seed=1))
    delays = [injector.draw().delay_seconds for _ in range(1000)]
    assert all(0.050 <= delay <= 0.070 for delay in delays)
    assert max(delays) - min(delays) > 0.015


def test_replacing_the_plan_with_a_seed_restarts_the_sequence() -> None:
    injector = FaultInjector(plan(error5xx=0.5))
    first = [injector.draw() for _ in range(10)]
    injector.replace(plan(error5xx=0.5), reseed=True)
    assert [injector.draw() for _ in range(10)] == first
