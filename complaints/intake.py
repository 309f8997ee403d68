"""Reading a complaint out of a citizen's own words: the likely category, the place, the privacy wish.

Everything here is a suggestion the conversation confirms with the citizen; nothing is filed from it.
Text is compared after the shared normaliser (nlu/normalize.py), so "jln bolong" meets "jalan bolong".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.models import Category, Privacy, Region
from nlu.normalize import normalize


@dataclass(frozen=True)
class Suggestion:
    """A category and how strongly the text points to it (matched keyword words)."""

    slug: str
    name: str
    score: float


def _phrase(text: str) -> str:
    return f" {normalize(text)} "


def suggest_categories(categories: Iterable[Category], text: str, limit: int = 3) -> list[Suggestion]:
    """Categories whose keywords occur in ``text`` as whole words, best first (longer phrases weigh more)."""
    haystack = _phrase(text)
    words = set(re.findall(r"[a-z0-9]+", haystack))
    scored = []
    for category in categories:
        score = sum(
            _keyword_score(keyword, haystack, words)
            for keyword in _normalized_keywords(tuple(category.keywords))
        )
        if score:
            scored.append(Suggestion(category.slug, category.name, float(score)))
    return sorted(scored, key=lambda s: -s.score)[:limit]


def _keyword_score(keyword: str, haystack: str, words: set[str]) -> float:
    """Its word count when the phrase occurs as written, half that when its words occur apart
    ("jalan depan rumah bolong" still says "jalan bolong")."""
    size = len(keyword.split())
    if keyword in haystack:
        return float(size)
    if size > 1 and set(re.findall(r"[a-z0-9]+", keyword)) <= words:
        return size / 2
    return 0.0


@lru_cache(maxsize=256)
def _normalized_keywords(keywords: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_phrase(keyword) for keyword in keywords))  # "e-ktp", "ektp" → one "ktp"


# "di jl. merdeka no 5", "depan pasar kosambi", "dekat SDN 3", "lokasinya ..."
_PLACE = re.compile(
    r"\b(?:lokasi(?:nya)?|alamat(?:nya)?|di|depan|dekat|deket|samping|sebelah|belakang|seberang|ujung)\s+"
    r"((?:jl|jln|jalan|gg|gang|kp|kampung|kel|kelurahan|desa|kec|kecamatan|perum|komplek|pasar|rt|rw|sdn?|smp|"
    r"sma|terminal|stasiun|simpang|perempatan|pertigaan|bundaran|alun|taman|masjid|puskesmas|rs|kantor)\b[^.,;!?\n]*)",
    re.IGNORECASE,
)
_ABBREVIATION_DOT = re.compile(r"\b(jl|jln|gg|kp|kel|kec|ds|no|kab)\.", re.IGNORECASE)
# Where a place description usually ends and the story goes on ("... kota bandung udah 2 bulan").
_PLACE_END = re.compile(
    r"\s+(?:udah|udh|sudah|sejak|dari tadi|tolong|mohon|yang|yg|dan|tapi|tp|karena|krn|mati|rusak|bau)\b.*$",
    re.IGNORECASE,
)
# "di gang kami", "depan rumah saya": a direction, not yet a place anyone could find.
_VAGUE = {"kami", "kita", "saya", "aku", "sini", "situ", "sana", "rumah", "ini", "itu", "tersebut"}


def location_phrase(text: str) -> str | None:
    """The part of a message that names a findable place ("di jl. merdeka no 5 rt 2"), if any."""
    match = _PLACE.search(_ABBREVIATION_DOT.sub(r"\1", text))
    if match is None:
        return None
    phrase = _PLACE_END.sub("", match.group(1)).strip(" ,;")
    words = phrase.lower().split()
    if len(words) < 2 or (words[1] in _VAGUE and not any(ch.isdigit() for ch in phrase)):
        return None
    return phrase[:200]


@dataclass(frozen=True)
class Place:
    code: str
    name: str


def resolve_region(session: Session, text: str) -> Place | None:
    """The most specific region named in ``text``: a kecamatan (disambiguated by its kabupaten/kota when
    the name repeats), else a kabupaten/kota. Spaces inside names are ignored ("Bojong Gede" is
    "Bojonggede"), but names must start and end on word boundaries."""
    names = _region_names(session)
    words = re.findall(r"[a-z0-9]+", text.lower())
    named = {
        region
        for start in range(len(words))
        for end in range(start + 1, min(start + 4, len(words)) + 1)
        for region in names.get("".join(words[start:end]), ())
    }
    cities = {region for region in named if region.level in ("kabupaten", "kota")}
    districts = [region for region in named if region.level == "kecamatan"]
    in_named_city = [region for region in districts if region.parent_code in {city.code for city in cities}]
    if len(in_named_city) == 1 or (len(districts) == 1 and not cities):
        found = (in_named_city or districts)[0]
        return Place(found.code, found.name)
    if len(cities) == 1:
        city = next(iter(cities))
        return Place(city.code, city.name)
    return None


@dataclass(frozen=True)
class _Region:
    code: str
    name: str
    level: str
    parent_code: str | None


def _region_names(session: Session) -> dict[str, list[_Region]]:
    """Regions by their name without spaces or the word kabupaten/kota ("bandung" → both Bandungs)."""
    by_name: dict[str, list[_Region]] = {}
    for code, name, level, parent in session.execute(
        select(Region.code, Region.name, Region.level, Region.parent_code).where(Region.level != "provinsi")
    ):
        short = re.sub(r"^(kabupaten|kota)\s+", "", name.lower())
        key = "".join(re.findall(r"[a-z0-9]+", short))
        if len(key) >= 4:
            by_name.setdefault(key, []).append(_Region(code, name, level, parent))
    return by_name


_PRIVACY_HINTS = {
    Privacy.ANONIM: re.compile(r"\b(anonim|anonymous|tanpa nama|ga usah (pake|pakai) nama)\b", re.IGNORECASE),
    Privacy.RAHASIA: re.compile(r"\b(rahasia\w*|dirahasiakan|jangan sebut nama)\b", re.IGNORECASE),
}


def privacy_wish(text: str) -> Privacy | None:
    """A privacy level the citizen asked for in so many words, if any."""
    for level, pattern in _PRIVACY_HINTS.items():
        if pattern.search(text):
            return level
    return None


_NAME = re.compile(
    r"\b(?:nama saya|nama sy|nama aku|namaku|saya bernama|my name is)\s+([A-Za-z][A-Za-z.' ]{1,60})"
)


def stated_name(text: str) -> str | None:
    """A name the citizen gave in so many words ("nama saya Budi Santoso, ...")."""
    match = _NAME.search(text)
    if match is None:
        return None
    words = match.group(1).split()
    stop = {"dan", "mau", "ingin", "dari", "di", "tinggal", "warga", "yang", "lapor", "melapor"}
    kept = []
    for word in words:
        if word.lower() in stop:
            break
        kept.append(word)
    return " ".join(kept[:4]).title() or None


def categories(session: Session) -> list[Category]:
    """Every category, for suggestion and choice lists."""
    return list(session.scalars(select(Category).order_by(Category.id)))
