"""Reading what a long message asks: courtesy off, the asking part found, bare openers and own cases."""

from __future__ import annotations

import pytest

from nlu import framing

STORY = (
    "Assalamualaikum, selamat siang bapak/ibu admin. Saya warga Cimahi, sudah 3 bulan yang lalu saya rekam "
    "e-KTP di kecamatan tapi sampai sekarang belum jadi juga, katanya blangko habis terus. Padahal saya "
    "butuh untuk melamar kerja minggu depan. Sebenarnya berapa lama sih jadinya? Terima kasih banyak."
)


@pytest.mark.parametrize(
    "text",
    ["mau tanya min", "selamat siang, boleh tanya?", "punten, bade naros", "Assalamualaikum wr wb",
     "permisi kak mau tanya dong", "bisa minta info?", "halo saya mau konsultasi", "pagi min"],
)  # fmt: skip
def test_a_bare_opener_holds_no_question_yet(text: str) -> None:
    assert framing.is_bare_opener(text)


@pytest.mark.parametrize(
    "text",
    ["min boleh tanya soal ktp?", "mau tanya syarat nikah", "ktp hilang", "selamat pagi, jalan rusak", ""],
)
def test_a_message_with_a_topic_is_not_a_bare_opener(text: str) -> None:
    assert not framing.is_bare_opener(text)


def test_a_long_message_is_focused_on_its_question() -> None:
    assert framing.focus(STORY) == "Sebenarnya berapa lama sih jadinya"


def test_a_short_message_is_left_as_it_is() -> None:
    assert framing.focus("ktp ibu saya hilang, pak") == "ktp ibu saya hilang, pak"


def test_a_long_message_without_a_question_keeps_its_words_less_the_courtesy() -> None:
    text = (
        "Selamat pagi bapak ibu, saya mohon informasi tentang pembuatan akta kelahiran untuk anak kedua "
        "kami yang lahir di rumah bidan desa bulan lalu karena kami belum sempat mengurus sama sekali. "
        "Terima kasih"
    )

    focused = framing.focus(text)

    assert focused.startswith("saya") and "akta kelahiran" in focused
    assert "Selamat pagi" not in focused and "Terima kasih" not in focused


@pytest.mark.parametrize(
    ("text", "own"),
    [
        (STORY, True),
        ("kenapa bansos saya belum cair padahal terdaftar", True),
        ("akta anak saya tak kunjung terbit", True),
        ("syarat bikin ktp apa aja", False),
        ("berapa lama bikin paspor", False),
    ],
)
def test_a_stuck_own_application_is_recognised(text: str, own: bool) -> None:
    assert framing.is_own_case(text) is own
