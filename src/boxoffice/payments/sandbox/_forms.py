"""Stripe's form encoding: `card[number]=…&metadata[order_id]=…` into nested dicts.

Stripe's API takes `application/x-www-form-urlencoded` bodies whose keys use
bracket notation for nesting. Indexed keys (`types[0]`) stay dict keys, and
empty brackets (`expand[]`) collect a list: the sandbox only reads scalars and
one level of nesting, so a faithful array model would buy nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeAlias
from urllib.parse import parse_qsl

FormValue: TypeAlias = "str | list[str] | dict[str, FormValue]"
Form: TypeAlias = "dict[str, FormValue]"

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")


class FormError(ValueError):
    """A key is malformed or used both as a value and as a nested object."""

    def __init__(self, param: str) -> None:
        super().__init__(f"Invalid parameter: {param}")
        self.param = param


def parse_form(body: bytes) -> tuple[Form, list[tuple[str, str]]]:
    """The nested form and the raw pairs (kept for fingerprinting idempotent requests)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FormError("body") from error
    pairs = parse_qsl(text, keep_blank_values=True)
    return decode_pairs(pairs), pairs


def decode_pairs(pairs: Iterable[tuple[str, str]]) -> Form:
    form: Form = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if match is None:
            raise FormError(key)
        path = [match.group(1), *_PART.findall(match.group(2))]
        _assign(form, path, value, key)
    return form


def _assign(form: Form, path: list[str], value: str, key: str) -> None:
    node: Form = form
    for index, name in enumerate(path[:-1]):
        if path[index + 1] == "" and index + 1 == len(path) - 1:
            bucket = node.setdefault(name, [])
            if not isinstance(bucket, list):
                raise FormError(key)
            bucket.append(value)
            return
        child = node.setdefault(name, {})
        if not isinstance(child, dict) or name == "":
            raise FormError(key)
        node = child
    last = path[-1]
    if last == "" or last in node:
        raise FormError(key)
    node[last] = value


def get_str(form: Form, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


def get_dict(form: Form, name: str) -> Form:
    value = form.get(name)
    return value if isinstance(value, dict) else {}
