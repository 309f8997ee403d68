"""A local stand-in for the Telegram Bot API (https://core.telegram.org/bots/api), on 127.0.0.1.

It answers the methods Loket calls (getMe, sendMessage, answerCallbackQuery, setWebhook,
deleteWebhook, getUpdates) the way Telegram does, records every call with its parameters, and can be
told to answer the next calls of a method with an error (429 with ``retry_after``, 403 blocked, ...).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

TOKEN = "7123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
BOT_USER = {
    "id": 7123456789,
    "is_bot": True,
    "first_name": "Loket",
    "username": "loket_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
# Parameters PTB sends as plain strings; every other form value is JSON (numbers, markup, lists).
STRING_PARAMETERS = frozenset({"text", "caption", "callback_query_id", "url", "secret_token"})


@dataclass
class Call:
    """One request to the fake: the method, its decoded parameters and the HTTP status answered."""

    method: str
    params: dict[str, Any]
    status: int
    at: float = field(default_factory=time.monotonic)


@dataclass
class _Scripted:
    after: int  # successful calls of the method still to answer before this failure
    status: int
    answer: dict[str, Any]


class FakeTelegram:
    """The state of one fake Bot API server: calls received, scripted errors, pending updates."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.url = ""
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []  # what getUpdates hands out, until confirmed by offset
        self.webhook: dict[str, Any] = {}
        self._errors: dict[str, list[_Scripted]] = {}
        self.files: dict[str, tuple[str, str, bytes]] = {}  # file_id -> (file_path, content type, bytes)
        self._next_message_id = 1000
        self.changed = threading.Condition()

    def fail_next(
        self, method: str, status: int, description: str, after: int = 0, **parameters: Any
    ) -> None:
        """Answer a coming call of ``method`` (the next one, or the one after ``after`` more successful
        calls) with this error, as Telegram words it."""
        answer: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            answer["parameters"] = parameters
        with self.changed:
            self._errors.setdefault(method, []).append(_Scripted(after, status, answer))

    def rate_limit_next(self, method: str, retry_after: int, after: int = 0) -> None:
        """A 429 flood-control answer: https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this"""
        self.fail_next(
            method, 429, f"Too Many Requests: retry after {retry_after}", after, retry_after=retry_after
        )

    def block_next(self, method: str = "sendMessage") -> None:
        """The answer when the citizen has blocked the bot."""
        self.fail_next(method, 403, "Forbidden: bot was blocked by the user")

    def queue_update(self, update: dict[str, Any]) -> None:
        """Make ``update`` available to getUpdates (long polling)."""
        with self.changed:
            self.updates.append(update)
            self.changed.notify_all()

    def sent(self, method: str = "sendMessage", chat_id: int | None = None) -> list[Call]:
        """The successful calls of ``method`` (to ``chat_id``), in order."""
        with self.changed:
            return [
                call
                for call in self.calls
                if call.method == method
                and call.status == 200
                and (chat_id is None or str(call.params.get("chat_id")) == str(chat_id))
            ]

    def wait_for(self, condition: Callable[[], bool], seconds: float = 30) -> None:
        """Block until ``condition`` holds (checked whenever a call arrives)."""
        with self.changed:
            if not self.changed.wait_for(condition, timeout=seconds):
                raise AssertionError(f"the fake Telegram did not see the expected calls within {seconds} s")

    def wait_for_sent(
        self, count: int, method: str = "sendMessage", chat_id: int | None = None, seconds: float = 30
    ) -> list[Call]:
        """The first ``count`` successful calls of ``method`` (to ``chat_id``), waiting for them."""
        self.wait_for(lambda: len(self.sent(method, chat_id)) >= count, seconds)
        return self.sent(method, chat_id)

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The status and JSON body for one call (called by the request handler)."""
        with self.changed:
            scripted = self._errors.get(method)
            if scripted and scripted[0].after == 0:
                failure = scripted.pop(0)
                status, body = failure.status, failure.answer
            else:
                if scripted:
                    scripted[0].after -= 1
                status, body = 200, {"ok": True, "result": self._result(method, params)}
            self.calls.append(Call(method, params, status))
            self.changed.notify_all()
        return status, body

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "sendMessage":
            self._next_message_id += 1
            return {
                "message_id": self._next_message_id,
                "from": BOT_USER,
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "date": int(time.time()),
                "text": params.get("text", ""),
            }
        if method == "setWebhook":
            self.webhook = params
            return True
        if method == "deleteWebhook":
            self.webhook = {}
            return True
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            self.updates = [update for update in self.updates if update["update_id"] >= offset]
            if not self.updates:  # long polling: hold the request a little while nothing is there
                self.changed.wait_for(
                    lambda: bool(self.updates), timeout=min(float(params.get("timeout") or 0), 1)
                )
            return self.updates[: int(params.get("limit") or 100)]
        if method == "answerCallbackQuery":
            return True
        if method == "getFile":
            path, _, data = self.files[params["file_id"]]
            return {"file_id": params["file_id"], "file_size": len(data), "file_path": path}
        raise LookupError(method)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        fake = self.server.fake
        path, _, query = self.path.partition("?")
        if path == f"/bot{fake.token}/getFile":
            params = dict(parse_qsl(query))
            try:
                status, answer = fake.answer("getFile", params)
            except KeyError:
                status, answer = (
                    400,
                    {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"},
                )
            self._reply(status, answer)
            return
        download = path.removeprefix(f"/file/bot{fake.token}/")
        found = next((file for file in fake.files.values() if file[0] == download), None)
        if download == path or found is None:
            self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        _, content_type, data = found
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        fake = self.server.fake
        prefix = f"/bot{fake.token}/"
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not self.path.startswith(prefix):
            self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        method = self.path.removeprefix(prefix)
        try:
            status, answer = fake.answer(method, _params(body, self.headers.get("Content-Type", "")))
        except LookupError:
            status, answer = 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        self._reply(status, answer)

    def _reply(self, status: int, answer: dict[str, Any]) -> None:
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeTelegram


def _params(body: bytes, content_type: str) -> dict[str, Any]:
    if not body:
        return {}
    if content_type.startswith("application/json"):
        decoded: dict[str, Any] = json.loads(body)
        return decoded
    params: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        params[key] = value if key in STRING_PARAMETERS else json.loads(value)
    return params


@contextmanager
def fake_telegram(token: str = TOKEN) -> Iterator[FakeTelegram]:
    """Run a FakeTelegram on 127.0.0.1; its ``url`` is the LOKET_TELEGRAM_API_BASE_URL to use."""
    fake = FakeTelegram(token)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = fake
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
