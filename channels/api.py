"""The local API channel: ``POST /api/v1/chat`` for the simulator, tests and integrations.

Same shape as every channel: verify (bearer token) -> parse -> inbox -> (dialogue) -> outbox.
The request waits for the replies to its own message; "delivery" on this channel means the
replies are stored for the client to collect (also later, through ``GET .../replies``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from bot import messages
from bot.db import Database
from bot.metrics import DUPLICATES_IN, MESSAGES_IN
from channels import inbox
from channels.base import InboundMessage
from channels.models import Contact, OutboxMessage, QueueStatus
from nlu.normalize import clean

CHANNEL = "api"
MAX_BODY_BYTES = 64 * 1024
MAX_TEXT_CHARS = 4096
SENDER_PATTERN = re.compile(r"^[\w.:@+\-]{1,128}$")

router = APIRouter()


class InvalidRequest(Exception):
    """A client mistake, answered with a 4xx and a message saying what to fix."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail

    def response(self) -> JSONResponse:
        """The JSON error response."""
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse({"error": self.code, "detail": self.detail}, self.status, headers=headers)


def parse(body: Any) -> InboundMessage:
    """The inbound message in a chat request body, or InvalidRequest."""
    if not isinstance(body, dict):
        raise InvalidRequest(400, "invalid_body", "The body must be a JSON object {sender, text}.")
    sender, text, message_id = body.get("sender"), body.get("text"), body.get("message_id")
    if not isinstance(sender, str) or not SENDER_PATTERN.match(sender):
        raise InvalidRequest(
            422, "invalid_sender", "'sender' must be 1-128 letters, digits or . : @ + - _ characters."
        )
    if not isinstance(text, str):
        raise InvalidRequest(422, "invalid_text", "'text' must be a string.")
    text = clean(text).strip()
    if not text:
        raise InvalidRequest(422, "empty_text", "'text' is empty: write a message.")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidRequest(
            422, "text_too_long", f"'text' has {len(text)} characters; the limit is {MAX_TEXT_CHARS}."
        )
    if message_id is None:
        message_id = uuid.uuid4().hex
    elif not isinstance(message_id, str) or not 1 <= len(message_id) <= 128:
        raise InvalidRequest(422, "invalid_message_id", "'message_id' must be a string of 1-128 characters.")
    return InboundMessage(channel=CHANNEL, provider_message_id=message_id, sender=sender, text=text)


def authorize(request: Request, token: str) -> None:
    """Check the bearer token in constant time."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise InvalidRequest(401, "unauthorized", "Send 'Authorization: Bearer <LOKET_API_TOKEN>'.")


class ReplyWaiters:
    """Lets a chat request sleep until the worker in this process has handled its message."""

    def __init__(self) -> None:
        self._events: dict[int, asyncio.Event] = {}

    def notify(self, inbox_id: int) -> None:
        """Wake the request waiting for ``inbox_id``, if any."""
        event = self._events.get(inbox_id)
        if event is not None:
            event.set()

    @contextlib.contextmanager
    def watching(self, inbox_id: int) -> Iterator[asyncio.Event]:
        """An event set when ``inbox_id`` is handled here; watch before checking, so no notice is lost."""
        event = self._events.setdefault(inbox_id, asyncio.Event())
        try:
            yield event
        finally:
            self._events.pop(inbox_id, None)


@dataclass
class ChatContext:
    """What the chat routes need from the running app."""

    db: Database
    token: str
    waiters: ReplyWaiters
    wait_seconds: float
    poll_seconds: float
    wake_dialogue: Callable[[], None]


def _context(request: Request) -> ChatContext:
    context: ChatContext = request.app.state.chat
    return context


def _reply_json(row: OutboxMessage) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, **row.body}


@router.post("/api/v1/chat")
async def chat(request: Request) -> JSONResponse:
    """Store a citizen message and answer with its replies once the dialogue has handled it."""
    context = _context(request)
    try:
        authorize(request, context.token)
        raw = await request.body()
        if len(raw) > MAX_BODY_BYTES:
            raise InvalidRequest(413, "body_too_large", f"The body is over {MAX_BODY_BYTES} bytes.")
        try:
            body = json.loads(raw)
        except ValueError as error:
            raise InvalidRequest(400, "invalid_json", f"The body is not valid JSON: {error}.") from error
        message = parse(body)
    except InvalidRequest as invalid:
        return invalid.response()
    stored = await inbox.on_inbound_thread(inbox.store, context.db, message)
    (MESSAGES_IN if stored.is_new else DUPLICATES_IN).labels(channel=CHANNEL).inc()
    context.wake_dialogue()
    return await _await_replies(context, stored.inbox_id, message.provider_message_id)


async def _await_replies(context: ChatContext, inbox_id: int, message_id: str) -> JSONResponse:
    with context.waiters.watching(inbox_id) as handled:
        return await _poll_replies(context, inbox_id, message_id, handled)


async def _poll_replies(
    context: ChatContext, inbox_id: int, message_id: str, handled: asyncio.Event
) -> JSONResponse:
    deadline = asyncio.get_running_loop().time() + context.wait_seconds
    while True:
        handled.clear()
        status, rows = await asyncio.to_thread(inbox.replies_to, context.db, inbox_id)
        replies = [_reply_json(row) for row in rows]
        if status in (QueueStatus.DONE, QueueStatus.FAILED):
            return JSONResponse({"message_id": message_id, "status": "answered", "replies": replies})
        if any(row.kind == "notice" for row in rows):
            return JSONResponse({"message_id": message_id, "status": "queued", "replies": replies}, 202)
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            return JSONResponse(
                {"error": "timeout", "detail": messages.text("chat_timeout"), "message_id": message_id}, 504
            )
        # Another app instance may handle the message, so re-check at least every poll interval.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(handled.wait(), min(remaining, context.poll_seconds))


@router.get("/api/v1/chat/{sender}/replies")
async def later_replies(request: Request, sender: str, after: int = 0) -> JSONResponse:
    """Replies to ``sender`` with an id above ``after`` (answers that came after a 202 or 504)."""
    context = _context(request)
    try:
        authorize(request, context.token)
    except InvalidRequest as invalid:
        return invalid.response()
    rows = await asyncio.to_thread(_replies_after, context.db, sender, after)
    return JSONResponse({"replies": [_reply_json(row) for row in rows]})


def _replies_after(db: Database, sender: str, after: int) -> list[OutboxMessage]:
    with db.reading() as session:
        return list(
            session.scalars(
                select(OutboxMessage)
                .join(Contact, OutboxMessage.contact_id == Contact.id)
                .where(Contact.channel == CHANNEL, Contact.address == sender, OutboxMessage.id > after)
                .order_by(OutboxMessage.id)
            ).all()
        )


class ApiSender:
    """Delivery on the API channel: the replies are stored; the client collects them."""

    channel = CHANNEL

    async def send(self, message: OutboxMessage) -> str | None:
        return None
