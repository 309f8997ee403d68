"""WhatsApp and SMS through Twilio: one module for both.

verify (``X-Twilio-Signature`` over LOKET_PUBLIC_BASE_URL + path) -> parse (form fields: text, button
payload, media, shared location) -> inbox -> empty TwiML at once -> (dialogue) -> outbox -> render
(WhatsApp: quick replies or numbered choices, 1,600 characters a message; SMS: GSM-7, at most three
segments a message) -> send through Twilio's REST API with the library's async client.

Twilio cannot receive SMS in Indonesia (no two-way SMS there): ``/webhooks/twilio/sms`` serves other
countries and tests, while Indonesian inbound SMS comes through ``channels/sms_gateway.py``.
"""

from __future__ import annotations

import asyncio
import base64
import enum
import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

import phonenumbers
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from starlette.datastructures import ImmutableMultiDict
from twilio.base.exceptions import TwilioException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.rest.content.v1.content import ContentList

from bot import messages
from bot.db import Database, insert_if_absent, utcnow
from bot.metrics import DUPLICATES_IN, ERRORS, MESSAGES_IN
from channels import contacts, deliveries, inbox, sms
from channels.base import ContactState, InboundMessage, PermanentSendError, Reply, TransientSendError
from channels.models import Delivery, OutboxMessage, QuickReplyContent
from nlu.normalize import clean

logger = logging.getLogger(__name__)

WHATSAPP = "whatsapp"
SMS = "twilio_sms"
SIGNATURE_HEADER = "X-Twilio-Signature"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
MAX_BODY_BYTES = 64 * 1024
MAX_MESSAGE_CHARS = 1600  # Twilio refuses longer bodies (21617)
SESSION_WINDOW = timedelta(hours=24)  # WhatsApp: free-form messages only this long after the citizen's last
MAX_QUICK_REPLIES = 3  # WhatsApp allows three quick-reply buttons in a session message without approval
MAX_QUICK_REPLY_TITLE = 20
MAX_QUICK_REPLY_BODY = 1024
MAX_MEDIA = 5
ACCEPTED_MEDIA = frozenset({"image/jpeg", "image/png", "image/webp", "application/pdf"})
SHARE_LOCATION = "/share_location"
SHARE_MEDIA = "/share_media"

router = APIRouter()


class Outcome(enum.StrEnum):
    """What Loket does about a Twilio error code."""

    RETRY = "retry"  # transient: try again later (bounded by LOKET_SEND_MAX_ATTEMPTS)
    OPTED_OUT = "opted_out"  # the citizen stopped us: never retry, no proactive messages
    BAD_NUMBER = "bad_number"  # the address does not work: never retry, no proactive messages
    TEMPLATE = "template"  # outside WhatsApp's 24-hour window: send the approved template instead
    ALERT = "alert"  # our mistake or a policy block: never retry, tell the operators


# https://www.twilio.com/docs/api/errors/{code}
ERROR_OUTCOMES = {
    20429: Outcome.RETRY,  # too many concurrent requests
    30001: Outcome.RETRY,  # queue overflow
    30003: Outcome.RETRY,  # unreachable handset (switched off)
    30008: Outcome.RETRY,  # unknown carrier error
    30010: Outcome.RETRY,  # message price exceeds max price
    63018: Outcome.RETRY,  # WhatsApp rate limit or messaging tier
    21610: Outcome.OPTED_OUT,  # the number replied STOP
    63014: Outcome.OPTED_OUT,  # the WhatsApp user blocked the business
    21211: Outcome.BAD_NUMBER,  # invalid 'To' number
    21614: Outcome.BAD_NUMBER,  # not a mobile number
    30005: Outcome.BAD_NUMBER,  # unknown destination handset
    30006: Outcome.BAD_NUMBER,  # landline or unreachable carrier
    63003: Outcome.BAD_NUMBER,  # no WhatsApp account for the number
    63016: Outcome.TEMPLATE,  # free-form message outside the 24-hour window
    14103: Outcome.ALERT,  # empty body
    20003: Outcome.ALERT,  # authentication failed
    21606: Outcome.ALERT,  # the 'From' number is not ours
    21617: Outcome.ALERT,  # body over 1,600 characters
    21658: Outcome.ALERT,  # body over 1,600 characters
    30007: Outcome.ALERT,  # filtered as spam by the carrier
    63007: Outcome.ALERT,  # the WhatsApp sender is not set up
    63013: Outcome.ALERT,  # WhatsApp policy (e.g. an empty template variable)
    63021: Outcome.ALERT,  # template over 1,024 characters
}


def outcome_of(code: int | None, http_status: int | None = None) -> Outcome:
    """The outcome for an error code; unknown codes are retried on 429/5xx and alerted otherwise."""
    if code in ERROR_OUTCOMES:
        return ERROR_OUTCOMES[code]
    if http_status is not None and (http_status == 429 or http_status >= 500):
        return Outcome.RETRY
    return Outcome.ALERT


class InvalidMessage(ValueError):
    """A webhook request Loket cannot use; answered with 400."""


@dataclass
class TwilioContext:
    """What the Twilio routes need from the running app."""

    db: Database
    auth_token: str
    public_base_url: str
    channels: frozenset[str]  # the enabled ones: WHATSAPP, SMS
    wake_dialogue: Callable[[], None]
    wake_outbox: Callable[[], None]


def webhook_url(public_base_url: str, request: Request) -> str:
    """The URL Twilio signed: the configured public base URL, the path and the original query."""
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{public_base_url.rstrip('/')}{request.url.path}{query}"


def e164(number: str) -> str:
    """A number in E.164 ("+6281234567890"), or InvalidMessage."""
    try:
        parsed = phonenumbers.parse(number, "ID")
    except phonenumbers.NumberParseException as error:
        raise InvalidMessage(f"'From' is not a phone number: {error}") from error
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def parse(channel: str, form: Mapping[str, str]) -> tuple[InboundMessage, list[str]]:
    """The inbound message in Twilio's form fields, and the content types of media Loket refused."""
    sid, sender = form.get("MessageSid") or form.get("SmsSid"), form.get("From", "")
    if not sid:
        raise InvalidMessage("'MessageSid' is missing")
    address = f"whatsapp:{e164(sender.removeprefix('whatsapp:'))}" if channel == WHATSAPP else e164(sender)
    payload: dict[str, Any] = {}
    media, refused = _media(form)
    if media:
        payload["media"] = media
    location = _location(form)
    if location:
        payload["location"] = location
    # A tapped quick reply carries the button's id, which is the payload Rasa expects.
    text = clean(form.get("ButtonPayload") or form.get("Body") or "").strip()[:MAX_MESSAGE_CHARS]
    if not text:
        text = SHARE_LOCATION if location else SHARE_MEDIA if media else ""
    message = InboundMessage(
        channel=channel, provider_message_id=sid[:128], sender=address, text=text, payload=payload
    )
    return message, refused


def _media(form: Mapping[str, str]) -> tuple[list[dict[str, Any]], list[str]]:
    try:
        count = min(int(form.get("NumMedia") or 0), 10)
    except ValueError as error:
        raise InvalidMessage("'NumMedia' is not a number") from error
    accepted: list[dict[str, Any]] = []
    refused: list[str] = []
    for index in range(count):
        url = form.get(f"MediaUrl{index}", "")
        content_type = form.get(f"MediaContentType{index}", "").split(";")[0].strip().lower()
        if url and content_type in ACCEPTED_MEDIA and len(accepted) < MAX_MEDIA:
            accepted.append({"url": url, "content_type": content_type, "size": None})
        else:
            refused.append(content_type or "unknown")
    return accepted, refused


def _location(form: Mapping[str, str]) -> dict[str, Any] | None:
    try:
        latitude, longitude = float(form["Latitude"]), float(form["Longitude"])
    except (KeyError, ValueError):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    place = {key.lower(): form[key][:200] for key in ("Address", "Label") if form.get(key)}
    return {"latitude": latitude, "longitude": longitude, **place}


async def _verified_form(request: Request, context: TwilioContext) -> ImmutableMultiDict[str, str] | Response:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return JSONResponse({"error": "body_too_large"}, 413)
    # Every field is signed, repeated ones included; none is dropped before the check.
    form = ImmutableMultiDict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    validator = RequestValidator(context.auth_token)
    url = webhook_url(context.public_base_url, request)
    if not validator.validate(url, form, request.headers.get(SIGNATURE_HEADER, "")):
        return JSONResponse({"error": "forbidden", "detail": f"Missing or wrong {SIGNATURE_HEADER}."}, 403)
    return form


def _context(request: Request, channel: str | None = None) -> TwilioContext | None:
    context: TwilioContext | None = getattr(request.app.state, "twilio", None)
    if context is None or (channel is not None and channel not in context.channels):
        return None
    return context


CHANNEL_OFF = {"error": "channel_off", "detail": "This Twilio channel is not configured."}


@router.post("/webhooks/twilio/whatsapp")
async def receive_whatsapp(request: Request) -> Response:
    """A WhatsApp message from Twilio."""
    return await _receive(request, WHATSAPP)


@router.post("/webhooks/twilio/sms")
async def receive_sms(request: Request) -> Response:
    """An SMS from Twilio (not available for Indonesian numbers; see the module docstring)."""
    return await _receive(request, SMS)


async def _receive(request: Request, channel: str) -> Response:
    """Store a verified message and answer Twilio at once with empty TwiML; replies go out later."""
    context = _context(request, channel)
    if context is None:
        return JSONResponse(CHANNEL_OFF, 404)
    form = await _verified_form(request, context)
    if isinstance(form, Response):
        return form
    try:
        message, refused = parse(channel, {key: str(value) for key, value in form.items()})
    except InvalidMessage as invalid:
        return JSONResponse({"error": "invalid_message", "detail": str(invalid)}, 400)
    if message.text:
        stored = await inbox.on_inbound_thread(inbox.store, context.db, message)
        context.wake_dialogue()
    else:  # a sticker, a voice note, a video: nothing Loket can read, but the citizen hears why
        notice = Reply(text=messages.text("unsupported_message"))
        stored = await inbox.on_inbound_thread(inbox.store_handled, context.db, message, [notice])
        context.wake_outbox()
    if refused and stored.is_new:
        logger.info("refused %s media of type(s) %s", channel, ", ".join(refused))
    (MESSAGES_IN if stored.is_new else DUPLICATES_IN).labels(channel=channel).inc()
    return Response(EMPTY_TWIML, media_type="text/xml")


@router.post("/webhooks/twilio/status")
async def receive_status(request: Request) -> Response:
    """A delivery status callback: recorded per MessageSid, only ever moving forward."""
    context = _context(request)
    if context is None:
        return JSONResponse(CHANNEL_OFF, 404)
    form = await _verified_form(request, context)
    if isinstance(form, Response):
        return form
    sid, status = str(form.get("MessageSid") or ""), str(form.get("MessageStatus") or "").lower()
    if not sid or status not in deliveries.RANK:
        return JSONResponse(
            {"error": "invalid_status", "detail": "MessageSid and MessageStatus needed."}, 400
        )
    code = str(form.get("ErrorCode") or "")
    channel = WHATSAPP if str(form.get("To", "")).startswith("whatsapp:") else SMS
    await asyncio.to_thread(
        handle_status, context.db, channel, sid, status, int(code) if code.isdigit() else None
    )
    context.wake_outbox()
    return Response(status_code=204)


def handle_status(db: Database, channel: str, sid: str, status: str, error_code: int | None) -> None:
    """Record a reported status and act on its error: opt-out, bad number, or the template fallback."""
    recorded = deliveries.record(db, channel, sid, status, error_code)
    if recorded.moved and error_code is not None:
        act_on_error(db, recorded.delivery)


def act_on_error(db: Database, delivery: Delivery) -> None:
    """What a reported error means for the citizen's contact or the message; once per delivery.

    Runs when the error is reported or, if the report came before the sender had recorded the
    message it belongs to, when the sender records it.
    """
    if delivery.error_code is None or delivery.outbox_id is None:
        return
    with db.reading() as session:
        sent = session.get(OutboxMessage, delivery.outbox_id)
    if sent is None:
        return
    outcome = outcome_of(delivery.error_code)
    if outcome is Outcome.OPTED_OUT:
        contacts.mark_refused(db, sent.contact_id, ContactState.OPTED_OUT, f"Twilio {delivery.error_code}")
    elif outcome is Outcome.BAD_NUMBER:
        contacts.mark_refused(db, sent.contact_id, ContactState.UNREACHABLE, f"Twilio {delivery.error_code}")
    elif outcome is Outcome.TEMPLATE:
        _resend_as_template(db, sent)
    elif outcome is Outcome.ALERT:
        ERRORS.labels(kind="twilio_alert").inc()
        logger.error("Twilio reported error %s for outbox message %s", delivery.error_code, sent.id)


def _resend_as_template(db: Database, sent: OutboxMessage) -> None:
    """63016 came back for a free-form message: queue its template once, if it has one."""
    if "template" not in sent.body or sent.body.get("template_only"):
        logger.warning("outbox message %s was refused outside the 24-hour window (63016)", sent.id)
        return
    with db.session() as session:
        resend = inbox.outbox_row(sent.contact_id, sent.channel, Reply.from_body(sent.body), kind=sent.kind)
        resend.body = {**resend.body, "template_only": True}
        session.add(resend)


class _AsyncHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """The library's async client, sending JSON bodies as JSON (the Content API needs it; twilio 9.13's
    async client form-encodes every body, which flattens the content types)."""

    async def request(self, method: str, url: str, **kwargs: Any) -> TwilioResponse:
        headers, data = dict(kwargs.get("headers") or {}), kwargs.get("data")
        if headers.get("Content-Type") == "application/json" and isinstance(data, dict):
            kwargs["data"] = json.dumps(data)
        auth = kwargs.pop("auth", None)
        if auth is not None:  # as a header: aiohttp deprecates its BasicAuth argument
            headers["Authorization"] = "Basic " + base64.b64encode(":".join(auth).encode()).decode()
        kwargs["headers"] = headers
        response: TwilioResponse = await super().request(method, url, **kwargs)
        return response


class TwilioSender:
    """Sends replies on one Twilio channel (WhatsApp or SMS) through the REST API, in order."""

    def __init__(
        self,
        channel: str,
        db: Database,
        account_sid: str,
        auth_token: str,
        from_: str,
        api_base_url: str,
        public_base_url: str,
        templates: Mapping[str, str],
    ) -> None:
        self.channel = channel
        self.db = db
        self.from_ = from_
        self.templates = dict(templates)
        self.status_callback = (
            f"{public_base_url.rstrip('/')}/webhooks/twilio/status" if public_base_url else None
        )
        self._credentials = (account_sid, auth_token)
        self._api_base_url = api_base_url.rstrip("/")
        self._client: Client | None = None

    def client(self) -> Client:
        """The Twilio client, made on first use inside the running event loop (its HTTP session is)."""
        if self._client is None:
            client = Client(*self._credentials, http_client=_AsyncHttpClient(timeout=10))
            if self._api_base_url != "https://api.twilio.com":  # one base for both APIs (a proxy, a fake)
                client.api.base_url = self._api_base_url
                client.content.base_url = self._api_base_url
            self._client = client
        return self._client

    async def aclose(self) -> None:
        """Close the HTTP session."""
        if self._client is not None:
            http_client = self._client.http_client
            if isinstance(http_client, AsyncTwilioHttpClient):
                await http_client.close()
            self._client = None

    async def send(self, message: OutboxMessage) -> str | None:
        reply = Reply.from_body(message.body)
        if self.channel == WHATSAPP and self._needs_template(message, reply):
            return await self._send_template(message, reply)
        sids: list[str] = []
        requests = await self._requests(reply)
        for number, fields in enumerate(requests):
            if number < message.parts_sent:
                continue  # delivered by an earlier attempt
            try:
                sids.append(await self._create(message, fields))
            except _Refused as refused:
                if refused.outcome is Outcome.TEMPLATE and reply.template is not None:
                    return await self._send_template(message, reply)
                raise refused.as_send_error(parts_sent=number) from refused
        return ",".join(sids) or None

    def _needs_template(self, message: OutboxMessage, reply: Reply) -> bool:
        """Whether a proactive message falls outside the 24-hour window (or came back with 63016)."""
        if message.body.get("template_only"):
            return True
        if message.kind != "notification" or reply.template is None:
            return False
        last = message.contact.last_inbound_at
        return last is None or utcnow() - last >= SESSION_WINDOW

    async def _send_template(self, message: OutboxMessage, reply: Reply) -> str:
        assert reply.template is not None
        content_sid = self.templates.get(reply.template.name)
        if not content_sid:
            ERRORS.labels(kind="twilio_alert").inc()
            logger.error("no approved template %r in LOKET_TWILIO_TEMPLATES", reply.template.name)
            raise PermanentSendError(f"outside the 24-hour window and no template {reply.template.name!r}")
        fields = {"content_sid": content_sid, "content_variables": json.dumps(reply.template.variables)}
        try:
            return await self._create(message, fields)
        except _Refused as refused:
            raise refused.as_send_error(parts_sent=0) from refused

    async def _requests(self, reply: Reply) -> list[dict[str, Any]]:
        """The create() arguments of each message the reply becomes, in order."""
        if self.channel == SMS:
            return [{"body": part} for part in sms.parts(reply)]
        if _fits_quick_replies(reply):
            content_sid = await self._quick_reply_content(reply)
            return [{"content_sid": content_sid, "content_variables": json.dumps({"1": reply.text})}]
        return [{"body": part} for part in split(sms.with_numbered_choices(reply), MAX_MESSAGE_CHARS)]

    async def _create(self, message: OutboxMessage, fields: dict[str, Any]) -> str:
        optional = {"status_callback": self.status_callback} if self.status_callback else {}
        try:
            created = await self.client().messages.create_async(
                to=message.contact.address, from_=self.from_, **optional, **fields
            )
        except TwilioException as error:
            raise _Refused.from_exception(error) from error
        except (OSError, TimeoutError) as error:  # aiohttp's connection errors are OSErrors
            raise TransientSendError(f"Twilio unreachable: {type(error).__name__}") from error
        sid = str(created.sid)
        recorded = await asyncio.to_thread(
            deliveries.record, self.db, self.channel, sid, str(created.status or "queued"), None, message.id
        )
        if recorded.linked_late:  # its status callback came first: act on what it reported now
            await asyncio.to_thread(act_on_error, self.db, recorded.delivery)
        return sid

    async def _quick_reply_content(self, reply: Reply) -> str:
        """The ContentSid of a quick-reply layout with these buttons, created once through the Content API."""
        actions = [{"title": button.title, "id": button.payload[:200]} for button in reply.buttons]
        key = hashlib.sha256(json.dumps(actions, sort_keys=True).encode()).hexdigest()
        known = await asyncio.to_thread(_known_content, self.db, key)
        if known:
            return known
        request = ContentList.ContentCreateRequest(
            {
                "friendly_name": f"loket_qr_{key[:16]}",
                "language": "id",
                "variables": {"1": "pesan"},
                "types": {"twilio/quick-reply": {"body": "{{1}}", "actions": actions}},
            }
        )
        try:
            created = await self.client().content.v1.contents.create_async(request)
        except TwilioException as error:
            raise _Refused.from_exception(error).as_send_error(parts_sent=0) from error
        except (OSError, TimeoutError) as error:
            raise TransientSendError(f"Twilio unreachable: {type(error).__name__}") from error
        await asyncio.to_thread(_remember_content, self.db, key, str(created.sid))
        return str(created.sid)


class _Refused(Exception):
    """Twilio answered a request with an error code."""

    def __init__(self, code: int | None, http_status: int | None, detail: str) -> None:
        super().__init__(f"Twilio error {code} (HTTP {http_status}): {detail}")
        self.code, self.outcome = code, outcome_of(code, http_status)

    @classmethod
    def from_exception(cls, error: TwilioException) -> _Refused:
        code, status = getattr(error, "code", None), getattr(error, "status", None)
        detail = str(getattr(error, "msg", "") or getattr(error, "title", ""))[:200]
        return cls(
            code if isinstance(code, int) else None, status if isinstance(status, int) else None, detail
        )

    def as_send_error(self, parts_sent: int) -> TransientSendError | PermanentSendError:
        if self.outcome is Outcome.RETRY:
            return TransientSendError(str(self), parts_sent=parts_sent)
        if self.outcome is Outcome.ALERT:
            ERRORS.labels(kind="twilio_alert").inc()
            logger.error("Twilio refused a message: %s", self)
        state = {Outcome.OPTED_OUT: ContactState.OPTED_OUT, Outcome.BAD_NUMBER: ContactState.UNREACHABLE}
        return PermanentSendError(str(self), state.get(self.outcome))


def _fits_quick_replies(reply: Reply) -> bool:
    return (
        0 < len(reply.buttons) <= MAX_QUICK_REPLIES
        and 0 < len(reply.text) <= MAX_QUICK_REPLY_BODY
        and all(0 < len(button.title) <= MAX_QUICK_REPLY_TITLE for button in reply.buttons)
    )


def split(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at line breaks, then spaces, in order."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*pieces, rest] if rest else pieces


def _known_content(db: Database, key: str) -> str | None:
    with db.reading() as session:
        return session.scalar(select(QuickReplyContent.content_sid).where(QuickReplyContent.key == key))


def _remember_content(db: Database, key: str, content_sid: str) -> None:
    with db.session() as session:
        insert_if_absent(
            session,
            QuickReplyContent.__table__,
            {"key": key, "content_sid": content_sid, "created_at": utcnow()},
            ["key"],
        )
