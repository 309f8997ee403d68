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


# --- complaint or question ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("intent", "text"),
    [
        # a plea for something to be done, a few words after the plea
        (
            "ask_howto",
            "Punten, got di gang kami dangkal sekali, tiap hujan meluap. Kami minta saluran diperdalam",
        ),
        # indignation rather than a question
        ("ask_howto", "di depan kantor samsat banyak calo nawarin jasa, bayar 500rb. kok dibiarin aja?"),
        (
            "ask_howto",
            "iuran perpisahan 2 juta katanya wajib, yang ga bayar ga dapat rapor. ini bener ga sih?",
        ),
        # the writer says they are reporting, and asks only in passing
        (
            "file_complaint",
            "Izin melapor, TPS di pasar sudah berbulan-bulan bau menyengat. Bisa tidak dipindah?",
        ),
        # a long-standing problem asked about rhetorically
        (
            "file_complaint",
            "Sampah di bantaran kali sudah jadi pemandangan tiap hari. Apakah tidak ada petugasnya?",
        ),
        # wrongdoing told as a story, read as out of scope
        (
            "out_of_scope",
            "pinjol ilegal neror keluarga saya terus, foto KTP disebar ke semua kontak padahal sudah lunas",
        ),
        (
            "out_of_scope",
            "lampu lalu lintas di perempatan pasar mati sejak kemarin, hampir tabrakan!! tolong cepet",
        ),
    ],
)
def test_a_grievance_is_a_complaint_whatever_the_classifier_read(intent: str, text: str) -> None:
    assert framing.reframe(intent, text) == "file_complaint"


@pytest.mark.parametrize(
    ("intent", "text"),
    [
        # asking, in so many words
        ("file_complaint", "mau tanya min, kalau lampu jalan di gang mati itu urusan PLN atau dinas?"),
        (
            "file_complaint",
            "Selamat siang, apakah pemasangan PJU swadaya warga boleh disambung ke jaringan PLN?",
        ),
        # asking about a wrong without telling of one
        ("ask_howto", "mau kerja ke luar negeri, takut ketipu, di mana cek agen penyalur yang resmi?"),
        # chatter pleads and sighs too
        ("out_of_scope", "min tolong bantu promosiin usaha catering saya dong di grup pemkot, menunya enak2"),
        (
            "out_of_scope",
            "mudik kemarin 12 jam di jalan, capek banget tapi seneng ketemu keluarga di kampung",
        ),
    ],
)
def test_a_question_or_chatter_stays_what_it_is(intent: str, text: str) -> None:
    expected = "ask_howto" if intent == "file_complaint" else intent
    assert framing.reframe(intent, text) == expected


def test_thanks_for_something_put_right_is_thanks_not_a_complaint() -> None:
    text = "lampu jalan di gang kami sudah nyala lagi, terima kasih banyak petugasnya cepat tanggap"
    assert framing.reframe("file_complaint", text) == "thanks"
