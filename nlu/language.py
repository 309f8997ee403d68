"""A small guess at whether a message is English (answer in English) or Indonesian (the default)."""

from __future__ import annotations

import re

WORD = re.compile(r"[a-z']+")
ENGLISH = frozenset(
    "the a an to of for in on at is are was be do does did how what where when which who why can "
    "could i my me you your we our it this that with and or please need want get apply renew register "
    "lost long much many cost fee fees requirements required document documents card certificate "
    "passport license licence tax office hello hi thanks thank help".split()
)
INDONESIAN = frozenset(
    "yang dan di ke dari untuk dengan saya aku sy yg gmn gimana bagaimana apa berapa dimana kapan "
    "bisa mau ingin tolong kak min pak bu ada tidak ga gak nggak sudah udah belum cara syarat biaya "
    "bikin buat ini itu kalau kalo atau juga lagi dong ya".split()
)


def is_english(message: str) -> bool:
    """True when most words are English and none is a common Indonesian word."""
    words = WORD.findall(message.lower())
    if len(words) < 2 or any(word in INDONESIAN for word in words):
        return False
    return sum(word in ENGLISH for word in words) / len(words) >= 0.4
