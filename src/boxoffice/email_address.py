"""`EmailAddress`: pydantic's `EmailStr`, with a fast path for the common address.

Every queued purchase validates its buyer's address twice (the join and the
order), and `email-validator` spends about 25 µs on each, mostly on rules for
addresses a ticket buyer almost never has: quoted or non-ASCII local parts,
internationalised domains, length rules per encoding. A plain ASCII address
(dot-separated atoms of letters, digits, `_`, `+`, `-`; a hostname of letters,
digits and single inner hyphens; an alphabetic top-level label) that fits the RFC's
lengths and avoids the special-use domains is accepted here, normalised as
`email-validator` normalises it (the domain lower-cased); everything else goes
to `email-validator` through pydantic, with its errors. So the fast path only
ever accepts what `EmailStr` accepts, with the same result
(tests/unit/test_email_address.py checks that with generated addresses).
"""

from __future__ import annotations

import re
from typing import Annotated

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from email_validator.rfc_constants import (
    DOMAIN_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    LOCAL_PART_MAX_LENGTH,
)
from pydantic import AfterValidator, WithJsonSchema
from pydantic.networks import validate_email

_ATOM = r"[A-Za-z0-9_+\-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_PLAIN = re.compile(rf"({_ATOM}(?:\.{_ATOM})*)@((?:{_LABEL}\.)+[A-Za-z]{{2,63}})")
_SPECIAL = frozenset(SPECIAL_USE_DOMAIN_NAMES)


def normalised_email(value: str) -> str:
    """The address as `EmailStr` would give it back, or pydantic's validation error."""
    if len(value) <= EMAIL_MAX_LENGTH and (plain := _PLAIN.fullmatch(value)) is not None:
        local, domain = plain.group(1), plain.group(2).lower()
        if (
            len(local) <= LOCAL_PART_MAX_LENGTH
            and len(domain) <= DOMAIN_MAX_LENGTH
            and "--" not in domain  # `ab--` labels are Punycode's: email-validator decides
            and not _special_use(domain)
        ):
            return f"{local}@{domain}"
    return validate_email(value)[1]


def _special_use(domain: str) -> bool:
    labels = domain.split(".")
    return any(".".join(labels[i:]) in _SPECIAL for i in range(len(labels)))


EmailAddress = Annotated[
    str,
    AfterValidator(normalised_email),
    WithJsonSchema({"type": "string", "format": "email"}),
]
