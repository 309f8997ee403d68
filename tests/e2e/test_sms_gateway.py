"""A feature-phone citizen over the SMS gateway: signed SMS in, the real Rasa dialogue, GSM-7 SMS out."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from channels import sms_gateway
from channels.gsm7 import is_gsm7, segments
from tests.e2e.conftest import SMS_GATEWAY_SECRET, Stack, wait_for
from tests.fakes import FakeGateway

pytestmark = pytest.mark.e2e


def send_sms(stack: Stack, sender: str, text: str) -> httpx.Response:
    body = json.dumps({"from": sender, "to": "1708", "text": text, "id": uuid.uuid4().hex}).encode()
    headers = {
        "Content-Type": "application/json",
        sms_gateway.SIGNATURE_HEADER: sms_gateway.signature(SMS_GATEWAY_SECRET, body),
    }
    return httpx.post(f"{stack.url}/webhooks/sms-gateway", content=body, headers=headers, timeout=10)


def replies_to(number: str, count: int) -> list[str]:
    with FakeGateway.arrived:
        FakeGateway.arrived.wait_for(
            lambda: sum(1 for item in FakeGateway.received if item["to"] == number) >= count, timeout=60
        )
        return [item["text"] for item in FakeGateway.received if item["to"] == number]


def test_a_greeting_by_sms_gets_the_menu_as_numbered_gsm7_text_and_a_number_picks(stack: Stack) -> None:
    number = f"+62813{uuid.uuid4().int % 10**8:08d}"

    assert send_sms(stack, number, "halo min").json() == {"status": "queued"}
    menu = replies_to(number, 1)
    assert send_sms(stack, number, "2").json() == {"status": "queued"}
    complaint = replies_to(number, 2)[1:]

    assert "1. Info layanan" in menu[0] and "4. Bicara dengan petugas" in menu[0]
    assert all(is_gsm7(text) and segments(text) <= 3 for text in menu + complaint)
    assert "ceritakan masalahnya" in complaint[0]  # "2" chose "Buat pengaduan"


def test_an_unsigned_sms_is_refused(stack: Stack) -> None:
    body = json.dumps({"from": "+6281300000000", "text": "halo", "id": "x"}).encode()
    response = httpx.post(f"{stack.url}/webhooks/sms-gateway", content=body, timeout=10)

    assert response.status_code == 403


def test_an_sms_acknowledged_before_a_crash_is_answered_exactly_once_after_restart(stack: Stack) -> None:
    number = f"+62813{uuid.uuid4().int % 10**8:08d}"
    stack.stop_rasa()  # the message is stored and acknowledged, but cannot be answered yet
    try:
        assert send_sms(stack, number, "halo min").json() == {"status": "queued"}
        notice = replies_to(number, 1)
        wait_for(lambda: stack.all_sent(sms_gateway.CHANNEL, number), 30)  # (a crash in between resends it)
        stack.kill_app()
        stack.start_app()
    finally:
        stack.start_rasa()
        stack.wait_until_ready()
    menu = replies_to(number, 2)[1]
    assert send_sms(stack, number, "makasih").json() == {"status": "queued"}
    everything = replies_to(number, 3)  # per-contact order: anything left over would come first

    assert "sudah kami terima" in notice[0]
    assert "1. Info layanan" in menu
    assert sum("1. Info layanan" in text for text in everything) == 1
    assert len(everything) == 3
