"""The app's side of the conversation with Rasa: one turn over HTTP, through the ``loket`` channel."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx

from channels.base import Reply

TOKEN_HEADER = "X-Loket-Token"


class RasaUnavailable(Exception):
    """Rasa could not take the turn now (down, starting, overloaded, or failing): retry later."""


class RasaClient:
    """Sends citizens' messages to Rasa and returns its replies."""

    def __init__(self, base_url: str, token: str, timeout_seconds: float) -> None:
        self.base_url = base_url
        self._token = token
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(timeout_seconds, connect=2.0))

    async def turn(
        self, conversation_id: str, text: str, message_id: str, metadata: dict[str, Any], retry: bool
    ) -> list[Reply]:
        """Run one dialogue turn; ``retry`` asks Rasa to return earlier replies if it saw this message."""
        try:
            response = await self._http.post(
                f"{self.base_url}/webhooks/loket/webhook",
                json={
                    "sender": conversation_id,
                    "message": text,
                    "message_id": message_id,
                    "metadata": metadata,
                    "retry": retry,
                },
                headers={TOKEN_HEADER: self._token},
            )
        except httpx.HTTPError as error:
            raise RasaUnavailable(f"{type(error).__name__}: {error}") from error
        if response.status_code != 200:
            raise RasaUnavailable(f"Rasa answered HTTP {response.status_code}")
        try:
            messages = response.json()
        except ValueError as error:
            raise RasaUnavailable("Rasa answered with invalid JSON") from error
        return merged([Reply.from_rasa(message) for message in messages])

    async def is_ready(self) -> bool:
        """Whether Rasa answers and has a model loaded."""
        try:
            response = await self._http.get(f"{self.base_url}/webhooks/loket/", timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()


def merged(replies: list[Reply]) -> list[Reply]:
    """Rasa sends a response's ``custom`` part (e.g. a request for the location) as a message of its
    own; it belongs to the text before it, which channels render together."""
    out: list[Reply] = []
    for reply in replies:
        if out and reply.custom is not None and not (reply.text or reply.buttons) and out[-1].custom is None:
            out[-1] = replace(out[-1], custom=reply.custom)
        else:
            out.append(reply)
    return out
