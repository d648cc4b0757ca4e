"""Injected latency and faults for intent creation, reproducible from a seed.

Real card networks are slow and sometimes fail in the worst way: the charge
happens and the answer is lost. The service must survive that (an unknown
outcome settles by reconciliation, never as a decline), so the sandbox can
produce each failure on demand:

- `timeout`: hang longer than any client waits, without charging;
- `error5xx`: answer 500 (Stripe's `api_error`), without charging;
- `drop_after_capture`: charge (the capture is committed), then close the
  connection without an answer.

One `random.Random(seed)` is drawn twice per intent request, in arrival order
(one draw picks the fault, one the jitter), so the same seed and the same
sequence of requests give the same sequence of outcomes.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Fault(StrEnum):
    TIMEOUT = "timeout"
    ERROR_5XX = "error5xx"
    DROP_AFTER_CAPTURE = "drop_after_capture"


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """Latency in milliseconds and the probability of each fault (their sum at most 1)."""

    latency_ms: int = 0
    jitter_ms: int = 0
    faults: Mapping[Fault, float] = field(default_factory=dict)
    seed: int | None = None
    hang_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.latency_ms < 0 or self.jitter_ms < 0:
            raise ValueError("latency and jitter cannot be negative")
        if self.hang_seconds <= 0:
            raise ValueError("hang_seconds must be positive")
        if any(not 0.0 <= p <= 1.0 for p in self.faults.values()):
            raise ValueError("a fault probability must be between 0 and 1")
        if sum(self.faults.values()) > 1.0 + 1e-9:
            raise ValueError("fault probabilities add up to more than 1")

    def as_json(self) -> dict[str, object]:
        return {
            "latency_ms": self.latency_ms,
            "jitter_ms": self.jitter_ms,
            "faults": {fault.value: p for fault, p in self.faults.items()},
            "seed": self.seed,
            "hang_seconds": self.hang_seconds,
        }


def parse_faults(specs: str | Iterable[str]) -> dict[Fault, float]:
    """`"timeout=0.05,error5xx=0.05"` (or one `name=p` per item) into probabilities."""
    items = (
        specs.split(",")
        if isinstance(specs, str)
        else [part for spec in specs for part in spec.split(",")]
    )
    faults: dict[Fault, float] = {}
    for item in items:
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        try:
            fault = Fault(name.strip())
            probability = float(value) if sep else 1.0
        except ValueError:
            known = ", ".join(f.value for f in Fault)
            raise ValueError(
                f"bad fault {item.strip()!r}: use name=probability with {known}"
            ) from None
        faults[fault] = probability
    return faults


@dataclass(frozen=True, slots=True)
class Decision:
    """What happens to one intent request: a fault or none, after `delay_seconds`."""

    fault: Fault | None
    delay_seconds: float


class FaultInjector:
    """Draws a `Decision` per intent request from a plan; the plan can change at runtime."""

    def __init__(self, plan: FaultPlan) -> None:
        self._plan = plan
        self._random = random.Random(plan.seed)

    @property
    def plan(self) -> FaultPlan:
        return self._plan

    def replace(self, plan: FaultPlan, *, reseed: bool) -> None:
        self._plan = plan
        if reseed:
            self._random = random.Random(plan.seed)

    def draw(self) -> Decision:
        plan = self._plan
        roll = self._random.random()
        jitter = self._random.random() * plan.jitter_ms
        delay = (plan.latency_ms + jitter) / 1000
        threshold = 0.0
        for fault in Fault:
            threshold += plan.faults.get(fault, 0.0)
            if roll < threshold:
                return Decision(fault, delay)
        return Decision(None, delay)
