from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boxoffice.payments.gateway import order_query
from boxoffice.payments.sandbox.errors import ApiError
from boxoffice.payments.sandbox.listing import parse_list, parse_search


@given(st.text(min_size=1, max_size=60))
def test_any_order_id_survives_the_clients_query_and_the_sandboxs_parser(order_id: str) -> None:
    assert parse_search({"query": order_query(order_id)}).order_id == order_id


def test_double_quotes_and_spacing_are_accepted() -> None:
    assert parse_search({"query": ' metadata["order_id"] : "ord_1" '}).order_id == "ord_1"


@pytest.mark.parametrize(
    "query",
    ["status:'succeeded'", "metadata['other']:'x'", "metadata['order_id']:'x' AND amount>1", ""],
)
def test_queries_other_than_by_order_id_are_refused_with_a_stripe_400(query: str) -> None:
    with pytest.raises(ApiError) as refused:
        parse_search({"query": query})
    assert refused.value.status == 400
    assert refused.value.error["type"] == "invalid_request_error"
    assert refused.value.error["param"] == "query"


@pytest.mark.parametrize("limit", ["0", "101", "ten", "-1"])
def test_list_limits_outside_1_to_100_are_refused(limit: str) -> None:
    with pytest.raises(ApiError) as refused:
        parse_list({"limit": limit})
    assert refused.value.error["param"] == "limit"


def test_list_defaults_to_ten_newest_first() -> None:
    request = parse_list({})
    assert (request.limit, request.starting_after, request.ending_before) == (10, None, None)
