"""How busy this process is selling: background work steps aside during a rush.

The purchase is the hot path; the tickets e-mail (QR codes, a PDF: tens of
milliseconds of CPU each) can wait a few minutes, the buyer already holds
the tickets in the purchase's answer. A sale in progress is measured here,
per process, as purchases in flight now or within the last second.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class SalesPressure:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._in_flight = 0
        self._last_seen = float("-inf")

    def started(self) -> None:
        self._in_flight += 1
        self._last_seen = self._clock()

    def finished(self) -> None:
        self._in_flight -= 1
        self._last_seen = self._clock()

    def selling(self, within_seconds: float = 1.0) -> bool:
        """Purchases in flight now, or one ended within `within_seconds`."""
        return self._in_flight > 0 or self._clock() - self._last_seen < within_seconds
