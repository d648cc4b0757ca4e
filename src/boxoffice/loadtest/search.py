"""The highest admission rate a deployment holds with admitted buyers' p99 under a target.

`boxoffice loadtest --find-rate` answers the operator's question before a sale, "what rate
do I set the waiting room to?", by measuring rather than by arithmetic: it runs short queued
sales (probes) at one rate after another, each with buyers arriving as fast as they are
admitted, and keeps the highest rate that held. A probe holds when every invariant holds,
the admitted buyers' p99 is at most the target, and the deployment kept up (it confirmed
at least 90 % of the rate while selling: a box that falls behind is building a backlog
that a short probe hides in its tail).

The search doubles the rate from where it starts until a probe fails, then halves the gap
between the highest rate that held and the lowest that failed until the two are within
`precision` of each other. Pure: the probes are run by the caller (`command.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

# A probe that confirmed less than this share of its rate while selling fell behind.
KEPT_UP = 0.9


@dataclass(frozen=True)
class Probe:
    rate: float  # admissions (and arrivals) per second
    selling_per_second: float  # confirmed purchases/s while selling
    p99_ms: float  # admitted buyers' purchases
    audit_ok: bool
    approving_share: float = 1.0  # of buyers, those whose card is not declined

    def held(self, p99_target_ms: float) -> bool:
        return (
            self.audit_ok
            and self.p99_ms <= p99_target_ms
            and self.selling_per_second >= KEPT_UP * self.rate * self.approving_share
        )


def next_rate(
    probes: list[Probe],
    *,
    p99_target_ms: float,
    start: float,
    ceiling: float,
    precision: float = 0.1,
) -> float | None:
    """The rate to probe next, or None when the search is over (see `sustainable`)."""
    if not probes:
        return min(start, ceiling)
    held = [p.rate for p in probes if p.held(p99_target_ms)]
    failed = [p.rate for p in probes if not p.held(p99_target_ms)]
    best = max(held, default=None)
    worst = min((r for r in failed if best is None or r > best), default=None)
    if worst is None:  # nothing failed above the best yet: double, up to the ceiling
        assert best is not None
        return None if best >= ceiling else min(best * 2, ceiling)
    if best is None:  # even the first rate failed: halve, down to a tenth of the start
        return None if worst <= start / 10 else worst / 2
    if worst - best <= precision * best:
        return None
    return round((best + worst) / 2, 1)


def sustainable(probes: list[Probe], *, p99_target_ms: float) -> float | None:
    """The highest rate that held; None when none did."""
    return max((p.rate for p in probes if p.held(p99_target_ms)), default=None)
