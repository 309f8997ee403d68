"""Personal data never reaches the logs (UU 27/2022)."""

from __future__ import annotations

import logging

import pytest

from bot.logs import RedactingFilter, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NIK 3273012345670001 hilang", "NIK [NIK] hilang"),
        ("hubungi 081234567890", "hubungi [PHONE]"),
        ("wa +6281234567890 ya", "wa [PHONE] ya"),
        ("from whatsapp:+6281234567890", "from whatsapp:[PHONE]"),
        ("email budi.s@example.co.id", "email [EMAIL]"),
        ("tiket ADU-7K3Q-9M2X, 3 hari", "tiket ADU-7K3Q-9M2X, 3 hari"),
    ],
)
def test_redact_masks_nik_phone_and_email(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_log_records_are_masked_including_their_arguments(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("loket.test")
    caplog.handler.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO):
        logger.info("message from %s with NIK %s", "+6281234567890", "3273012345670001")

    assert "6281234567890" not in caplog.text
    assert "3273012345670001" not in caplog.text
    assert "[PHONE]" in caplog.text and "[NIK]" in caplog.text
