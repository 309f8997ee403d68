"""Rasa input channel used by the app's dialogue worker (runs inside the Rasa process, Python 3.10).

Unlike Rasa's REST channel it authenticates the caller, lets errors surface as HTTP 500 (so the
app keeps the message and retries instead of losing it) and is idempotent: a turn retried with
the same ``message_id`` returns the replies already given instead of running the dialogue twice.
"""

from __future__ import annotations

import hmac
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

TOKEN_HEADER = "X-Loket-Token"


class LoketInput(InputChannel):
    """``POST /webhooks/loket/webhook`` with JSON ``{sender, message, message_id, metadata, retry}``."""

    @classmethod
    def name(cls) -> Text:
        return "loket"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls((credentials or {}).get("token", ""))

    def __init__(self, token: Text) -> None:
        if not token:
            raise ValueError("the loket channel needs a token in credentials.yml")
        self.token = token

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("loket_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            given = request.headers.get(TOKEN_HEADER, "")
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                return response.json({"error": "forbidden"}, status=403)
            body = request.json or {}
            sender, text, message_id = body.get("sender"), body.get("message"), body.get("message_id")
            if not (isinstance(sender, str) and isinstance(text, str) and isinstance(message_id, str)):
                return response.json({"error": "sender, message and message_id are required"}, status=400)
            if body.get("retry"):
                earlier = await _replies_already_given(request.app.ctx.agent, sender, message_id)
                if earlier is not None:
                    return response.json(earlier)
            collector = CollectingOutputChannel()
            await on_new_message(
                UserMessage(
                    text,
                    collector,
                    sender,
                    input_channel=self.name(),
                    message_id=message_id,
                    metadata=body.get("metadata") or {},
                )
            )
            return response.json(collector.messages)

        return webhook


async def _replies_already_given(
    agent: Any, sender: Text, message_id: Text
) -> Optional[List[Dict[Text, Any]]]:
    """The bot messages that followed the user message ``message_id``, or None if it was never seen."""
    tracker = await agent.tracker_store.retrieve(sender)
    if tracker is None:
        return None
    replies: Optional[List[Dict[Text, Any]]] = None
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break
            if event.message_id == message_id:
                replies = []
        elif isinstance(event, BotUttered) and replies is not None:
            message = {"recipient_id": sender, "text": event.text}
            message.update({k: v for k, v in event.data.items() if v is not None})
            replies.append(message)
    return replies
