"""The capacity model answers the operator's questions with the arithmetic it states."""

from __future__ import annotations

import pytest

from boxoffice.capacity.plan import HEADROOM, Costs, Sale, plan

COSTS = Costs(purchases_per_second_per_worker=100.0, p99_ms=400.0, pool_size=10)


def test_a_crowd_faster_than_the_deployment_gets_a_queue_and_a_slower_sellout() -> None:
    sale = Sale(
        tickets=20_000,
        audience=200_000,
        arrival_minutes=5,
        tickets_per_order=2,
        decline_rate=0.0,
        max_workers=4,
    )

    result = plan(sale, COSTS)

    assert result.orders_needed == 10_000
    assert result.demand_per_second == pytest.approx(666.7, abs=0.1)
    assert result.web_workers == 4
    assert result.admission_rate_per_second == pytest.approx(4 * 100 * HEADROOM)
    assert result.sellout_minutes == pytest.approx(10_000 / 280 / 60, abs=0.1)
    assert result.peak_queue_length == 200_000 - 280 * 300
    assert result.waiting_room_advised
    assert result.database_connections == 80  # 4 workers × two fixed pools of 10


def test_declines_mean_more_attempts_for_the_same_tickets() -> None:
    calm = plan(Sale(tickets=1000, audience=5000, arrival_minutes=10, decline_rate=0.0), COSTS)
    risky = plan(Sale(tickets=1000, audience=5000, arrival_minutes=10, decline_rate=0.2), COSTS)
    assert calm.attempts_needed == 500
    assert risky.attempts_needed == 625


def test_without_a_worker_cap_the_plan_sizes_workers_for_the_arrival_rate() -> None:
    result = plan(Sale(tickets=10_000, audience=60_000, arrival_minutes=1), COSTS)
    assert result.purchases_per_second == 1000
    assert result.web_workers == 15  # 1000 / (100 * 0.7), rounded up
    assert result.peak_queue_length == 0


@pytest.mark.parametrize("bad", [{"tickets": 0}, {"audience": 0}, {"decline_rate": 1.0}])
def test_impossible_sales_are_refused(bad: dict[str, float]) -> None:
    shape = {"tickets": 100, "audience": 100, "arrival_minutes": 1.0} | bad
    with pytest.raises(ValueError, match=r"positive|decline"):
        plan(Sale(**shape), COSTS)  # type: ignore[arg-type]
