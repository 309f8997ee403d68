"""The real stack for end-to-end tests: the trained Rasa server and the app, each its own process."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot import migrate, rasa_server
from bot.db import Database
from bot.settings import PROJECT_ROOT, Settings
from channels.models import Contact, OutboxMessage, QueueStatus
from tests.fake_telegram import FakeTelegram, fake_telegram
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, fake_twilio
from tests.fakes import fake_sms_gateway

READY_SECONDS = 240
_POLL = threading.Event()  # never set: only its timed wait is used between polls


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Stack:
    """A running Loket: its settings, its Rasa process and its app process."""

    settings: Settings
    model: Path
    rasa: subprocess.Popen[bytes] | None
    environment: dict[str, str]
    app: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return self.settings.app_url

    @property
    def token(self) -> str:
        return self.settings.secret("api_token")

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=60)

    def database(self) -> Database:
        return Database(self.settings.effective_database_url)

    def all_sent(self, channel: str, address: str) -> bool:
        """Whether something was queued for the contact and all of it is recorded as delivered."""
        with self.database().reading() as session:
            statuses = session.scalars(
                select(OutboxMessage.status)
                .join(OutboxMessage.contact)
                .where(Contact.channel == channel, Contact.address == address)
            ).all()
        return bool(statuses) and all(status == QueueStatus.DONE for status in statuses)

    def stop_rasa(self) -> None:
        assert self.rasa is not None
        rasa_server.stop(self.rasa)
        self.rasa = None

    def start_rasa(self) -> None:
        self.rasa = rasa_server.start(self.settings, self.model)

    def start_app(self) -> None:
        log = (self.settings.var_dir / "app.log").open("ab")
        self.app = subprocess.Popen(
            [str(PROJECT_ROOT / ".venv" / "bin" / "loket"), "serve"],
            env={**os.environ, **self.environment},
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill_app(self) -> None:
        """SIGKILL: no graceful shutdown, as in a crash or a power cut."""
        assert self.app is not None
        self.app.kill()
        self.app.wait(20)
        self.app = None

    def stop_app(self) -> None:
        if self.app is not None:
            self.app.terminate()
            self.app.wait(20)
            self.app = None

    def wait_until_ready(self) -> None:
        wait_for(
            lambda: _health(self.url).get("rasa") == "ok",
            READY_SECONDS,
            f"{self.settings.var_dir}/rasa/rasa.log",
        )


def _health(url: str) -> dict[str, str]:
    try:
        body: dict[str, str] = httpx.get(f"{url}/healthz", timeout=2).json()
        return body
    except httpx.HTTPError:
        return {}


def wait_for(condition, seconds: float, log_hint: str = "") -> None:  # type: ignore[no-untyped-def]
    """Poll ``condition`` until it holds (a readiness wait, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        _POLL.wait(0.2)
    raise AssertionError(f"condition not met within {seconds} s {log_hint}")


SMS_GATEWAY_SECRET = "e2e-gateway-secret"


@pytest.fixture(scope="session")
def sms_gateway_url() -> Iterator[str]:
    """A local fake SMS aggregator that the stack sends SMS-gateway replies to."""
    with fake_sms_gateway(SMS_GATEWAY_SECRET) as url:
        yield url


PUBLIC_BASE_URL = "https://loket.e2e.test"
WHATSAPP_FROM = "whatsapp:+14155238886"


@pytest.fixture(scope="session")
def twilio_api() -> Iterator[FakeTwilio]:
    """A local fake Twilio REST API that the stack sends WhatsApp and Twilio SMS replies to."""
    with fake_twilio() as fake:
        yield fake


TELEGRAM_SECRET = "e2e-telegram-secret"


@pytest.fixture(scope="session")
def telegram_api() -> Iterator[FakeTelegram]:
    """A local fake Telegram Bot API that the stack's bot talks to."""
    with fake_telegram() as fake:
        yield fake


def telegram_environment(fake: FakeTelegram) -> dict[str, str]:
    """The stack's LOKET_TELEGRAM_* settings: the fake Bot API, its token and the webhook secret."""
    return {
        "LOKET_TELEGRAM_BOT_TOKEN": fake.token,
        "LOKET_TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "LOKET_TELEGRAM_API_BASE_URL": fake.url,
        "LOKET_TELEGRAM_CHAT_INTERVAL_SECONDS": "0.2",
    }


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
    sms_gateway_url: str,
    twilio_api: FakeTwilio,
    telegram_api: FakeTelegram,
) -> Iterator[Stack]:
    """Rasa with the trained model, and the app on an embedded SQLite database."""
    var_dir = tmp_path_factory.mktemp("stack") / "var"
    environment = {
        "LOKET_SMS_GATEWAY_SECRET": SMS_GATEWAY_SECRET,
        "LOKET_SMS_GATEWAY_OUTBOUND_URL": sms_gateway_url,
        "LOKET_PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "LOKET_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "LOKET_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "LOKET_TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
        "LOKET_TWILIO_SMS_FROM": "+14155550100",
        "LOKET_TWILIO_API_BASE_URL": twilio_api.url,
        **telegram_environment(telegram_api),
        "LOKET_VAR_DIR": str(var_dir),
        "LOKET_PORT": str(free_port()),
        "LOKET_RASA_PORT": str(free_port()),
        "LOKET_POLL_SECONDS": "0.1",
        # Long retry delays, so a message waiting for Rasa is answered soon after Rasa is back only
        # because the worker notices the recovery, not because its retry happens to come due.
        "LOKET_RETRY_BASE_SECONDS": "60",
        "LOKET_RETRY_MAX_SECONDS": "120",
        "LOKET_CHAT_WAIT_SECONDS": "5",
    }
    settings = Settings(**{key.removeprefix("LOKET_").lower(): value for key, value in environment.items()})
    model, _ = rasa_server.train(settings)
    migrate.upgrade(settings.effective_database_url)
    rasa = rasa_server.start(settings, model)
    running = Stack(settings=settings, model=model, rasa=rasa, environment=environment)
    running.start_app()
    try:
        running.wait_until_ready()
        yield running
    finally:
        running.stop_app()
        if running.rasa is not None:
            rasa_server.stop(running.rasa)
