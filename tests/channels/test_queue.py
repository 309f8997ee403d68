"""The inbox and outbox queues: dedupe, per-contact order, leases, retries — on every backend."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from bot.db import Database, utcnow
from channels import inbox, queue
from channels.base import InboundMessage, Reply
from channels.models import InboxMessage, OutboxMessage, QueueStatus


def message(sender: str, provider_id: str, text: str = "halo") -> InboundMessage:
    return InboundMessage(channel="test", provider_message_id=provider_id, sender=sender, text=text)


def claim(db: Database, owner: str = "w1", at=None) -> InboxMessage | None:  # type: ignore[no-untyped-def]
    return queue.claim_next(db, InboxMessage, owner, lease_seconds=30, now=at)


def test_a_repeated_provider_id_is_stored_once(db: Database) -> None:
    first = inbox.store(db, message("alice", "m-1", "halo"))
    again = inbox.store(db, message("alice", "m-1", "halo"))

    assert first.is_new and not again.is_new
    assert again.inbox_id == first.inbox_id
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(InboxMessage)) == 1


def test_the_same_id_on_another_channel_is_a_different_message(db: Database) -> None:
    inbox.store(db, message("alice", "m-1"))
    other = inbox.store(
        db, InboundMessage(channel="other", provider_message_id="m-1", sender="alice", text="x")
    )

    assert other.is_new


def test_each_contact_is_served_in_order_and_contacts_in_parallel(db: Database) -> None:
    a1 = inbox.store(db, message("alice", "a1"))
    a2 = inbox.store(db, message("alice", "a2"))
    b1 = inbox.store(db, message("bob", "b1"))

    first, second = claim(db, "w1"), claim(db, "w2")
    assert first is not None and second is not None
    assert [first.id, second.id] == [a1.inbox_id, b1.inbox_id]
    # alice's second message waits while her first is being handled.
    assert claim(db, "w3") is None

    assert queue.finish(db, InboxMessage, first.id, "w1")
    third = claim(db, "w3")
    assert third is not None and third.id == a2.inbox_id


def test_an_expired_lease_hands_the_message_to_another_worker(db: Database) -> None:
    stored = inbox.store(db, message("alice", "a1"))
    now = utcnow()
    taken = claim(db, "crashed", at=now)
    assert taken is not None

    assert claim(db, "w2", at=now + timedelta(seconds=29)) is None
    retaken = claim(db, "w2", at=now + timedelta(seconds=31))

    assert retaken is not None and retaken.id == stored.inbox_id
    assert retaken.attempts == 2
    # The worker that lost its lease can no longer finish the message.
    assert not queue.finish(db, InboxMessage, stored.inbox_id, "crashed")
    assert queue.finish(db, InboxMessage, stored.inbox_id, "w2")


def test_retry_delays_double_up_to_the_cap() -> None:
    delays = [queue.retry_delay(n, base_seconds=2, max_seconds=60).total_seconds() for n in range(1, 8)]

    assert delays == [2, 4, 8, 16, 32, 60, 60]


def test_a_retried_message_waits_for_its_backoff_and_keeps_the_contact_blocked(db: Database) -> None:
    first = inbox.store(db, message("alice", "a1"))
    inbox.store(db, message("alice", "a2"))
    taken = claim(db)
    assert taken is not None

    now = utcnow()
    assert queue.retry_later(db, InboxMessage, taken.id, "w1", now + timedelta(seconds=10), "Rasa down")

    assert claim(db, at=now) is None  # neither the retried one nor the one behind it
    again = claim(db, at=now + timedelta(seconds=11))
    assert again is not None and again.id == first.inbox_id and again.last_error == "Rasa down"


def test_completing_a_message_queues_its_replies_in_order(db: Database) -> None:
    stored = inbox.store(db, message("alice", "a1"))
    taken = claim(db)
    assert taken is not None

    assert inbox.complete(db, taken, "w1", [Reply(text="satu"), Reply(text=""), Reply(text="dua")])

    status, rows = inbox.replies_to(db, stored.inbox_id)
    assert status == QueueStatus.DONE
    assert [row.body["text"] for row in rows] == ["satu", "dua"]  # the empty reply is dropped


def test_a_deferred_message_sends_one_notice_however_often_it_is_deferred(db: Database) -> None:
    stored = inbox.store(db, message("alice", "a1"))
    notice = Reply(text="Pesan Anda sudah kami terima.")
    for _ in range(3):
        taken = claim(db, at=utcnow() + timedelta(hours=1))
        assert taken is not None
        assert inbox.defer(db, taken, "w1", 0, "Rasa down", notice)

    status, rows = inbox.replies_to(db, stored.inbox_id)
    assert status == QueueStatus.PENDING
    assert [(row.kind, row.body["text"]) for row in rows] == [("notice", notice.text)]


def test_a_failed_message_no_longer_blocks_the_contact(db: Database) -> None:
    inbox.store(db, message("alice", "a1"))
    second = inbox.store(db, message("alice", "a2"))
    taken = claim(db)
    assert taken is not None

    assert queue.fail(db, InboxMessage, taken.id, "w1", "poison")

    after = claim(db)
    assert after is not None and after.id == second.inbox_id


def test_two_competing_workers_never_take_the_same_message(database_url: str) -> None:
    senders, per_sender = 12, 15
    setup = Database(database_url)
    for n in range(per_sender):
        for s in range(senders):
            inbox.store(setup, message(f"sender-{s}", f"{s}-{n}", text=str(n)))
    setup.dispose()

    handled: list[tuple[str, int, str, str]] = []
    lock = threading.Lock()

    def work(owner: str) -> None:
        db = Database(database_url)  # each worker has its own connections, like two app instances
        while (taken := queue.claim_next(db, InboxMessage, owner, lease_seconds=60)) is not None:
            with lock:
                handled.append((taken.contact.address, int(taken.text), owner, str(taken.id)))
            assert queue.finish(db, InboxMessage, taken.id, owner)
        db.dispose()

    workers = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    ids = [row[3] for row in handled]
    assert len(ids) == senders * per_sender and len(set(ids)) == len(ids)
    for s in range(senders):
        assert [n for address, n, _, _ in handled if address == f"sender-{s}"] == list(range(per_sender))
    assert {owner for _, _, owner, _ in handled} == {"worker-0", "worker-1"}


def test_outbox_rows_follow_the_same_rules(db: Database) -> None:
    stored = inbox.store(db, message("alice", "a1"))
    taken = claim(db)
    assert taken is not None
    inbox.complete(db, taken, "w1", [Reply(text="satu"), Reply(text="dua")])

    first = queue.claim_next(db, OutboxMessage, "s1", lease_seconds=30)
    assert first is not None and first.body["text"] == "satu" and first.inbox_id == stored.inbox_id
    assert queue.claim_next(db, OutboxMessage, "s2", lease_seconds=30) is None
    queue.finish(db, OutboxMessage, first.id, "s1")
    second = queue.claim_next(db, OutboxMessage, "s2", lease_seconds=30)
    assert second is not None and second.body["text"] == "dua"


def test_a_bare_number_picks_from_the_last_choices_offered(db: Database) -> None:
    from channels.base import Button, numbered_choice

    menu = inbox.store(db, message("alice", "a1"))
    taken = claim(db)
    assert taken is not None
    choices = (Button("Info layanan", "/ask_howto"), Button("Buat pengaduan", "/file_complaint"))
    inbox.complete(db, taken, "w1", [Reply(text="Pilih:", buttons=choices)])
    answer = inbox.store(db, message("alice", "a2", "2"))

    offered = inbox.last_offered_buttons(db, menu.contact_id, answer.inbox_id)

    assert numbered_choice("2", offered) == choices[1]
    assert numbered_choice(" 1. ", offered) == choices[0]
    assert numbered_choice("3", offered) is None
    assert numbered_choice("2 kali", offered) is None
    assert inbox.last_offered_buttons(db, menu.contact_id, menu.inbox_id) == []


def test_a_typed_button_title_or_a_number_answers_a_notification_too(db: Database) -> None:
    from channels.base import Button, numbered_choice, titled_choice

    first = inbox.store(db, message("alice", "a1"))
    taken = claim(db)
    assert taken is not None
    inbox.complete(db, taken, "w1", [Reply(text="Laporan diterima.")])
    rating = (Button("1", "/rate{1}"), Button("2", "/rate{2}"), Button("Belum selesai", "/dispute"))
    with db.session() as session:
        assert inbox.queue_notification(
            session, first.contact_id, Reply(text="Selesai. Nilai?", buttons=rating)
        )
    answer = inbox.store(db, message("alice", "a2", "Belum  selesai!"))

    offered = inbox.last_offered_buttons(db, first.contact_id, answer.inbox_id)

    assert titled_choice("Belum  selesai!", offered) == rating[2]
    assert numbered_choice("2", offered) == rating[1]
    assert titled_choice("selesai", offered) is None


def test_releasing_deferred_messages_makes_them_due_at_once(db: Database) -> None:
    stored = inbox.store(db, message("alice", "a1"))
    fresh = inbox.store(db, message("bob", "b1"))
    taken = claim(db)
    assert taken is not None and taken.id == stored.inbox_id
    inbox.defer(db, taken, "w1", delay_seconds=600, error="Rasa down", notice=None)
    now = utcnow()

    assert inbox.release_deferred(db, now) == 1  # bob's message was never deferred

    due = [claim(db, "w2", at=now), claim(db, "w3", at=now)]
    assert sorted(m.id for m in due if m) == sorted([stored.inbox_id, fresh.inbox_id])
