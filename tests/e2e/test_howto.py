"""Service questions through the real Rasa server and the app's live catalog."""

from __future__ import annotations

import uuid

import httpx
import pytest

from catalog import schema, store
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e


def ask(client: httpx.Client, sender: str, text: str) -> str:
    response = client.post("/api/v1/chat", json={"sender": sender, "text": text})
    assert response.status_code == 200, response.text
    return "\n".join(reply.get("text", "") for reply in response.json()["replies"])


def test_an_informal_question_is_answered_from_the_catalog(stack: Stack) -> None:
    with stack.client() as client:
        answer = ask(client, f"howto-{uuid.uuid4().hex[:6]}", "gmn cr bkin ktp yg ilang")

    assert "KTP-el" in answer and "Hilang" in answer
    assert "dukcapil.kemendagri.go.id" in answer


def test_a_follow_up_question_uses_the_previous_service(stack: Stack) -> None:
    sender = f"howto-{uuid.uuid4().hex[:6]}"
    with stack.client() as client:
        first = ask(client, sender, "syarat bikin skck apa aja kak")
        follow_up = ask(client, sender, "kalau biayanya?")

    assert "Syarat:" in first and "SKCK" in first
    assert "Biaya: Rp30.000" in follow_up and "Catatan Kepolisian" in follow_up


def test_a_published_edit_changes_the_answer_without_restart(stack: Stack) -> None:
    sender = f"howto-{uuid.uuid4().hex[:6]}"
    db = stack.database()
    try:
        entry = {e.id: e for e in store.all_entries(db)}["legalisir-ijazah"]
        with stack.client() as client:
            before = ask(client, sender, "legalisir ijazah berapa lama jadinya")
            edited = entry.model_copy(
                update={"duration": "Selesai dalam 1 hari kerja (uji perubahan konten)."}
            )
            store.save(db, schema.ServiceContent.model_validate(edited.model_dump()), editor="e2e-editor")
            after = ask(client, sender, "legalisir ijazah berapa lama jadinya")
    finally:
        db.dispose()

    assert "uji perubahan konten" not in before
    assert "Lama proses: Selesai dalam 1 hari kerja (uji perubahan konten)." in after


def test_an_out_of_catalog_question_gets_no_service(stack: Stack) -> None:
    with stack.client() as client:
        answer = ask(client, f"howto-{uuid.uuid4().hex[:6]}", "cara ternak lele di kolam terpal gimana")

    assert "belum punya informasi" in answer or "hanya bisa membantu soal layanan publik" in answer
    assert "Info resmi" not in answer
