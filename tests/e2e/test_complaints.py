"""Filing and following complaints through /api/v1/chat with the real Rasa server and the real app."""

from __future__ import annotations

import re
import sqlite3

import pytest
from sqlalchemy import select

from bot import rasa_server
from channels.contacts import finish_erasures
from channels.models import Contact, InboxMessage
from complaints import workflow
from complaints.calendar import WorkingCalendar
from complaints.models import Complaint, ComplaintEvent, Status
from tests.e2e.conftest import Stack, wait_for
from tests.e2e.test_conversation import new_sender, say, texts

pytestmark = pytest.mark.e2e

NUMBER = re.compile(r"ADU-[0-9A-Z]{4}-[0-9A-Z]{4}")
OFFICER = workflow.Actor("officer")


def buttons(body: dict) -> list[dict[str, str]]:  # type: ignore[type-arg]
    return [button for reply in body["replies"] for button in reply.get("buttons", [])]


def ticket_number(body: dict) -> str:  # type: ignore[type-arg]
    match = NUMBER.search(texts(body))
    assert match, texts(body)
    return match.group(0)


def complaint(stack: Stack, number: str) -> Complaint:
    with stack.database().reading() as session:
        found = session.scalars(select(Complaint).where(Complaint.number == number)).one()
        session.expunge(found)
        return found


def test_a_rich_first_message_becomes_a_ticket_in_four_turns(stack: Stack) -> None:
    sender = new_sender()
    with stack.client() as client:
        first = say(
            client, sender,
            "nama saya Budi Santoso, mau lapor jalan berlubang besar di jl. merdeka no 5 kec. sukajadi "
            "kota bandung udah 2 bulan ga diperbaiki, tolong dirahasiakan",
        )  # fmt: skip
        assert "Jalan rusak" in texts(first)  # the suggested category, to confirm
        consent = say(client, sender, buttons(first)[0]["payload"])
        assert "UU 27/2022" in texts(consent)  # location, privacy and name were in the first message
        summary = say(client, sender, "setuju")
        assert "Budi Santoso" in texts(summary) and "rahasia" in texts(summary)
        filed = say(client, sender, "ya")

    number = ticket_number(filed)
    stored = complaint(stack, number)
    assert stored.citizen_name == "Budi Santoso"
    assert stored.privacy == "rahasia"
    assert stored.region_code == "32.73.07"  # Sukajadi, Kota Bandung
    assert stored.agency_id is not None and stored.status == Status.BARU
    assert stored.consented_at is not None


def test_a_sparse_first_message_is_asked_only_for_what_is_missing(stack: Stack) -> None:
    sender = new_sender()
    asked = []
    with stack.client() as client:
        for answer in (
            "mau bikin pengaduan",
            "lampu jalan di gang kami mati udah seminggu, gelap bgt kalo malem",
            "1",  # the first suggested category, by number as on SMS
            "gang mawar rt 3 rw 5 kelurahan cipedes",
            "anonim",
            "ya",
        ):
            asked.append(texts(say(client, sender, answer)))
        filed = say(client, sender, "ya")

    assert "ceritakan masalahnya" in asked[0]
    assert "Lampu jalan" in asked[1]
    assert "lokasinya" in asked[2]
    assert "identitas" in asked[3].lower()
    assert "UU 27/2022" in asked[4]
    assert "Kirim laporan ini?" in asked[5]  # no name asked: anonymous
    assert not any("Siapa nama Anda" in question for question in asked)
    stored = complaint(stack, ticket_number(filed))
    assert stored.citizen_name is None and stored.privacy == "anonim"


def test_cancelling_midway_files_nothing_and_keeps_no_personal_data(stack: Stack) -> None:
    sender = new_sender()
    with stack.client() as client:
        say(
            client, sender, "nama saya Rina Wulandari, sampah numpuk di depan sdn 3 udah seminggu ga diangkut"
        )
        cancelled = say(client, sender, "batal")
        after = say(client, sender, "status laporan saya")

    assert "dibatalkan" in texts(cancelled)
    assert "belum punya laporan" in texts(after)
    with stack.database().reading() as session:
        contact = session.scalars(select(Contact).where(Contact.address == sender)).one()
        assert session.scalars(select(Complaint).where(Complaint.contact_id == contact.id)).all() == []
        stored_texts = session.scalars(
            select(InboxMessage.text).where(InboxMessage.contact_id == contact.id)
        ).all()
    assert not any("Rina" in text for text in stored_texts)


def test_a_status_check_shows_details_only_to_the_filer(stack: Stack) -> None:
    filer, stranger = new_sender(), new_sender()
    number = _file_quickly(stack, filer)
    with stack.client() as client:
        own = say(client, filer, f"laporan {number.lower().replace('-', ' ')} gmn?")
        other = say(client, stranger, f"cek {number}")
        listed = say(client, filer, "cek status laporan saya")

    assert "Kategori" in texts(own) and "Tenggat" in texts(own)
    assert number in texts(other) and "Kategori" not in texts(other) and "Tenggat" not in texts(other)
    assert number in texts(listed)


def test_a_mistyped_number_is_reported_as_a_probable_typo(stack: Stack) -> None:
    number = _file_quickly(stack, new_sender())
    wrong = number[:-1] + ("A" if number[-1] != "A" else "B")
    with stack.client() as client:
        body = say(client, new_sender(), f"status {wrong}")

    assert "salah ketik" in texts(body)


def test_after_resolution_the_citizen_rates_by_number_and_can_dispute(stack: Stack) -> None:
    sender = new_sender()
    number = _file_quickly(stack, sender)
    _resolve(stack, number)
    with stack.client() as client:
        rated = say(client, sender, "5")  # answering the rating question of the notification
        disputed = say(client, sender, "belum selesai")

    assert "Terima kasih" in texts(rated)
    assert "dibuka kembali" in texts(disputed)
    reopened = complaint(stack, number)
    assert reopened.status == Status.DIPROSES


def test_data_saya_lists_what_is_held_and_hapus_data_erases_it(stack: Stack) -> None:
    sender = new_sender()
    number = _file_quickly(stack, sender)
    _resolve(stack, number, close=True)
    with stack.client() as client:
        mine = say(client, sender, "DATA SAYA")
        asked = say(client, sender, "HAPUS DATA")
        erased = say(client, sender, "ya")

    assert number in texts(mine)
    assert "Lanjutkan?" in texts(asked)
    assert number in texts(erased)
    kept = complaint(stack, number)
    assert kept.contact_id is None and kept.citizen_name is None and kept.anonymised_at is not None
    with stack.database().reading() as session:
        contact = session.scalars(select(Contact).where(Contact.address == sender)).one()
        assert set(
            session.scalars(select(InboxMessage.text).where(InboxMessage.contact_id == contact.id))
        ) == {"[dihapus]"}
        citizen_words = session.scalars(
            select(ComplaintEvent.message).where(
                ComplaintEvent.complaint_id == kept.id, ComplaintEvent.actor == "citizen"
            )
        ).all()
        assert all(message in (None, "[dihapus]") for message in citizen_words)
        conversation = contact.conversation_id

    # The maintenance job finishes the erasure once the last reply is delivered.
    def erased_contact_is_gone() -> bool:
        finish_erasures(stack.database(), lambda cid: rasa_server.forget_conversation(stack.settings, cid))
        with stack.database().reading() as session:
            return session.scalars(select(Contact).where(Contact.address == sender)).first() is None

    wait_for(erased_contact_is_gone, 30)
    tracker = sqlite3.connect(stack.settings.var_dir / "rasa" / "tracker.db")
    try:
        left = tracker.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (conversation,)).fetchone()[
            0
        ]
    finally:
        tracker.close()
    assert left == 0


def _file_quickly(stack: Stack, sender: str) -> str:
    with stack.client() as client:
        first = say(
            client, sender,
            "nama saya Sari Dewi, got mampet di jl. cihampelas no 10 kec. coblong kota bandung "
            "tiap hujan meluap",
        )  # fmt: skip
        say(client, sender, buttons(first)[0]["payload"])
        say(client, sender, "biasa")
        say(client, sender, "setuju")
        return ticket_number(say(client, sender, "ya"))


def _resolve(stack: Stack, number: str, close: bool = False) -> None:
    calendar = WorkingCalendar()
    with stack.database().session() as session:
        found = session.scalars(select(Complaint).where(Complaint.number == number)).one()
        workflow.verify(session, found, OFFICER, calendar)
        workflow.reply_to_citizen(session, found, OFFICER, "Saluran sudah kami bersihkan.", calendar)
        workflow.resolve(session, found, OFFICER, "Selesai dibersihkan.")
        if close:
            workflow.close(session, found, OFFICER)
