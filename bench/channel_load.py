"""Benchmark of a channel end to end, with the provider played by a local fake (no network).

Starts `loket run` (the trained model in models/ is reused) wired to a fake provider on 127.0.0.1,
then measures, with a new citizen (phone number) per message:

1. acknowledgement latency of the signed webhook with ``--senders`` concurrent senders (a burst of
   ``--burst`` messages), p50/p99;
2. a sustained load of ``--rate`` messages/s for ``--seconds`` seconds: how many were acknowledged,
   how many got their reply at the fake provider (nothing may be lost), the achieved rate, and the
   latency from sending the webhook to the fake receiving the first reply, p50/p95.

    .venv/bin/python bench/channel_load.py [--channel whatsapp] [--rate 10] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pipeline import free_port, percentile, running_loket  # noqa: E402
from channels import sms_gateway  # noqa: E402
from channels.telegram import SECRET_HEADER  # noqa: E402
from tests.fake_telegram import FakeTelegram, fake_telegram  # noqa: E402
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, fake_twilio  # noqa: E402
from tests.fakes import FakeGateway, fake_sms_gateway  # noqa: E402

PUBLIC = "https://loket.bench.test"
GATEWAY_SECRET = "bench-sms-gateway-secret"
WHATSAPP_FROM = "whatsapp:+14155238886"
TEXT = "halo min"


@dataclass
class Channel:
    """How to reach the app on one channel, and when the fake provider answered a citizen."""

    environment: dict[str, str]
    send: Callable[[httpx.AsyncClient, str, str], Awaitable[httpx.Response]]
    first_reply_at: Callable[[], dict[str, float]]  # citizen -> monotonic time of the first reply


def whatsapp(fake: FakeTwilio, app_url: str) -> Channel:
    validator = RequestValidator(AUTH_TOKEN)
    path = "/webhooks/twilio/whatsapp"

    async def send(client: httpx.AsyncClient, number: str, text: str) -> httpx.Response:
        sid = "SM" + uuid.uuid4().hex
        fields = {"MessageSid": sid, "From": f"whatsapp:{number}", "To": WHATSAPP_FROM, "Body": text}
        signature = validator.compute_signature(PUBLIC + path, fields)
        return await client.post(app_url + path, data=fields, headers={"X-Twilio-Signature": signature})

    def first_reply_at() -> dict[str, float]:
        with fake.arrived:
            seen: dict[str, float] = {}
            for message in fake.messages:
                seen.setdefault(message["To"].removeprefix("whatsapp:"), message["arrived_at"])
            return seen

    environment = {
        "LOKET_PUBLIC_BASE_URL": PUBLIC,
        "LOKET_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "LOKET_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "LOKET_TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
        "LOKET_TWILIO_API_BASE_URL": fake.url,
    }
    return Channel(environment, send, first_reply_at)


def telegram(fake: FakeTelegram, app_url: str) -> Channel:
    secret = "bench-telegram-secret"
    updates = itertools.count(1)

    async def send(client: httpx.AsyncClient, number: str, text: str) -> httpx.Response:
        chat = int(number.removeprefix("+"))  # one private chat per citizen
        update = {
            "update_id": next(updates),
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private", "first_name": "Warga"},
                "from": {"id": chat, "is_bot": False, "first_name": "Warga"},
                "text": text,
            },
        }
        return await client.post(app_url + "/webhooks/telegram", json=update, headers={SECRET_HEADER: secret})

    def first_reply_at() -> dict[str, float]:
        seen: dict[str, float] = {}
        for call in fake.sent():
            seen.setdefault(f"+{call.params['chat_id']}", call.at)
        return seen

    environment = {
        "LOKET_TELEGRAM_BOT_TOKEN": fake.token,
        "LOKET_TELEGRAM_SECRET_TOKEN": secret,
        "LOKET_TELEGRAM_API_BASE_URL": fake.url,
    }
    return Channel(environment, send, first_reply_at)


def sms(outbound_url: str, app_url: str) -> Channel:
    ids = itertools.count(1)

    async def send(client: httpx.AsyncClient, number: str, text: str) -> httpx.Response:
        body = json.dumps({"from": number, "to": "1708", "text": text, "id": f"gw-{next(ids)}"}).encode()
        headers = {
            "Content-Type": "application/json",
            sms_gateway.SIGNATURE_HEADER: sms_gateway.signature(GATEWAY_SECRET, body),
        }
        return await client.post(app_url + "/webhooks/sms-gateway", content=body, headers=headers)

    def first_reply_at() -> dict[str, float]:
        with FakeGateway.arrived:
            seen: dict[str, float] = {}
            for sent in FakeGateway.received:
                seen.setdefault(sent["to"], sent["arrived_at"])
            return seen

    environment = {"LOKET_SMS_GATEWAY_SECRET": GATEWAY_SECRET, "LOKET_SMS_GATEWAY_OUTBOUND_URL": outbound_url}
    return Channel(environment, send, first_reply_at)


FAKES: dict[str, tuple[Callable[[], AbstractContextManager[Any]], Callable[[Any, str], Channel]]] = {
    "whatsapp": (fake_twilio, whatsapp),
    "telegram": (fake_telegram, telegram),
    "sms-gateway": (lambda: fake_sms_gateway(GATEWAY_SECRET), sms),
}


def number() -> str:
    return f"+62811{uuid.uuid4().int % 10**8:08d}"


async def burst(channel: Channel, senders: int, total: int) -> list[float]:
    """Acknowledgement times (ms) of ``total`` messages sent by ``senders`` concurrent senders."""
    latencies: list[float] = []
    remaining = iter(range(total))

    async def sender(client: httpx.AsyncClient) -> None:
        for _ in remaining:
            started = time.perf_counter()
            response = await channel.send(client, number(), TEXT)
            latencies.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text

    limits = httpx.Limits(max_connections=senders)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        await asyncio.gather(*(sender(client) for _ in range(senders)))
    return latencies


async def sustained(channel: Channel, rate: float, seconds: float) -> tuple[dict[str, float], int]:
    """Send ``rate`` messages a second for ``seconds``; (citizen -> send time, acknowledged count)."""
    sent: dict[str, float] = {}
    acknowledged = 0

    async def one(client: httpx.AsyncClient, citizen: str) -> None:
        nonlocal acknowledged
        sent[citizen] = time.monotonic()
        response = await channel.send(client, citizen, TEXT)
        acknowledged += response.status_code == 200

    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=50)) as client:
        tasks, start = [], time.monotonic()
        for n in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
            tasks.append(asyncio.create_task(one(client, number())))
        await asyncio.gather(*tasks)
    return sent, acknowledged


def wait_for_replies(channel: Channel, citizens: set[str], patience: float) -> dict[str, float]:
    """First-reply times of ``citizens``, once all have one or ``patience`` seconds passed quietly."""
    last_progress, answered = time.monotonic(), 0
    while True:
        replies = {citizen: at for citizen, at in channel.first_reply_at().items() if citizen in citizens}
        if len(replies) == len(citizens):
            return replies
        if len(replies) > answered:
            last_progress, answered = time.monotonic(), len(replies)
        elif time.monotonic() - last_progress > patience:
            return replies
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--channel", choices=sorted(FAKES), default="whatsapp")
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()

    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    start_fake, make_channel = FAKES[args.channel]
    with start_fake() as fake:
        channel = make_channel(fake, app_url)
        with running_loket(port, channel.environment):
            acks = asyncio.run(burst(channel, args.senders, args.burst))
            print(
                f"{args.channel} ack_ms senders={args.senders} p50={percentile(acks, 0.5):.1f} "
                f"p99={percentile(acks, 0.99):.1f} n={len(acks)}",
                flush=True,
            )
            # The burst's backlog drains before the sustained run starts.
            waited = time.monotonic()
            while len(channel.first_reply_at()) < args.burst and time.monotonic() - waited < 900:
                time.sleep(0.5)
            print(f"{args.channel} burst_answered={len(channel.first_reply_at())}/{args.burst}", flush=True)

            sent, acknowledged = asyncio.run(sustained(channel, args.rate, args.seconds))
            replies = wait_for_replies(channel, set(sent), patience=30)

    latencies = [(replies[citizen] - sent[citizen]) * 1000 for citizen in replies]
    span = max(replies.values()) - min(sent.values()) if replies else float("nan")
    print(
        f"{args.channel} sustained rate={args.rate}/s seconds={args.seconds:.0f} in={acknowledged} "
        f"out={len(replies)} lost={acknowledged - len(replies)} achieved={len(replies) / span:.1f}/s"
    )
    print(
        f"{args.channel} end_to_end_ms p50={percentile(latencies, 0.5):.0f} "
        f"p95={percentile(latencies, 0.95):.0f} n={len(latencies)}"
    )


if __name__ == "__main__":
    main()
