"""The category suggester: by meaning over descriptions, keywords and example complaints, honest when
nothing fits."""

from __future__ import annotations

import pytest

from complaints.suggest import LiveCategories


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        (
            "Assalamualaikum pak, plengsengan di pinggir kali belakang RW 07 sudah ambrol separuh, kalau "
            "hujan deras airnya masuk ke rumah warga. Mohon segera diperbaiki, hatur nuhun.",
            "banjir-drainase",
        ),
        (
            "Punten, tiap malam ada yang parkir sembarangan di depan ruko Jl Kopo dan tukang parkirnya maksa "
            "minta 5 ribu padahal tidak ada karcis.",
            "ketertiban-umum",
        ),
        (
            "Tagihan air bulan ini tiba-tiba 900 ribu padahal biasanya 80 ribu, rumah cuma dihuni berdua. "
            "Tolong dicek meterannya.",
            "air-bersih",
        ),
        ("ibu saya sudah terdaftar di DTKS tapi tiga bulan ini tidak menerima apa-apa", "bansos"),
        ("antrian di rsud dari subuh sampai sore belum dipanggil juga, pasien lansia kasihan", "kesehatan"),
    ],
)
def test_a_complaint_without_the_keywords_is_placed_by_its_meaning(
    categories: LiveCategories, text: str, slug: str
) -> None:
    suggestions = categories.suggest(text)

    assert suggestions.confident
    assert suggestions.offered[0] == slug
    assert len(suggestions.offered) == 3


@pytest.mark.parametrize("text", ["hehe", "coba coba aja", "asdfgh qwerty"])
def test_nothing_is_suggested_when_nothing_fits(categories: LiveCategories, text: str) -> None:
    suggestions = categories.suggest(text)

    assert not suggestions.confident
    assert suggestions.offered == []
    assert len(suggestions.ranked) == 21  # the citizen chooses from the whole list


def test_the_keyword_lists_still_count(categories: LiveCategories) -> None:
    assert categories.suggest("pju mati").offered[0] == "penerangan-jalan"
    assert categories.suggest("pungli").offered[0] == "pungli-korupsi"
