"""A local stand-in for Twilio's REST API (Messages and Content), at the network edge of the tests."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "twilio-auth-token-for-tests"


@dataclass
class FakeTwilio:
    """What the fake received, and the error answers queued for the next message requests.

    ``failures`` holds (HTTP status, Twilio error code) pairs, or None for a success, used one per
    Messages request. ``before_answer`` is called with a new message's sid before the fake answers
    its request: a status callback can overtake the REST answer in real life. ``media`` maps a media
    path to the (HTTP status, content type, bytes) it serves to authenticated GETs; ``media_requests``
    lists the paths asked for.
    """

    url: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    contents: list[dict[str, Any]] = field(default_factory=list)
    failures: list[tuple[int, int] | None] = field(default_factory=list)
    unauthorised: int = 0
    before_answer: Callable[[str], None] | None = None
    media: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)
    media_requests: list[str] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, condition: Callable[[], bool], timeout: float = 30) -> None:
        """Block until ``condition`` holds for what arrived (raises on timeout)."""
        with self.arrived:
            if not self.arrived.wait_for(condition, timeout):
                raise AssertionError(f"the fake Twilio did not receive what was expected: {self.messages}")

    def sent_to(self, address: str) -> list[dict[str, Any]]:
        """The messages accepted for ``address``, in order."""
        with self.arrived:
            return [m for m in self.messages if m["To"] == address and m["accepted"]]


def _handler(state: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    expected_auth = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.media_requests.append(self.path)
            if self.headers.get("Authorization") != expected_auth:
                self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
                return
            status, content_type, data = state.media.get(self.path, (404, "application/json", b"{}"))
            # Like a file server streaming a body: no Content-Length, the end is the connection's close.
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Authorization") != expected_auth:
                state.unauthorised += 1
                self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
            elif self.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json":
                self._message({key: values[0] for key, values in parse_qs(body.decode()).items()})
            elif self.path == "/v1/Content":
                self._content(json.loads(body))
            else:
                self._answer(404, {"code": 20404, "message": "Not found", "status": 404})

        def _message(self, form: dict[str, str]) -> None:
            failure = state.failures.pop(0) if state.failures else None
            sid = "SM" + uuid.uuid4().hex
            with state.arrived:
                state.messages.append(
                    {**form, "accepted": failure is None, "sid": sid, "arrived_at": time.monotonic()}
                )
                state.arrived.notify_all()
            if failure:
                status, code = failure
                # Twilio's messages name the number ("The 'To' number +62... is not valid").
                message = f"error {code} for 'To' number {form.get('To')}"
                self._answer(status, {"code": code, "message": message, "status": status})
            else:
                if state.before_answer is not None:
                    state.before_answer(sid)
                self._answer(
                    201, {"sid": sid, "status": "queued", "to": form.get("To"), "body": form.get("Body")}
                )

        def _content(self, request: dict[str, Any]) -> None:
            sid = "HX" + uuid.uuid4().hex
            with state.arrived:
                state.contents.append({**request, "sid": sid})
                state.arrived.notify_all()
            self._answer(201, {"sid": sid, **request})

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            return

    return Handler


@contextmanager
def fake_twilio() -> Iterator[FakeTwilio]:
    """Run a FakeTwilio on 127.0.0.1 for the duration of the block."""
    state = FakeTwilio()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
