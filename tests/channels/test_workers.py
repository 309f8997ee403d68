"""The outbox worker delivers in order, retries transient failures with backoff, stops on permanent ones."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.db import Database, utcnow
from bot.settings import Settings
from channels import inbox, queue
from channels.base import InboundMessage, PermanentSendError, Reply, TransientSendError
from channels.models import InboxMessage, OutboxMessage, QueueStatus
from channels.workers import OutboxWorker


class ScriptedProvider:
    """A fake provider at the network edge: fails as scripted, then accepts."""

    channel = "test"

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.delivered: list[str] = []

    async def send(self, message: OutboxMessage) -> str | None:
        if self.failures:
            raise self.failures.pop(0)
        self.delivered.append(message.body["text"])
        return f"provider-{len(self.delivered)}"


def queue_replies(db: Database, sender: str, *texts: str) -> None:
    stored = inbox.store(db, InboundMessage("test", f"{sender}-{len(texts)}", sender, "halo"))
    taken = queue.claim_next(db, InboxMessage, "dialogue", lease_seconds=30)
    assert taken is not None and taken.id == stored.inbox_id
    inbox.complete(db, taken, "dialogue", [Reply(text=t) for t in texts])


def rows(db: Database) -> list[OutboxMessage]:
    with db.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all())


class Clock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance_to(self, moment: datetime) -> None:
        self.now = max(self.now, moment)


async def drain(worker: OutboxWorker) -> None:
    while await worker.work_once("sender-1"):
        pass


async def test_replies_are_delivered_in_order_with_the_provider_id(db: Database, settings: Settings) -> None:
    provider = ScriptedProvider()
    queue_replies(db, "alice", "satu", "dua", "tiga")

    await drain(OutboxWorker(db, settings, {"test": provider}))

    assert provider.delivered == ["satu", "dua", "tiga"]
    assert [(r.status, r.provider_message_id) for r in rows(db)] == [
        ("done", "provider-1"),
        ("done", "provider-2"),
        ("done", "provider-3"),
    ]


async def test_a_transient_failure_is_retried_after_a_growing_delay(db: Database, settings: Settings) -> None:
    provider = ScriptedProvider(TransientSendError("503 from provider"), TransientSendError("timeout"))
    queue_replies(db, "alice", "satu", "dua")
    clock = Clock()
    worker = OutboxWorker(db, settings, {"test": provider}, clock=clock)

    await worker.work_once("sender-1")
    [first, _] = rows(db)
    assert first.status == QueueStatus.PENDING and first.last_error == "503 from provider"
    first_delay = first.available_at - clock.now
    assert first_delay == timedelta(seconds=settings.retry_base_seconds)
    # Nothing is due yet, and the second reply must not overtake the first one.
    assert not await worker.work_once("sender-1")

    clock.advance_to(first.available_at)
    await drain(worker)
    second_delay = rows(db)[0].available_at - clock.now
    assert second_delay == 2 * first_delay
    assert provider.delivered == []

    clock.advance_to(rows(db)[0].available_at)
    await drain(worker)
    assert provider.delivered == ["satu", "dua"]
    assert rows(db)[0].attempts == 3


async def test_retry_after_from_the_provider_is_honoured(db: Database, settings: Settings) -> None:
    provider = ScriptedProvider(TransientSendError("429", retry_after_seconds=120))
    queue_replies(db, "alice", "satu")

    clock = Clock()
    await OutboxWorker(db, settings, {"test": provider}, clock=clock).work_once("sender-1")

    assert rows(db)[0].available_at == clock.now + timedelta(seconds=120)


async def test_a_permanent_failure_stops_retrying_and_unblocks_the_contact(
    db: Database, settings: Settings
) -> None:
    provider = ScriptedProvider(PermanentSendError("21211 invalid number"))
    queue_replies(db, "alice", "satu", "dua")

    await drain(OutboxWorker(db, settings, {"test": provider}))

    assert [r.status for r in rows(db)] == ["failed", "done"]
    assert rows(db)[0].last_error == "21211 invalid number"
    assert provider.delivered == ["dua"]


async def test_transient_failures_give_up_after_the_attempt_limit(db: Database, settings: Settings) -> None:
    limited = settings.model_copy(update={"send_max_attempts": 2, "retry_base_seconds": 0.0})
    provider = ScriptedProvider(*(TransientSendError("down") for _ in range(5)))
    queue_replies(db, "alice", "satu")

    await drain(OutboxWorker(db, limited, {"test": provider}))

    [row] = rows(db)
    assert row.status == "failed" and row.attempts == 2 and "gave up after 2" in (row.last_error or "")


async def test_a_channel_without_a_sender_fails_visibly(db: Database, settings: Settings) -> None:
    queue_replies(db, "alice", "satu")

    await drain(OutboxWorker(db, settings, {}))

    assert rows(db)[0].status == "failed" and "no sender" in (rows(db)[0].last_error or "")
