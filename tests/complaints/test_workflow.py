"""The complaint workflow: every legal and illegal transition, the event log, deadlines, notifications."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import Database
from channels.contacts import set_opted_out
from channels.models import OutboxMessage
from complaints import workflow
from complaints.calendar import WorkingCalendar
from complaints.models import (
    Agency,
    Category,
    Complaint,
    ComplaintEvent,
    EventLogIsAppendOnly,
    Officer,
    Privacy,
    RejectReason,
    Role,
    Status,
)

WIB = ZoneInfo("Asia/Jakarta")
OFFICER = workflow.Actor("officer", None)


def draft(contact_id: int, **changes: object) -> workflow.Draft:
    values: dict[str, object] = {
        "contact_id": contact_id,
        "channel": "api",
        "description": "Jalan berlubang besar di depan pasar, sudah dua bulan",
        "category_slug": "jalan-rusak",
        "privacy": Privacy.BIASA,
        "citizen_name": "Budi Santoso",
        "location_text": "Jl. Merdeka depan pasar",
        "region_code": "32.73.07",
    }
    return workflow.Draft(**(values | changes))  # type: ignore[arg-type]


def filed(session: Session, contact_id: int, calendar: WorkingCalendar, **changes: object) -> Complaint:
    return workflow.file_complaint(session, draft(contact_id, **changes), calendar)


def resolved(session: Session, contact_id: int, calendar: WorkingCalendar) -> Complaint:
    complaint = filed(session, contact_id, calendar)
    workflow.verify(session, complaint, OFFICER, calendar)
    workflow.reply_to_citizen(session, complaint, OFFICER, "Kami tangani.", calendar)
    workflow.resolve(session, complaint, OFFICER, "Selesai.")
    return complaint


def agency(session: Session, slug: str = "dbmpr-jabar") -> Agency:
    return session.scalars(select(Agency).where(Agency.slug == slug)).one()


def notifications(session: Session, contact_id: int) -> list[str]:
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.contact_id == contact_id).order_by(OutboxMessage.id)
    )
    return [row.body["text"] for row in rows]


# Every action with the arguments it needs, so each can be tried from every status.
def _actions(session: Session, calendar: WorkingCalendar) -> dict[str, Callable[[Complaint], None]]:
    officer = Officer(username="petugas", display_name="Petugas", role=Role.OFFICER)
    session.add(officer)
    session.flush()
    other = agency(session, "dlh-jabar")
    return {
        "verify": lambda c: workflow.verify(session, c, OFFICER, calendar),
        "route": lambda c: workflow.route(session, c, OFFICER, other),
        "assign": lambda c: workflow.assign(session, c, OFFICER, officer),
        "request_info": lambda c: workflow.request_info(
            session, c, OFFICER, "Mohon kirim foto lokasinya.", calendar
        ),
        "provide_info": lambda c: workflow.provide_info(session, c, "Ini fotonya", calendar),
        "reply": lambda c: workflow.reply_to_citizen(
            session, c, OFFICER, "Akan kami tambal minggu ini.", calendar
        ),
        "resolve": lambda c: workflow.resolve(session, c, OFFICER, "Jalan sudah ditambal."),
        "reject": lambda c: workflow.reject(session, c, OFFICER, RejectReason.SPAM, "Bukan laporan."),
        "forward": lambda c: workflow.forward(session, c, OFFICER, other, "Wewenang DLH.", calendar),
        "mark_duplicate": lambda c: workflow.mark_duplicate(
            session, c, OFFICER, _original(session, c, calendar)
        ),
        "reopen": lambda c: workflow.reopen(session, c, "Masih berlubang.", calendar),
        "close": lambda c: workflow.close(session, c, OFFICER),
        "rate": lambda c: workflow.rate(session, c, 4),
        "escalate": lambda c: workflow.escalate(session, c, datetime.now(WIB)),
        "recategorize": lambda c: workflow.recategorize(session, c, OFFICER, _category(session, "sampah")),
        "anonymise": lambda c: workflow.anonymise(session, c, datetime.now(WIB)),
    }


def _category(session: Session, slug: str) -> Category:
    return session.scalars(select(Category).where(Category.slug == slug)).one()


def _original(session: Session, complaint: Complaint, calendar: WorkingCalendar) -> Complaint:
    assert complaint.contact_id is not None
    return filed(session, complaint.contact_id, calendar)


# The path that brings a new complaint into each status.
PATHS: dict[Status, list[str]] = {
    Status.BARU: [],
    Status.TERVERIFIKASI: ["verify"],
    Status.DIPROSES: ["verify", "assign"],
    Status.MENUNGGU_WARGA: ["verify", "assign", "request_info"],
    Status.SELESAI: ["verify", "assign", "resolve"],
    Status.DITUTUP: ["verify", "assign", "resolve", "close"],
    Status.DITOLAK: ["reject"],
}


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(workflow.TRANSITIONS))
def test_each_action_is_allowed_exactly_where_the_workflow_says(
    seeded: Database, citizen: int, calendar: WorkingCalendar, status: Status, action: str
) -> None:
    with seeded.session() as session:
        actions = _actions(session, calendar)
        complaint = filed(session, citizen, calendar)
        for step in PATHS[status]:
            actions[step](complaint)
        assert complaint.status == status
        events_before = len(_events(session, complaint))

        if status in workflow.TRANSITIONS[action]:
            actions[action](complaint)
            expected = workflow.TRANSITIONS[action][status]
            if action == "provide_info":
                expected = Status.DIPROSES  # where the request for information was made
            assert complaint.status == (expected or status)
            assert _events(session, complaint)[-1].action == action
        else:
            with pytest.raises(workflow.IllegalTransition):
                actions[action](complaint)
            assert complaint.status == status
            assert len(_events(session, complaint)) == events_before


def _events(session: Session, complaint: Complaint) -> list[ComplaintEvent]:
    session.flush()
    return list(
        session.scalars(
            select(ComplaintEvent)
            .where(ComplaintEvent.complaint_id == complaint.id)
            .order_by(ComplaintEvent.id)
        )
    )


def test_a_filed_complaint_is_routed_by_region_and_due_for_verification_in_three_working_days(
    seeded: Database, citizen: int, calendar: WorkingCalendar
) -> None:
    friday = datetime(2026, 11, 20, 9, tzinfo=WIB)
    with seeded.session() as session:
        complaint = workflow.file_complaint(session, draft(citizen), calendar, now=friday)

        assert complaint.status == Status.BARU
        assert complaint.agency is not None and complaint.agency.region_code == "32.73"  # Kota Bandung's own
        assert complaint.due_kind == "verify"
        assert complaint.due_at == datetime(2026, 11, 25, 23, 59, 59, tzinfo=WIB)
        assert _events(session, complaint)[0].action == "file"


def test_the_citizen_is_told_on_their_channel_at_each_step_that_matters(
    seeded: Database, citizen: int, calendar: WorkingCalendar
) -> None:
    with seeded.session() as session:
        complaint = filed(session, citizen, calendar)
        workflow.verify(session, complaint, OFFICER, calendar)
        workflow.request_info(session, complaint, OFFICER, "Mohon kirim foto lokasinya.", calendar)
        workflow.provide_info(session, complaint, "sudah saya kirim", calendar)
        workflow.reply_to_citizen(session, complaint, OFFICER, "Akan kami tambal minggu ini.", calendar)
        workflow.resolve(session, complaint, OFFICER, "Jalan sudah ditambal.")
        session.flush()
        texts = notifications(session, citizen)

    assert len(texts) == 4  # verified, needs info, officer's reply, resolved (+ rating question)
    assert all(complaint.number in text for text in texts)
    assert "Mohon kirim foto lokasinya." in texts[1]
    assert "Akan kami tambal minggu ini." in texts[2]
    assert "Balas 1" in texts[3]


def test_a_citizen_who_opted_out_gets_no_notification_but_the_change_is_logged(
    seeded: Database, citizen: int, calendar: WorkingCalendar
) -> None:
    set_opted_out(seeded, citizen, True)
    with seeded.session() as session:
        complaint = filed(session, citizen, calendar)
        workflow.verify(session, complaint, OFFICER, calendar)

        assert notifications(session, citizen) == []
        assert [event.action for event in _events(session, complaint)] == ["file", "verify"]


def test_verifying_a_complaint_no_rule_routes_needs_an_agency(
    seeded: Database, citizen: int, calendar: WorkingCalendar
) -> None:
    with seeded.session() as session:
        complaint = filed(session, citizen, calendar, category_slug="lainnya")
        assert complaint.agency_id is None  # waits in the verifiers' queue

        with pytest.raises(workflow.MissingAgency):
            workflow.verify(session, complaint, OFFICER, calendar)
        workflow.verify(session, complaint, OFFICER, calendar, agency=agency(session))
        assert complaint.status == Status.TERVERIFIKASI


def test_a_dispute_after_five_working_days_is_refused(
    seeded: Database, citizen: int, calendar: WorkingCalendar
) -> None:
    with seeded.session() as session:
        complaint = resolved(session, citizen, calendar)
        complaint.resolved_at = datetime(2026, 11, 20, 10, tzinfo=WIB)  # Friday

        with pytest.raises(workflow.DisputeWindowClosed):
            workflow.reopen(
                session, complaint, "Belum beres", calendar, now=datetime(2026, 11, 30, 9, tzinfo=WIB)
            )
        workflow.reopen(
            session, complaint, "Belum beres", calendar, now=datetime(2026, 11, 27, 9, tzinfo=WIB)
        )
        assert complaint.status == Status.DIPROSES


def test_a_rating_is_one_to_five_and_given_once(
    seeded: Database, citizen: int, calendar: WorkingCalendar
) -> None:
    with seeded.session() as session:
        complaint = resolved(session, citizen, calendar)

        with pytest.raises(workflow.InvalidRating):
            workflow.rate(session, complaint, 6)
        workflow.rate(session, complaint, 5)
        with pytest.raises(workflow.InvalidRating):
            workflow.rate(session, complaint, 4)
        assert complaint.rating == 5


def test_the_event_log_cannot_be_changed(seeded: Database, citizen: int, calendar: WorkingCalendar) -> None:
    with seeded.session() as session:
        complaint = filed(session, citizen, calendar)
        event = _events(session, complaint)[0]
        event.reason = "rewritten"

        with pytest.raises(EventLogIsAppendOnly):
            session.flush()
        session.rollback()


def test_an_anonymous_complaint_keeps_no_name(
    seeded: Database, citizen: int, calendar: WorkingCalendar
) -> None:
    with seeded.session() as session:
        complaint = filed(session, citizen, calendar, privacy=Privacy.ANONIM)

        assert complaint.citizen_name is None


def test_deadlines_move_with_the_stage(seeded: Database, citizen: int, calendar: WorkingCalendar) -> None:
    with seeded.session() as session:
        complaint = filed(session, citizen, calendar)
        workflow.verify(session, complaint, OFFICER, calendar)
        assert complaint.due_kind == "response"
        workflow.request_info(session, complaint, OFFICER, "Fotonya?", calendar)
        assert complaint.due_at is None  # paused while the citizen answers
        workflow.provide_info(session, complaint, "ini", calendar)
        workflow.reply_to_citizen(session, complaint, OFFICER, "Kami tangani.", calendar)
        assert complaint.due_kind == "resolve"
        assert complaint.due_at is not None
        assert complaint.due_at - datetime.now(WIB) > timedelta(days=14)  # 14 working days


@pytest.mark.parametrize("detour", ["forward", "reopen"])
def test_a_reply_after_a_forward_or_a_reopening_starts_the_resolution_clock_again(
    seeded: Database, citizen: int, calendar: WorkingCalendar, detour: str
) -> None:
    with seeded.session() as session:
        complaint = filed(session, citizen, calendar)
        workflow.verify(session, complaint, OFFICER, calendar)
        workflow.reply_to_citizen(session, complaint, OFFICER, "Kami tangani.", calendar)
        if detour == "forward":
            workflow.forward(
                session, complaint, OFFICER, agency(session, "dlh-jabar"), "Wewenang DLH.", calendar
            )
        else:
            workflow.resolve(session, complaint, OFFICER, "Sudah ditambal.")
            workflow.reopen(session, complaint, "Masih berlubang.", calendar)
        assert complaint.due_kind == "response"

        workflow.reply_to_citizen(session, complaint, OFFICER, "Kami cek lagi minggu ini.", calendar)

        assert complaint.due_kind == "resolve"  # answered: no longer waiting for a first response
        assert complaint.due_at is not None and complaint.due_at - datetime.now(WIB) > timedelta(days=14)


def test_a_later_reply_leaves_the_resolution_clock_running(
    seeded: Database, citizen: int, calendar: WorkingCalendar
) -> None:
    with seeded.session() as session:
        complaint = filed(session, citizen, calendar)
        workflow.verify(session, complaint, OFFICER, calendar)
        workflow.reply_to_citizen(session, complaint, OFFICER, "Kami tangani.", calendar)
        due = complaint.due_at

        workflow.reply_to_citizen(session, complaint, OFFICER, "Masih dikerjakan.", calendar)

        assert complaint.due_kind == "resolve" and complaint.due_at == due


def test_waiting_for_the_citizen_pauses_the_deadline_and_resumes_it_with_the_days_left(
    seeded: Database, citizen: int, calendar: WorkingCalendar
) -> None:
    monday = datetime(2026, 11, 2, 9, tzinfo=WIB)
    with seeded.session() as session:
        complaint = workflow.file_complaint(session, draft(citizen), calendar, now=monday)
        workflow.verify(session, complaint, OFFICER, calendar)  # response due: 5 working days
        complaint.due_at = calendar.add_working_days(monday, 5)
        wednesday = monday + timedelta(days=2)
        workflow.request_info(session, complaint, OFFICER, "Mohon kirim fotonya.", calendar, now=wednesday)
        assert complaint.due_at is None and complaint.paused_days_left == 3

        two_weeks_later = wednesday + timedelta(days=14)
        workflow.provide_info(session, complaint, "Ini fotonya", calendar, now=two_weeks_later)

        assert complaint.due_kind == "response"  # the same deadline, not a fresh one of 5 days
        assert complaint.due_at == calendar.add_working_days(two_weeks_later, 3)
        assert complaint.paused_days_left is None and complaint.paused_due_kind is None


def test_a_deadline_already_missed_when_paused_leaves_one_working_day_after_the_answer(
    seeded: Database, citizen: int, calendar: WorkingCalendar
) -> None:
    monday = datetime(2026, 11, 2, 9, tzinfo=WIB)
    with seeded.session() as session:
        complaint = workflow.file_complaint(session, draft(citizen), calendar, now=monday)
        late = monday + timedelta(days=10)
        workflow.request_info(session, complaint, OFFICER, "Alamat lengkapnya?", calendar, now=late)
        workflow.provide_info(session, complaint, "Jl. Merdeka 5", calendar, now=late + timedelta(days=1))

        assert complaint.due_kind == "verify"
        assert complaint.due_at == calendar.add_working_days(late + timedelta(days=1), 1)


def test_a_refused_verify_leaves_the_complaint_as_it_was(
    seeded: Database, citizen: int, calendar: WorkingCalendar
) -> None:
    with seeded.session() as session:
        complaint = filed(session, citizen, calendar)
        workflow.verify(session, complaint, OFFICER, calendar)
        routed = complaint.agency_id

        with pytest.raises(workflow.IllegalTransition):  # already verified
            workflow.verify(session, complaint, OFFICER, calendar, agency=agency(session, "dlh-jabar"))
        complaint_id = complaint.id

    with seeded.reading() as session:
        stored = session.get_one(Complaint, complaint_id)
        assert stored.agency_id == routed
        assert [event.action for event in _events(session, stored)] == ["file", "verify"]


def test_each_change_raises_the_version_and_records_the_agency_a_verifier_chose(
    seeded: Database, citizen: int, calendar: WorkingCalendar
) -> None:
    with seeded.session() as session:
        complaint = filed(session, citizen, calendar)
        assert complaint.version == 1

        workflow.verify(session, complaint, OFFICER, calendar, agency=agency(session, "dlh-jabar"))
        workflow.reply_to_citizen(session, complaint, OFFICER, "Kami tangani.", calendar)

        assert complaint.version == 3
        assert _events(session, complaint)[1].data == {"agency": "dlh-jabar"}
