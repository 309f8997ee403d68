"""Telegram through the Bot API, with python-telegram-bot (PTB) living inside the app.

verify (``X-Telegram-Bot-Api-Secret-Token``, constant time) -> parse (an Update: text, button press,
location, photo, contact, edit) -> inbox, keyed by ``update_id`` -> 200 at once -> (dialogue) -> outbox ->
render (parts of at most 4,096 characters, choices as an inline keyboard on the last part) -> send through
PTB's bot, paced per chat and overall.

Loket serves private chats only: updates from groups are acknowledged and ignored. Button presses carry a
short key (``o<outbox id>:<index>``) because ``callback_data`` holds at most 64 bytes; the payload is read
back from the outbox row that offered the button.
"""

from __future__ import annotations

import asyncio
import enum
import hmac
import json
import logging
import math
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import httpx
import phonenumbers
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from prometheus_client import Counter
from sqlalchemy import select
from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    MaybeInaccessibleMessage,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatType
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import AIORateLimiter, Application
from telegram.warnings import PTBDeprecationWarning

from bot import messages
from bot.db import Database
from bot.logs import redact
from bot.metrics import DUPLICATES_IN, MESSAGES_IN, REGISTRY
from bot.settings import Settings
from channels import contacts, inbox, media
from channels.base import ContactState, InboundMessage, PermanentSendError, Reply, TransientSendError
from channels.models import Contact, OutboxMessage
from nlu.normalize import clean

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
MAX_BODY_BYTES = 1024 * 1024
MAX_TEXT_CHARS = 4096  # https://core.telegram.org/bots/api#sendmessage
MAX_MEDIA_BYTES = 10 * 1024 * 1024
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
SHARE_LOCATION = "/share_location"
SHARE_MEDIA = "/share_media"
CALLBACK_ANSWER = "callback_answer"  # the outbox kind of an answerCallbackQuery
CALLBACK_KEY = re.compile(r"o(\d{1,18}):(\d{1,3})")
DEFAULT_REGION = "ID"
# https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this
OVERALL_MESSAGES_PER_SECOND = 30
CONNECTION_POOL_SIZE = 16  # PTB's default of one connection would make concurrent senders queue
MAX_PACED_CHATS = 10_000
# Bot commands a citizen may tap; any other "/word" is read as the word (a typed "/" never picks an intent).
COMMANDS = {"start": "/greet", "help": "/help"}
COMMAND = re.compile(r"^/(?P<name>\w+)(?:@\w+)?(?P<rest>.*)$", re.DOTALL)

IGNORED = Counter(
    "loket_telegram_ignored",
    "Telegram updates acknowledged and deliberately ignored, by reason.",
    ["reason"],
    registry=REGISTRY,
)

router = APIRouter()


class InvalidUpdate(ValueError):
    """A webhook body that is not a Telegram Update; answered with 400 and what is wrong."""


class SetupError(Exception):
    """Telegram cannot be set up with the current settings; the message says what to fix."""


# Parsing: what Loket does with one update (pure: no database, no network).


@dataclass(frozen=True)
class Ignored:
    """Acknowledged and dropped on purpose; ``reason`` is a metric label, never personal data."""

    reason: str


@dataclass(frozen=True)
class ForDialogue:
    """A message for the dialogue, with notices delivered ahead of its replies."""

    message: InboundMessage
    notices: tuple[Reply, ...] = ()


@dataclass(frozen=True)
class Answered:
    """A message that needs no dialogue turn: its replies, and the citizen's own number if shared."""

    message: InboundMessage
    replies: tuple[Reply, ...]
    phone: str | None = None


@dataclass(frozen=True)
class ButtonPressed:
    """A tapped inline button: its key, and (as the message text) the title the citizen saw."""

    message: InboundMessage
    query_id: str
    key: str


Parsed = Ignored | ForDialogue | Answered | ButtonPressed


def verify(secret: str, given: str) -> bool:
    """Constant-time check of the secret header; never true without a configured secret."""
    return bool(secret) and hmac.compare_digest(secret.encode(), given.encode())


def read_update(body: bytes, bot: Bot | None) -> Update:
    """The Update in a webhook body, or InvalidUpdate."""
    try:
        data = json.loads(body)
    except ValueError as error:
        raise InvalidUpdate(f"the body is not valid JSON: {error}") from error
    update_id = data.get("update_id") if isinstance(data, dict) else None
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise InvalidUpdate("the body must be a Telegram Update object with an integer update_id")
    try:
        return Update.de_json(data, bot)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise InvalidUpdate(f"the update is malformed ({type(error).__name__}: {error})") from error


def parse(update: Update) -> Parsed:
    """What Loket does with ``update``."""
    for attribute, interpret in UPDATE_KINDS:
        value = getattr(update, attribute)
        if value is not None:
            return interpret(update.update_id, value)
    return Ignored("update_type")


def _button(update_id: int, query: CallbackQuery) -> Parsed:
    chat = query.message.chat if query.message is not None else None
    if chat is not None and chat.type != ChatType.PRIVATE:
        return Ignored("group_chat")
    address = str(chat.id if chat is not None else query.from_user.id)
    title = _button_title(query.message, query.data or "")
    message = InboundMessage(CHANNEL, str(update_id), address, text=title)
    return ButtonPressed(message, query_id=query.id, key=query.data or "")


def _button_title(message: MaybeInaccessibleMessage | None, key: str) -> str:
    """The title of the tapped button, read from the keyboard it was on (a fallback for unknown keys)."""
    if not isinstance(message, Message) or message.reply_markup is None:
        return ""
    for row in message.reply_markup.inline_keyboard:
        for button in row:
            if button.callback_data == key:
                return clean(button.text).strip()
    return ""


def _edited(update_id: int, message: Message) -> Parsed:
    if message.chat.type != ChatType.PRIVATE:
        return Ignored("group_chat")
    if message.location is not None:  # a live location moving on: https://core.telegram.org/bots/api#location
        return Ignored("live_location")
    # The first version was already answered; running the edit through the dialogue again would answer
    # twice or change a half-filled complaint behind the citizen's back.
    inbound = InboundMessage(CHANNEL, str(update_id), str(message.chat.id), text="")
    return Answered(inbound, (Reply(text=messages.text("telegram_edited")),))


def _message(update_id: int, message: Message) -> Parsed:
    if message.chat.type != ChatType.PRIVATE:
        return Ignored("group_chat")
    inbound = InboundMessage(CHANNEL, str(update_id), str(message.chat.id), text="")
    for attribute, interpret in MESSAGE_KINDS:
        if getattr(message, attribute):
            return interpret(inbound, message)
    if message.effective_attachment is not None:  # a sticker, a voice note, a video: nothing Loket reads
        return Answered(inbound, (Reply(text=messages.text("unsupported_message")),))
    return Ignored("message_type")


def _text(inbound: InboundMessage, message: Message) -> Parsed:
    text = clean(message.text or "").strip()[:MAX_TEXT_CHARS]
    command = COMMAND.match(text)
    if command and command["name"].lower() in COMMANDS:
        text = COMMANDS[command["name"].lower()]
    elif command:
        text = f"{command['name']}{command['rest']}".strip()
    else:
        text = text.lstrip("/").strip()
    return ForDialogue(replace(inbound, text=text)) if text else Ignored("empty_text")


def _location(inbound: InboundMessage, message: Message) -> Parsed:
    assert message.location is not None
    location: dict[str, Any] = {
        "latitude": message.location.latitude,
        "longitude": message.location.longitude,
    }
    if message.venue is not None:
        location |= {"label": message.venue.title[:200], "address": message.venue.address[:200]}
    return ForDialogue(replace(inbound, text=SHARE_LOCATION, payload={"location": location}))


def _photo(inbound: InboundMessage, message: Message) -> Parsed:
    # Telegram sends one photo in several sizes; the largest is the one worth keeping.
    largest = max(message.photo, key=lambda size: (size.width * size.height, size.file_size or 0))
    return _media(inbound, message.caption, largest.file_id, "image/jpeg", largest.file_size)


def _document(inbound: InboundMessage, message: Message) -> Parsed:
    assert message.document is not None
    document = message.document
    content_type = (document.mime_type or "").lower()
    return _media(inbound, message.caption, document.file_id, content_type, document.file_size)


def _media(
    inbound: InboundMessage, caption: str | None, file_id: str, content_type: str, size: int | None
) -> Parsed:
    """An attachment for the dialogue, or a polite refusal (the caption still goes to the dialogue)."""
    text = clean(caption or "").strip()[:MAX_TEXT_CHARS]
    if content_type not in IMAGE_TYPES:
        refusal = "telegram_media_unsupported"
    elif size is not None and size > MAX_MEDIA_BYTES:
        refusal = "telegram_media_too_large"
    else:
        media_item = {"url": f"{media.TELEGRAM_PREFIX}{file_id}", "content_type": content_type, "size": size}
        return ForDialogue(replace(inbound, text=text or SHARE_MEDIA, payload={"media": [media_item]}))
    notice = Reply(text=messages.text(refusal))
    if text:
        return ForDialogue(replace(inbound, text=text), notices=(notice,))
    return Answered(inbound, (notice,))


def _contact(inbound: InboundMessage, message: Message) -> Parsed:
    assert message.contact is not None
    # Anyone can forward someone else's contact card; only the citizen's own number (shared with the
    # contact button, so it carries their user id) is theirs: https://core.telegram.org/bots/api#contact
    sender = message.from_user
    if sender is None or message.contact.user_id != sender.id:
        return Answered(inbound, (Reply(text=messages.text("telegram_phone_not_own")),))
    phone = e164(message.contact.phone_number)
    if phone is None:
        return Answered(inbound, (Reply(text=messages.text("telegram_phone_invalid")),))
    return Answered(inbound, (Reply(text=messages.text("telegram_phone_saved")),), phone=phone)


def e164(number: str) -> str | None:
    """A shared phone number in E.164, or None; Telegram sends it with or without "+" ("6281234567890")."""
    candidate = number.strip()
    if not candidate.startswith(("+", "0")):
        candidate = f"+{candidate}"
    try:
        parsed = phonenumbers.parse(candidate, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# Which part of an update (and of a message) decides what it is; the first present one wins.
UPDATE_KINDS: tuple[tuple[str, Callable[[int, Any], Parsed]], ...] = (
    ("callback_query", _button),
    ("edited_message", _edited),
    ("message", _message),
)
MESSAGE_KINDS: tuple[tuple[str, Callable[[InboundMessage, Message], Parsed]], ...] = (
    ("contact", _contact),
    ("location", _location),  # also a venue
    ("photo", _photo),
    ("document", _document),
    ("text", _text),
)


# The webhook.


@dataclass
class TelegramContext:
    """What the webhook route needs from the running app."""

    db: Database
    secret: str
    bot: Bot
    wake_dialogue: Callable[[], None]
    wake_outbox: Callable[[], None]


def webhook_context(
    settings: Settings,
    db: Database,
    telegram: TelegramBot,
    wake_dialogue: Callable[[], None],
    wake_outbox: Callable[[], None],
) -> TelegramContext | None:
    """The webhook's context, or None (the route answers 404) when there is no secret token to check."""
    secret = settings.telegram_secret_token.get_secret_value()
    if not secret:
        logger.error(
            "Telegram webhook off: LOKET_TELEGRAM_SECRET_TOKEN is not set (replies can still be sent)"
        )
        return None
    return TelegramContext(db, secret, telegram.bot, wake_dialogue, wake_outbox)


@router.post(WEBHOOK_PATH)
async def receive(request: Request) -> JSONResponse:
    """Store a verified update and answer 200 at once; replies go out later through the outbox.

    Anything but 2xx makes Telegram retry and hold back the chat's later updates, so updates Loket does
    not serve are acknowledged too: https://core.telegram.org/bots/api#setwebhook
    """
    context: TelegramContext | None = getattr(request.app.state, "telegram", None)
    if context is None:
        return JSONResponse(
            {"error": "channel_off", "detail": "The Telegram channel is not configured."}, 404
        )
    if not verify(context.secret, request.headers.get(SECRET_HEADER, "")):
        return JSONResponse({"error": "forbidden", "detail": f"Missing or wrong {SECRET_HEADER}."}, 403)
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return JSONResponse({"error": "body_too_large"}, 413)
    try:
        parsed = parse(read_update(body, context.bot))
    except InvalidUpdate as invalid:
        return JSONResponse({"error": "invalid_update", "detail": str(invalid)}, 400)
    if isinstance(parsed, Ignored):
        IGNORED.labels(reason=parsed.reason).inc()
        logger.info("Telegram update ignored: %s", parsed.reason)
        return JSONResponse({"status": "ignored"})
    stored = await inbox.on_inbound_thread(keep, context.db, parsed)
    (MESSAGES_IN if stored.is_new else DUPLICATES_IN).labels(channel=CHANNEL).inc()
    context.wake_dialogue()
    context.wake_outbox()
    return JSONResponse({"status": "queued" if stored.is_new else "duplicate"})


def keep(db: Database, parsed: ForDialogue | Answered | ButtonPressed) -> inbox.Stored:
    """Store an update's message once per update_id, with what it queues, in one transaction."""
    if isinstance(parsed, ButtonPressed):
        return _keep_button_press(db, parsed)
    if isinstance(parsed, Answered):
        if parsed.phone is not None:  # idempotent, so a redelivered update may set it again
            contact = contacts.contact_for(db, CHANNEL, parsed.message.sender)
            contacts.set_phone(db, contact.id, parsed.phone)
        return inbox.store_handled(db, parsed.message, list(parsed.replies))
    notices = [("notice", notice.to_body()) for notice in parsed.notices]
    return inbox.store_with_outbox(db, parsed.message, notices, handled=False)


def _keep_button_press(db: Database, pressed: ButtonPressed) -> inbox.Stored:
    """The chosen button's payload goes to the dialogue; the answer that stops the client's spinner is
    queued first: https://core.telegram.org/bots/api#answercallbackquery"""
    text = button_payload(db, pressed.message.sender, pressed.key) or pressed.message.text
    answer: dict[str, Any] = {"callback_query_id": pressed.query_id}
    if not text:
        answer["text"] = messages.text("telegram_choice_expired")
    message = replace(pressed.message, text=text)
    return inbox.store_with_outbox(db, message, [(CALLBACK_ANSWER, answer)], handled=not text)


def button_payload(db: Database, address: str, key: str) -> str | None:
    """The payload behind a button key, if it names a button Loket offered to this chat."""
    match = CALLBACK_KEY.fullmatch(key)
    if match is None:
        return None
    outbox_id, index = int(match[1]), int(match[2])
    with db.reading() as session:
        body = session.scalar(
            select(OutboxMessage.body)
            .join(Contact, Contact.id == OutboxMessage.contact_id)
            .where(OutboxMessage.id == outbox_id, Contact.channel == CHANNEL, Contact.address == address)
        )
    buttons = Reply.from_body(body).buttons if body else ()
    return buttons[index].payload if index < len(buttons) else None


# Rendering: the messages one reply becomes (pure).

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


@dataclass(frozen=True)
class Part:
    """One Telegram message of a reply."""

    text: str
    markup: Markup | None = None


def callback_key(outbox_id: int, index: int) -> str:
    """The ``callback_data`` of a button: the outbox row that offered it and its position."""
    return f"o{outbox_id}:{index}"


def asks_location(reply: Reply) -> bool:
    """Whether the reply asks the citizen to share their location (``custom: {request: location}``)."""
    return isinstance(reply.custom, dict) and reply.custom.get("request") == "location"


def render(reply: Reply, outbox_id: int) -> list[Part]:
    """``reply`` as Telegram messages, in order: the text in parts of at most 4,096 characters, and the
    choices (an inline keyboard) or the location button on the last part."""
    markup = _markup(reply, outbox_id)
    text = reply.text.strip()
    if not text and not isinstance(markup, ReplyKeyboardRemove):  # Telegram sends no empty messages
        text = messages.text("telegram_location_prompt" if asks_location(reply) else "telegram_choose")
    pieces = split(text, MAX_TEXT_CHARS)
    if not pieces:
        return []
    return [*(Part(piece) for piece in pieces[:-1]), Part(pieces[-1], markup)]


def _markup(reply: Reply, outbox_id: int) -> Markup:
    choices = [(index, button) for index, button in enumerate(reply.buttons) if button.title.strip()]
    if asks_location(reply):
        # A one-time reply keyboard (private chats only); typed titles of its other choices are matched
        # to the choices by the dialogue worker.
        rows = [[KeyboardButton(messages.text("telegram_share_location"), request_location=True)]]
        rows += [[KeyboardButton(button.title)] for _, button in choices]
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    if choices:
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(button.title, callback_data=callback_key(outbox_id, index))]
                for index, button in choices
            ]
        )
    # A location keyboard stays until removed. Removing it with every plain reply needs no memory of
    # what was shown, so it also holds after a restart or when another instance sends the next reply.
    return ReplyKeyboardRemove()


def split(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` UTF-16 code units (how Telegram counts), in order, cut at
    a line break or else a space so that words stay whole."""
    pieces: list[str] = []
    rest = text.strip()
    while _utf16_length(rest) > limit:
        window = rest[: _fitting(rest, limit)]
        cut = _cut(window)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*pieces, rest] if rest else pieces


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fitting(text: str, limit: int) -> int:
    """How many leading characters of ``text`` fit in ``limit`` UTF-16 code units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _cut(window: str) -> int:
    """Where to end a piece: the last line break, else the last space, in the window's second half;
    else the last of either anywhere; else the window's end (one very long word)."""
    for separator in ("\n", " "):
        position = window.rfind(separator)
        if position >= len(window) // 2:
            return position
    position = max(window.rfind("\n"), window.rfind(" "))
    return position if position > 0 else len(window)


# Sending.


class Outcome(enum.StrEnum):
    """What Loket does about a Bot API error."""

    RETRY = "retry"  # keep the message and try again later
    UNREACHABLE = "unreachable"  # the chat is gone or blocked the bot: never retry, no proactive messages
    REFUSED = "refused"  # Telegram refused this request for good: never retry


# Checked in order, first match wins: PTB's BadRequest and TimedOut are NetworkErrors.
# https://docs.python-telegram-bot.org/en/stable/telegram.error.html
ERROR_OUTCOMES: tuple[tuple[type[TelegramError], Outcome], ...] = (
    (RetryAfter, Outcome.RETRY),  # flood control, with how long to wait
    (Forbidden, Outcome.UNREACHABLE),  # "bot was blocked by the user", "user is deactivated"
    (BadRequest, Outcome.REFUSED),  # "query is too old", "message is too long", "chat not found"
    (ChatMigrated, Outcome.REFUSED),  # a group became a supergroup; Loket serves private chats only
    (InvalidToken, Outcome.RETRY),  # the operator's mistake: keep the replies until the token is fixed
    (TimedOut, Outcome.RETRY),
    (NetworkError, Outcome.RETRY),
    (TelegramError, Outcome.RETRY),  # e.g. an unreadable answer from the Bot API
)
UNREACHABLE_REQUESTS = ("chat not found",)  # a BadRequest that says the chat does not exist


def send_error(error: TelegramError, parts_sent: int) -> TransientSendError | PermanentSendError:
    """The outbox's view of a Bot API error; ``parts_sent`` counts the parts delivered so far."""
    outcome = next(outcome for kind, outcome in ERROR_OUTCOMES if isinstance(error, kind))
    detail = describe(error)
    if outcome is Outcome.REFUSED and any(words in detail.lower() for words in UNREACHABLE_REQUESTS):
        outcome = Outcome.UNREACHABLE
    if outcome is Outcome.RETRY:
        return TransientSendError(f"Telegram: {detail}", _retry_after(error), parts_sent=parts_sent)
    state = ContactState.UNREACHABLE if outcome is Outcome.UNREACHABLE else None
    return PermanentSendError(f"Telegram refused: {detail}", state)


def describe(error: TelegramError) -> str:
    """An error's message fit for logs and the database: PTB's InvalidToken quotes the token."""
    if isinstance(error, InvalidToken):
        return "the bot token was rejected (LOKET_TELEGRAM_BOT_TOKEN)"
    return redact(error.message)[:200]


def _retry_after(error: TelegramError) -> float | None:
    if not isinstance(error, RetryAfter):
        return None
    with warnings.catch_warnings():  # an int until PTB_TIMEDELTA is the default, a timedelta after
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def build_application(token: str, api_base_url: str) -> Application[Any, Any, Any, Any, Any, Any]:
    """PTB's Application for sending: no Updater (updates come through the webhook route), no JobQueue,
    and at most 30 messages a second overall (a 429 is handed to the outbox, not retried here)."""
    base = api_base_url.rstrip("/")
    return (
        Application.builder()
        .token(token)
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .updater(None)
        .job_queue(None)
        .connection_pool_size(CONNECTION_POOL_SIZE)
        .rate_limiter(
            AIORateLimiter(overall_max_rate=OVERALL_MESSAGES_PER_SECOND, overall_time_period=1, max_retries=0)
        )
        .build()
    )


class TelegramBot:
    """PTB's Application inside the app. Telegram being unreachable at start-up does not stop the app:
    the Application is then initialised before the first send instead."""

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self.application = application
        self._lock = asyncio.Lock()
        self._ready = False
        self._starting: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramBot | None:
        """The bot of LOKET_TELEGRAM_BOT_TOKEN, or None (the channel is off)."""
        token = settings.telegram_bot_token.get_secret_value()
        return cls(build_application(token, settings.telegram_api_base_url)) if token else None

    @property
    def bot(self) -> Bot:
        """The bot (uninitialised until ``ready``; enough for reading updates)."""
        bot: Bot = self.application.bot
        return bot

    def start_soon(self) -> None:
        """``start`` in the background, so a slow Telegram does not hold up the app's start-up."""
        self._starting = asyncio.create_task(self.start())

    async def start(self) -> None:
        """Initialise and start now if Telegram answers; otherwise log it and leave it to the first send."""
        try:
            await self.ready()
        except TelegramError as error:
            logger.warning(
                "Telegram is not reachable yet (%s); trying again before the first send", describe(error)
            )

    async def ready(self) -> Bot:
        """The initialised bot, initialising and starting the Application first if needed."""
        if not self._ready:
            async with self._lock:
                if not self._ready:
                    try:
                        await self.application.initialize()
                    except InvalidToken as error:
                        logger.error("Telegram: %s; nothing can be sent until it is fixed", describe(error))
                        raise
                    await self.application.start()
                    self._ready = True
        return self.bot

    async def stop(self) -> None:
        """Stop the Application and close its connections."""
        if self._starting is not None:
            self._starting.cancel()
            await asyncio.gather(self._starting, return_exceptions=True)
        if self._ready:
            await self.application.stop()
            await self.application.shutdown()
            self._ready = False
        else:  # initialisation failed half-way: its HTTP clients may be open
            await self.application.bot.shutdown()


class TelegramSender:
    """Sends outbox messages through PTB's bot: the parts of a reply in order (a retry goes on after the
    parts already delivered), at most one message per ``chat_interval_seconds`` to a chat, and the answers
    to button presses."""

    channel = CHANNEL

    def __init__(
        self, telegram: TelegramBot, chat_interval_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.telegram = telegram
        self.chat_interval = chat_interval_seconds
        self.clock = clock
        self._last_sent: dict[int, float] = {}

    async def aclose(self) -> None:
        """Stop PTB's Application (the outbox worker calls this at shutdown)."""
        await self.telegram.stop()

    async def send(self, message: OutboxMessage) -> str | None:
        try:
            bot = await self.telegram.ready()
        except TelegramError as error:
            raise send_error(error, parts_sent=message.parts_sent) from error
        if message.kind == CALLBACK_ANSWER:
            await self._answer(bot, message.body)
            return None
        address = message.contact.address
        if not address.lstrip("-").isdigit():
            raise PermanentSendError("not a Telegram chat id")
        chat_id = int(address)
        sent: list[str] = []
        for number, part in enumerate(render(Reply.from_body(message.body), message.id)):
            if number < message.parts_sent:
                continue  # delivered by an earlier attempt
            await self._pace(chat_id)
            try:
                delivered = await bot.send_message(chat_id, part.text, reply_markup=part.markup)
            except TelegramError as error:
                raise send_error(error, parts_sent=number) from error
            sent.append(str(delivered.message_id))
        return ",".join(sent) or None

    async def _answer(self, bot: Bot, body: dict[str, Any]) -> None:
        text = body.get("text")
        try:
            await bot.answer_callback_query(str(body["callback_query_id"]), text=text if text else None)
        except TelegramError as error:
            raise send_error(error, parts_sent=0) from error

    async def _pace(self, chat_id: int) -> None:
        """Wait until ``chat_interval`` has passed since the last message to this chat (Telegram allows
        about one a second: https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this)."""
        wait = self._last_sent.get(chat_id, -math.inf) + self.chat_interval - self.clock()
        if wait > 0:
            await asyncio.sleep(wait)
        now = self.clock()
        if len(self._last_sent) >= MAX_PACED_CHATS:
            self._last_sent = {
                chat: at for chat, at in self._last_sent.items() if now - at < self.chat_interval
            }
        self._last_sent[chat_id] = now


# Operator commands (``loket telegram ...``).


def _command_bot(settings: Settings) -> tuple[Bot, str]:
    token = settings.telegram_bot_token.get_secret_value()
    secret = settings.telegram_secret_token.get_secret_value()
    if not token:
        raise SetupError("LOKET_TELEGRAM_BOT_TOKEN is not set (the token @BotFather gave the bot).")
    if not secret:
        raise SetupError(
            "LOKET_TELEGRAM_SECRET_TOKEN is not set: Loket only accepts updates that carry it "
            "(1-256 characters A-Z a-z 0-9 _ -)."
        )
    base = settings.telegram_api_base_url.rstrip("/")
    return Bot(token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot"), secret


async def set_webhook(settings: Settings, drop_pending_updates: bool = False) -> str:
    """Register ``{LOKET_PUBLIC_BASE_URL}/webhooks/telegram`` with the secret; returns what was done."""
    if not settings.public_base_url:
        raise SetupError(
            "LOKET_PUBLIC_BASE_URL is not set: Telegram needs the app's public https:// address."
        )
    bot, secret = _command_bot(settings)
    url = f"{settings.public_base_url.rstrip('/')}{WEBHOOK_PATH}"
    try:
        async with bot:
            await bot.set_webhook(
                url,
                secret_token=secret,
                allowed_updates=list(ALLOWED_UPDATES),
                drop_pending_updates=drop_pending_updates,
            )
    except TelegramError as error:
        raise SetupError(f"Telegram refused the webhook: {describe(error)}") from error
    dropped = "; pending updates dropped" if drop_pending_updates else ""
    return (
        f"Webhook of @{bot.username} set to {url} for {', '.join(ALLOWED_UPDATES)}, "
        f"with the secret token{dropped}."
    )


async def poll(
    settings: Settings,
    echo: Callable[[str], None],
    max_updates: int | None = None,
    timeout_seconds: int = 30,
    retry_seconds: float = 5.0,
) -> int:
    """Long polling for development: remove the webhook, then forward each update to this app's own
    webhook (with the secret) and confirm it to Telegram only after the app answered 200, so nothing is
    lost while the app is down. Stops after ``max_updates`` if given; returns how many were forwarded."""
    bot, secret = _command_bot(settings)
    target = f"{settings.app_url}{WEBHOOK_PATH}"
    forwarded, offset = 0, None
    try:
        async with bot, httpx.AsyncClient(timeout=10) as app:
            await bot.delete_webhook()  # Telegram refuses getUpdates while a webhook is set
            echo(f"Polling Telegram as @{bot.username}; forwarding updates to {target}. Ctrl-C stops.")
            while max_updates is None or forwarded < max_updates:
                updates = await bot.get_updates(
                    offset=offset, timeout=timeout_seconds, allowed_updates=list(ALLOWED_UPDATES)
                )
                for update in updates:
                    status = await _forward(app, target, secret, update)
                    if status is None or status >= 500:
                        echo(f"update {update.update_id}: the app did not take it ({status}); trying again")
                        await asyncio.sleep(retry_seconds)
                        break  # fetch again from the same offset
                    # 200, or a 4xx for an update the app can never take: either way it is done with.
                    echo(f"update {update.update_id} forwarded ({status})")
                    offset, forwarded = update.update_id + 1, forwarded + 1
                    if forwarded == max_updates:
                        break
            if offset is not None:  # confirm the last one, or the next run would fetch it again
                await bot.get_updates(offset=offset, timeout=0, limit=1)
    except TelegramError as error:
        raise SetupError(f"Telegram refused: {describe(error)}") from error
    return forwarded


async def _forward(app: httpx.AsyncClient, target: str, secret: str, update: Update) -> int | None:
    """POST one update to the app like Telegram would; the HTTP status, or None if the app is not there."""
    try:
        response = await app.post(target, json=update.to_dict(), headers={SECRET_HEADER: secret})
    except httpx.HTTPError:
        return None
    if response.status_code in (403, 404):
        raise SetupError(
            f"the app at {target} answered {response.status_code}: is LOKET_TELEGRAM_SECRET_TOKEN the same "
            "there, and LOKET_TELEGRAM_BOT_TOKEN set?"
        )
    return response.status_code
