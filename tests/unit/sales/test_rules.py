"""Pure sales rules: buyer identity, request fingerprints, sale windows, bucket splits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from boxoffice.sales.inventory import MAX_BUCKETS, bucket_capacities, decode, encode
from boxoffice.sales.rules import SaleWindow, merge_items, normalise_email, request_fingerprint

NOW = datetime(2027, 3, 1, 12, tzinfo=UTC)


def test_buyer_identity_ignores_case_and_surrounding_space() -> None:
    assert normalise_email("  Ana.Silva@Example.COM ") == "ana.silva@example.com"


def test_fingerprint_ignores_key_order_but_not_values() -> None:
    a = request_fingerprint({"x": 1, "items": [{"q": 1}]})
    b = request_fingerprint({"items": [{"q": 1}], "x": 1})
    c = request_fingerprint({"items": [{"q": 2}], "x": 1})
    assert a == b
    assert a != c


def test_items_for_one_ticket_type_are_merged_and_sorted_for_lock_order() -> None:
    assert merge_items([("tt_b", 1), ("tt_a", 2), ("tt_b", 3)]) == [("tt_a", 2), ("tt_b", 4)]


def test_a_sale_window_refuses_before_opening_after_closing_and_when_unpublished() -> None:
    starts = NOW + timedelta(days=10)
    opening = SaleWindow("on_sale", starts, NOW + timedelta(hours=1), None)
    closed = SaleWindow("on_sale", starts, None, NOW - timedelta(seconds=1))
    started = SaleWindow("on_sale", NOW - timedelta(minutes=1), None, None)
    draft = SaleWindow("draft", starts, None, None)
    open_now = SaleWindow("on_sale", starts, NOW - timedelta(hours=1), NOW + timedelta(hours=1))

    assert opening.refusal(NOW) is not None
    assert closed.refusal(NOW) == "sales have closed"
    assert started.refusal(NOW) == "sales have closed"
    assert draft.refusal(NOW) == "the event is not on sale"
    assert open_now.refusal(NOW) is None


@given(st.integers(min_value=1, max_value=10_000_000))
def test_buckets_always_add_up_to_the_capacity(capacity: int) -> None:
    sizes = bucket_capacities(capacity)
    assert sum(sizes) == capacity
    assert 1 <= len(sizes) <= MAX_BUCKETS
    assert max(sizes) - min(sizes) <= 1


@given(st.lists(st.tuples(st.integers(0, 31), st.integers(1, 50)), max_size=32))
def test_a_bucket_allocation_survives_being_stored(allocation: list[tuple[int, int]]) -> None:
    assert decode(encode(allocation)) == allocation
