"""What assistive technology needs from every page: a language, one main heading, a skip
link, and a label for every field."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.integration.pages.test_security import every_page
from tests.support.sandbox import Sandbox

FIELD = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.I)
ATTR = re.compile(r'([\w-]+)="([^"]*)"')


def unlabelled_fields(html: str) -> list[str]:
    labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
    missing = []
    for tag, attributes in FIELD.findall(html):
        attrs = dict(ATTR.findall(attributes))
        if attrs.get("type") == "hidden" or "aria-label" in attrs:
            continue
        inside_label = re.search(
            rf"<label[^>]*>(?:(?!</label>).)*{re.escape(attributes)}", html, re.S
        )
        if attrs.get("id") not in labelled and not inside_label:
            missing.append(f"<{tag}{attributes}>")
    return missing


async def test_every_page_has_a_language_one_main_heading_a_skip_link_and_labelled_fields(
    client: httpx.AsyncClient, partner: dict[str, Any], event: dict[str, Any], sandbox: Sandbox
) -> None:
    for url, page in (await every_page(client, partner, event, sandbox)).items():
        assert re.search(r'<html lang="(en|pt-BR)">', page.text), url
        assert page.text.count("<h1") == 1, url
        assert '<a class="skip" href="#main">' in page.text, url
        assert unlabelled_fields(page.text) == [], url
