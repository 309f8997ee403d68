"""A citizen on Telegram: updates through the webhook, the real Rasa dialogue, replies sent by PTB to a
local fake Bot API (inline keyboards, answered button presses)."""

from __future__ import annotations

import copy
import itertools
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from channels import telegram
from tests.e2e.conftest import TELEGRAM_SECRET, Stack, wait_for
from tests.fake_telegram import Call, FakeTelegram

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).parents[1] / "fixtures" / "telegram"
MENU_TITLES = ["Info layanan", "Buat pengaduan", "Cek status", "Bicara dengan petugas"]
_update_ids = itertools.count(uuid.uuid4().int % 10**9)


def new_chat() -> int:
    """A private chat nobody used yet."""
    return 600_000_000 + uuid.uuid4().int % 10**8


def fixture(name: str, chat: int) -> dict[str, Any]:
    """A captured update, moved to ``chat`` and given a fresh update_id."""
    update: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    update["update_id"] = next(_update_ids)
    body = update.get("message") or update["callback_query"]
    body["from"]["id"] = chat
    message = body if "chat" in body else body["message"]
    message["chat"]["id"] = chat
    return update


def text_update(chat: int, text: str) -> dict[str, Any]:
    update = fixture("private_text.json", chat)
    update["message"]["text"] = text
    return update


def press(chat: int, menu: Call, title: str) -> dict[str, Any]:
    """The citizen taps the button titled ``title`` on the message ``menu`` Loket sent."""
    update = fixture("callback_query.json", chat)
    query = update["callback_query"]
    keyboard = copy.deepcopy(menu.params["reply_markup"])
    query["message"] |= {"text": menu.params["text"], "reply_markup": keyboard}
    query["data"] = next(
        row[0]["callback_data"] for row in keyboard["inline_keyboard"] if row[0]["text"] == title
    )
    query["id"] = str(uuid.uuid4().int % 10**19)
    return update


def send(stack: Stack, update: dict[str, Any]) -> httpx.Response:
    headers = {telegram.SECRET_HEADER: TELEGRAM_SECRET}
    return httpx.post(f"{stack.url}{telegram.WEBHOOK_PATH}", json=update, headers=headers, timeout=10)


def replies(telegram_api: FakeTelegram, chat: int, count: int) -> list[Call]:
    return telegram_api.wait_for_sent(count, chat_id=chat, seconds=60)


def test_a_greeting_gets_the_menu_as_buttons_and_a_pressed_button_is_answered_and_taken(
    stack: Stack, telegram_api: FakeTelegram
) -> None:
    chat = new_chat()

    assert send(stack, text_update(chat, "halo min")).json() == {"status": "queued"}
    [menu] = replies(telegram_api, chat, 1)
    tap = press(chat, menu, "Buat pengaduan")
    assert send(stack, tap).json() == {"status": "queued"}
    complaint = replies(telegram_api, chat, 2)[1]
    query_id = tap["callback_query"]["id"]
    telegram_api.wait_for(
        lambda: any(
            call.params["callback_query_id"] == query_id for call in telegram_api.sent("answerCallbackQuery")
        )
    )

    assert "Halo, saya Loket" in menu.params["text"]
    keyboard = menu.params["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in keyboard] == MENU_TITLES
    assert all(len(row[0]["callback_data"].encode()) <= 64 for row in keyboard)
    assert "ceritakan masalahnya" in complaint.params["text"]


def test_an_update_without_the_secret_is_refused(stack: Stack) -> None:
    response = httpx.post(
        f"{stack.url}{telegram.WEBHOOK_PATH}", json=text_update(new_chat(), "halo"), timeout=10
    )

    assert response.status_code == 403


def test_an_update_acknowledged_before_a_crash_is_answered_exactly_once_after_restart(
    stack: Stack, telegram_api: FakeTelegram
) -> None:
    chat = new_chat()
    stack.stop_rasa()  # the update is stored and acknowledged, but cannot be answered yet
    try:
        assert send(stack, text_update(chat, "halo min")).json() == {"status": "queued"}
        notice = replies(telegram_api, chat, 1)
        wait_for(lambda: stack.all_sent(telegram.CHANNEL, str(chat)), 30)  # (a crash in between resends it)
        stack.kill_app()
        stack.start_app()
    finally:
        stack.start_rasa()
        stack.wait_until_ready()
    menu = replies(telegram_api, chat, 2)[1]
    assert send(stack, text_update(chat, "makasih")).json() == {"status": "queued"}
    everything = [call.params["text"] for call in replies(telegram_api, chat, 3)]

    assert "sudah kami terima" in notice[0].params["text"]
    assert "Halo, saya Loket" in menu.params["text"]
    assert sum("Halo, saya Loket" in text for text in everything) == 1
    assert len(everything) == 3
