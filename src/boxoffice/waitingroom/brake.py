"""The admission brake: admit fewer buyers while this worker's purchases are slow (pure).

The operator sets an admission rate from a capacity plan, but a plan is a
forecast: the day of the sale the machines may be slower (a noisy neighbour,
a database failover, a card network taking 400 ms instead of 50). Admitting
faster than the workers can sell does not sell faster; it only makes every
admitted buyer wait in the workers' own queues, and their checkout, which
the waiting room exists to keep quick, becomes the slow part (measured: at
500 admissions/s on a box that sells 380/s, p99 4 s for admitted buyers).

So each worker watches how long its purchases take. Every quarter second it
looks at the purchases that finished since it last looked: when the 90th
percentile is over the target, it brakes (admits 20 % less); when it is well
under (half the target), or there is too little evidence to judge, it
releases a little (5 % of the full rate a quarter second, however long since it last
looked), up to no brake at all. That is the
additive-increase, multiplicative-decrease rule of TCP's congestion control,
for the same reason: back off fast when the queue builds, return slowly.

The queue's store applies the most-braked live worker's factor to the
operator's rate (`boxoffice.waitingroom.store`), so a sale slows down for all
when one worker struggles, and the forecasts (ETAs) follow the rate actually
applied. The brake never admits faster than the operator's rate.
"""

from __future__ import annotations

import time
from collections.abc import Callable

TICK_SECONDS = 0.25
BRAKE = 0.8  # the factor kept when purchases are too slow
RELEASE = 0.05  # added back when they are quick
FLOOR = 0.05  # never below a twentieth of the operator's rate: the queue keeps moving
MIN_SAMPLES = 5  # fewer purchases in a tick say nothing about the workers' health


class AdmissionBrake:
    """This worker's admission factor (1.0: the operator's rate), from its purchase times."""

    def __init__(
        self, target_seconds: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.target_seconds = target_seconds
        self._clock = clock
        self._factor = 1.0
        self._samples: list[float] = []
        self._judged_at = clock()

    @property
    def enabled(self) -> bool:
        return self.target_seconds > 0

    def record(self, seconds: float) -> None:
        """A purchase finished here, `seconds` after it started."""
        if self.enabled:
            self._samples.append(seconds)

    def factor(self) -> float:
        """The share of the operator's rate to admit at, re-judged at most once a tick."""
        if not self.enabled:
            return 1.0
        now = self._clock()
        ticks = int((now - self._judged_at) / TICK_SECONDS)
        if ticks >= 1:
            self._judged_at = now
            self._factor = self._judge(self._samples, ticks)
            self._samples = []
        return self._factor

    def _judge(self, samples: list[float], ticks: int) -> float:
        """Brake once for slow purchases; release for every quarter second without them."""
        if len(samples) >= MIN_SAMPLES:
            slow = sorted(samples)[int(0.9 * (len(samples) - 1))]
            if slow > self.target_seconds:
                return max(FLOOR, self._factor * BRAKE)
            if slow > self.target_seconds / 2:
                return self._factor
        return min(1.0, self._factor + RELEASE * ticks)
