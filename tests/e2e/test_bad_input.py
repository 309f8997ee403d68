"""Malformed requests to /api/v1/chat get a clear 4xx or a polite reply, never a 500."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e


def post(stack: Stack, content: bytes | str, authorization: str | None = "valid") -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = f"Bearer {stack.token}" if authorization == "valid" else authorization
    return httpx.post(f"{stack.url}/api/v1/chat", content=content, headers=headers, timeout=60)


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic dXNlcjpwYXNz", "Bearer"])
def test_a_missing_or_wrong_token_is_refused(stack: Stack, authorization: str | None) -> None:
    response = post(stack, '{"sender": "x", "text": "halo"}', authorization=authorization)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ('{"sender": "x", "text": ""}', 422, "empty_text"),
        ('{"sender": "x", "text": "   \\n\\t "}', 422, "empty_text"),
        ('{"sender": "x", "text": "\\u0000\\u0007"}', 422, "empty_text"),
        ('{"sender": "x", "text": "' + "a" * 10_000 + '"}', 422, "text_too_long"),
        ('{"sender": "x", "text": ', 400, "invalid_json"),
        ("not json at all", 400, "invalid_json"),
        ('["sender", "text"]', 400, "invalid_body"),
        ('{"text": "halo"}', 422, "invalid_sender"),
        ('{"sender": "a b<script>", "text": "halo"}', 422, "invalid_sender"),
        ('{"sender": "x", "text": 42}', 422, "invalid_text"),
        ('{"sender": "x", "text": "halo", "message_id": 7}', 422, "invalid_message_id"),
        ("\xff\xfe", 400, "invalid_json"),
    ],
)
def test_malformed_bodies_get_a_clear_client_error(stack: Stack, body: str, status: int, error: str) -> None:
    response = post(stack, body.encode("latin-1") if body.startswith("\xff") else body)

    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.json()["detail"]


def test_an_oversized_body_is_refused_before_parsing(stack: Stack) -> None:
    response = post(stack, '{"sender": "x", "text": "' + "a" * 100_000 + '"}')

    assert response.status_code == 413


def test_control_characters_inside_a_message_are_dropped_and_it_is_answered(stack: Stack) -> None:
    response = post(stack, '{"sender": "ctrl-chars", "text": "ha\\u0000lo\\u001b min"}')

    assert response.status_code == 200
    assert "Loket" in response.json()["replies"][0]["text"]


def test_the_action_webhook_refuses_callers_without_the_shared_secret(stack: Stack) -> None:
    response = httpx.post(f"{stack.url}/actions/webhook?token=guess", json={"next_action": "action_opt_out"})

    assert response.status_code == 403
