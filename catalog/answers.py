"""Turning a catalog entry into the answer a citizen reads, for what they asked and their channel."""

from __future__ import annotations

from bot.messages import text
from catalog.aspects import Aspect
from catalog.schema import ServiceContent
from channels.gsm7 import fit, to_gsm7

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
    return fit(full, "... " + to_gsm7(text("sms_more")), SMS_SEGMENTS)


def is_cut(answer_text: str) -> bool:
    """Whether an SMS answer was shortened and points to the rest ("Balas LENGKAP")."""
    return answer_text.endswith(to_gsm7(text("sms_more")))


def full_answer(entry: ServiceContent, channel: str, language: str = "id") -> list[str]:
    """Everything about ``entry``, aspect by aspect; on SMS one message per aspect, each at most three
    segments (what still does not fit is cut, with the official link in the last message)."""
    order = (Aspect.REQUIREMENTS, Aspect.STEPS, Aspect.FEE, Aspect.DURATION, Aspect.WHERE)
    sections = [_aspect_text(entry, aspect) for aspect in order]
    sections = [section for section in sections if section]
    link = f"{text('answer_official', language)}: {entry.official_url}"
    if channel not in SMS_CHANNELS:
        return [f"*{entry.title}*\n" + "\n\n".join(sections) + f"\n\n{link}\n{text('answer_sample_note')}"]
    parts = [to_gsm7(f"{entry.title}. {section}") for section in sections] + [to_gsm7(link)]
    return [fit(part, "...", SMS_SEGMENTS) for part in parts]


def _bullets(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def _numbered(items: list[str]) -> str:
    return "\n".join(f"{number}. {item}" for number, item in enumerate(items, start=1))
