"""Prometheus metrics: what an operator watches while a sale runs.

Counted where the thing happens, in the process that did it: every HTTP answer (route,
method, status, seconds), every purchase's first outcome (paid, declined, pending, or the
refusal's code; a replayed answer is not a second purchase), every card charge (outcome,
seconds: the card network's health), queue joins, gate scans, e-mails. What only the database
knows exactly (orders in flight, e-mails waiting) and the waiting rooms' lines (Redis) are
read when scraped (`gauges`); a scrape while either is down still answers, and says so
(`boxoffice_database_up`, `boxoffice_queue_store_up` at 0): that is when the operator is looking.

`boxoffice serve --workers N` runs N processes: prometheus_client's multiprocess mode keeps
each process's values in files of a folder (`PROMETHEUS_MULTIPROC_DIR`, set up by `serve`
before the workers start), and a scrape answered by any worker sums them all. Each update is
a few microseconds (an mmap write under a lock), so the hot path can afford the five or so a
purchase makes; and every update goes through `record`, which logs one that fails instead of
raising it into the purchase it was counting.

`GET /metrics` is not public (it tells sales figures): it answers only with
`Authorization: Bearer <BOXOFFICE_METRICS_TOKEN>`, and not at all when no token is set.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
log = logging.getLogger("boxoffice.metrics")
_failures = 0


def record(update: Callable[[], object]) -> None:
    """Apply one metric update. One that fails (in multiprocess mode the values are files:
    a full disk) is logged, never raised: no purchase, scan or answer may fail for a figure,
    least of all after a card was charged."""
    global _failures
    try:
        update()
    except Exception:
        _failures += 1
        if _failures == 1 or _failures % 1000 == 0:
            log.exception("a metric could not be recorded (%d so far)", _failures)


# Seconds: a page or a poll takes milliseconds, a purchase ~50 ms of card network and more
# under load; the waiting room's held joins take up to ten seconds.
_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP = Histogram(
    "boxoffice_http_request_duration_seconds",
    "HTTP requests answered, by route template, method and status, and how long they took.",
    ["route", "method", "status"],
    buckets=_LATENCY,
)
PURCHASES = Counter(
    "boxoffice_purchases",
    "Purchases decided, by outcome: paid, declined, pending (the card network's answer is "
    "not known yet), or the refusal's problem code (sold_out, buyer_limit_reached, ...).",
    ["outcome"],
)
TICKETS = Counter("boxoffice_tickets_sold", "Tickets issued by paid purchases.")
CHARGES = Histogram(
    "boxoffice_gateway_charge_duration_seconds",
    "Card charges sent to the gateway, by outcome (approved, declined, unknown), and how long "
    "the card network took.",
    ["outcome"],
    buckets=_LATENCY,
)
QUEUE_JOINS = Counter(
    "boxoffice_queue_joins",
    "Joins answered by waiting rooms (a buyer who joins again keeps the place, and counts again).",
)
SCANS = Counter(
    "boxoffice_checkin_scans",
    "Gate scans decided online, by result (admitted, already_used, invalid, ...).",
    ["result"],
)
MAIL = Counter(
    "boxoffice_mail_messages",
    "Tickets e-mails handled by the mail worker, by outcome (sent, retry, failed, skipped).",
    ["outcome"],
)
RECONCILED = Counter(
    "boxoffice_reconciled_orders",
    "Orders the reconciler settled with the gateway's answer, by the status it left.",
    ["status"],
)

# How late the event loop runs a timer: the time every request in the process waits on top of
# its own work, whatever it is. Sub-millisecond when idle; it grows with saturation, and a
# single long step (a full collection, a CPU-bound call) shows as one large observation.
LOOP_LAG = Histogram(
    "boxoffice_event_loop_lag_seconds",
    "How late this process's event loop woke a timer set ten times a second.",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
LOOP_LAG_EVERY_SECONDS = 0.1


async def watch_event_loop(every: float = LOOP_LAG_EVERY_SECONDS) -> None:
    """Observe `LOOP_LAG` forever. In a busy worker one timer among thousands costs a few µs
    a wake. An idle worker is woken ten times a second: the kernel charges such a process
    several ms of CPU a second on our VM, yet the machine's own busy time does not move
    (/proc/stat over 20 s with and without a sleeper waking four times a second: 96-123
    against 101-107 ticks), so the charge is accounting, not work."""
    clock = time.monotonic
    while True:
        due = clock() + every
        await asyncio.sleep(every)
        lag = max(0.0, clock() - due)
        record(lambda: LOOP_LAG.observe(lag))  # noqa: B023 (called at once)


@dataclass(frozen=True)
class Scraped:
    """What a scrape read from the database and the queue's store (None: could not read)."""

    orders_pending: int | None = None
    mail_waiting: int | None = None
    # Queued events on sale -> people waiting in their line.
    queues: dict[str, int] = field(default_factory=dict)
    # Whether the store answered (its figures, or a ping when no queued event is on sale);
    # None when the process has no waiting room to ask.
    queue_store_up: bool | None = None


def gauges(scraped: Scraped) -> list[GaugeMetricFamily]:
    """The scrape's figures: exact across every process and host (the same from each)."""
    database_up = scraped.orders_pending is not None and scraped.mail_waiting is not None
    families = [
        GaugeMetricFamily(
            "boxoffice_database_up",
            "1 when this scrape could read the database, else 0.",
            value=int(database_up),
        )
    ]
    if scraped.queue_store_up is not None:
        families.append(
            GaugeMetricFamily(
                "boxoffice_queue_store_up",
                "1 when this scrape could read the waiting rooms' store (Redis) for the queued "
                "events on sale, else 0.",
                value=int(scraped.queue_store_up),
            )
        )
    if database_up:
        families.append(
            GaugeMetricFamily(
                "boxoffice_orders_pending",
                "Orders held and not yet paid, declined or released (in checkout or reconciling).",
                value=scraped.orders_pending,
            )
        )
        families.append(
            GaugeMetricFamily(
                "boxoffice_mail_waiting",
                "Tickets e-mails not sent yet (due or retrying).",
                value=scraped.mail_waiting,
            )
        )
    if scraped.queues:
        waiting = GaugeMetricFamily(
            "boxoffice_queue_waiting",
            "People in a queued event's waiting room not admitted yet.",
            labels=["event_id"],
        )
        for event_id, people in sorted(scraped.queues.items()):
            waiting.add_metric([event_id], people)
        families.append(waiting)
    return families


class _Fixed:
    """A collector of figures already read (the scrape's database gauges)."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self._families = families

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._families


def exposition(extra: list[GaugeMetricFamily]) -> bytes:
    """The text format of every metric: this process's, or every worker's in multiprocess
    mode, then `extra`."""
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROCESS_ENV):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:  # one process: its own metrics, with the process's CPU, memory and GC figures
        registry.register(REGISTRY)
    registry.register(_Fixed(extra))
    return generate_latest(registry)


@contextmanager
def shared_between_workers(data_dir: Path) -> Iterator[None]:
    """For `serve --workers N`: a fresh folder for the workers' values, named in the
    environment they inherit, removed when the service stops. An operator's own
    `PROMETHEUS_MULTIPROC_DIR` is used as it is (and left in place)."""
    if os.environ.get(MULTIPROCESS_ENV):
        yield
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    folder = tempfile.mkdtemp(prefix="metrics-", dir=data_dir)
    os.environ[MULTIPROCESS_ENV] = folder
    try:
        yield
    finally:
        del os.environ[MULTIPROCESS_ENV]
        shutil.rmtree(folder, ignore_errors=True)
