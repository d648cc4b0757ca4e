"""Short ticket codes that survive being read aloud and cannot be guessed from a neighbour's.

A code is seven symbols shown as ``XXX-XXXX``: six payload symbols, then one check symbol.
Alphabet: ``23456789ABCDEFGHJKMNPQRTVWXYZ`` leaves out the look-alikes 0 O 1 I L U and also S
(read as 5). That leaves 29 symbols, and 29 is prime, which is what the check relies on.

Check symbol. With symbol values v0..v6 (v6 the check), a code is valid when
``sum(w_i * v_i) ≡ 0 (mod 29)`` for the weights ``7, 6, 5, 4, 3, 2, 1``. Because 29 is prime,
a product of two nonzero residues is never 0 mod 29, so:

- changing one symbol a→b at position i moves the sum by ``w_i * (b - a)``: never 0, so every
  single substitution is caught;
- swapping neighbours a≠b at positions i, i+1 moves it by ``(w_i - w_{i+1}) * (a - b)``, and all
  adjacent weights differ by 1: every adjacent transposition is caught, including the one
  between the last payload symbol and the check symbol. As all seven weights are distinct,
  swaps of symbols further apart are caught too.

With a composite size such as 32 or 36 some weight or difference would be a zero divisor and
let errors through. The check weight is 1, so the check symbol is minus the weighted payload.

Issuance. A serial (a plain counter) in ``[0, 29**6)`` goes through a keyed permutation before it
becomes the payload. The permutation is a balanced Feistel network over Z_a × Z_a with
``a = 29**3``, modular addition as in FF1/FF3, and a round function taken from HMAC-SHA256 under
the caller's key. A Feistel network is invertible whatever its round function, so distinct
serials always get distinct codes; and since the payload space is exactly a*a, no cycle walking
is needed. Without the key, ticket n's code says nothing about ticket n+1's: every round mixes in
a pseudo-random function of the other half. The key only hides order; how hard a code is to
guess by chance is set by how many of the 594,823,321 payloads have been issued.
"""

from __future__ import annotations

import functools
import hmac
from array import array
from typing import Literal

ALPHABET = "23456789ABCDEFGHJKMNPQRTVWXYZ"
BASE = len(ALPHABET)
PAYLOAD_LENGTH = 6
CODE_LENGTH = PAYLOAD_LENGTH + 1
SERIAL_LIMIT: int = BASE**PAYLOAD_LENGTH  # serials run over [0, SERIAL_LIMIT)

_WEIGHTS = (7, 6, 5, 4, 3, 2, 1)
_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
_HALF: int = BASE ** (PAYLOAD_LENGTH // 2)  # 24,389
_ROUNDS = 8  # as in FF3-1; more rounds only make issuing slower
_MIN_KEY_BYTES = 16  # a short key would make the permutation itself guessable

# Characters codes never use, and the symbols each is usually misread for (a 0 written for D,
# say); support and gate pages name them in their own language.
LOOKALIKES = {"0": "DQ", "O": "DQ", "1": "7JT", "I": "7JT", "L": "7JT", "U": "V", "S": "5"}


def _listed(symbols: str, last: str) -> str:
    """``D or Q``, ``1, I and L``: symbols named in a sentence."""
    return f" {last} ".join(part for part in (", ".join(symbols[:-1]), symbols[-1]) if part)


def _not_used(char: str) -> str:
    """``0 and O are not used in codes; did you mean D or Q?``: every look-alike of the
    character named, and what it was probably meant to be."""
    alike = "".join(c for c, meant in LOOKALIKES.items() if meant == LOOKALIKES[char])
    verb = "is" if len(alike) == 1 else "are"
    meant = _listed(LOOKALIKES[char], "or")
    return f"{_listed(alike, 'and')} {verb} not used in codes; did you mean {meant}?"


_NOT_USED = {char: _not_used(char) for char in LOOKALIKES}

Reason = Literal["length", "character", "check"]


class InvalidCode(ValueError):
    """A typed code that is not a ticket code; ``hint`` is meant to be read out to the buyer."""

    def __init__(self, reason: Reason, hint: str) -> None:
        super().__init__(f"invalid ticket code ({reason}): {hint}")
        self.reason: Reason = reason
        self.hint = hint


def _checksum(symbols: str) -> int:
    return sum(w * _VALUES[s] for w, s in zip(_WEIGHTS, symbols, strict=False)) % BASE


def check_character(payload: str) -> str:
    """The check symbol that makes six payload symbols a valid code."""
    if len(payload) != PAYLOAD_LENGTH or not set(payload) <= _VALUES.keys():
        raise ValueError(f"a payload is {PAYLOAD_LENGTH} symbols from {ALPHABET}")
    return ALPHABET[-_checksum(payload) % BASE]


def _symbols(text: str) -> str:
    """Upper-case the text and drop spaces and hyphens, insisting on 7 alphabet symbols."""
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH:
        hint = f"a ticket code has {CODE_LENGTH} characters (XXX-XXXX), this has {len(code)}"
        raise InvalidCode("length", hint)
    for position, char in enumerate(code, start=1):
        if char not in _VALUES:
            default = "codes use only 2-9 and A-Z without I, L, O, S and U"
            hint = f"character {position} is {char!r}: {_NOT_USED.get(char, default)}"
            raise InvalidCode("character", hint)
    return code


def parse_code(text: str) -> str:
    """The canonical 7-symbol code for what a human typed, or `InvalidCode` saying why not.

    Lower case, spaces and a missing hyphen are accepted because they cannot change which code
    was meant; look-alikes are refused with a hint instead of guessed, since 0 could be D or Q.
    """
    code = _symbols(text)
    if _checksum(code):  # then suggest_corrections always has one fix per position
        fixes = " or ".join(format_code(fix) for fix in suggest_corrections(code))
        hint = f"one character is wrong or two are swapped; did you mean {fixes}?"
        raise InvalidCode("check", hint)
    return code


def format_code(code: str) -> str:
    """``XXX-XXXX``: a code split where people pause when reading it out."""
    canonical = parse_code(code)
    return f"{canonical[:3]}-{canonical[3:]}"


def is_valid(text: str) -> bool:
    """Whether `parse_code` would accept the text; skips building hints, so it stays cheap."""
    try:
        code = _symbols(text)
    except InvalidCode:
        return False
    return not _checksum(code)


def suggest_corrections(code: str) -> list[str]:
    """Valid codes one substitution or one adjacent swap away, sorted; empty for a valid code.

    Each position has exactly one symbol that repairs the checksum, so an invalid code has
    exactly seven substitution candidates plus at most six swaps: 7 to 13 in all. None is cut,
    as that could drop the right one; support staff pick the one that is on record.
    """
    symbols = _symbols(code)
    found: set[str] = set()
    for i, current in enumerate(symbols):
        for other in ALPHABET.replace(current, ""):
            found.add(symbols[:i] + other + symbols[i + 1 :])
    for i in range(CODE_LENGTH - 1):
        found.add(symbols[:i] + symbols[i + 1] + symbols[i] + symbols[i + 2 :])
    return sorted(c for c in found if c != symbols and not _checksum(c))


class CodeBook:
    """Issues and reads codes under one key; the per-round HMAC state is keyed once, here.

    A round function only ever sees 24,389 inputs, so its results are memoised: 8 x 24,389
    machine ints per book, under 2 MB. Eight HMACs cost ~11 us; once the table is warm, issuing
    costs a few. Threads racing to fill a slot write the same value.
    """

    __slots__ = ("_memo", "_rounds")

    def __init__(self, key: bytes) -> None:
        if len(key) < _MIN_KEY_BYTES:
            raise ValueError(f"the code key needs at least {_MIN_KEY_BYTES} bytes")
        self._rounds = [hmac.new(key, bytes([number]), "sha256") for number in range(_ROUNDS)]
        self._memo: list[array[int]] = [array("l", [-1]) * _HALF for _ in range(_ROUNDS)]

    def _round(self, number: int, half: int) -> int:
        memo = self._memo[number]
        if (value := memo[half]) < 0:
            state = self._rounds[number].copy()
            state.update(half.to_bytes(2, "big"))
            # 64 bits reduced mod 24389: a bias below 2**-48, far beneath anything observable.
            value = memo[half] = int.from_bytes(state.digest()[:8], "big") % _HALF
        return value

    def issue(self, serial: int) -> str:
        """The canonical code for a serial; distinct serials always give distinct codes."""
        if not 0 <= serial < SERIAL_LIMIT:
            raise ValueError(f"serial must be in [0, {SERIAL_LIMIT}), got {serial}")
        left, right = divmod(serial, _HALF)
        for number in range(_ROUNDS):
            left, right = right, (left + self._round(number, right)) % _HALF
        payload, n = "", left * _HALF + right
        for _ in range(PAYLOAD_LENGTH):
            n, value = divmod(n, BASE)
            payload = ALPHABET[value] + payload
        return payload + ALPHABET[-_checksum(payload) % BASE]

    def serial_of(self, code: str) -> int:
        """The serial behind a valid code. Every valid code has one: check it was issued."""
        n = 0
        for symbol in parse_code(code)[:PAYLOAD_LENGTH]:
            n = n * BASE + _VALUES[symbol]
        left, right = divmod(n, _HALF)
        for number in reversed(range(_ROUNDS)):
            left, right = (right - self._round(number, left)) % _HALF, left
        return left * _HALF + right


@functools.lru_cache(maxsize=8)
def _code_book(key: bytes) -> CodeBook:
    return CodeBook(key)


def code_for_serial(serial: int, key: bytes) -> str:
    """`CodeBook.issue` with the book cached per key, so rounds are keyed only once."""
    return _code_book(key).issue(serial)


def serial_for_code(code: str, key: bytes) -> int:
    """`CodeBook.serial_of` with the book cached per key."""
    return _code_book(key).serial_of(code)
