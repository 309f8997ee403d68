"""Workers that drain the leased queues: a shared loop, and the outbox sender."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Generic

from bot.db import Database, utcnow
from bot.metrics import ERRORS, MESSAGES_OUT
from bot.settings import Settings
from channels import contacts, queue
from channels.base import PermanentSendError, Sender, TransientSendError
from channels.models import OutboxMessage
from channels.queue import Queued

logger = logging.getLogger(__name__)


class QueueWorker(ABC, Generic[Queued]):
    """Runs ``concurrency`` loops that claim and handle one message at a time."""

    name = "worker"
    model: type[Queued]

    def __init__(
        self, db: Database, settings: Settings, concurrency: int, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.db = db
        self.settings = settings
        self.concurrency = concurrency
        self.clock = clock
        # One token wakes one idle loop: waking every loop for one message would only make them
        # fight over the same row (on SQLite, over the one write lock).
        self._wakeups: asyncio.Queue[None] = asyncio.Queue(maxsize=concurrency)

    def wake(self) -> None:
        """Tell one idle loop there is new work (other instances find it by polling)."""
        with contextlib.suppress(asyncio.QueueFull):
            self._wakeups.put_nowait(None)

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set."""
        identity = f"{socket.gethostname()}:{os.getpid()}:{self.name}"
        await asyncio.gather(*(self._loop(f"{identity}:{n}", stop) for n in range(self.concurrency)))

    async def _loop(self, owner: str, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                worked = await self.work_once(owner)
            except Exception:
                # A failure here (database gone, a bug in a handler) must not kill the loop: the
                # claimed message keeps its lease, which expires, and it is handled again later.
                logger.exception("%s loop failed; the message will be retried after its lease", self.name)
                ERRORS.labels(kind=f"{self.name}_loop").inc()
                worked = False
            if worked:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeups.get(), timeout=self.settings.poll_seconds)

    async def work_once(self, owner: str) -> bool:
        """Claim and handle one message; False when there was nothing to do."""
        message = await asyncio.to_thread(
            queue.claim_next, self.db, self.model, owner, self.settings.lease_seconds, self.clock()
        )
        if message is None:
            return False
        await self.handle(message, owner)
        return True

    @abstractmethod
    async def handle(self, message: Queued, owner: str) -> None:
        """Do the work of one claimed message and release it (done, retry or failed)."""


class OutboxWorker(QueueWorker[OutboxMessage]):
    """Delivers queued replies in order per contact, retrying transient failures with backoff."""

    name = "outbox"
    model = OutboxMessage

    def __init__(
        self,
        db: Database,
        settings: Settings,
        senders: Mapping[str, Sender],
        concurrency: int | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(db, settings, concurrency or settings.sender_workers, clock)
        self.senders = senders

    async def aclose(self) -> None:
        """Close the senders' connections (those that keep any)."""
        for sender in self.senders.values():
            close = getattr(sender, "aclose", None)
            if close is not None:
                await close()

    async def handle(self, message: OutboxMessage, owner: str) -> None:
        """Send one claimed message and record the outcome."""
        sender = self.senders.get(message.channel)
        if sender is None:
            await asyncio.to_thread(
                queue.fail, self.db, OutboxMessage, message.id, owner, f"no sender for {message.channel}"
            )
            ERRORS.labels(kind="no_sender").inc()
            return
        try:
            provider_id = await sender.send(message)
        except TransientSendError as error:
            await self._retry_or_fail(message, owner, error)
            return
        except PermanentSendError as error:
            await asyncio.to_thread(queue.fail, self.db, OutboxMessage, message.id, owner, str(error))
            if error.contact_state is not None:
                await asyncio.to_thread(
                    contacts.mark_refused, self.db, message.contact_id, error.contact_state, str(error)
                )
            ERRORS.labels(kind="send_permanent").inc()
            return
        await asyncio.to_thread(
            queue.finish,
            self.db,
            OutboxMessage,
            message.id,
            owner,
            sent_at=self.clock(),
            provider_message_id=provider_id,
        )
        MESSAGES_OUT.labels(channel=message.channel).inc()

    async def _retry_or_fail(self, message: OutboxMessage, owner: str, error: TransientSendError) -> None:
        ERRORS.labels(kind="send_transient").inc()
        if message.attempts >= self.settings.send_max_attempts:
            await asyncio.to_thread(
                queue.fail,
                self.db,
                OutboxMessage,
                message.id,
                owner,
                f"gave up after {message.attempts}: {error}",
            )
            return
        delay = queue.retry_delay(
            message.attempts, self.settings.retry_base_seconds, self.settings.retry_max_seconds
        )
        if error.retry_after_seconds is not None:
            delay = max(delay, timedelta(seconds=error.retry_after_seconds))
        await asyncio.to_thread(
            queue.retry_later,
            self.db,
            OutboxMessage,
            message.id,
            owner,
            self.clock() + delay,
            str(error),
            parts_sent=max(error.parts_sent, message.parts_sent),
        )
