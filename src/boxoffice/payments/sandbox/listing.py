"""Listing and searching the ledger the way Stripe lists objects, for audits and lookups.

Lists are newest first, `limit` 1–100 (default 10), paged with `starting_after`
(older than that object) or `ending_before` (newer). Search supports exactly
one query, `metadata['order_id']:'…'`, which is what the service needs to find
the charge for an order whose answer was lost; anything else is refused rather
than half-understood. Unlike real Stripe, whose search index lags writes by up
to a minute, the sandbox's search reads the ledger and is strongly consistent.
Stored objects are JSON text, so a page is assembled without re-encoding.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from boxoffice.payments.sandbox import errors
from boxoffice.payments.sandbox.store import Page, Store

MAX_LIMIT = 100
_ORDER_QUERY = re.compile(
    r"""\s*metadata\[(?P<kq>['"])order_id(?P=kq)\]\s*:\s*"""
    r"""(?P<q>['"])(?P<value>(?:\\.|(?!(?P=q)).)*)(?P=q)\s*""",
    re.DOTALL,
)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class ListRequest:
    limit: int
    starting_after: str | None
    ending_before: str | None


@dataclass(frozen=True, slots=True)
class SearchRequest:
    order_id: str
    limit: int
    after_seq: int | None


def parse_limit(params: Mapping[str, str]) -> int:
    text = params.get("limit", "10")
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise errors.invalid_request(
            f"Invalid limit: must be an integer between 1 and {MAX_LIMIT}.",
            code="parameter_invalid_integer",
            param="limit",
        )
    return int(text)


def parse_list(params: Mapping[str, str]) -> ListRequest:
    after, before = params.get("starting_after"), params.get("ending_before")
    if after and before:
        raise errors.invalid_request(
            "You may only specify one of these parameters: starting_after, ending_before.",
            code="parameter_invalid",
        )
    return ListRequest(parse_limit(params), after or None, before or None)


def parse_search(params: Mapping[str, str]) -> SearchRequest:
    query = params.get("query")
    if query is None:
        raise errors.missing_param("query")
    match = _ORDER_QUERY.fullmatch(query)
    if match is None:
        raise errors.invalid_request(
            "The sandbox supports only the search query metadata['order_id']:'<order id>'.",
            code="parameter_invalid",
            param="query",
        )
    page = params.get("page")
    if page is not None and not page.isdigit():
        raise errors.invalid_request("Invalid page.", code="parameter_invalid", param="page")
    order_id = _ESCAPE.sub(r"\1", match.group("value"))
    return SearchRequest(order_id, parse_limit(params), int(page) if page else None)


def list_intents(store: Store, request: ListRequest) -> str:
    after = _cursor(store.intent_seq, request.starting_after, "starting_after")
    before = _cursor(store.intent_seq, request.ending_before, "ending_before")
    page = store.page_intents(limit=request.limit, after=after, before=before)
    return _list_json(page, "/v1/payment_intents")


def list_refunds(store: Store, request: ListRequest, *, payment_intent: str | None) -> str:
    after = _cursor(store.refund_seq, request.starting_after, "starting_after")
    before = _cursor(store.refund_seq, request.ending_before, "ending_before")
    page = store.page_refunds(
        limit=request.limit, after=after, before=before, intent_id=payment_intent
    )
    return _list_json(page, "/v1/refunds")


def search_intents(store: Store, request: SearchRequest) -> str:
    page = store.intents_for_order(request.order_id, limit=request.limit, after=request.after_seq)
    next_page = str(page.last_seq) if page.has_more and page.last_seq is not None else None
    return (
        '{"object":"search_result","url":"/v1/payment_intents/search","has_more":'
        f'{json.dumps(page.has_more)},"next_page":{json.dumps(next_page)},'
        f'"data":[{",".join(page.bodies)}]}}'
    )


def _cursor(seq_of: Callable[[str], int | None], object_id: str | None, param: str) -> int | None:
    if object_id is None:
        return None
    seq = seq_of(object_id)
    if seq is None:
        raise errors.no_such("object", object_id, param=param)
    return seq


def _list_json(page: Page, url: str) -> str:
    return (
        f'{{"object":"list","url":"{url}","has_more":{json.dumps(page.has_more)},'
        f'"data":[{",".join(page.bodies)}]}}'
    )
