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
- the waiting room's own traffic runs on web workers too, and at its peak it can cost
  more than the purchases: every arrival joins (joins/s = demand), and the queue at its
  longest (audience − admission rate × arrival window) polls as the server paces it
  (`boxoffice.waitingroom.pacing`), plus one poll per admitted buyer. Each join and poll is charged
  as the measured fraction of a purchase's CPU it costs (`join_cost`, `poll_cost`), and
  the plan adds the workers that carry it (`queue_workers`). On a fixed deployment the
  admission rate is the highest one whose purchases *and* queue traffic fit; when none
  does, `short_of_workers` says how many more are needed;
- sell-out time = attempts / min(admission rate, demand rate) (bounded below by the
  arrival of enough buyers);
- storage and bandwidth from measured bytes per order and per request, plus the queue's
  joins and polls.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from boxoffice.waitingroom.pacing import polls_per_second

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
    # None: a waiting room is advised when arrivals outrun the deployment; True: the event
    # queues every buyer even when the line stays short (each arrival still joins); False: it
    # never queues, so nothing absorbs a crowd the workers cannot carry.
    waiting_room: bool | None = None


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
    # The waiting room's requests, each in purchases' worth of a worker's CPU: service CPU
    # per join and per waiting buyer's poll (bench/baseline.py) over that per purchase
    # (bench/flash_sale.py), measured on the same box.
    join_cost: float = 0.3
    poll_cost: float = 0.2
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
    joins_per_second: float  # the waiting room's traffic at its peak (0 without a queue)
    polls_per_second: float
    queue_workers: int  # of `web_workers`, the ones the queue's traffic keeps busy
    short_of_workers: int  # a fixed deployment too small even for its queue: add these
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
    queue = _QueueTraffic(sale, costs, demand=demand, always=sale.waiting_room is True)
    # Uncapped: admit what the sale needs (and the database takes); size workers for it.
    admission = min(purchases, costs.database_purchases_per_second * HEADROOM)
    workers = queue.workers_for(admission, per_worker)
    short = 0
    if sale.max_workers and workers > sale.max_workers:
        fitting = None
        if sale.waiting_room is not False:  # without a queue nothing can wait for a turn
            fitting = _fitting_admission(admission, sale.max_workers * per_worker, queue)
        if fitting is None:
            short = workers - sale.max_workers  # the plan stays the one those workers allow
        else:
            admission, workers = fitting, sale.max_workers
    # A queue is advised where the plan admits fewer than arrive, or where an event that
    # never queues lacks the workers that a queue would have spared.
    advised = admission < demand or (sale.waiting_room is False and short > 0)
    queued = advised if sale.waiting_room is None else sale.waiting_room
    joins = demand if queued else 0.0
    polls = queue.polls(admission) if queued else 0.0
    requests = admission * costs.requests_per_purchase + joins + polls
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
        bandwidth_megabits=round(requests * costs.bytes_per_request * 8 / 1e6, 1),
        peak_queue_length=queue.peak(admission),
        joins_per_second=round(joins, 1),
        polls_per_second=round(polls, 1),
        queue_workers=min(workers, math.ceil(queue.load(admission) / per_worker)),
        short_of_workers=short,
        sellout_minutes=round(attempts / admission / 60, 1),
        waiting_room_advised=advised,
        assumptions={"headroom": HEADROOM, **asdict(costs)},
    )


@dataclass(frozen=True)
class _QueueTraffic:
    """The waiting room at its peak, in purchases per second's worth of worker CPU.

    There is a queue when people arrive faster than they are admitted, or always when the
    event queues every buyer (`Sale.waiting_room`); then every arrival joins, and the queue
    at its longest polls as the server paces it.
    """

    sale: Sale
    costs: Costs
    demand: float
    always: bool = False  # the event queues every buyer, however short the line

    def peak(self, admission: float) -> int:
        return max(0, int(self.sale.audience - admission * self.sale.arrival_minutes * 60))

    def polls(self, admission: float) -> float:
        return polls_per_second(waiting=self.peak(admission), admission_rate=admission)

    def load(self, admission: float) -> float:
        if admission >= self.demand and not self.always:
            return 0.0
        joins = self.demand * self.costs.join_cost
        return joins + self.polls(admission) * self.costs.poll_cost

    def workers_for(self, admission: float, per_worker: float) -> int:
        # Rounded first: 2.0000000001 workers of floating-point arithmetic are 2, not 3.
        return max(1, math.ceil(round((admission + self.load(admission)) / per_worker, 9)))


def _fitting_admission(needed: float, capacity: float, queue: _QueueTraffic) -> float | None:
    """The highest admission rate whose purchases and queue traffic fit in `capacity`.

    Searched downwards in steps of 1 % of `needed`, not solved: admitting faster costs
    purchases but shortens the queue and its polls, so the load is not monotonic in the
    rate. None when nothing fits, not even the queue on its own.
    """
    for step in range(100, 0, -1):
        admission = needed * step / 100
        if admission + queue.load(admission) <= capacity:
            return admission
    return None
