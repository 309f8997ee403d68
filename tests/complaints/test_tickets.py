"""Ticket numbers: format, check symbol, tolerant parsing, and detection of typing mistakes."""

from __future__ import annotations

import re

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
        f"no tiket {sloppy[:4]} {sloppy[4:]}",
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
    if check is None:
        return
    number = tickets.format_number("".join(body) + check)

    assert tickets.parse(number.lower().replace("-", " ")) == tickets.Parsed(number, "valid")


def _valid_with_zero_and_one() -> str:
    for first in tickets.ALPHABET:
        body = f"01{first}0K1M"
        check = tickets.check_symbol(body)
        if check is not None:
            return tickets.format_number(body + check)
    raise AssertionError("no valid body")
