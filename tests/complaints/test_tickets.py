"""Ticket numbers: format, check symbol, tolerant parsing, and detection of typing mistakes."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from complaints import tickets

SYMBOL = st.sampled_from(tickets.ALPHABET)
NUMBER = re.compile(r"^ADU-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def test_a_new_number_has_the_specified_shape_and_a_valid_check_symbol() -> None:
    numbers = {tickets.new_number() for _ in range(2000)}

    assert len(numbers) == 2000  # random, never repeating in practice
    for number in numbers:
        assert NUMBER.match(number), number
        assert tickets.parse(number) == tickets.Parsed(number, "valid")


def test_numbers_are_not_sequential() -> None:
    first, second = tickets.new_number(), tickets.new_number()

    assert first[:-2] != second[:-2]


def test_parsing_forgives_case_spaces_hyphens_prefix_and_look_alike_letters() -> None:
    number = _valid_with_zero_and_one()
    body = number.replace("ADU-", "").replace("-", "")
    sloppy = body.lower().replace("0", "o").replace("1", "l")

    for text in (
        f"laporan {number} gmn?",
        f"cek adu {body[:4]} {body[4:]} dong",
        f"ADU{body}",
        f"status {body[:4]}-{body[4:]}",
        f"no tiket adu {sloppy[:4]} {sloppy[4:]}",
    ):
        assert tickets.parse(text) == tickets.Parsed(number, "valid"), text


def test_a_wrong_check_symbol_is_reported_as_a_typo() -> None:
    number = tickets.new_number()
    wrong = tickets.ALPHABET[(tickets.ALPHABET.index(number[-1]) + 1) % 32]

    assert tickets.parse(number[:-1] + wrong) == tickets.Parsed(number[:-1] + wrong, "typo")


def test_ordinary_words_and_phone_numbers_are_not_taken_for_ticket_numbers() -> None:
    assert tickets.parse("saya juga mau tanya soal ktp") is None
    assert tickets.parse("hubungi 0812 3456 7890 ya") is None
    assert tickets.parse("laporan saya gimana kabarnya") is None


@given(st.lists(SYMBOL, min_size=7, max_size=7), st.integers(0, 6), SYMBOL)
def test_any_single_wrong_symbol_is_detected(body: list[str], position: int, replacement: str) -> None:
    check = tickets.check_symbol("".join(body))
    if check is None or body[position] == replacement:
        return
    typed = body.copy()
    typed[position] = replacement

    assert tickets.check_symbol("".join(typed)) != check


@given(st.lists(SYMBOL, min_size=7, max_size=7), st.integers(0, 5))
def test_any_swap_of_neighbouring_symbols_is_detected(body: list[str], position: int) -> None:
    check = tickets.check_symbol("".join(body))
    if check is None or body[position] == body[position + 1]:
        return
    swapped = body.copy()
    swapped[position], swapped[position + 1] = swapped[position + 1], swapped[position]

    assert tickets.check_symbol("".join(swapped)) != check


@given(st.lists(SYMBOL, min_size=7, max_size=7))
def test_every_issued_number_parses_back_to_itself(body: list[str]) -> None:
    check = tickets.check_symbol("".join(body))
    if check is None or not any(symbol in "23456789" for symbol in [*body, check]):
        return  # never issued
    number = tickets.format_number("".join(body) + check)

    assert tickets.parse(number.lower().replace("-", " ")) == tickets.Parsed(number, "valid")


def _valid_with_zero_and_one() -> str:
    for first in tickets.ALPHABET:
        body = f"01{first}0K7M"
        check = tickets.check_symbol(body)
        if check is not None:
            return tickets.format_number(body + check)
    raise AssertionError("no valid body")


def _indonesian_words() -> list[str]:
    """Sastrawi's dictionary of about 30,000 Indonesian root words, and common affixed forms."""
    import Sastrawi

    path = Path(Sastrawi.__file__).parent / "Stemmer" / "data" / "kata-dasar.txt"
    roots = [word.strip() for word in path.read_text(encoding="utf-8").split() if word.strip()]
    return roots + [f"{root}nya" for root in roots] + [f"di{root}" for root in roots]


WORDS = _indonesian_words()
WORD = st.sampled_from(WORDS)


def test_no_indonesian_word_on_its_own_is_taken_for_a_ticket_number() -> None:
    taken = [word for word in WORDS if tickets.parse(word) is not None]

    assert len(WORDS) > 80_000
    assert taken == []


def test_the_words_that_used_to_look_like_numbers_are_words_again() -> None:
    assert tickets.parse("laporan saya di aplikasi belum ditindaklanjuti") is None
    assert tickets.parse("rumah di rt02 rw05 kebanjiran") is None
    assert tickets.parse("sudah lapor lewat aplikasi sapawarga") is None


@given(st.lists(WORD, min_size=2, max_size=12), st.sampled_from([" ", "-", " - ", ".", "  "]))
def test_no_run_of_indonesian_words_is_taken_for_a_ticket_number(words: list[str], glue: str) -> None:
    assert tickets.parse(glue.join(words)) is None


@given(WORD, WORD)
def test_words_after_the_prefix_are_not_a_ticket_number(first: str, second: str) -> None:
    assert tickets.parse(f"adu {first} {second}") is None


def test_look_alike_words_after_the_prefix_are_not_a_ticket_number() -> None:
    assert tickets.parse("adu agal agal") is None  # AGA1AGA1 happens to pass its check symbol


def test_real_style_sentences_hold_no_ticket_numbers() -> None:
    sentences = _training_sentences()

    assert len(sentences) > 1000
    assert [text for text in sentences if tickets.parse(text) is not None] == []


def _training_sentences() -> list[str]:
    """Every example sentence the assistant is trained on (Rasa's NLU data, the category examples),
    less those that quote a ticket number on purpose."""
    import yaml

    root = Path(__file__).resolve().parents[2]
    texts = []
    for path in sorted((root / "nlu" / "data").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            examples = block.get("examples", "")
            texts += [line.strip()[2:] for line in examples.splitlines() if line.strip().startswith("- ")]
    examples_file = root / "complaints" / "data" / "examples.yml"
    if examples_file.exists():
        for wordings in (yaml.safe_load(examples_file.read_text(encoding="utf-8")) or {}).values():
            texts += list(wordings)
    return [text for text in texts if not _WRITTEN_NUMBER.search(text)]


# The status examples that quote a ticket number on purpose ("cek adu 6rnk 4xj9").
_WRITTEN_NUMBER = re.compile(r"\badu[\s\-]*[0-9a-z]{4}[\s\-]*[0-9a-z]{4}\b", re.IGNORECASE)
