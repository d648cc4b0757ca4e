from __future__ import annotations

import pytest

from boxoffice.payments.sandbox._forms import FormError, parse_form


def test_bracket_keys_become_nested_objects() -> None:
    form, pairs = parse_form(
        b"type=card&card[number]=4242424242424242&card[exp_month]=12&metadata[order_id]=ord_1"
    )
    assert form == {
        "type": "card",
        "card": {"number": "4242424242424242", "exp_month": "12"},
        "metadata": {"order_id": "ord_1"},
    }
    assert ("metadata[order_id]", "ord_1") in pairs


def test_empty_brackets_collect_a_list_and_indexes_stay_keys() -> None:
    form, _ = parse_form(b"expand[]=a&expand[]=b&types[0]=card&deep[a][b]=c")
    assert form == {"expand": ["a", "b"], "types": {"0": "card"}, "deep": {"a": {"b": "c"}}}


def test_percent_encoding_and_blank_values_are_kept() -> None:
    form, _ = parse_form(b"metadata[order_id]=a%27b%20c&description=")
    assert form == {"metadata": {"order_id": "a'b c"}, "description": ""}


@pytest.mark.parametrize("body", [b"card=1&card[number]=2", b"a=1&a=2", b"a]=1", b"\xff=1"])
def test_malformed_or_conflicting_keys_are_refused(body: bytes) -> None:
    with pytest.raises(FormError):
        parse_form(body)
