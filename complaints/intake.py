"""Reading a complaint out of a citizen's own words: the likely category, the place, the privacy wish.

Everything here is a suggestion the conversation confirms with the citizen; nothing is filed from it.
Text is compared after the shared normaliser (nlu/normalize.py), so "jln bolong" meets "jalan bolong".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from complaints.models import Category, Privacy, Region
from nlu.framing import COMPLAINT
from nlu.normalize import normalize

# The intents after which the conversation files a complaint: the model's own, or information given
# out of context that reads like one (a confident category suggestion).
INFORM_INTENT = "inform"


def starts_complaint(intent: str, confident_category: bool) -> bool:
    """Whether a message with this intent starts the complaint form (the rules in bot/data/rules.yml
    and ``ActionInformOutOfContext``): what `loket eval complaints` counts as detected."""
    return intent == COMPLAINT or (intent == INFORM_INTENT and confident_category)


# "laporan saya di aplikasi ...", "sudah lapor lewat SP4N LAPOR", "aduan saya di IG pemkot": a report
# made on another channel, which Loket cannot see.
_REPORT = r"(?:laporan|lapor|melapor|ngelapor|aduan|mengadu|ngadu|pengaduan|keluhan|komplain)"
_ELSEWHERE = (
    r"(?:aplikasi|apk|app|sp4n|lapor!|website|web|situs|ig|instagram|facebook|fb|twitter|tiktok|"
    r"email|e-mail|call center|callcenter|hotline|kelurahan|kecamatan|dinas|pemkot|pemkab|pemda|dm|"
    r"sapawarga|jaki|sipp|wa pemkot|whatsapp pemkot)"
)
_REPORT_ELSEWHERE = re.compile(
    rf"\b{_REPORT}(?:\s+(?:saya|sy|kami|aku|ku|yang|yg|sudah|udah|udh|sdh|sebelumnya|kemarin|kemaren|dulu|"
    rf"juga|pernah|itu|tsb|tersebut))*\s+(?:di|lewat|via|melalui|ke)\s+(?:\S+\s+)?{_ELSEWHERE}\b",
    re.IGNORECASE,
)


def mentions_report_elsewhere(text: str) -> bool:
    """Whether a message refers to a report made on another channel or system ("laporan saya di
    aplikasi belum ditindaklanjuti")."""
    return bool(_REPORT_ELSEWHERE.search(text))


def _phrase(text: str) -> str:
    return f" {normalize(text)} "


def keyword_scores(keywords: Iterable[tuple[str, tuple[str, ...]]], text: str) -> dict[str, float]:
    """Per category slug, the words of its keyword phrases found in ``text`` (0 when none), longer
    phrases weighing more: one signal of the category suggester (complaints/suggest.py)."""
    haystack = _phrase(text)
    words = set(re.findall(r"[a-z0-9]+", haystack))
    return {
        slug: float(
            sum(_keyword_score(keyword, haystack, words) for keyword in _normalized_keywords(phrases))
        )
        for slug, phrases in keywords
    }


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


# Words that start a findable place: streets and addresses, administrative units, and the landmarks
# citizens steer by ("depan Indomaret", "sebelah SDN 3", "belakang masjid Al-Ikhlas").
_HEADS = (
    r"jl|jln|jalan|gg|gang|kp|kampung|dusun|dsn|desa|ds|kel|kelurahan|kec|kecamatan|perum|perumahan|komplek|"
    r"kompleks|griya|villa|blok|rt|rw|pasar|sdn?|smpn?|sman?|smkn?|mts|mi|madrasah|sekolah|kampus|terminal|"
    r"stasiun|halte|simpang|perempatan|pertigaan|bundaran|alun|alun-alun|taman|masjid|mesjid|musholla|mushola|"
    r"gereja|puskesmas|rs|rsud|klinik|kantor|balai|lapangan|jembatan|indomaret|alfamart|alfamidi|spbu|pom|"
    r"tpu|makam|pabrik|toko|warung|polsek|gor|gapura|gerbang|pintu|tol|flyover|underpass|kali|sungai|irigasi|"
    r"trotoar|jalur|ruas|pinggir|pinggiran|tikungan|turunan|tanjakan"
)
_PLACE = re.compile(
    r"\b(?:lokasi(?:nya)?|alamat(?:nya)?|di|depan|dpn|dekat|deket|dkt|samping|sebelah|sblh|belakang|blkg|"
    rf"seberang|ujung|sekitar|area|wilayah|daerah|kawasan)\s*:?\s+((?:{_HEADS})\b[^.,;!?\n]*)",
    re.IGNORECASE,
)
# Address parts named without a preposition: "RT 03/RW 05", "Kel. Sukaluyu", "Kec Cibeunying Kaler".
_ADMIN = re.compile(
    r"\b(?:rt\.?\s*\d{1,3}(?:\s*/\s*|\s+)?(?:rw\.?\s*\d{1,3})?|rw\.?\s*\d{1,3}|"
    r"(?:kel|kelurahan|desa|ds|kec|kecamatan|kab|kabupaten|kota|blok|gg|gang|perum|perumahan|komplek|jl|jln|"
    r"jalan|no|nomor)"
    r"\.?\s+[A-Za-z0-9][^.,;!?\n]*)",
    re.IGNORECASE,
)
_ABBREVIATION_DOT = re.compile(r"\b(jl|jln|gg|kp|kel|kec|ds|no|kab|rt|rw|dsn|perum)\.", re.IGNORECASE)
# Where a place description ends and the story goes on ("... kota bandung udah 2 bulan",
# "SDN 3 Cibeunying Kaler berlubang besar").
_STORY = frozenset(
    """udah udh sudah sdh sejak dari tolong mohon mhn yang yg dan tapi tp karena krn sehingga jadi mati rusak
    bau berlubang bolong lubang banjir kebanjiran tergenang menggenang genangan ambrol jebol longsor macet
    kotor numpuk menumpuk tersumbat mampet pecah patah roboh ambruk tumbang padam bocor keruh ada ga gak
    tidak tdk
    belum blm sering selalu setiap tiap banyak sangat parah sekali bgt banget pak bu min admin kak minta harap
    segera ini itu tsb tersebut kondisinya kondisi sekarang skrg saat waktu malam siang pagi sore kemarin
    kemaren tadi hari minggu bulan tahun sampai sampe hingga membuat bikin mengganggu menghalangi airnya
    jalannya lampunya sampahnya warga kami kita saya aku dia mereka pada juga lagi masih terus sudahlah
    nya tuh nih dong deh ya mau akan hampir air pdam sampah lampu listrik got selokan saluran pju""".split()
)
# "di gang kami", "depan rumah saya", "jalan depan ...": a direction, not yet a place anyone could find.
_VAGUE = {"kami", "kita", "saya", "aku", "sini", "situ", "sana", "rumah", "ini", "itu", "tersebut"}
_NOT_A_NAME = {
    "depan", "dpn", "dekat", "deket", "samping", "sebelah", "belakang", "seberang", "menuju", "ke", "di",
    "yang", "yg", "utama", "umum", "besar", "kecil", "baru",
}  # fmt: skip


def location_phrase(text: str) -> str | None:
    """The parts of a message that name a findable place, and nothing of the story around them:
    "Gg Mawar RT 03/RW 05 Kel Sukaluyu, depan Indomaret" from a whole complaint."""
    plain = _ABBREVIATION_DOT.sub(r"\1", text)
    spans = [(_place_start(m), _place_end(plain, m.start(1), m.end(1))) for m in _PLACE.finditer(plain)]
    spans += [(m.start(), _place_end(plain, m.start(), m.end())) for m in _ADMIN.finditer(plain)]
    findable = [(start, end) for start, end in spans if _findable(plain[start:end].strip(" ,;:-"))]
    parts = [plain[start:end].strip(" ,;:-") for start, end in _merged(findable)]
    if not parts:
        return None
    return ", ".join(dict.fromkeys(parts))[:200]


_DIRECTIONS = {
    "depan",
    "dpn",
    "dekat",
    "deket",
    "dkt",
    "samping",
    "sebelah",
    "sblh",
    "belakang",
    "blkg",
    "seberang",
}


def _place_start(match: re.Match[str]) -> int:
    """A landmark keeps its direction ("depan Indomaret"); "di" and "lokasinya" are dropped."""
    word = match.group(0).split()[0].lower()
    return match.start() if word in _DIRECTIONS else match.start(1)


def _place_end(text: str, start: int, end: int) -> int:
    """Where the place that starts at ``start`` ends: at the first word of the story after its head."""
    for number, word in enumerate(re.finditer(r"\S+", text[start:end])):
        if number and word.group(0).lower().strip(",:") in _STORY:
            return start + word.start()
        if number and word.group(0).endswith(","):
            following = text[start + word.end() : end].split()
            if not following or not re.match(rf"(?:{_HEADS}|no|nomor)\b", following[0], re.IGNORECASE):
                return start + word.end() - 1
    return end


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1] + 2:  # touching, or apart by ", "
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _findable(part: str) -> bool:
    words = part.lower().split()
    if len(words) < 2 or words[1] in _NOT_A_NAME:
        return False
    return not (words[1] in _VAGUE and not any(ch.isdigit() for ch in part))


@dataclass(frozen=True)
class Place:
    code: str
    name: str


def resolve_region(session: Session, text: str) -> Place | None:
    """The most specific region named in ``text``, with its Kemendagri code.

    A desa/kelurahan counts when it is introduced as one ("Kel. Sukaluyu", "desa Cibeber") or its
    kecamatan is named too (under another name); a name shared by several is settled by the
    kecamatan, then the kabupaten/kota, named beside it; a kecamatan likewise; else the kabupaten/kota
    itself. "Kec."/"Kota"/"Kab." before a name says which level it is; a bare name of a regency is
    the regency. Spaces inside names are ignored ("Bojong Gede" is "Bojonggede"), but names start
    and end on word boundaries."""
    names = _region_names(session)
    words = re.findall(r"[a-z0-9]+", text.lower())
    named: set[_Region] = set()
    introduced: set[_Region] = set()
    start = 0
    while start < len(words):
        longest = next(
            (
                end
                for end in range(min(start + 4, len(words)), start, -1)
                if "".join(words[start:end]) in names
            ),
            None,
        )
        if longest is None:
            start += 1
            continue
        matches = names["".join(words[start:longest])]
        said = _LEVEL_WORDS.get(words[start - 1]) if start else None
        if said:  # "Kec. Cibeber", "Kota Bandung", "Desa Sukamaju"
            matches = [region for region in matches if region.level in said]
        elif any(region.level in _CITY_LEVELS for region in matches):  # "Cianjur" is the regency
            matches = [region for region in matches if region.level in _CITY_LEVELS]
        named.update(matches)
        if said == _VILLAGE_LEVELS:
            introduced.update(matches)
        start = longest
    cities = {region for region in named if region.level in _CITY_LEVELS}
    districts = {region for region in named if region.level == "kecamatan"}
    district_names = {district.code: district.name.lower() for district in districts}
    villages = {
        region
        for region in named
        if region.level in _VILLAGE_LEVELS
        and (
            region in introduced
            # a desa named after its kecamatan, named once, is the kecamatan ("Kec. Sukaluyu")
            or district_names.get(region.parent_code or "", region.name.lower()) != region.name.lower()
        )
    }
    found = _settled(villages, districts, cities) or _settled(districts, cities)
    if found is not None:
        return Place(found.code, found.name)
    if len(cities) == 1:
        city = next(iter(cities))
        return Place(city.code, city.name)
    return None


def _settled(candidates: set[_Region], *contexts: set[_Region]) -> _Region | None:
    """The one candidate inside the regions named beside it, the narrowest first; or the only
    candidate when nothing else is named."""
    for context in contexts:
        inside = {
            region for region in candidates if any(region.code.startswith(f"{c.code}.") for c in context)
        }
        if len(inside) == 1:
            return next(iter(inside))
        candidates = inside or candidates
    if len(candidates) == 1 and not any(contexts):
        return next(iter(candidates))
    return None


_CITY_LEVELS = ("kabupaten", "kota")
_VILLAGE_LEVELS = ("desa", "kelurahan")
_LEVEL_WORDS = {
    **dict.fromkeys(("kel", "kelurahan", "lurah", "desa", "ds", "kalurahan"), _VILLAGE_LEVELS),
    **dict.fromkeys(("kec", "kecamatan", "kecamatam"), ("kecamatan",)),
    **dict.fromkeys(("kab", "kabupaten", "kabupatem", "regency"), ("kabupaten",)),
    "kota": ("kota",),
}


@dataclass(frozen=True)
class _Region:
    code: str
    name: str
    level: str
    parent_code: str | None


def _region_names(session: Session) -> dict[str, list[_Region]]:
    """Regions by their name without spaces or the word kabupaten/kota ("bandung" → both Bandungs);
    read once per set of regions (thousands of desa change only with a new Kemendagri decree)."""
    count = session.scalar(select(func.count()).select_from(Region)) or 0
    return _names_of(str(session.get_bind().engine.url), count, session)


_NAMES_CACHE: dict[tuple[str, int], dict[str, list[_Region]]] = {}
_NAMES_KEPT = 4  # databases whose names are remembered (one in the app)


def _names_of(database: str, count: int, session: Session) -> dict[str, list[_Region]]:
    cached = _NAMES_CACHE.get((database, count))
    if cached is not None:
        return cached
    by_name: dict[str, list[_Region]] = {}
    for code, name, level, parent in session.execute(
        select(Region.code, Region.name, Region.level, Region.parent_code).where(Region.level != "provinsi")
    ):
        short = re.sub(r"^(kabupaten|kota)\s+", "", name.lower())
        key = "".join(re.findall(r"[a-z0-9]+", short))
        if len(key) >= 4:
            by_name.setdefault(key, []).append(_Region(code, name, level, parent))
    if len(_NAMES_CACHE) >= _NAMES_KEPT:
        _NAMES_CACHE.clear()
    _NAMES_CACHE[(database, count)] = by_name
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
