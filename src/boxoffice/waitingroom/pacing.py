"""When a waiting buyer asks again (pure): polls are the queue's main cost at scale.

Polls run on the same web workers as purchases. A queue of 100,000 people
asking every 15 s is 6,700 requests/s, more CPU than the purchases it feeds
(`boxoffice capacity` charges it; docs/capacity.md). So the server paces
every poll by the buyer's forecast:

- near the front (ETA within 15 s), just after the forecast turn: the
  admission frontier moves at a known rate, so most buyers are admitted on
  that very poll;
- further back, every 15 s while fewer than `BACKOFF_FROM_AHEAD` people are
  ahead (a short queue is cheap, and a raised admission rate reaches everyone
  within 15 s);
- behind that many, after a quarter of the remaining wait, between 15 s and 2
  minutes: a buyer's polls grow with the logarithm of their wait instead of
  with the wait, and a changed admission rate still reaches them within a
  quarter of their wait (two minutes at most).

The page counts down locally in between.
"""

from __future__ import annotations

POLL_AT_MOST_EVERY_SECONDS = 0.5
NEAR_FRONT_SECONDS = 15.0
POLL_AT_LEAST_EVERY_SECONDS = 120.0
FAR_BACK_FRACTION = 0.25
POLL_MARGIN_SECONDS = 0.25
BACKOFF_FROM_AHEAD = 1_000  # fewer ahead poll every 15 s: at most ~67 polls/s per event
# A join or poll whose turn is at most this far away is held until it and answers with the
# pass (`boxoffice.waitingroom.door`): in a line this short nobody polls.
HELD_AT_THE_DOOR_SECONDS = 10.0


def poll_after_seconds(eta_seconds: float, *, ahead: int) -> float:
    """Seconds until a buyer whose turn is forecast in `eta_seconds` should poll again."""
    if eta_seconds <= NEAR_FRONT_SECONDS:
        after = max(POLL_AT_MOST_EVERY_SECONDS, eta_seconds + POLL_MARGIN_SECONDS)
    elif ahead < BACKOFF_FROM_AHEAD:
        after = NEAR_FRONT_SECONDS
    else:
        after = max(NEAR_FRONT_SECONDS, FAR_BACK_FRACTION * eta_seconds)
    return round(min(POLL_AT_LEAST_EVERY_SECONDS, after), 2)


def polls_per_second(*, waiting: int, admission_rate: float, steps: int = 2000) -> float:
    """The poll rate of a queue of `waiting` people admitted at `admission_rate` per second.

    In a line no longer than the door holds (`HELD_AT_THE_DOOR_SECONDS`) nobody polls: each
    join waits for its turn and answers with the pass. In a longer one each buyer admitted
    makes the poll that admits them (`admission_rate`/s, the one the door holds); the rest of
    the queue, with ETAs spread evenly up to `waiting / admission_rate`, each polls once per
    `poll_after_seconds(ETA)`. Near the front that interval is the time to the turn, which
    that same admitting poll covers, so only ETAs past the near-front band are added.
    """
    if waiting <= 0 or admission_rate <= 0:
        return 0.0
    longest = waiting / admission_rate
    if longest <= HELD_AT_THE_DOOR_SECONDS:
        return 0.0
    if longest <= NEAR_FRONT_SECONDS:
        return admission_rate
    width = (longest - NEAR_FRONT_SECONDS) / steps
    behind = 0.0
    for i in range(steps):
        eta = NEAR_FRONT_SECONDS + (i + 0.5) * width
        interval = poll_after_seconds(eta, ahead=int(eta * admission_rate))
        behind += admission_rate * width / interval
    return admission_rate + behind
