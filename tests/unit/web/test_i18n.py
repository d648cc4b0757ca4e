"""Languages: who gets which, a complete Portuguese catalogue, money as each reader writes it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from boxoffice import i18n

PACKAGE = Path(i18n.__file__).parent
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def test_the_cookie_wins_then_the_browsers_preferences_then_the_default() -> None:
    choose = i18n.choose_locale

    assert choose(cookie="en", accept_language="pt-BR", default="pt_BR") == "en"
    assert choose(cookie=None, accept_language="fr;q=1, pt;q=0.8, en;q=0.9", default="en") == "en"
    assert choose(cookie=None, accept_language="fr, pt-PT;q=0.5", default="en") == "pt_BR"
    assert choose(cookie="xx", accept_language="de", default="pt_BR") == "pt_BR"
    assert choose(cookie=None, accept_language="en;q=0, pt-BR", default="en") == "pt_BR"


def test_money_is_written_for_the_reader_in_the_amounts_own_currency() -> None:
    english, portuguese = i18n.Formats("en", "UTC"), i18n.Formats("pt_BR", "UTC")

    assert english.money(120050, "BRL") == "R$1,200.50"
    assert portuguese.money(120050, "BRL") == "R$\xa01.200,50"
    assert portuguese.money(1500, "USD") == "US$\xa015,00"
    assert english.money(1500, "JPY") == "¥1,500"  # no minor unit


def test_times_are_shown_in_the_display_zone() -> None:
    moment = datetime(2031, 1, 15, 23, 0, tzinfo=UTC)

    assert i18n.Formats("pt_BR", "America/Sao_Paulo").time(moment) == "20:00"
    assert i18n.Formats("pt_BR", "America/Sao_Paulo").local_input(moment) == "2031-01-15T20:00"


def _extracted() -> set[str | tuple[str, str]]:
    # The areas' templates, at the top the ticket page's, its wallet's and their layout; the
    # tickets e-mail's; and every module's marked messages (the PDF's among them).
    pages = "web/pages/templates"
    patterns = [f"{pages}/{area}/**.html" for area in ("site", "shop", "console", "support")]
    patterns += [f"{pages}/*.html", "mail/templates/*.j2"]
    method_map = [("**.py", "python"), *[(pattern, "jinja2") for pattern in patterns]]
    options = {
        pattern: {"extensions": "jinja2.ext.i18n", "trim_blocks": "True"} for pattern in patterns
    }
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found: set[str | tuple[str, str]] = set()
    for _, _, message, _, _ in extract_from_dir(
        str(PACKAGE), method_map, options_map=options, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else (message[0], message[1]))
    return found


def test_every_message_on_the_pages_has_a_portuguese_translation_with_the_same_placeholders() -> (
    None
):
    with (PACKAGE / "locale/pt_BR/LC_MESSAGES/messages.po").open("rb") as source:
        catalog = read_po(source)
    translated = {m.id: m.string for m in catalog if m.id}

    for message in _extracted():
        assert message in translated, f"no pt_BR translation for {message!r}"
        target = translated[message]
        sources = message if isinstance(message, tuple) else (message,)
        targets = target if isinstance(target, tuple) else (target,)
        for text in targets:
            assert text, f"empty pt_BR translation for {message!r}"
            assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(sources[-1]))
            assert set(PLACEHOLDER.findall(sources[0])) - {"num"} <= set(PLACEHOLDER.findall(text))


def test_portuguese_plurals_are_singular_for_zero_and_one() -> None:
    translations = i18n.translations("pt_BR")

    assert translations.ngettext("Only %(num)s left", "Only %(num)s left", 1) == "Só resta %(num)s"
    assert translations.ngettext("Only %(num)s left", "Only %(num)s left", 2) == "Só restam %(num)s"
