"""Rendering a reply as SMS for a feature phone: GSM-7 only, numbered choices instead of buttons, and
split into messages of at most three segments, in order (nothing is silently dropped)."""

from __future__ import annotations

import re
from dataclasses import replace

from bot import messages
from channels.base import Reply
from channels.gsm7 import fit, segments, to_gsm7

MAX_SEGMENTS = 3
_BOLD = re.compile(r"\*([^*\n]+)\*")  # WhatsApp/Telegram emphasis means nothing on SMS


def render(reply: Reply, max_segments: int = MAX_SEGMENTS) -> str:
    """The SMS text of ``reply``: plain GSM-7, its choices as "1. …" lines, at most ``max_segments``."""
    return to_gsm7(with_numbered_choices(replace(reply, text=_BOLD.sub(r"\1", reply.text))))


def with_numbered_choices(reply: Reply) -> str:
    """The text of ``reply`` with its choices as "1. …" lines, for channels without buttons."""
    text = reply.text.strip()
    # A keyword the text already asks for ("Balas LENGKAP") is typed, not numbered.
    listed = [button for button in reply.buttons if not (button.title.isupper() and button.title in text)]
    if listed and not _already_numbered(text, len(listed)):
        choices = "\n".join(f"{number}. {button.title}" for number, button in enumerate(listed, 1))
        text = f"{text}\n{choices}\n{messages.text('sms_reply_with_number')}".strip()
    return text


def parts(reply: Reply, max_segments: int = MAX_SEGMENTS) -> list[str]:
    """``render`` split into messages of at most ``max_segments`` each, at line breaks (in order)."""
    text = render(reply)
    out: list[str] = []
    for line in text.split("\n"):
        candidate = f"{out[-1]}\n{line}" if out else line
        if out and segments(candidate) <= max_segments:
            out[-1] = candidate
        else:
            out.append(fit(line, "...", max_segments))
    return out


def _already_numbered(text: str, count: int) -> bool:
    """Whether the text itself lists the choices: exactly the lines "1." to "count." (the menu does;
    numbered steps of an answer are more or fewer than its buttons)."""
    numbered = [line for line in text.splitlines() if re.match(r"\s*\d+\.\s", line)]
    return [line.strip().split(".", 1)[0] for line in numbered] == [str(n) for n in range(1, count + 1)]
