"""GSM-7 text for SMS: which characters fit, how many segments a text costs, and making text fit.

A message of only GSM 03.38 characters is sent in 7-bit encoding: 160 characters in one segment,
153 per segment when split (the rest carries the concatenation header). A single other character
switches the whole message to UCS-2: 70 characters, 67 per segment. Characters of the extension
table (``^{}\\[~]|€``) cost two. https://www.twilio.com/docs/glossary/what-is-gsm-7-character-encoding
"""

from __future__ import annotations

import unicodedata

BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENDED = frozenset("^{}\\[~]|€\f")

# Common characters outside GSM-7 and the plain text that says the same.
TRANSLITERATIONS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2026": "...",
    "\u00a0": " ", "\u2022": "-", "\u00b7": "-", "\t": " ",
    "\u00d7": "x", "\u2192": "->", "\u00ab": '"', "\u00bb": '"',
}  # fmt: skip

SINGLE_SEGMENT = 160
PER_SEGMENT = 153
UCS2_SINGLE_SEGMENT = 70
UCS2_PER_SEGMENT = 67


def is_gsm7(text: str) -> bool:
    """Whether ``text`` can be sent in GSM-7."""
    return all(char in BASIC or char in EXTENDED for char in text)


def septets(text: str) -> int:
    """Length of ``text`` in GSM-7 septets (extension characters count twice)."""
    return sum(2 if char in EXTENDED else 1 for char in text)


def segments(text: str) -> int:
    """How many SMS segments ``text`` takes (GSM-7 if it fits, else UCS-2)."""
    if is_gsm7(text):
        length, single, per = septets(text), SINGLE_SEGMENT, PER_SEGMENT
    else:
        length, single, per = len(text.encode("utf-16-le")) // 2, UCS2_SINGLE_SEGMENT, UCS2_PER_SEGMENT
    if length <= single:
        return 1
    return -(-length // per)


def to_gsm7(text: str) -> str:
    """``text`` made GSM-7: curly quotes and dashes straightened, accents dropped, emoji removed."""
    out = []
    for char in text:
        char = TRANSLITERATIONS.get(char, char)
        if all(c in BASIC or c in EXTENDED for c in char):
            out.append(char)
            continue
        decomposed = unicodedata.normalize("NFKD", char)
        plain = "".join(c for c in decomposed if c in BASIC or c in EXTENDED)
        out.append(plain)
    return "".join(out)


def fit(text: str, suffix: str, max_segments: int) -> str:
    """``text`` cut at a word boundary so that it plus ``suffix`` fits in ``max_segments`` segments."""
    if segments(text) <= max_segments:
        return text
    words = text.split(" ")
    while words and segments(" ".join(words) + suffix) > max_segments:
        words.pop()
    return " ".join(words).rstrip(" ,.;:") + suffix
