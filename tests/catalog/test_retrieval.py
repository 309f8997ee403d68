"""Retrieval over the shipped catalog: answer, offer a choice, or abstain; aspects; SMS-sized answers."""

from __future__ import annotations

import pytest

from catalog import answers, aspects
from catalog.aspects import Aspect
from catalog.live import CONTENT_DIR, LiveCatalog
from catalog.schema import load_directory
from channels.gsm7 import is_gsm7, segments


@pytest.mark.parametrize(
    ("question", "service"),
    [
        ("gmn cr bkin ktp yg ilang", "ktp-el-hilang-rusak"),
        ("syarat skck apa aja kak", "skck"),
        ("brp biaya perpanjang sim c", "sim-perpanjang"),
        ("anak sy baru lahir mau bikin akte", "akta-kelahiran"),
        ("piye carane gawe akta kematian", "akta-kematian"),
        ("kumaha daptar bpjs mandiri", "bpjs-kesehatan-daftar-mandiri"),
        ("how to renew my passport", "paspor-perpanjang"),
    ],
)
def test_clear_questions_are_answered_with_the_right_service(
    live_catalog: LiveCatalog, question: str, service: str
) -> None:
    outcome = live_catalog.retrieve(question)

    assert outcome.decision == "answer" and outcome.best == service


def test_a_question_two_services_fit_equally_offers_them_as_choices(live_catalog: LiveCatalog) -> None:
    outcome = live_catalog.retrieve("piye carane gawe paspor")

    assert outcome.decision == "choose"
    assert outcome.offered[0] == "paspor-baru"
    assert 2 <= len(outcome.offered) <= 3 and all(s.startswith("paspor-") for s in outcome.offered)


@pytest.mark.parametrize(
    "question", ["resep rendang padang", "skor bola semalam berapa", "harga bitcoin hari ini"]
)
def test_questions_no_service_fits_are_not_answered_with_a_random_service(
    live_catalog: LiveCatalog, question: str
) -> None:
    assert live_catalog.retrieve(question).decision == "abstain"


def test_confidence_rises_with_the_answerability(live_catalog: LiveCatalog) -> None:
    clear = live_catalog.retrieve("syarat bikin skck")
    unclear = live_catalog.retrieve("resep rendang padang")

    assert 0.0 <= unclear.confidence < 0.5 < clear.confidence <= 1.0


@pytest.mark.parametrize(
    ("question", "aspect"),
    [
        ("kalau biayanya?", Aspect.FEE),
        ("syaratnya apa aja", Aspect.REQUIREMENTS),
        ("brp lama jadinya", Aspect.DURATION),
        ("kantornya dmn", Aspect.WHERE),
        ("gmn cara daftarnya", Aspect.STEPS),
        ("bayar pajak motor dimana", Aspect.WHERE),
        ("berapa bayar paspor", Aspect.FEE),
        ("ktp hilang", None),
    ],
)
def test_the_aspect_asked_about_is_detected(question: str, aspect: Aspect | None) -> None:
    assert aspects.detect(question) is aspect


def test_an_answer_puts_the_asked_aspect_first() -> None:
    entry = {e.id: e for e in load_directory(CONTENT_DIR)}["sim-perpanjang"]

    fee = answers.answer(entry, Aspect.FEE, "api")
    requirements = answers.answer(entry, Aspect.REQUIREMENTS, "api")

    assert fee.splitlines()[1].startswith("Biaya: " + entry.fee.amount)
    assert requirements.splitlines()[1] == "Syarat:"
    assert entry.official_url in fee


def test_every_sms_answer_fits_three_gsm7_segments() -> None:
    for entry in load_directory(CONTENT_DIR):
        for aspect in (None, *Aspect):
            text = answers.answer(entry, aspect, "sms")
            assert is_gsm7(text), (entry.id, aspect)
            assert segments(text) <= 3, (entry.id, aspect, segments(text))


def test_a_long_sms_answer_is_cut_with_a_way_to_get_the_rest() -> None:
    entry = {e.id: e for e in load_directory(CONTENT_DIR)}["akta-kelahiran"]

    text = answers.answer(entry, Aspect.REQUIREMENTS, "sms")

    assert text.endswith("Balas LENGKAP utk info lengkap") and segments(text) <= 3


def test_english_questions_get_the_english_title_and_summary() -> None:
    entry = {e.id: e for e in load_directory(CONTENT_DIR)}["paspor-perpanjang"]

    text = answers.answer(entry, None, "api", language="en")

    assert text.startswith(entry.translations["en"].title)
