"""What every channel shares: the inbound message, the reply, the sender contract and its errors."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from channels.models import OutboxMessage


@dataclass(frozen=True)
class InboundMessage:
    """A citizen's message as a channel parsed it, before it is stored in the inbox."""

    channel: str
    provider_message_id: str
    sender: str
    text: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Button:
    """A choice offered to the citizen: what they see, and what comes back when they pick it."""

    title: str
    payload: str


@dataclass(frozen=True)
class Template:
    """A pre-approved message a channel may need outside its conversation window (WhatsApp's 24 hours):
    its name in the settings (``LOKET_TWILIO_TEMPLATES``) and its numbered variables."""

    name: str
    variables: dict[str, str]


@dataclass(frozen=True)
class Reply:
    """One message from the assistant, independent of any channel."""

    text: str = ""
    buttons: tuple[Button, ...] = ()
    custom: dict[str, Any] | None = None
    template: Template | None = None

    @classmethod
    def from_rasa(cls, message: dict[str, Any]) -> Reply:
        """A reply from one element of Rasa's collected output."""
        buttons = tuple(
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
            for b in message.get("buttons") or ()
        )
        return cls(text=message.get("text") or "", buttons=buttons, custom=message.get("custom"))

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Reply:
        """A reply from its stored outbox body."""
        template = body.get("template")
        return replace(
            cls.from_rasa(body),
            template=Template(template["name"], dict(template.get("variables", {}))) if template else None,
        )

    def to_body(self) -> dict[str, Any]:
        """The JSON stored in the outbox and returned by the chat API."""
        body: dict[str, Any] = {"text": self.text}
        if self.buttons:
            body["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        if self.custom is not None:
            body["custom"] = self.custom
        if self.template is not None:
            body["template"] = {"name": self.template.name, "variables": self.template.variables}
        return body

    @property
    def is_empty(self) -> bool:
        """Whether there is nothing to send."""
        return not (self.text.strip() or self.buttons or self.custom)


NUMBERED_CHOICE = re.compile(r"^\s*#?(\d{1,2})\s*[.)]?\s*$")


def numbered_choice(text: str, buttons: list[Button]) -> Button | None:
    """The button a reply like "2" or "2." picks from the last choices offered, if any."""
    match = NUMBERED_CHOICE.match(text)
    if match is None:
        return None
    index = int(match.group(1)) - 1
    return buttons[index] if 0 <= index < len(buttons) else None


MAX_TITLE_LENGTH = 40


def titled_choice(text: str, buttons: list[Button]) -> Button | None:
    """The button whose title the citizen typed out ("Setuju", "belum selesai"), ignoring case."""
    typed = " ".join(text.lower().split()).strip(" .!")
    return next((button for button in buttons if button.title.lower() == typed), None)


class SendError(Exception):
    """A reply could not be delivered."""


class TransientSendError(SendError):
    """The provider failed for now (timeout, 5xx, rate limit): keep the reply and retry later.

    ``parts_sent`` counts the parts of a multi-part reply already delivered (including those sent
    by earlier attempts), so the retry goes on from the first part that failed.
    """

    def __init__(self, message: str, retry_after_seconds: float | None = None, parts_sent: int = 0) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
        self.parts_sent = parts_sent


class ContactState(enum.StrEnum):
    """What a permanent failure says about the citizen's address."""

    OPTED_OUT = "opted_out"  # they asked the provider to stop (Twilio 21610)
    UNREACHABLE = "unreachable"  # the number or chat does not exist or blocked us


class PermanentSendError(SendError):
    """The provider refused the reply for good (bad number, opted out): never retry."""

    def __init__(self, message: str, contact_state: ContactState | None = None) -> None:
        super().__init__(message)
        self.contact_state = contact_state


class Sender(Protocol):
    """Delivers an outbox message on one channel; returns the provider's message id if any."""

    channel: str

    async def send(self, message: OutboxMessage) -> str | None: ...
