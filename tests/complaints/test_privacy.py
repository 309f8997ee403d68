"""DATA SAYA and HAPUS DATA against the database: what is removed, what is kept and why."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.db import Database, utcnow
from catalog import store
from catalog.models import UnansweredQuestion
from channels import inbox
from channels.base import InboundMessage
from channels.contacts import finish_erasures
from channels.models import Contact, InboxMessage, OutboxMessage, QueueStatus
from complaints import privacy, workflow
from complaints.calendar import WorkingCalendar
from complaints.models import Attachment, Complaint, ComplaintEvent, Privacy

OFFICER = workflow.Actor("officer")
PHONE = "+6281234567890"


def setup_citizen(db: Database, calendar: WorkingCalendar) -> tuple[int, str, str]:
    stored = inbox.store(db, InboundMessage("whatsapp", "SM1", PHONE, "nama saya Budi, NIK 3273010101900001"))
    draft = workflow.Draft(
        stored.contact_id, "whatsapp", "Jalan rusak, hubungi saya di 081234567890", "jalan-rusak",
        Privacy.BIASA, "Budi Santoso", "Jl. Merdeka 5",
    )  # fmt: skip
    with db.session() as session:
        finished = workflow.file_complaint(session, draft, calendar)
        workflow.verify(session, finished, OFFICER, calendar)
        workflow.request_info(session, finished, OFFICER, "Fotonya?", calendar)
        workflow.provide_info(session, finished, "rumah saya no 5, telp 081234567890", calendar)
        workflow.reply_to_citizen(session, finished, OFFICER, "Kami perbaiki.", calendar)
        workflow.resolve(session, finished, OFFICER, "Sudah.")
        workflow.close(session, finished, OFFICER)
        still_open = workflow.file_complaint(session, draft, calendar)
        return stored.contact_id, finished.number, still_open.number


def test_data_saya_shows_the_masked_identity_and_every_ticket(
    seeded: Database, calendar: WorkingCalendar
) -> None:
    contact_id, finished, still_open = setup_citizen(seeded, calendar)
    with seeded.reading() as session:
        held = privacy.held_data(session, contact_id)

    assert PHONE not in held.address and held.address.endswith("890")
    assert [number for number, _, _ in held.tickets] == [finished, still_open]
    assert held.messages == 1


def test_hapus_data_anonymises_finished_tickets_and_keeps_open_ones(
    seeded: Database, calendar: WorkingCalendar
) -> None:
    contact_id, finished, still_open = setup_citizen(seeded, calendar)
    store.record_unanswered(seeded, "izin kapal ikan, wa saya 081234567890", "whatsapp", contact_id, [])
    with seeded.session() as session:
        erasure = privacy.erase(session, contact_id, utcnow())

    assert erasure.anonymised_tickets == [finished] and erasure.kept_tickets == [still_open]
    with seeded.reading() as session:
        question = session.scalars(select(UnansweredQuestion)).one()
    assert (
        question.contact_id is None and "081234567890" not in question.text and "izin kapal" in question.text
    )
    assert not erasure.contact_removed  # the open ticket still needs a way to reach the citizen
    with seeded.reading() as session:
        old = session.scalars(select(Complaint).where(Complaint.number == finished)).one()
        assert (old.contact_id, old.citizen_name) == (None, None)
        assert "081234567890" not in old.description
        citizen_words = session.scalars(
            select(ComplaintEvent.message).where(
                ComplaintEvent.complaint_id == old.id, ComplaintEvent.actor == "citizen"
            )
        ).all()
        assert all(word in (None, privacy.ERASED) for word in citizen_words)
        assert session.scalars(select(InboxMessage.text)).all() == [privacy.ERASED]
        kept = session.scalars(select(Complaint).where(Complaint.number == still_open)).one()
        assert kept.contact_id == contact_id and kept.citizen_name == "Budi Santoso"


def test_without_open_tickets_the_contact_itself_goes_once_nothing_is_pending(
    seeded: Database, calendar: WorkingCalendar
) -> None:
    contact_id, _, still_open = setup_citizen(seeded, calendar)
    with seeded.session() as session:
        open_ticket = session.scalars(select(Complaint).where(Complaint.number == still_open)).one()
        workflow.reject(session, open_ticket, OFFICER, workflow.RejectReason.SPAM, "Duplikat tes")
        erasure = privacy.erase(session, contact_id, utcnow())
    assert erasure.contact_removed
    forgotten: list[str] = []

    assert finish_erasures(seeded, forgotten.append) == 0  # its message and notifications are still pending
    with seeded.session() as session:
        session.execute(update(InboxMessage).values(status=QueueStatus.DONE))
        session.execute(update(OutboxMessage).values(status=QueueStatus.DONE))
    assert finish_erasures(seeded, forgotten.append) == 1
    assert forgotten == [f"c{contact_id}"]
    with seeded.reading() as session:
        assert session.get(Contact, contact_id) is None
        assert session.scalars(select(InboxMessage)).all() == []
        assert all(c.contact_id is None for c in session.scalars(select(Complaint)))


def test_one_number_on_whatsapp_and_sms_is_one_citizen_for_their_tickets(
    seeded: Database, calendar: WorkingCalendar
) -> None:
    from channels.contacts import contact_for
    from complaints import queries

    by_sms = contact_for(seeded, "sms_gateway", "+6281234567890").id
    by_whatsapp = contact_for(seeded, "whatsapp", "whatsapp:+6281234567890").id
    stranger = contact_for(seeded, "whatsapp", "whatsapp:+6281299999999").id
    draft = workflow.Draft(by_sms, "sms_gateway", "Sampah menumpuk", "sampah", Privacy.BIASA, "Siti")
    with seeded.session() as session:
        number = workflow.file_complaint(session, draft, calendar).number

    with seeded.reading() as session:
        assert queries.status_for_contact(session, number, by_whatsapp).view.is_filer  # type: ignore[union-attr]
        assert [view.number for view in queries.open_for_contact(session, by_whatsapp)] == [number]
        assert not queries.status_for_contact(session, number, stranger).view.is_filer  # type: ignore[union-attr]


def test_hapus_data_deletes_the_photos_of_anonymised_tickets(
    seeded: Database, calendar: WorkingCalendar, tmp_path: Path
) -> None:
    contact_id, finished, _ = setup_citizen(seeded, calendar)
    photo = tmp_path / "media" / "1.jpg"
    photo.parent.mkdir()
    photo.write_bytes(b"\xff\xd8 a face")
    with seeded.session() as session:
        complaint = session.execute(select(Complaint).where(Complaint.number == finished)).scalar_one()
        session.add(
            Attachment(
                complaint_id=complaint.id,
                content_type="image/jpeg",
                source_url="tg-file:x",
                stored_path=str(photo),
            )
        )

    with seeded.session() as session:
        privacy.erase(session, contact_id, utcnow())

    with seeded.reading() as session:
        [attachment] = session.scalars(select(Attachment)).all()
    assert not photo.exists()
    assert (attachment.stored_path, attachment.source_url, attachment.fetch_error) == (None, None, "erased")


def test_personal_data_in_a_description_is_masked_for_those_who_may_not_see_it() -> None:
    text = (
        "Nama saya budi santoso, NIK 3273012345678901, hp 0812-3456-7890, email budi@contoh.id. Tetangga "
        "saya Pak Asep Sunandar buang sampah ke sungai, pak RT dan Bu Lurah sudah tahu."
    )

    masked = privacy.mask_personal_data(text)

    for secret in (
        "budi santoso",
        "3273012345678901",
        "0812-3456-7890",
        "budi@contoh.id",
        "Asep",
        "Sunandar",
    ):
        assert secret not in masked
    assert "Nama saya [nama]" in masked and "Pak [nama] buang sampah" in masked
    assert "pak RT dan Bu Lurah sudah tahu" in masked  # offices, not people


@pytest.mark.parametrize(
    ("role", "level", "sees"),
    [
        ("officer", "biasa", True),
        ("officer", "rahasia", False),
        ("verifier", "rahasia", True),
        ("supervisor", "rahasia", True),
        ("admin", "anonim", False),
        ("editor", "biasa", False),
        ("unknown", "biasa", False),
    ],
)
def test_who_sees_the_description_unmasked_follows_the_privacy_level(
    role: str, level: str, sees: bool
) -> None:
    complaint = Complaint(description="Pak Asep Sunandar menutup jalan, hp 081234567890", privacy=level)

    shown = privacy.description_for(role, complaint)

    assert (shown == complaint.description) is sees
    assert sees or ("Asep" not in shown and "081234567890" not in shown)


def test_anonymising_a_ticket_is_logged_like_every_change_without_personal_data(
    seeded: Database, calendar: WorkingCalendar
) -> None:
    contact_id, finished, _ = setup_citizen(seeded, calendar)
    erased_at = utcnow()
    with seeded.session() as session:
        privacy.erase(session, contact_id, erased_at)

    with seeded.reading() as session:
        complaint = session.scalars(select(Complaint).where(Complaint.number == finished)).one()
        last = session.scalars(
            select(ComplaintEvent)
            .where(ComplaintEvent.complaint_id == complaint.id)
            .order_by(ComplaintEvent.id.desc())
        ).first()
    assert last is not None
    assert (last.action, last.actor, last.at) == ("anonymise", "citizen", erased_at)
    assert (last.reason, last.from_status, last.to_status) == ("hapus_data", "ditutup", "ditutup")
    logged = repr((last.message, last.reason, last.data))
    assert not any(personal in logged for personal in ("Budi", "081234567890", "3273010101900001", "Merdeka"))
