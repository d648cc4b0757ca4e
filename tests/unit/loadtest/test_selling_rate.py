"""The rate while selling: the body of the sale, without its ramp and its tail."""

from __future__ import annotations

import pytest

from boxoffice.loadtest.report import selling_rate


def test_a_steady_sale_sells_at_its_rate_whatever_the_ramp_and_tail() -> None:
    steady = [10 + i / 500 for i in range(10_000)]  # 500/s from second 10 to second 30
    ramp = [i / 5 for i in range(50)]  # the first buyers trickle in over 10 s
    tail = [31 + i for i in range(50)]  # the last retries, one a second

    rate = selling_rate(ramp + steady + tail)

    assert rate == pytest.approx(500, rel=0.02)


def test_too_few_confirmations_give_no_rate() -> None:
    assert selling_rate([1.0, 2.0, 3.0]) is None
    assert selling_rate([5.0] * 50) is None  # all at one instant: no span to divide by
