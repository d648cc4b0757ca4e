"""The capacity model (pure): a sale's shape and measured per-request costs in, a plan out.

Inputs the operator knows: tickets on sale, expected audience, the window
over which they arrive, tickets per order, the decline rate. Costs come from
`boxoffice loadtest` on the operator's own deployment (a JSON report), or
from the figures measured on our reference machine (docs/benchmarks.md).

The model, stated so it can be argued with:
- orders needed = tickets / tickets per order; attempts = orders / (1 - decline rate);
- demand rate = audience arriving over the window (people/s); the sale needs
  `purchases/s = min(demand, attempts / target sell-out time)`;
- admission rate (waiting room) = what the deployment sustains at the target p99,
  with headroom, and never more than the sale needs;
- web workers = purchases/s / (measured purchases/s per worker × headroom), one
  core each, but never more than the database primary can feed (its measured ceiling
  × headroom); database connections = workers × pool size × 2 (each worker keeps
  two fixed pools: the purchase hot path's and everything else's);
- sell-out time = attempts / min(admission rate, demand rate) (bounded below by the
  arrival of enough buyers);
- storage and bandwidth from measured bytes per order and per request, plus queue polls.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

HEADROOM = 0.7  # plan for 70 % of measured capacity: p99 grows fast near saturation


@dataclass(frozen=True)
class Sale:
    tickets: int
    audience: int
    arrival_minutes: float
    tickets_per_order: float = 2.0
    decline_rate: float = 0.05
    target_sellout_minutes: float | None = None
    max_workers: int | None = None  # a fixed deployment: the queue absorbs the rest
    queue_poll_seconds: float = 15.0  # the waiting room asks far-back buyers every 15 s


@dataclass(frozen=True)
class Costs:
    """Measured on one deployment; `source` says where the figures come from."""

    purchases_per_second_per_worker: float
    p99_ms: float
    requests_per_purchase: float = 1.1  # retries, double clicks, polls of pending orders
    bytes_per_request: int = 1500
    bytes_per_order_stored: int = 2200  # order, items, tickets, outbox, indexes
    pool_size: int = 20
    # What one PostgreSQL primary sustains for a whole purchase (hold + confirm); beyond it,
    # more web workers only queue on the database. From pgbench on the same machine.
    database_purchases_per_second: float = 2000.0
    source: str = "docs/benchmarks.md"


@dataclass(frozen=True)
class Plan:
    orders_needed: int
    attempts_needed: int
    demand_per_second: float
    purchases_per_second: float
    admission_rate_per_second: float
    web_workers: int
    cores: int
    database_connections: int
    storage_megabytes: float
    bandwidth_megabits: float
    peak_queue_length: int
    sellout_minutes: float
    waiting_room_advised: bool
    assumptions: dict[str, Any]


def plan(sale: Sale, costs: Costs) -> Plan:
    if sale.tickets <= 0 or sale.audience <= 0 or sale.arrival_minutes <= 0:
        raise ValueError("tickets, audience and arrival window must be positive")
    if not 0 <= sale.decline_rate < 1:
        raise ValueError("the decline rate must be in [0, 1)")
    orders = math.ceil(sale.tickets / sale.tickets_per_order)
    attempts = math.ceil(orders / (1 - sale.decline_rate))
    demand = sale.audience / (sale.arrival_minutes * 60)
    if sale.target_sellout_minutes:
        purchases = min(demand, attempts / (sale.target_sellout_minutes * 60))
    else:
        purchases = demand
    per_worker = costs.purchases_per_second_per_worker * HEADROOM
    workers = max(1, math.ceil(purchases / per_worker))
    if sale.max_workers:
        workers = min(workers, sale.max_workers)
    ceiling = costs.database_purchases_per_second * HEADROOM
    workers = min(workers, max(1, math.ceil(ceiling / per_worker)))
    admission = min(purchases, workers * per_worker, ceiling)
    sellout_seconds = attempts / admission
    queue_peak = max(0, int(sale.audience - admission * sale.arrival_minutes * 60))
    polls = queue_peak / sale.queue_poll_seconds
    bandwidth = (admission * costs.requests_per_purchase + polls) * costs.bytes_per_request * 8
    return Plan(
        orders_needed=orders,
        attempts_needed=attempts,
        demand_per_second=round(demand, 1),
        purchases_per_second=round(purchases, 1),
        admission_rate_per_second=round(admission, 1),
        web_workers=workers,
        cores=workers + 2,  # plus PostgreSQL and Redis on their own cores at least
        database_connections=workers * costs.pool_size * 2,  # two fixed pools per worker
        storage_megabytes=round(attempts * costs.bytes_per_order_stored / 1e6, 1),
        bandwidth_megabits=round(bandwidth / 1e6, 1),
        peak_queue_length=queue_peak,
        sellout_minutes=round(sellout_seconds / 60, 1),
        waiting_room_advised=demand > workers * per_worker or queue_peak > 0,
        assumptions={"headroom": HEADROOM, **asdict(costs)},
    )
