"""SMS through a local aggregator or an Android SMS-gateway phone (Twilio cannot receive SMS in Indonesia).

verify (HMAC-SHA256 of the raw body with LOKET_SMS_GATEWAY_SECRET in ``X-Loket-Signature``) -> parse
(JSON or form ``{from, to, text, id}``) -> inbox -> (dialogue) -> outbox -> render (GSM-7, numbered
choices, at most three segments per SMS) -> send (POST to LOKET_SMS_GATEWAY_OUTBOUND_URL, signed).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import httpx
import phonenumbers
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bot.db import Database
from bot.metrics import DUPLICATES_IN, MESSAGES_IN
from channels import inbox, sms
from channels.base import InboundMessage, PermanentSendError, Reply, TransientSendError
from channels.models import OutboxMessage
from nlu.normalize import clean

CHANNEL = "sms_gateway"
SIGNATURE_HEADER = "X-Loket-Signature"
MAX_BODY_BYTES = 16 * 1024
MAX_TEXT_CHARS = 1600  # ten concatenated segments; longer is not an SMS
DEFAULT_REGION = "ID"

router = APIRouter()


class InvalidMessage(ValueError):
    """A request the gateway must fix; answered with 4xx and what is wrong."""


def signature(secret: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``body``: what the gateway sends and what Loket signs replies with."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, given: str) -> bool:
    """Constant-time check of ``given`` (hex, optionally prefixed ``sha256=``)."""
    return hmac.compare_digest(signature(secret, body), given.removeprefix("sha256=").strip().lower())


def e164(number: str, region: str = DEFAULT_REGION) -> str:
    """A phone number in E.164 ("0812-3456-7890" -> "+6281234567890"), or InvalidMessage."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidMessage(f"'from' is not a phone number: {error}") from error
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidMessage("'from' is not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def parse(body: bytes, content_type: str) -> InboundMessage:
    """The inbound SMS in a JSON or form body."""
    if content_type.startswith("application/json"):
        try:
            fields = json.loads(body)
        except ValueError as error:
            raise InvalidMessage(f"the body is not valid JSON: {error}") from error
    else:
        fields = {key: values[0] for key, values in parse_qs(body.decode("utf-8", "replace")).items()}
    if not isinstance(fields, dict):
        raise InvalidMessage("the body must be an object {from, to, text, id}")
    sender, text, message_id = fields.get("from"), fields.get("text", ""), fields.get("id")
    if not isinstance(sender, str) or not sender:
        raise InvalidMessage("'from' is missing")
    if not isinstance(message_id, str | int) or not str(message_id):
        raise InvalidMessage("'id' is missing: the gateway's own message id, used to drop repeats")
    if not isinstance(text, str) or len(text) > MAX_TEXT_CHARS:
        raise InvalidMessage(f"'text' must be a string of at most {MAX_TEXT_CHARS} characters")
    return InboundMessage(
        channel=CHANNEL,
        provider_message_id=str(message_id)[:128],
        sender=e164(sender),
        text=clean(text).strip(),
        payload={"to": str(fields.get("to", ""))[:32]},
    )


@dataclass
class GatewayContext:
    db: Database
    secret: str
    wake_dialogue: Callable[[], None]


@router.post("/webhooks/sms-gateway")
async def receive(request: Request) -> JSONResponse:
    """Store a verified inbound SMS and acknowledge it; the reply goes out later through the outbox."""
    context: GatewayContext | None = getattr(request.app.state, "sms_gateway", None)
    if context is None:
        return JSONResponse(
            {"error": "channel_off", "detail": "The SMS gateway channel is not configured."}, 404
        )
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return JSONResponse({"error": "body_too_large"}, 413)
    if not verify(context.secret, body, request.headers.get(SIGNATURE_HEADER, "")):
        return JSONResponse({"error": "forbidden", "detail": f"Missing or wrong {SIGNATURE_HEADER}."}, 403)
    try:
        message = parse(body, request.headers.get("content-type", ""))
    except InvalidMessage as invalid:
        return JSONResponse({"error": "invalid_message", "detail": str(invalid)}, 422)
    if not message.text:  # an empty SMS: nothing to answer, but it was received
        return JSONResponse({"status": "ignored"})
    stored = await inbox.on_inbound_thread(inbox.store, context.db, message)
    (MESSAGES_IN if stored.is_new else DUPLICATES_IN).labels(channel=CHANNEL).inc()
    context.wake_dialogue()
    return JSONResponse({"status": "queued" if stored.is_new else "duplicate"})


class SmsGatewaySender:
    """Sends each reply as one or more SMS (in order) through the gateway's HTTP callback."""

    channel = CHANNEL

    def __init__(self, url: str, secret: str, client: httpx.AsyncClient | None = None) -> None:
        self.url = url
        self.secret = secret
        self.client = client or httpx.AsyncClient(timeout=10)

    async def send(self, message: OutboxMessage) -> str | None:
        provider_ids = []
        for number, text in enumerate(sms.parts(Reply.from_body(message.body)), start=1):
            payload = {"to": message.contact.address, "text": text, "id": f"loket-{message.id}-{number}"}
            provider_ids.append(await self._post(payload))
        return ",".join(filter(None, provider_ids)) or None

    async def _post(self, payload: dict[str, Any]) -> str | None:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(self.secret, body)}
        try:
            response = await self.client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise TransientSendError(f"gateway unreachable: {type(error).__name__}") from error
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = response.headers.get("retry-after")
            delay = float(retry_after) if retry_after and retry_after.isdigit() else None
            raise TransientSendError(f"gateway answered {response.status_code}", delay)
        if response.status_code >= 400:
            raise PermanentSendError(f"gateway refused the SMS: {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            return None
        return str(answer.get("id")) if isinstance(answer, dict) and answer.get("id") else None
