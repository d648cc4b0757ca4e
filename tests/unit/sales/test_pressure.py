"""The selling gauge: background work sees a rush while purchases are in flight."""

from __future__ import annotations

from boxoffice.sales.pressure import SalesPressure


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_idle_process_is_not_selling() -> None:
    assert not SalesPressure(Clock()).selling()


def test_a_purchase_in_flight_means_selling_however_long_it_takes() -> None:
    clock = Clock()
    pressure = SalesPressure(clock)
    pressure.started()
    clock.now += 30
    assert pressure.selling()


def test_selling_lasts_a_second_after_the_last_purchase_ends() -> None:
    clock = Clock()
    pressure = SalesPressure(clock)
    pressure.started()
    pressure.finished()
    clock.now += 0.5
    assert pressure.selling()
    clock.now += 0.6
    assert not pressure.selling()
