"""`EmailAddress` accepts exactly what pydantic's `EmailStr` accepts, normalised the same."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, EmailStr, TypeAdapter, ValidationError

from boxoffice.email_address import EmailAddress

email_str = TypeAdapter(EmailStr)
email_address = TypeAdapter(EmailAddress)


def outcome(adapter: TypeAdapter[str], value: str) -> str | tuple[str, ...]:
    try:
        return adapter.validate_python(value)
    except ValidationError as error:
        return tuple(e["type"] + ":" + e["msg"] for e in error.errors())


# Near the fast path's edge: the characters it allows and some it does not, labels around the
# 63-character limit, special-use and numeric top-level names, and lengths around 64 and 254.
atoms = st.text(alphabet="aZ09_+-.!#'~\"é ", min_size=0, max_size=70)
labels = st.one_of(
    st.text(alphabet="aZ09-", min_size=0, max_size=65),
    st.sampled_from(["test", "localhost", "onion", "local", "arpa", "invalid", "example", "Co"]),
)
tlds = st.one_of(
    st.text(alphabet="aZ9-", min_size=0, max_size=64),
    st.sampled_from(["com", "test", "LOCALHOST", "io", "c", "123", "xn--p1ai"]),
)
addresses = st.builds(
    lambda local, domain, tld: f"{local}@{'.'.join([*domain, tld])}",
    atoms,
    st.lists(labels, min_size=0, max_size=5),
    tlds,
)


@settings(max_examples=1500, deadline=None)
@given(addresses)
def test_generated_addresses_get_the_same_answer_as_emailstr(value: str) -> None:
    assert outcome(email_address, value) == outcome(email_str, value)


@pytest.mark.parametrize(
    "value",
    [
        "Buyer.One+tickets@Example.COM",
        "x@sub.example.org",
        f"{'a' * 64}@example.com",
        f"{'a' * 65}@example.com",  # local part too long
        f"a@{'b' * 63}.com",
        f"a@{'b' * 64}.com",  # label too long
        f"a@{'.'.join(['b' * 60] * 4)}.com",  # too long as a whole
        "someone@tickets.test",  # special-use domain
        "someone@LocalHost",
        "a..b@example.com",
        ".a@example.com",
        "a@-example.com",
        "a@example.com.",
        "  spaced@example.com ",
        "Name <named@example.com>",
        "jose@exemplo.com.br",
        "josé@exemplo.com.br",
        "a@b.c",
        "a@127.0.0.1",
        "",
        "@example.com",
    ],
)
def test_edge_addresses_get_the_same_answer_as_emailstr(value: str) -> None:
    assert outcome(email_address, value) == outcome(email_str, value)


def test_a_model_with_an_email_address_documents_it_as_an_email() -> None:
    class Contact(BaseModel):
        email: EmailAddress

    assert Contact.model_json_schema()["properties"]["email"] == {
        "format": "email",
        "title": "Email",
        "type": "string",
    }
