"""What a simulated sale looks like: who arrives when, with which card, how they click."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

APPROVING_CARD = "4242424242424242"
DECLINING_CARD = "4000000000000002"


@dataclass(frozen=True)
class Scenario:
    buyers: int = 2000
    tickets: int = 1000
    concurrency: int = 200
    arrival_seconds: float = 0.0  # 0: everyone at once (the opening second)
    arrival_curve: str = "burst"  # burst | uniform | ramp
    tickets_per_order: int = 1
    per_buyer_limit: int | None = 4
    decline_rate: float = 0.05
    duplicate_rate: float = 0.05  # double click: the same request twice at once
    retry_rate: float = 0.05  # the same request again after the answer (same key)
    waiting_room: bool = False
    admission_rate: float = 200.0
    seed: int = 7


@dataclass(frozen=True)
class Buyer:
    index: int
    email: str
    arrives_at: float  # seconds after the start
    declines: bool
    double_clicks: bool
    retries: bool


@dataclass
class Plan:
    scenario: Scenario
    buyers: list[Buyer] = field(default_factory=list)


def plan(scenario: Scenario) -> Plan:
    """A reproducible crowd: the same seed gives the same buyers, cards and clicks."""
    rng = random.Random(scenario.seed)
    made = Plan(scenario)
    for index in range(scenario.buyers):
        made.buyers.append(
            Buyer(
                index=index,
                email=f"loadtest-{scenario.seed}-{index}@example.com",
                arrives_at=_arrival(rng, scenario, index),
                declines=rng.random() < scenario.decline_rate,
                double_clicks=rng.random() < scenario.duplicate_rate,
                retries=rng.random() < scenario.retry_rate,
            )
        )
    made.buyers.sort(key=lambda b: b.arrives_at)
    return made


def _arrival(rng: random.Random, scenario: Scenario, index: int) -> float:
    span = scenario.arrival_seconds
    if span <= 0 or scenario.arrival_curve == "burst":
        return 0.0
    if scenario.arrival_curve == "ramp":  # more and more people: density grows linearly
        return float(span * rng.random() ** 0.5)
    return span * rng.random()
