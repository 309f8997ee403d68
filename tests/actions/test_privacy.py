"""HAPUS DATA with a hand-built tracker: what the citizen is told when the erasure cannot finish."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.privacy import ActionDeleteMyData
from bot import messages
from bot.db import Database
from channels.contacts import contact_for
from complaints import workflow
from complaints.calendar import WorkingCalendar
from complaints.models import Complaint, Privacy, RejectReason, Status
from tests.fakes import another_writer_first


async def test_an_erasure_that_meets_an_officers_change_erases_nothing_and_asks_again(
    seeded: Database, calendar: WorkingCalendar
) -> None:
    if not seeded.is_postgresql:
        pytest.skip("SQLite takes its one writer lock at BEGIN: a stale ticket is never written")
    citizen = contact_for(seeded, "api", "warga").id
    draft = workflow.Draft(citizen, "api", "Sampah menumpuk", "sampah", Privacy.BIASA, "Siti")
    officer = workflow.Actor("officer")
    with seeded.session() as session:
        complaint = workflow.file_complaint(session, draft, calendar)
        workflow.reject(session, complaint, officer, RejectReason.SPAM, "Bukan laporan.")
        ticket = complaint.id

    def an_officer_closes_it(session: Session) -> None:
        workflow.close(session, session.get_one(Complaint, ticket), officer)

    dispatcher = CollectingDispatcher()
    message = {"text": "ya", "intent": {"name": "affirm"}, "entities": [], "metadata": {}}
    with another_writer_first(seeded, an_officer_closes_it) as wrote:
        events = await ActionDeleteMyData(seeded).run(
            dispatcher, Tracker(f"c{citizen}", {}, message, [], False, None, {}, "action_listen"), {}
        )

    assert wrote and events == []
    assert dispatcher.messages[0]["text"] == messages.text("erased_changed_meanwhile")
    with seeded.reading() as session:
        kept = session.get_one(Complaint, ticket)
        assert (kept.status, kept.contact_id, kept.citizen_name) == (Status.DITUTUP, citizen, "Siti")
