"""Logging set-up that keeps personal data (NIK, phone numbers, e-mail addresses) out of logs (UU 27/2022)."""

from __future__ import annotations

import logging
import re

# Order matters: a NIK (16 digits) would otherwise be read as a phone number. Telegram bot tokens
# ("<bot id>:<35 characters>", also inside Bot API URLs as /bot<token>/) go first; PTB's InvalidToken
# message and its debug lines carry the token.
PATTERNS = (
    (re.compile(r"(?<=/bot)\d+:[^/\s'\"]+"), "[TOKEN]"),
    (re.compile(r"(?<![\w])\d{5,15}:[\w-]{30,}"), "[TOKEN]"),
    (re.compile(r"(?<!\d)\d{16}(?!\d)"), "[NIK]"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[EMAIL]"),
    (re.compile(r"(?<![\w])(?:\+?62|0)8[\d\s-]{7,13}\d(?!\d)"), "[PHONE]"),
    (re.compile(r"(?<![\w])\+\d{8,15}(?!\d)"), "[PHONE]"),
)


def redact(text: str) -> str:
    """``text`` with bot tokens, NIKs, phone numbers and e-mail addresses masked."""
    for pattern, mask in PATTERNS:
        text = pattern.sub(mask, text)
    return text


class RedactingFilter(logging.Filter):
    """Masks personal data in every record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # A traceback repeats the exception's message, which may hold what the message did not.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def configure(level: str) -> None:
    """Log to stderr with personal data masked, for Loket's and the servers' loggers."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # One line per outgoing HTTP request (health checks, Rasa calls) is noise at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # PTB logs every Bot API call with its parameters (chat ids, message texts) at DEBUG.
    logging.getLogger("telegram").setLevel(max(logging.INFO, root.level))
    # The twilio library logs every REST request (URL and headers) at INFO.
    logging.getLogger("twilio").setLevel(logging.WARNING)
