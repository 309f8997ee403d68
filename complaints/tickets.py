"""Ticket numbers: ``ADU-XXXX-XXXX``, seven random Crockford base32 symbols and a check symbol.

The check symbol is Crockford's: the value of the seven symbols modulo 37. Crockford writes the
results 32-36 with five extra symbols (``*~$=U``); a citizen cannot be asked to type those, so
numbers whose check would need one are never issued (about one draw in seven is redrawn). Because
37 is prime and every position has a different weight modulo 37, any single wrong symbol and any
swap of two symbols is detected: https://www.crockford.com/base32.html
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Literal

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "ADU"
BODY_LENGTH = 7
_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
# Crockford's decoding is forgiving about the look-alikes citizens type.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_UNMISTAKABLE = "23456789"
# "ADU-7K3Q-9M2X", "adu 7k3q 9m2x", "ADU7K3Q9M2X", or without the prefix "7K3Q-9M2X" / "7K3Q9M2X".
_CANDIDATE = re.compile(
    r"(?<![0-9A-Z])(?:ADU[\s\-_.]*)?([0-9A-Z]{4})[\s\-_.]*([0-9A-Z]{4})(?![0-9A-Z])", re.IGNORECASE
)
_PREFIXED = re.compile(r"ADU[\s\-_.]*[0-9A-Z]{4}", re.IGNORECASE)


def check_symbol(body: str) -> str | None:
    """The check symbol of seven base32 symbols, or None when Crockford's would be an extra symbol."""
    value = 0
    for symbol in body:
        value = value * 32 + _VALUES[symbol]
    check = value % 37
    return ALPHABET[check] if check < 32 else None


def new_number() -> str:
    """A fresh random ticket number (never sequential, so numbers reveal nothing). Every number holds
    a digit from 2 to 9, which no letter looks like, so a number is never all letters as typed and
    plain words can never be read as one (about one draw in ten is redrawn for this)."""
    while True:
        body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
        check = check_symbol(body)
        if check is not None and any(symbol in _UNMISTAKABLE for symbol in body + check):
            return format_number(body + check)


def format_number(symbols: str) -> str:
    """``7K3Q9M2X`` → ``ADU-7K3Q-9M2X``."""
    return f"{PREFIX}-{symbols[:4]}-{symbols[4:]}"


@dataclass(frozen=True)
class Parsed:
    """A ticket number found in text: ``valid``, or ``typo`` when its check symbol does not match."""

    number: str
    verdict: Literal["valid", "typo"]


def parse(text: str) -> Parsed | None:
    """The first ticket number in free text ("laporan adu 7k3q 9m2x gmn?"), tolerant of case,
    spaces, hyphens, a missing prefix and look-alike letters; None when there is none.

    Plain words are never numbers: what the citizen typed must hold a real digit (every number has
    one from 2 to 9), an unprefixed one must also pass its check symbol, and only a prefixed number is
    reported as a typo. Look-alike letters are read as digits only after that, so "aplikasi" is not
    ``AP11-KAS1`` and "rt02 rw05" is not a mistyped ticket."""
    for match in _CANDIDATE.finditer(text):
        prefixed = _PREFIXED.match(match.group(0)) is not None
        typed = (match.group(1) + match.group(2)).upper()
        symbols = typed.translate(_READ_AS)
        if any(symbol not in _VALUES for symbol in symbols):
            continue
        has_digit = any(symbol.isdigit() for symbol in typed)
        body, check = symbols[:BODY_LENGTH], symbols[BODY_LENGTH]
        valid = check_symbol(body) == check
        if valid and has_digit:
            return Parsed(format_number(symbols), "valid")
        if prefixed and has_digit:
            return Parsed(format_number(symbols), "typo")
    return None
