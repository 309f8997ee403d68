"""Conversations through /api/v1/chat with the real Rasa server and the real app."""

from __future__ import annotations

import sqlite3
import uuid

import httpx
import pytest
from sqlalchemy import select

from channels.models import Contact, InboxMessage
from tests.e2e.conftest import Stack, wait_for

pytestmark = pytest.mark.e2e


def say(client: httpx.Client, sender: str, text: str, **extra: str) -> dict:  # type: ignore[type-arg]
    response = client.post("/api/v1/chat", json={"sender": sender, "text": text, **extra})
    assert response.status_code == 200, response.text
    body: dict = response.json()  # type: ignore[type-arg]
    assert body["status"] == "answered"
    return body


def texts(body: dict) -> str:  # type: ignore[type-arg]
    return "\n".join(reply.get("text", "") for reply in body["replies"])


def new_sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:8]}"


def test_a_greeting_gets_the_menu_with_its_four_choices(stack: Stack) -> None:
    with stack.client() as client:
        body = say(client, new_sender(), "halo min, selamat pagi")

    assert "Loket" in texts(body)
    buttons = [b["payload"] for reply in body["replies"] for b in reply.get("buttons", [])]
    assert buttons == ["/ask_howto", "/file_complaint", "/check_status", "/talk_to_human"]


def test_asked_if_it_is_a_robot_it_says_so_honestly(stack: Stack) -> None:
    with stack.client() as client:
        body = say(client, new_sender(), "kamu robot?")

    assert "bukan manusia" in texts(body)


def test_an_out_of_scope_question_is_politely_redirected_to_the_menu(stack: Stack) -> None:
    with stack.client() as client:
        body = say(client, new_sender(), "resep rendang padang yang enak gimana ya")

    assert "hanya bisa membantu soal layanan publik" in texts(body)
    assert "MENU" in texts(body)


def test_stop_runs_a_custom_action_that_records_the_opt_out(stack: Stack) -> None:
    sender = new_sender()
    with stack.client() as client:
        stopped = say(client, sender, "STOP")
        assert "tidak akan mengirim pesan lagi" in texts(stopped)
        assert _opted_out(stack, sender) is True

        resumed = say(client, sender, "MULAI")
        assert "aktif kembali" in texts(resumed)
        assert _opted_out(stack, sender) is False


def _opted_out(stack: Stack, sender: str) -> bool:
    db = stack.database()
    with db.session() as session:
        opted_out: bool = session.execute(
            select(Contact.opted_out).where(Contact.channel == "api", Contact.address == sender)
        ).scalar_one()
    db.dispose()
    return opted_out


def test_a_repeated_message_id_is_answered_from_the_first_turn(stack: Stack) -> None:
    sender, message_id = new_sender(), uuid.uuid4().hex
    with stack.client() as client:
        first = say(client, sender, "makasih ya", message_id=message_id)
        again = say(client, sender, "makasih ya", message_id=message_id)

    assert first["replies"] == again["replies"]
    assert _user_turns(stack, sender) == 1


def _user_turns(stack: Stack, sender: str) -> int:
    db = stack.database()
    with db.session() as session:
        contact_id = session.execute(
            select(Contact.id).where(Contact.channel == "api", Contact.address == sender)
        ).scalar_one()
    db.dispose()
    tracker = sqlite3.connect(stack.settings.var_dir / "rasa" / "tracker.db")
    try:
        (count,) = tracker.execute(
            "SELECT count(*) FROM events WHERE sender_id = ? AND type_name = 'user'", (f"c{contact_id}",)
        ).fetchone()
    finally:
        tracker.close()
    return int(count)


def test_messages_sent_while_rasa_is_down_are_answered_once_in_order_after_it_returns(stack: Stack) -> None:
    sender = new_sender()
    stack.stop_rasa()
    try:
        with stack.client() as client:
            queued = client.post("/api/v1/chat", json={"sender": sender, "text": "halo"})
            assert queued.status_code == 202
            assert queued.json()["status"] == "queued"
            [notice] = queued.json()["replies"]
            assert "sudah kami terima" in notice["text"]
            # A second message waits behind the first: no second notice, a clear 504 after the wait.
            waiting = client.post("/api/v1/chat", json={"sender": sender, "text": "kamu robot?"})
            assert waiting.status_code == 504
            assert waiting.json()["error"] == "timeout" and "tersimpan" in waiting.json()["detail"]
            health = client.get("/healthz").json()
            assert health["rasa"] == "unreachable" and health["database"] == "ok"
    finally:
        stack.start_rasa()
    stack.wait_until_ready()

    with stack.client() as client:

        def replies() -> list[dict]:  # type: ignore[type-arg]
            body: list[dict] = client.get(f"/api/v1/chat/{sender}/replies").json()["replies"]  # type: ignore[type-arg]
            return body

        # Well before the 60 s retry delay: the worker notices Rasa is back and releases the messages.
        wait_for(lambda: len([r for r in replies() if r["kind"] == "reply"]) == 2, 20)
        received = replies()

    assert [reply["kind"] for reply in received] == ["notice", "reply", "reply"]
    assert "Loket" in received[1]["text"] and "bukan manusia" in received[2]["text"]
    assert _user_turns(stack, sender) == 2
    db = stack.database()
    with db.session() as session:
        statuses = session.scalars(
            select(InboxMessage.status).join(Contact).where(Contact.address == sender)
        ).all()
    db.dispose()
    assert statuses == ["done", "done"]


def test_metrics_count_messages_and_turns(stack: Stack) -> None:
    with stack.client() as client:
        say(client, new_sender(), "halo")
        metrics = client.get("/metrics").text

    assert 'loket_messages_in_total{channel="api"}' in metrics
    assert "loket_turn_latency_seconds_count" in metrics
    assert 'loket_queue_depth{queue="inbox",status="pending"}' in metrics


def test_answering_the_menu_with_its_number_picks_that_choice(stack: Stack) -> None:
    sender = new_sender()
    with stack.client() as client:
        say(client, sender, "halo")
        body = say(client, sender, "4")

    assert "petugas" in texts(body)
