"""The storefront's list of events: upcoming only, searchable the way people type.

Pure rules over the public view of events (`catalog.service.list_public_events`). Search
ignores case and accents, because buyers on a phone type "sinfonica sao paulo" for
"Orquestra Sinfônica — Sala São Paulo", and every word typed must appear in the name or
the venue.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import datetime
from typing import Any


def fold(text: str) -> str:
    """Lower case without accents: ``São`` and ``sao`` compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def matches(event: dict[str, Any], query: str) -> bool:
    haystack = fold(f"{event['name']} {event['venue']}")
    return all(word in haystack for word in fold(query).split())


def upcoming(
    events: Iterable[dict[str, Any]], *, now: datetime, query: str = ""
) -> list[dict[str, Any]]:
    """Events still to happen that match `query`, soonest first."""
    found = [e for e in events if e["starts_at"] > now and matches(e, query)]
    return sorted(found, key=lambda e: e["starts_at"])


def lowest_price(event: dict[str, Any]) -> tuple[int, str] | None:
    """The cheapest ticket type still available ("from R$ 80,00"), or None when sold out."""
    open_types = [t for t in event["ticket_types"] if t["available"] > 0]
    if not open_types:
        return None
    cheapest = min(open_types, key=lambda t: t["price"])
    return cheapest["price"], cheapest["currency"]
