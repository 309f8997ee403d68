"""The Indonesian normaliser shared by Rasa and retrieval."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.normalize import load_lexicon, normalize, tokenize, unstretch


@pytest.mark.parametrize(
    ("informal", "standard"),
    [
        ("gmn cr bkin ktp yg ilang", "bagaimana cara buat ktp yang hilang"),
        ("GMN CARA BIKIN KTP", "bagaimana cara buat ktp"),
        ("brp biaya perpanjang sim?", "berapa biaya perpanjang sim"),
        ("udh lapor tp blm ada kabar", "sudah lapor tp belum ada kabar"),
        ("piye carane gawe akte", "bagaimana caranya buat akta"),
        ("kumaha daptar bpjs", "bagaimana daftar bpjs"),
    ],
)
def test_slang_and_abbreviations_become_standard_words(informal: str, standard: str) -> None:
    assert normalize(informal) == standard


def test_stretched_letters_collapse_but_real_double_letters_stay() -> None:
    assert unstretch("haloooo") == "halo"
    assert unstretch("pagiiii") == "pagi"
    assert unstretch("maaaaf") == "maaf"
    assert unstretch("maaf") == "maaf"
    assert normalize("makasiiiih kakkkk") == normalize("makasih kak")


def test_number_reduplication_is_written_out() -> None:
    assert normalize("anak2 sy") == "anak-anak saya"


def test_tokens_keep_the_span_of_what_the_citizen_wrote() -> None:
    text = "Gmn bkin e-KTP?"
    tokens = tokenize(text)

    assert [t.text for t in tokens] == ["bagaimana", "buat", "ktp"]
    assert [text[t.start : t.end] for t in tokens] == ["Gmn", "bkin", "e-KTP"]


def test_ticket_numbers_survive_as_one_token() -> None:
    assert normalize("status ADU-7K3Q-9M2X dong").split()[1] == "adu-7k3q-9m2x"


def test_control_characters_and_lookalikes_are_cleaned() -> None:
    assert normalize("ha\x00lo\u200b \uff4b\uff54\uff50") == normalize("halo ktp")


def test_ambiguous_abbreviations_are_not_guessed() -> None:
    # "kk" is kakak or Kartu Keluarga depending on context, so the lexicon leaves it alone.
    assert normalize("syarat kk baru") == "syarat kk baru"


def test_symbols_only_gives_no_words() -> None:
    assert tokenize("???!!!") == []


def test_a_malformed_lexicon_line_names_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "slang.tsv"
    broken.write_text("# comment\ngmn\tbagaimana\nrusak-tanpa-tab\n", encoding="utf-8")

    with pytest.raises(ValueError, match=r"slang.tsv:3"):
        load_lexicon(broken)


def test_the_shipped_lexicon_is_large_and_never_maps_a_word_to_itself() -> None:
    lexicon = load_lexicon()

    assert len(lexicon) >= 400
    assert all((key,) != value for key, value in lexicon.items())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bikin kk baru gmn", "buat kk baru bagaimana"),
        ("syarat kk apa aja", "syarat kk apa saja"),
        ("kk mau tanya soal ktp", "kakak mau tanya soal ktp"),
        ("makasih kk", "terima kasih kakak"),
        ("gimana cara pecah kk ya kk", "bagaimana cara pecah kk ya kakak"),
    ],
)
def test_kk_is_read_as_kartu_keluarga_or_kakak_from_its_neighbours(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_words_typed_without_a_space_are_split_when_both_halves_are_known() -> None:
    from nlu.lexical import split_joined

    vocabulary = frozenset({"perpanjang", "sim", "akta", "lahir"})

    assert split_joined("perpanjangsim", vocabulary) == ("perpanjang", "sim")
    assert split_joined("aktalahir", vocabulary) == ("akta", "lahir")
    assert split_joined("perpanjang", vocabulary) == ("perpanjang",)
    assert split_joined("rendangpadang", vocabulary) == ("rendangpadang",)


def test_lexical_terms_are_stemmed_and_free_of_stop_and_question_words() -> None:
    from nlu.lexical import terms

    # "KTP-el" normalises to "ktp" through the lexicon; "persyaratan" is a question word, not a topic.
    assert terms("Bagaimana persyaratan pembuatan KTP-el yang kehilangan?") == ["buat", "ktp", "hilang"]


def test_english_is_recognised_so_the_answer_can_be_in_english() -> None:
    from nlu.language import is_english

    assert is_english("how to renew my passport")
    assert not is_english("gmn cara perpanjang paspor")
    assert not is_english("paspor")
