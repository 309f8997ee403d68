"""Terms for lexical (BM25) matching: normalised words, stop words removed, Sastrawi stems.

Used by catalog retrieval in the app's environment only (Sastrawi is pure Python but Rasa does not
need it). Stemming mostly helps affixed forms meet: "pembuatan"/"membuat" -> "buat",
"kehilangan" -> "hilang" (Nazief-Adriani confix stripping, Adriani et al. 2007).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from nlu.normalize import Token, tokenize

# Sastrawi's stop words, minus words that tell services apart ("baru" vs "hilang" KTP,
# "luar" negeri, "kerja", "keluar"/"masuk" KK members, "bapak"/"ibu" for parents).
KEEP = frozenset(
    "baru lama kerja tidak belum masih sudah orang bulan ibu bapak datang keluar masuk kembali luar "
    "dalam".split()
)
# Words that say what is asked, not about which service; the aspect detector reads them instead.
QUESTION_WORDS = frozenset(
    "bagaimana cara caranya gimana apa apakah berapa dimana mana kapan syarat persyaratan prosedur "
    "langkah alur biaya harga tarif bayar lama tolong mohon min admin kak pak bu halo ya dong info "
    "informasi tanya mau ingin bisa boleh".split()
)


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """Sastrawi's Indonesian stop words, minus the words Loket needs, plus question words."""
    from Sastrawi.StopWordRemover.StopWordRemoverFactory import StopWordRemoverFactory

    return (frozenset(StopWordRemoverFactory().get_stop_words()) - KEEP) | QUESTION_WORDS


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """The Sastrawi stem of one word (cached: Sastrawi is slow per word); acronyms stay as they are."""
    if len(word) <= 4 or any(char.isdigit() for char in word):
        return word
    stemmed: str = _stemmer().stem(word)
    return stemmed or word


def terms(text: str, vocabulary: Iterable[str] = ()) -> list[str]:
    """Lexical terms of ``text``: normalised, joined words split, stop words dropped, stemmed."""
    return terms_of(tokenize(text), frozenset(vocabulary))


def terms_of(tokens: list[Token], vocabulary: frozenset[str] = frozenset()) -> list[str]:
    """Lexical terms of already normalised tokens."""
    stops = stop_words()
    found = []
    for token in tokens:
        for word in split_joined(token.text, vocabulary) if vocabulary else (token.text,):
            for part in word.split("-") if "-" in word else (word,):
                if part and part not in stops:
                    found.append(stem(part))
    return found


def split_joined(word: str, vocabulary: frozenset[str]) -> tuple[str, ...]:
    """Split a word typed without its space ("perpanjangsim") when both halves are known words."""
    if word in vocabulary or len(word) < 6:
        return (word,)
    for cut in range(3, len(word) - 1):
        head, tail = word[:cut], word[cut:]
        if head in vocabulary and tail in vocabulary:
            return head, tail
    return (word,)
