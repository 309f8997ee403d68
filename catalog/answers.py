"""Turning a catalog entry into the answer a citizen reads, for what they asked and their channel."""

from __future__ import annotations

from bot.messages import text
from catalog.aspects import Aspect
from catalog.schema import ServiceContent
from channels.gsm7 import segments, to_gsm7

# Channels that deliver plain SMS (feature phones): at most 3 segments per answer.
SMS_CHANNELS = frozenset({"sms", "twilio_sms", "sms_gateway"})
SMS_SEGMENTS = 3


def answer(entry: ServiceContent, aspect: Aspect | None, channel: str, language: str = "id") -> str:
    """The answer text for ``entry``: the asked aspect first, or a summary; short enough for SMS."""
    if channel in SMS_CHANNELS:
        return sms_answer(entry, aspect)
    if language == "en":
        english = entry.translations["en"]
        return f"{english.title}\n{english.summary}\n{text('answer_official', 'en')}: {entry.official_url}"
    heading = f"*{entry.title}*"
    body = _aspect_text(entry, aspect) if aspect else f"{entry.summary}\n\n{text('answer_more')}"
    return (
        f"{heading}\n{body}\n\n{text('answer_official')}: {entry.official_url}\n{text('answer_sample_note')}"
    )


def _aspect_text(entry: ServiceContent, aspect: Aspect) -> str:
    if aspect is Aspect.REQUIREMENTS:
        groups = [
            (f"{group.applicant}:\n" if len(entry.requirements) > 1 else "") + _bullets(group.items)
            for group in entry.requirements
        ]
        return f"{text('answer_requirements')}:\n" + "\n".join(groups)
    if aspect is Aspect.FEE:
        return f"{text('answer_fee')}: {entry.fee.amount}\n({entry.fee.basis})"
    if aspect is Aspect.DURATION:
        return f"{text('answer_duration')}: {entry.duration}"
    if aspect is Aspect.WHERE:
        return f"{text('answer_where')}:\n{_bullets(entry.where)}"
    parts = []
    if entry.steps.online:
        parts.append(f"{text('answer_steps_online')}:\n{_numbered(entry.steps.online)}")
    if entry.steps.offline:
        parts.append(f"{text('answer_steps_offline')}:\n{_numbered(entry.steps.offline)}")
    return "\n".join(parts)


def sms_answer(entry: ServiceContent, aspect: Aspect | None) -> str:
    """At most three GSM-7 segments: the asked aspect (cut, then "Balas LENGKAP"), or the SMS summary."""
    if aspect is None:
        return entry.sms_text
    full = to_gsm7(f"{entry.title}. {_aspect_text(entry, aspect)}".replace("*", ""))
    if segments(full) <= SMS_SEGMENTS:
        return full
    return fit_sms(full, to_gsm7(text("sms_more")))


def fit_sms(message: str, suffix: str) -> str:
    """``message`` cut at a word boundary so that it plus ``suffix`` fits in three segments."""
    words = message.split(" ")
    while words and segments(" ".join(words) + "... " + suffix) > SMS_SEGMENTS:
        words.pop()
    return " ".join(words) + "... " + suffix


def _bullets(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def _numbered(items: list[str]) -> str:
    return "\n".join(f"{number}. {item}" for number, item in enumerate(items, start=1))
