"""The complaint actions with a hand-built tracker: the form's checks and the status answers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.complaints import (
    ActionAskComplaintCategory,
    ActionCheckStatus,
    ActionComplaintStart,
    ActionDisputeComplaint,
    ValidateComplaintForm,
)
from bot import messages
from bot.db import Database, utcnow
from channels.contacts import contact_for
from complaints import sla, workflow
from complaints.calendar import WorkingCalendar
from complaints.models import Complaint, Privacy, Status
from tests.fakes import another_writer_first

Understanding = tuple[Any, ...]


def tracker(text: str, sender: str, intent: str = "inform", slots: dict[str, Any] | None = None) -> Tracker:
    message = {"text": text, "intent": {"name": intent}, "entities": [], "metadata": {"original_text": text}}
    return Tracker(sender, slots or {}, message, [], False, None, {}, "action_listen")


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


async def test_the_first_message_fills_what_it_says_and_nothing_else(
    seeded: Database, understanding: Understanding
) -> None:
    sender = f"c{contact_for(seeded, 'api', 'a').id}"
    events = await ActionComplaintStart(*understanding).run(
        CollectingDispatcher(),
        tracker("lampu pju mati di jl. sukajadi no 12 kota bandung, anonim saja", sender),
        {},
    )
    slots = slots_of(events)

    assert slots["complaint_suggestions"][0] == "penerangan-jalan"
    assert slots["complaint_location"] == "jl sukajadi no 12 kota bandung"
    assert slots["complaint_region"] == "32.73.07"
    assert slots["complaint_privacy"] == "anonim"
    assert slots["complaint_name"] is None


async def test_answers_are_checked_and_a_wrong_one_is_asked_again(
    seeded: Database, understanding: Understanding
) -> None:
    form, sender = ValidateComplaintForm(*understanding), "c1"
    dispatcher = CollectingDispatcher()

    privacy = await form.validate_complaint_privacy("Rahasia", dispatcher, tracker("Rahasia", sender), {})
    unknown = await form.validate_complaint_privacy("terserah", dispatcher, tracker("terserah", sender), {})
    consent = await form.validate_complaint_consent("ok", dispatcher, tracker("ok", sender), {})
    refusal = await form.validate_complaint_consent("gak", dispatcher, tracker("gak", sender, "deny"), {})
    category = await form.validate_complaint_category(
        "ya", dispatcher, tracker("ya", sender, "affirm", {"complaint_suggestions": ["sampah"]}), {}
    )

    assert privacy == {"complaint_privacy": "rahasia"}
    assert unknown == {"complaint_privacy": None}
    assert consent == {"complaint_consent": "yes"} and refusal == {"complaint_consent": "no"}
    assert category == {"complaint_category": "sampah"}
    assert len(dispatcher.messages) == 1  # one hint, for the answer it could not use


async def test_an_anonymous_complaint_is_never_asked_for_a_name(
    seeded: Database, understanding: Understanding
) -> None:
    form = ValidateComplaintForm(*understanding)
    slots = ["complaint_privacy", "complaint_consent", "complaint_name", "complaint_confirmed"]

    anonymous = await form.required_slots(
        slots, CollectingDispatcher(), tracker("", "c1", slots={"complaint_privacy": "anonim"}), {}
    )
    refused = await form.required_slots(
        slots, CollectingDispatcher(), tracker("", "c1", slots={"complaint_consent": "no"}), {}
    )

    assert "complaint_name" not in anonymous
    assert refused == []


async def test_status_is_detailed_for_the_filer_only(seeded: Database, calendar: WorkingCalendar) -> None:
    filer, other = contact_for(seeded, "api", "filer").id, contact_for(seeded, "api", "other").id
    draft = workflow.Draft(filer, "api", "Sampah menumpuk", "sampah", Privacy.BIASA, "Siti")
    with seeded.session() as session:
        number = workflow.file_complaint(session, draft, calendar).number
    action = ActionCheckStatus(seeded)

    own, theirs = CollectingDispatcher(), CollectingDispatcher()
    await action.run(own, tracker(f"status {number}", f"c{filer}", "check_status"), {})
    await action.run(theirs, tracker(f"status {number}", f"c{other}", "check_status"), {})

    assert "Kategori: Sampah" in own.messages[0]["text"]
    assert number in theirs.messages[0]["text"] and "Kategori" not in theirs.messages[0]["text"]


PHOTO = {"url": "https://api.twilio.com/.../Media/ME1", "content_type": "image/jpeg", "size": None}
BRAGA = {
    "latitude": -6.9211,
    "longitude": 107.6097,
    "address": "Jl. Braga No.1, Sumur Bandung, Kota Bandung",
}


def shared(intent: str, metadata: dict[str, Any], slots: dict[str, Any]) -> Tracker:
    message = tracker(f"/{intent}", "c1", intent, slots)
    message.latest_message["metadata"] = metadata
    return message


async def test_a_shared_location_answers_where_with_its_address_and_coordinates(
    seeded: Database, understanding: Understanding
) -> None:
    asked_where = {"requested_slot": "complaint_location", "complaint_location": "/share_location"}
    dispatcher = CollectingDispatcher()

    events = await ValidateComplaintForm(*understanding).validate(
        dispatcher, shared("share_location", {"location": BRAGA}, asked_where), {}
    )

    slots = slots_of(events)
    assert slots["complaint_location"] == "Jl. Braga No.1, Sumur Bandung, Kota Bandung"
    assert (slots["complaint_latitude"], slots["complaint_longitude"]) == (-6.9211, 107.6097)
    assert slots["complaint_region"].startswith("32.73.")  # the kecamatan Sumur Bandung, Kota Bandung
    assert dispatcher.messages == []


async def test_a_photo_sent_while_another_question_is_open_is_kept_and_the_question_stays(
    understanding: Understanding,
    seeded: Database,
) -> None:
    asked_category = {"requested_slot": "complaint_category", "complaint_category": "/share_media"}
    dispatcher = CollectingDispatcher()

    events = await ValidateComplaintForm(*understanding).validate(
        dispatcher, shared("share_media", {"media": [PHOTO]}, asked_category), {}
    )

    assert slots_of(events) == {"complaint_attachments": [PHOTO], "complaint_category": None}
    assert "Foto diterima" in dispatcher.messages[0]["text"]


async def test_a_photo_on_its_own_starts_a_complaint_with_it_attached(
    seeded: Database, understanding: Understanding
) -> None:
    dispatcher = CollectingDispatcher()

    events = await ActionComplaintStart(*understanding).run(
        dispatcher, shared("share_media", {"media": [PHOTO]}, {}), {}
    )

    assert slots_of(events)["complaint_attachments"] == [PHOTO]
    assert "Foto diterima" in dispatcher.messages[0]["text"]


async def test_a_grievance_that_asks_something_is_answered_before_the_form_goes_on(
    seeded: Database, understanding: Understanding
) -> None:
    sender = f"c{contact_for(seeded, 'api', 'ktp').id}"
    text = (
        "Selamat pagi pak, KTP saya hilang waktu mudik dan di kecamatan disuruh bolak-balik terus. "
        "Sebenarnya syarat mengganti KTP yang hilang apa saja?"
    )
    dispatcher = CollectingDispatcher()

    events = await ActionComplaintStart(*understanding).run(
        dispatcher, tracker(text, sender, "file_complaint"), {}
    )

    assert "Syarat" in dispatcher.messages[0]["text"]
    assert dispatcher.messages[-1]["text"] == messages.text("complaint_after_answer")
    assert slots_of(events)["complaint_description"] == text


async def test_a_report_made_elsewhere_is_told_what_loket_can_see(
    seeded: Database, understanding: Understanding
) -> None:
    sender = f"c{contact_for(seeded, 'api', 'app').id}"
    text = "laporan saya di aplikasi soal got mampet di gg mawar sudah sebulan belum ditindaklanjuti, tolong"
    start, status = CollectingDispatcher(), CollectingDispatcher()

    await ActionComplaintStart(*understanding).run(start, tracker(text, sender, "file_complaint"), {})
    await ActionCheckStatus(seeded).run(status, tracker(text, sender, "check_status"), {})

    assert start.messages[0]["text"] == messages.text("complaint_elsewhere")
    assert status.messages[0]["text"] == messages.text("status_elsewhere")


async def test_when_no_category_fits_the_whole_list_is_offered_without_a_guess(
    seeded: Database, understanding: Understanding
) -> None:
    sender = f"c{contact_for(seeded, 'api', 'odd').id}"
    text = "hehe coba coba aja ini apa ya kok bisa begitu"
    start, ask = CollectingDispatcher(), CollectingDispatcher()

    events = await ActionComplaintStart(*understanding).run(
        start, tracker(text, sender, "file_complaint"), {}
    )
    slots = slots_of(events)
    await ActionAskComplaintCategory(seeded).run(ask, tracker("", sender, slots=slots), {})

    assert slots["complaint_suggestions"] == []
    assert ask.messages[0]["text"] == messages.text("complaint_ask_category_unsure")
    assert len(ask.messages[0]["buttons"]) == 21


async def test_a_dispute_that_loses_to_the_deadline_job_gets_a_polite_answer(
    seeded: Database, calendar: WorkingCalendar
) -> None:
    if not seeded.is_postgresql:
        pytest.skip("SQLite takes its one writer lock at BEGIN: a stale ticket is never written")
    filer = contact_for(seeded, "api", "filer").id
    draft = workflow.Draft(filer, "api", "Sampah menumpuk", "sampah", Privacy.BIASA, "Siti")
    officer = workflow.Actor("officer")
    with seeded.session() as session:
        complaint = workflow.file_complaint(session, draft, calendar)
        workflow.verify(session, complaint, officer, calendar)
        workflow.reply_to_citizen(session, complaint, officer, "Diangkut besok.", calendar)
        workflow.resolve(session, complaint, officer, "Sudah diangkut.")
        number = complaint.number

    def the_job_closes_it(session: Session) -> None:  # its clock is past the dispute window
        assert sla.sweep(session, calendar, utcnow() + timedelta(days=30)).closed == 1

    dispatcher = CollectingDispatcher()
    with another_writer_first(seeded, the_job_closes_it) as wrote:
        await ActionDisputeComplaint(seeded).run(dispatcher, tracker("belum selesai", f"c{filer}"), {})

    assert wrote
    polite = messages.text("complaint_changed_meanwhile").format(number=number)
    assert dispatcher.messages[0]["text"] == polite
    with seeded.reading() as session:
        status = session.scalars(select(Complaint.status).where(Complaint.number == number)).one()
    assert status == Status.DITUTUP  # closed by the job, not reopened over it
