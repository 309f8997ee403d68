"""The dialogue worker: takes inbox messages in order per contact, asks Rasa, queues the replies."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from bot import messages
from bot.db import Database, utcnow
from bot.metrics import ERRORS, TURN_LATENCY
from bot.rasa_client import RasaClient, RasaUnavailable
from bot.settings import Settings
from channels import inbox, queue
from channels.base import MAX_TITLE_LENGTH, NUMBERED_CHOICE, Reply, numbered_choice, titled_choice
from channels.models import InboxMessage
from channels.workers import QueueWorker

logger = logging.getLogger(__name__)


class DialogueWorker(QueueWorker[InboxMessage]):
    """Turns inbox messages into queued replies; while Rasa is unavailable, messages wait."""

    name = "dialogue"
    model = InboxMessage

    def __init__(
        self,
        db: Database,
        settings: Settings,
        rasa: RasaClient,
        on_handled: Callable[[int], None],
        concurrency: int | None = None,
    ) -> None:
        super().__init__(db, settings, concurrency or settings.dialogue_workers)
        self.rasa = rasa
        self.on_handled = on_handled
        self._rasa_down = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, and bring waiting messages forward as soon as Rasa is back."""
        await asyncio.gather(super().run(stop), self._watch_recovery(stop))

    async def _watch_recovery(self, stop: asyncio.Event) -> None:
        # Deferred messages back off up to LOKET_RETRY_MAX_SECONDS; without this watch a citizen
        # could wait that long after Rasa has already recovered.
        while not stop.is_set():
            if not self._rasa_down.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._rasa_down.wait(), self.settings.poll_seconds)
            elif await self.rasa.is_ready():
                self._rasa_down.clear()
                released = await asyncio.to_thread(inbox.release_deferred, self.db, self.clock())
                logger.info("Rasa is reachable again; %s waiting message(s) released", released)
                for _ in range(min(released, self.concurrency)):
                    self.wake()
            else:
                await asyncio.sleep(self.settings.poll_seconds)

    async def handle(self, message: InboxMessage, owner: str) -> None:
        """Run one turn for a claimed message."""
        text = await self._with_choice_resolved(message)
        try:
            replies = await self.rasa.turn(
                conversation_id=message.contact.conversation_id,
                text=text,
                message_id=f"inbox-{message.id}",
                metadata={
                    "channel": message.channel,
                    "original_text": message.text,
                    "inbox_id": message.id,
                    **message.payload,
                },
                retry=message.attempts > 1,
            )
        except RasaUnavailable as error:
            await self._defer(message, owner, error)
            return
        if await asyncio.to_thread(inbox.complete, self.db, message, owner, replies):
            TURN_LATENCY.observe((utcnow() - message.received_at).total_seconds())
        self.on_handled(message.id)

    async def _with_choice_resolved(self, message: InboxMessage) -> str:
        """A bare number answering a menu ("2"), or a button's title typed out ("setuju"), becomes
        the payload of that choice: SMS has no buttons, and people type what they see."""
        if not (NUMBERED_CHOICE.match(message.text) or len(message.text) <= MAX_TITLE_LENGTH):
            return message.text
        offered = await asyncio.to_thread(inbox.last_offered_buttons, self.db, message.contact_id, message.id)
        chosen = numbered_choice(message.text, offered) or titled_choice(message.text, offered)
        return chosen.payload if chosen else message.text

    async def _defer(self, message: InboxMessage, owner: str, error: RasaUnavailable) -> None:
        self._rasa_down.set()
        ERRORS.labels(kind="rasa_unavailable").inc()
        logger.warning(
            "Rasa unavailable for inbox message %s (attempt %s): %s", message.id, message.attempts, error
        )
        delay = queue.retry_delay(
            message.attempts, self.settings.retry_base_seconds, self.settings.retry_max_seconds
        )
        notice = Reply(text=messages.text("delay_notice"))
        await asyncio.to_thread(
            inbox.defer, self.db, message, owner, delay.total_seconds(), str(error), notice
        )
        self.on_handled(message.id)
