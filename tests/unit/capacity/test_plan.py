"""The capacity model answers the operator's questions with the arithmetic it states."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from boxoffice import cli
from boxoffice.capacity.command import REFERENCE, costs_from_loadtest
from boxoffice.capacity.plan import HEADROOM, Costs, Sale, plan
from boxoffice.waitingroom.pacing import polls_per_second

COSTS = Costs(
    purchases_per_second_per_worker=100.0, p99_ms=400.0, pool_size=10, join_cost=0.3, poll_cost=0.2
)


def queue_load(result_admission: float, *, demand: float, waiting: int) -> float:
    """The plan's own statement of the queue's cost, in purchases/s of worker CPU."""
    polls = polls_per_second(waiting=waiting, admission_rate=result_admission)
    return demand * COSTS.join_cost + polls * COSTS.poll_cost


def test_a_crowd_faster_than_the_deployment_is_queued_and_the_queue_is_paid_for() -> None:
    sale = Sale(tickets=20_000, audience=20_000, arrival_minutes=1, decline_rate=0.0, max_workers=4)

    result = plan(sale, COSTS)

    capacity = 4 * 100 * HEADROOM
    assert result.waiting_room_advised
    assert result.web_workers == 4
    assert result.joins_per_second == pytest.approx(333.3, abs=0.1)
    assert result.peak_queue_length == pytest.approx(
        20_000 - result.admission_rate_per_second * 60, abs=5
    )
    load = queue_load(
        result.admission_rate_per_second, demand=333.33, waiting=result.peak_queue_length
    )
    # The queue's joins and polls take their share: fewer admissions than 4 workers' worth.
    assert result.admission_rate_per_second + load <= capacity + 1
    assert result.admission_rate_per_second < capacity / 2
    assert result.queue_workers >= 2
    assert result.short_of_workers == 0
    assert result.database_connections == 80  # 4 workers × two fixed pools of 10


def test_one_more_worker_beats_a_queue_the_deployment_cannot_carry() -> None:
    sale = Sale(tickets=20_000, audience=48_000, arrival_minutes=10, max_workers=1)

    result = plan(sale, COSTS)

    assert result.short_of_workers == 1  # 80 people/s need 2 workers at 70 each
    assert result.web_workers == 2
    assert not result.waiting_room_advised
    assert result.polls_per_second == 0


def test_a_stadium_crowd_at_once_mostly_needs_workers_for_the_queue() -> None:
    sale = Sale(
        tickets=60_000,
        audience=500_000,
        arrival_minutes=2,
        tickets_per_order=2.5,
        decline_rate=0.08,
        max_workers=8,
    )

    result = plan(sale, REFERENCE)

    per_worker = REFERENCE.purchases_per_second_per_worker * HEADROOM
    assert result.admission_rate_per_second == pytest.approx(2000 * HEADROOM)  # the database
    purchase_workers = math.ceil(result.admission_rate_per_second / per_worker)
    assert result.queue_workers > purchase_workers  # joins and polls outweigh the purchases
    assert result.web_workers - 8 == result.short_of_workers > 0


def test_a_sellout_target_slower_than_the_crowd_queues_the_rest() -> None:
    sale = Sale(tickets=10_000, audience=60_000, arrival_minutes=1, target_sellout_minutes=10)

    result = plan(sale, COSTS)

    assert result.admission_rate_per_second == pytest.approx(5_264 / 600, abs=0.1)
    assert result.waiting_room_advised
    assert result.web_workers == 1 + result.queue_workers  # one for the purchases
    assert result.sellout_minutes == pytest.approx(10, abs=0.1)


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
    assert result.queue_workers == 0


@pytest.mark.parametrize("bad", [{"tickets": 0}, {"audience": 0}, {"decline_rate": 1.0}])
def test_impossible_sales_are_refused(bad: dict[str, float]) -> None:
    shape = {"tickets": 100, "audience": 100, "arrival_minutes": 1.0} | bad
    with pytest.raises(ValueError, match=r"positive|decline"):
        plan(Sale(**shape), COSTS)  # type: ignore[arg-type]


def loadtest_report(tmp_path: Path, *, waiting_room: bool) -> Path:
    report = {
        "waiting_room": waiting_room,
        "confirmed_purchases": 4000,
        "confirmed_per_second": 400.0,
        "latency_ms": {"p99": 120.0},
        "requests": 4200,
        "bytes_per_request": 900,
    }
    path = tmp_path / "run.json"
    path.write_text(json.dumps(report))
    return path


def test_a_load_test_of_the_deployment_gives_the_costs_per_worker(tmp_path: Path) -> None:
    costs = costs_from_loadtest(loadtest_report(tmp_path, waiting_room=False), workers=2)
    assert costs.purchases_per_second_per_worker == 200.0
    assert costs.requests_per_purchase == pytest.approx(1.05)
    assert costs.join_cost == REFERENCE.join_cost


def test_a_queued_load_test_is_refused_as_it_would_charge_its_queue_twice(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="without the waiting room"):
        costs_from_loadtest(loadtest_report(tmp_path, waiting_room=True), workers=2)


def rate_search_report(tmp_path: Path, *, found: float | None) -> Path:
    """What `boxoffice loadtest --find-rate --json` writes: 300/s held, 400/s did not."""

    def probe(rate: float, p99: float) -> tuple[dict[str, object], dict[str, object]]:
        buyers = int(rate * 20)
        sale = {
            "buyers": buyers,
            "confirmed_purchases": int(buyers * 0.98),
            "requests": int(buyers * 2.1),
            "latency_ms": {"p99": p99},
            "bytes_per_request": 800,
        }
        return {"rate": rate, "held": p99 <= 500}, sale

    probes, reports = zip(probe(300.0, 310.0), probe(400.0, 900.0), strict=True)
    report = {
        "p99_target_ms": 500.0,
        "sustainable_admission_rate": found,
        "probes": list(probes),
        "reports": list(reports),
    }
    path = tmp_path / "rate.json"
    path.write_text(json.dumps(report))
    return path


def test_a_found_rate_plans_that_rate_on_the_workers_it_was_measured_on(tmp_path: Path) -> None:
    costs = costs_from_loadtest(rate_search_report(tmp_path, found=300.0), workers=2)
    # the probes' shape: every buyer joins the queue, arrivals as fast as admissions
    shaped_like_it = Sale(
        tickets=200_000, audience=300 * 600, arrival_minutes=10.0, waiting_room=True
    )
    result = plan(shaped_like_it, costs)
    assert result.admission_rate_per_second == 300.0
    assert result.web_workers == 2
    assert costs.p99_ms == 310.0  # the held probe's, not the failed one's
    # the joins left out (the plan adds its own): 12,600 requests, 6,000 joins, 5,880 paid
    assert costs.requests_per_purchase == pytest.approx((12_600 - 6_000) / 5_880)


@pytest.mark.parametrize("arrivals_per_second", [350, 600, 2_000])
def test_a_plan_never_promises_more_than_the_search_measured_on_those_workers(
    tmp_path: Path, arrivals_per_second: int
) -> None:
    costs = costs_from_loadtest(rate_search_report(tmp_path, found=300.0), workers=2)
    crowd = Sale(
        tickets=500_000,
        audience=arrivals_per_second * 600,
        arrival_minutes=10.0,
        max_workers=2,
        waiting_room=True,  # as the search ran
    )
    result = plan(crowd, costs)
    assert result.admission_rate_per_second <= 300.0 or result.short_of_workers > 0


def test_an_event_that_queues_everyone_pays_for_the_joins_of_a_short_line() -> None:
    short_line = Sale(tickets=20_000, audience=24_000, arrival_minutes=10, decline_rate=0.0)
    advised, queued = plan(short_line, COSTS), plan(replace(short_line, waiting_room=True), COSTS)
    assert not advised.waiting_room_advised  # 40 people/s: one worker, no queue needed
    assert (advised.joins_per_second, advised.web_workers) == (0.0, 1)
    assert queued.joins_per_second == 40.0  # the queue is on: every arrival joins
    assert queued.polls_per_second == 0.0  # and nobody waits long enough to poll
    assert queued.admission_rate_per_second == 40.0
    assert queued.queue_workers == 1


def test_an_event_that_never_queues_says_how_many_workers_it_lacks() -> None:
    crowd = Sale(tickets=20_000, audience=20_000, arrival_minutes=1, decline_rate=0.0)
    queued = plan(replace(crowd, max_workers=4), COSTS)
    unqueued = plan(replace(crowd, max_workers=4, waiting_room=False), COSTS)
    assert queued.short_of_workers == 0  # the queue absorbs the crowd on 4 workers
    assert unqueued.short_of_workers > 0  # without one, nothing waits for a turn
    assert unqueued.admission_rate_per_second == pytest.approx(333.3, abs=0.1)
    assert (unqueued.joins_per_second, unqueued.polls_per_second) == (0.0, 0.0)
    assert unqueued.waiting_room_advised  # the plan still says a queue would help


def test_a_search_where_nothing_held_gives_no_costs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no rate that held"):
        costs_from_loadtest(rate_search_report(tmp_path, found=None), workers=2)


def test_the_capacity_command_plans_from_a_rate_search(tmp_path: Path) -> None:
    report = rate_search_report(tmp_path, found=300.0)
    shape = ["--tickets", "200000", "--audience", str(300 * 600), "--arrival-minutes", "10"]
    measured = ["--from-loadtest", str(report), "--loadtest-workers", "2"]
    ran = CliRunner().invoke(cli.app, ["capacity", *shape, *measured, "--waiting-room", "--json"])
    assert ran.exit_code == 0, ran.output
    planned = json.loads(ran.output)
    assert (planned["admission_rate_per_second"], planned["web_workers"]) == (300.0, 2)
    assert "held 300 admissions/s on 2 workers" in planned["assumptions"]["source"]


@pytest.mark.parametrize("text", ["{not json", '{"sustainable_admission_rate": 300}', "[]"])
def test_a_report_that_is_not_one_is_a_clear_error(tmp_path: Path, text: str) -> None:
    report = tmp_path / "odd.json"
    report.write_text(text)
    shape = ["--tickets", "1000", "--audience", "1000", "--from-loadtest", str(report)]
    ran = CliRunner().invoke(cli.app, ["capacity", *shape])
    assert ran.exit_code == 2  # a usage error naming the option, not a traceback
    assert "--from-loadtest" in ran.output
