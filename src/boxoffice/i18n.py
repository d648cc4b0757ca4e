"""Languages: which one a reader gets, the message catalogue, and local formats.

Shared by the pages, the tickets e-mail and the PDF (one catalogue: a word such as "Tickets"
is translated once). The e-mail and PDF speak the language recorded with the order
(`orders.locale`), chosen at checkout as the pages choose theirs.

English is the source language (message ids are English text); Brazilian Portuguese comes
from ``locale/pt_BR/LC_MESSAGES/messages.po``, an ordinary gettext catalogue that
translators edit with the usual tools (``pybabel extract/update``, see docs/pages.md). It is
compiled when the process first needs it, through Babel, into a `babel.support.Translations`:
no build step, and no compiled ``.mo`` file in the repository to drift from its source.

Choice, first match wins: the ``bx_lang`` cookie (set by the language switch), then the
browser's ``Accept-Language`` (quality values respected), then the configured default.
Money is always formatted by Babel for the locale and the amount's own currency: R$ 1.200,00
in Portuguese and R$1,200.00 in English are the same price.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton, format_time, format_timedelta, get_timezone_name
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations

from boxoffice.money import minor_unit_digits

LOCALE_DIR = Path(__file__).parent / "locale"
# Locale id -> (HTML lang tag, the language's own name, shown in the switch).
LOCALES = {"en": ("en", "English"), "pt_BR": ("pt-BR", "Português")}
COOKIE = "bx_lang"


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown (gettext's way)."""
    return message


def normalise(tag: str | None) -> str | None:
    """A supported locale id for a tag such as ``pt-br``, ``pt``, ``en-US``; None otherwise."""
    if not tag:
        return None
    cleaned = tag.strip().replace("-", "_")
    language, _, region = cleaned.partition("_")
    language = language.lower()
    candidates = [f"{language}_{region.upper()}", language] if region else [language]
    if language == "pt":
        candidates.append("pt_BR")  # the only Portuguese we have serves pt-PT readers too
    return next((c for c in candidates if c in LOCALES), None)


def parse_accept_language(header: str) -> list[str]:
    """Language tags in the order the browser prefers them (RFC 9110 quality values)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def choose_locale(*, cookie: str | None, accept_language: str | None, default: str) -> str:
    if chosen := normalise(cookie):
        return chosen
    for tag in parse_accept_language(accept_language or ""):
        if tag == "*":
            break
        if chosen := normalise(tag):
            return chosen
    return normalise(default) or "en"


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalogue of a locale (English needs none: its ids are the text)."""
    po = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer)


class Formats:
    """Numbers, money and dates the way a reader of `locale` writes them, in `timezone`."""

    def __init__(self, locale: str, timezone: str) -> None:
        self.locale = Locale.parse(locale)
        self.zone = ZoneInfo(timezone)

    def money(self, amount_minor: int, currency: str) -> str:
        major = Decimal(amount_minor).scaleb(-minor_unit_digits(currency))
        return str(format_currency(major, currency, locale=self.locale))

    def number(self, value: int) -> str:
        return str(format_decimal(value, locale=self.locale))

    def rate(self, value: float) -> str:
        """A rate such as admissions per second: grouped, two decimals at most (12.5, 1,000)."""
        return str(format_decimal(value, format="#,##0.##", locale=self.locale))

    def duration(self, seconds: float) -> str:
        """A rough span, as people say it: "5 minutes", "about 2 hours" is "2 hours"."""
        return str(format_timedelta(timedelta(seconds=seconds), locale=self.locale))

    def date(self, moment: datetime) -> str:
        return str(format_skeleton("yMMMEd", moment, tzinfo=self.zone, locale=self.locale))

    def time(self, moment: datetime) -> str:
        return str(format_time(moment, "short", tzinfo=self.zone, locale=self.locale))

    def when(self, moment: datetime) -> str:
        return f"{self.date(moment)} · {self.time(moment)}"

    def when_named(self, moment: datetime) -> str:
        """The moment with its zone named, for what is read away from the site (the tickets
        e-mail and PDF): "Wed, Jan 15, 2031 · 8:00 PM (Brasilia Time)". UTC told a buyer in
        São Paulo that a 20:00 show began at 23:00; the bare local time tells a traveller
        nothing about which clock it is on."""
        if self.zone.key == "UTC":
            zone = "UTC"
        else:
            zone = str(get_timezone_name(self.zone, width="long", locale=self.locale))
        return f"{self.when(moment)} ({zone})"

    def local_input(self, moment: datetime | None) -> str:
        """A ``datetime-local`` input's value: wall-clock time in the display zone."""
        if moment is None:
            return ""
        return moment.astimezone(self.zone).strftime("%Y-%m-%dT%H:%M")

    def amount_input(self, amount_minor: int, currency: str) -> str:
        """A price as the partner types it back in (no currency sign, no grouping)."""
        major = Decimal(amount_minor).scaleb(-minor_unit_digits(currency))
        return str(format_decimal(major, locale=self.locale, group_separator=False))
