"""One search box for support: a ticket code, an e-mail address or an order id.

A code is read however it was typed (``7kjdw4q``, ``7KJ-DW4Q``). A code that fails its check
character is never looked up as typed: matching the nearest code on record would hand a
stranger someone else's order. Instead the search answers with what is wrong and the valid
codes one typo away, each marked when it exists within the agent's scope; the agent asks the
buyer to confirm the one on record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.support.lookup import (
    OrderCard,
    codes_on_record,
    order_by_id,
    orders_by_code,
    orders_by_email,
)
from boxoffice.tickets.codes import InvalidCode, format_code, parse_code, suggest_corrections


@dataclass(frozen=True)
class Suggestion:
    code: str  # XXX-XXXX
    on_record: bool


@dataclass
class SearchResult:
    kind: str  # "none" | "code" | "email" | "order"
    cards: list[OrderCard] = field(default_factory=list)
    code: str | None = None  # the code searched for, formatted
    problem: InvalidCode | None = None  # the typed code is not a code
    typed: str = ""
    suggestions: list[Suggestion] = field(default_factory=list)


async def search(engine: AsyncEngine, *, text: str, partner_id: str | None) -> SearchResult:
    text = text.strip()
    if not text:
        return SearchResult("none")
    if "@" in text:
        return SearchResult(
            "email", await orders_by_email(engine, email=text, partner_id=partner_id)
        )
    if text.startswith("ord_"):
        card = await order_by_id(engine, text, partner_id=partner_id)
        return SearchResult("order", [card] if card else [])
    try:
        code = parse_code(text)
    except InvalidCode as problem:
        candidates = suggest_corrections(text) if problem.reason == "check" else []
        known = await codes_on_record(engine, candidates, partner_id=partner_id)
        suggestions = [Suggestion(format_code(c), c in known) for c in candidates]
        suggestions.sort(key=lambda s: (not s.on_record, s.code))
        return SearchResult("code", problem=problem, typed=text, suggestions=suggestions)
    cards = await orders_by_code(engine, code=code, partner_id=partner_id)
    return SearchResult("code", cards, code=format_code(code))
