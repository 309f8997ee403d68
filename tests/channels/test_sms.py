"""SMS rendering for feature phones: GSM-7 only, numbered choices, at most three segments per message."""

from __future__ import annotations

from channels import sms
from channels.base import Button, Reply
from channels.gsm7 import is_gsm7, segments


def test_choices_become_numbered_lines_and_fancy_characters_plain_ones() -> None:
    reply = Reply(
        text="*Pilih* layanan \u201cKTP\u201d \U0001f642",
        buttons=(Button("Info layanan", "/ask_howto"), Button("Buat pengaduan", "/file_complaint")),
    )

    text = sms.render(reply)

    assert text.startswith('Pilih layanan "KTP"')
    assert "1. Info layanan\n2. Buat pengaduan" in text
    assert is_gsm7(text)


def test_a_keyword_the_text_asks_for_is_not_numbered() -> None:
    reply = Reply(
        text="Syarat SKCK ... Balas LENGKAP utk info lengkap", buttons=(Button("LENGKAP", "/more"),)
    )

    assert sms.render(reply) == reply.text


def test_a_long_reply_is_split_in_order_into_messages_of_at_most_three_segments() -> None:
    lines = [f"Baris nomor {n}: " + "keterangan panjang tentang layanan " * 4 for n in range(12)]
    reply = Reply(text="\n".join(lines))

    parts = sms.parts(reply)

    assert len(parts) > 1 and all(segments(part) <= 3 for part in parts)
    assert "\n".join(parts) == "\n".join(lines).strip()


def test_a_text_that_already_numbers_its_choices_is_not_given_them_twice() -> None:
    reply = Reply(
        text="Pilih:\n1. Info layanan\n2. Pengaduan", buttons=(Button("Info", "/a"), Button("Adu", "/b"))
    )

    assert sms.render(reply) == "Pilih:\n1. Info layanan\n2. Pengaduan"
