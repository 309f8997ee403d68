"""Which part of a service a question asks about: requirements, fee, duration, place or steps."""

from __future__ import annotations

import enum

from nlu.normalize import tokenize


class Aspect(enum.StrEnum):
    """A part of a catalog entry a citizen can ask for."""

    FEE = "fee"
    REQUIREMENTS = "requirements"
    DURATION = "duration"
    WHERE = "where"
    STEPS = "steps"


# Normalised words (after the slang lexicon) that point at each aspect, strongest signals first.
CUES: dict[Aspect, frozenset[str]] = {
    Aspect.FEE: frozenset(
        "biaya biayanya tarif tarifnya harga harganya gratis mahal murah ongkos duit uang fee cost price "
        "rp rupiah pnbp pungutan".split()
    ),
    Aspect.REQUIREMENTS: frozenset(
        "syarat syaratnya persyaratan persyaratannya dokumen dokumennya berkas berkasnya bawa dibawa "
        "lampiran requirement requirements document documents fotokopi".split()
    ),
    Aspect.DURATION: frozenset("lama lamanya durasi kapan jadinya selesai hari jam minggu long".split()),
    Aspect.WHERE: frozenset(
        "dimana mana kantor kantornya lokasi alamat tempat tempatnya where office".split()
    ),
    Aspect.STEPS: frozenset(
        "cara caranya prosedur prosedurnya alur alurnya langkah tahapan proses daftar mendaftar "
        "how steps".split()
    ),
}
ORDER = (Aspect.FEE, Aspect.REQUIREMENTS, Aspect.DURATION, Aspect.WHERE, Aspect.STEPS)


def detect(question: str) -> Aspect | None:
    """The aspect a question asks about, or None for a general question."""
    words = {token.text for token in tokenize(question)}
    if "berapa" in words and words & {"lama", "hari", "jam", "minggu", "bulan"}:
        return Aspect.DURATION
    if "berapa" in words and words & {"bayar", "bayarnya"}:
        return Aspect.FEE
    for aspect in ORDER:
        if words & CUES[aspect]:
            return aspect
    return None
