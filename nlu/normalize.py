"""Indonesian informal-text normaliser, shared by Rasa (as a tokenizer) and catalog retrieval.

Pure Python with no dependencies, because both the app (Python 3.11+) and Rasa (Python 3.10)
import it. It lower-cases, folds Unicode look-alikes, shortens stretched letters ("pagiii"),
expands number reduplication ("anak2"), and maps slang and abbreviations through a lexicon
("gmn" -> "bagaimana", "bkin" -> "buat"). Every token keeps the span of the original text it came
from, so callers can still point into what the citizen wrote.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LEXICON_PATH = Path(__file__).with_name("lexicon") / "slang.tsv"

WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
STRETCHED = re.compile(r"([^\W\d_])\1{2,}")
REDUPLICATED = re.compile(r"^([^\W\d_]{2,})2$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Standard words spelled with a doubled letter, kept when a stretched spelling collapses onto them.
DOUBLE_LETTER_WORDS = frozenset(
    {"maaf", "saat", "taat", "jumat", "manfaat", "sunnah", "allah", "assalamualaikum", "alhamdulillah", "ttd"}
)


@dataclass(frozen=True)
class Token:
    """A normalised word and the span ``[start, end)`` of the original text it came from."""

    text: str
    start: int
    end: int


@lru_cache(maxsize=4)
def load_lexicon(path: Path = LEXICON_PATH) -> dict[str, tuple[str, ...]]:
    """The slang lexicon: informal token -> standard words. Lines are ``informal<TAB>standard``."""
    lexicon: dict[str, tuple[str, ...]] = {}
    if not path.exists():
        return lexicon
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        informal, separator, standard = line.partition("\t")
        if not separator or not standard.strip():
            raise ValueError(f"{path}:{number}: expected 'informal<TAB>standard'")
        lexicon[informal.strip().lower()] = tuple(standard.strip().lower().split())
    return lexicon


def clean(text: str) -> str:
    """Text with Unicode look-alikes folded and control characters removed; case is kept."""
    return CONTROL.sub("", unicodedata.normalize("NFKC", text))


def unstretch(word: str) -> str:
    """Collapse letters repeated three or more times ("pagiii" -> "pagi", "maaaaf" -> "maaf")."""
    if not STRETCHED.search(word):
        return word
    doubled = STRETCHED.sub(r"\1\1", word)
    return doubled if doubled in DOUBLE_LETTER_WORDS else STRETCHED.sub(r"\1", word)


def normalize_word(word: str, lexicon: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The standard form(s) of one lower-cased word."""
    word = unstretch(word)
    if word in lexicon:
        return lexicon[word]
    reduplicated = REDUPLICATED.match(word)
    if reduplicated:
        base = reduplicated.group(1)
        standard = lexicon.get(base, (base,))
        return (*standard[:-1], f"{standard[-1]}-{standard[-1]}")
    return (word,)


def tokenize(text: str, lexicon: dict[str, tuple[str, ...]] | None = None) -> list[Token]:
    """Normalised tokens of ``text``, each with its original span (expansions share one span)."""
    lexicon = load_lexicon() if lexicon is None else lexicon
    # Spans index the cleaned text, which equals the original unless folding changed its length.
    lowered = clean(text).lower()
    words = [match for match in WORD.finditer(lowered)]
    tokens: list[Token] = []
    for position, match in enumerate(words):
        word = match.group()
        if word in AMBIGUOUS:
            previous = words[position - 1].group() if position else ""
            following = words[position + 1].group() if position + 1 < len(words) else ""
            standard: tuple[str, ...] = (AMBIGUOUS[word](previous, following, position, len(words)),)
        else:
            standard = normalize_word(word, lexicon)
        tokens.extend(Token(part, match.start(), match.end()) for part in standard)
    return tokens


# "kk" is Kartu Keluarga in "bikin kk", "kk baru", "syarat kk"; it is "kakak" (a polite way to
# address the person answering) in "kk mau tanya", "makasih kk", "gimana ya kk".
KK_DOCUMENT_BEFORE = frozenset(
    "bikin buat urus ngurus syarat ganti cetak ubah pisah tambah masuk keluar fotokopi foto copy di "
    "ke dari nomor no data anggota dalam numpang kartu scan asli pecah gabung".split()
)
KK_DOCUMENT_AFTER = frozenset(
    "baru hilang rusak lama asli online digital saya sy aku ortu orang suami istri".split()
)
KK_ADDRESS_BEFORE = frozenset(
    "makasih terima kasih trims thanks thx halo hai permisi pagi siang sore malam ya yah".split()
)
KK_ADDRESS_AFTER = frozenset("mau boleh izin ijin numpang tanya saya sy aku gimana bagaimana ini itu".split())


def _kk(previous: str, following: str, position: int, count: int) -> str:
    if previous in KK_DOCUMENT_BEFORE or following in KK_DOCUMENT_AFTER:
        return "kk"
    if (
        previous in KK_ADDRESS_BEFORE
        or following in KK_ADDRESS_AFTER
        or (position == count - 1 and count > 2)
    ):
        return "kakak"
    return "kk"


AMBIGUOUS = {"kk": _kk}


def normalize(text: str, lexicon: dict[str, tuple[str, ...]] | None = None) -> str:
    """The normalised text as one string of space-separated words."""
    return " ".join(token.text for token in tokenize(text, lexicon))
