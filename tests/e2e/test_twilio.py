"""A citizen on WhatsApp through Twilio: signed webhooks in, the real Rasa dialogue, REST calls out."""

from __future__ import annotations

import uuid

import httpx
import pytest
from twilio.request_validator import RequestValidator

from channels import twilio_messaging as tw
from tests.e2e.conftest import PUBLIC_BASE_URL, WHATSAPP_FROM, Stack, wait_for
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

pytestmark = pytest.mark.e2e


def send_whatsapp(stack: Stack, number: str, body: str = "", **extra: str) -> httpx.Response:
    sid = "SM" + uuid.uuid4().hex
    fields = {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": f"whatsapp:{number}",
        "To": WHATSAPP_FROM,
        "Body": body,
        "NumMedia": "0",
        "WaId": number.removeprefix("+"),
        "ProfileName": "Warga",
        **extra,
    }
    path = "/webhooks/twilio/whatsapp"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + path, fields)
    return httpx.post(f"{stack.url}{path}", data=fields, headers={tw.SIGNATURE_HEADER: signature}, timeout=10)


def replies(twilio: FakeTwilio, number: str, count: int) -> list[str]:
    """The texts (or quick-reply variables) sent to ``number``, once ``count`` have arrived."""
    address = f"whatsapp:{number}"
    twilio.wait_for(
        lambda: len([m for m in twilio.messages if m["To"] == address and m["accepted"]]) >= count, 60
    )
    return [m.get("Body") or m.get("ContentVariables", "") for m in twilio.sent_to(address)]


def new_number() -> str:
    return f"+62812{uuid.uuid4().int % 10**8:08d}"


def test_a_whatsapp_greeting_gets_the_menu_and_a_number_picks_from_it(
    stack: Stack, twilio_api: FakeTwilio
) -> None:
    number = new_number()

    response = send_whatsapp(stack, number, "halo min")
    menu = replies(twilio_api, number, 1)
    send_whatsapp(stack, number, "2")
    complaint = replies(twilio_api, number, 2)[1]

    assert response.status_code == 200 and response.text == tw.EMPTY_TWIML
    assert "1. Info layanan" in menu[0]  # four choices: too many for WhatsApp quick replies
    assert "ceritakan masalahnya" in complaint


def test_a_photo_alone_starts_a_complaint_with_the_photo_attached(
    stack: Stack, twilio_api: FakeTwilio
) -> None:
    number = new_number()
    photo = {
        "NumMedia": "1",
        "MediaUrl0": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM1/Media/ME1",
        "MediaContentType0": "image/jpeg",
    }

    send_whatsapp(stack, number, **photo)
    answer = replies(twilio_api, number, 2)

    assert "Foto diterima" in answer[0]
    assert "ceritakan masalahnya" in answer[1]


def test_a_message_acknowledged_before_a_crash_is_answered_exactly_once_after_restart(
    stack: Stack, twilio_api: FakeTwilio
) -> None:
    number = new_number()
    stack.stop_rasa()  # the message is stored and acknowledged, but cannot be answered yet
    try:
        assert send_whatsapp(stack, number, "halo min").status_code == 200
        notice = replies(twilio_api, number, 1)
        wait_for(lambda: stack.all_sent(tw.WHATSAPP, f"whatsapp:{number}"), 30)
        stack.kill_app()
        stack.start_app()
    finally:
        stack.start_rasa()
        stack.wait_until_ready()
    menu = replies(twilio_api, number, 2)[1]
    send_whatsapp(stack, number, "makasih")
    everything = replies(twilio_api, number, 3)

    assert "sudah kami terima" in notice[0]
    assert "1. Info layanan" in menu
    assert sum("1. Info layanan" in text for text in everything) == 1
    assert len(everything) == 3
