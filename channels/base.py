"""What every channel shares: the inbound message, the reply, the sender contract and its errors."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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
class Reply:
    """One message from the assistant, independent of any channel."""

    text: str = ""
    buttons: tuple[Button, ...] = ()
    custom: dict[str, Any] | None = None

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
        return cls.from_rasa(body)

    def to_body(self) -> dict[str, Any]:
        """The JSON stored in the outbox and returned by the chat API."""
        body: dict[str, Any] = {"text": self.text}
        if self.buttons:
            body["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        if self.custom is not None:
            body["custom"] = self.custom
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
    """The provider failed for now (timeout, 5xx, rate limit): keep the reply and retry later."""

    def __init__(self, message: str, retry_after_seconds: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class PermanentSendError(SendError):
    """The provider refused the reply for good (bad number, opted out): never retry."""


class Sender(Protocol):
    """Delivers an outbox message on one channel; returns the provider's message id if any."""

    channel: str

    async def send(self, message: OutboxMessage) -> str | None: ...
