"""Stand-ins for the outside world, at its edge: local HTTP servers that play a provider's API, and
another writer to the database."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.db import Database
from channels import sms_gateway


class FakeGateway(BaseHTTPRequestHandler):
    """A local SMS aggregator API: records each request (with whether its signature was valid) and
    answers with the next status in ``answers`` (200 when none is left)."""

    secret = ""
    received: list[dict[str, Any]] = []
    answers: list[int] = []
    arrived = threading.Condition()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        valid = sms_gateway.verify(self.secret, body, self.headers.get(sms_gateway.SIGNATURE_HEADER, ""))
        status = self.answers.pop(0) if self.answers else 200
        with self.arrived:
            self.received.append(
                {"valid": valid, "status": status, "arrived_at": time.monotonic(), **json.loads(body)}
            )
            self.arrived.notify_all()
        payload = json.dumps({"id": f"gw-out-{len(self.received)}"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        return


@contextmanager
def fake_sms_gateway(secret: str) -> Iterator[str]:
    """Run a FakeGateway on 127.0.0.1; yields the URL replies are sent to."""
    FakeGateway.secret, FakeGateway.received, FakeGateway.answers = secret, [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/send"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def another_writer_first(db: Database, change: Callable[[Session], None]) -> Iterator[list[bool]]:
    """Someone else commits ``change`` in their own transaction the moment the code under test is
    about to write for the first time, after its reads: the race of two requests on PostgreSQL,
    played in order. The list yielded holds True once the other writer has written."""
    wrote: list[bool] = []

    def first(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith(("SAVEPOINT", "INSERT", "UPDATE", "DELETE")) and not wrote:
            wrote.append(True)
            with db.session() as session:
                change(session)

    event.listen(db.engine, "before_cursor_execute", first)
    try:
        yield wrote
    finally:
        event.remove(db.engine, "before_cursor_execute", first)
