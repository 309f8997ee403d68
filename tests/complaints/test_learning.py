"""Routing learns from officers: a corrected category proposes the citizen's words as an example;
once accepted, the suggester places the next such complaint in the right category."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.db import Database, utcnow
from complaints import learning, workflow
from complaints.calendar import WorkingCalendar
from complaints.models import Agency, Category, CategoryExample, ExampleStatus, Officer, Role, Status
from complaints.suggest import LiveCategories

OFFICER = workflow.Actor("officer", None)
# An odd complaint the shipped examples do not cover: a wedding tent blocking a road is public order.
ODD = "Tetangga pasang tenda hajatan menutup seluruh badan jalan gang selama tiga hari tanpa izin RT"


def _file(seeded: Database, citizen: int, calendar: WorkingCalendar, slug: str, text: str) -> str:
    with seeded.session() as session:
        draft = workflow.Draft(
            contact_id=citizen, channel="api", description=text, category_slug=slug,
            privacy="biasa", citizen_name="Budi", location_text=None, region_code="32.73.07",
        )  # fmt: skip
        return workflow.file_complaint(session, draft, calendar).number


def _recategorize(seeded: Database, number: str, slug: str, by: Officer | None = None) -> None:
    with seeded.session() as session:
        from complaints.models import Complaint

        complaint = session.scalars(select(Complaint).where(Complaint.number == number)).one()
        category = session.scalars(select(Category).where(Category.slug == slug)).one()
        actor = workflow.Actor.officer(by) if by else OFFICER
        workflow.recategorize(session, complaint, actor, category)


def test_a_corrected_category_reroutes_a_new_ticket_and_proposes_the_masked_wording(
    seeded: Database, citizen: int, calendar: WorkingCalendar
) -> None:
    text = "Jalan di gang kami ditutup tenda hajatan Pak Asep Sunandar, hubungi saya 081234567890"
    number = _file(seeded, citizen, calendar, "jalan-rusak", text)

    _recategorize(seeded, number, "ketertiban-umum")

    with seeded.reading() as session:
        from complaints.models import Complaint

        complaint = session.scalars(select(Complaint).where(Complaint.number == number)).one()
        assert complaint.category is not None and complaint.category.slug == "ketertiban-umum"
        assert complaint.status == Status.BARU
        routed = session.get(Agency, complaint.agency_id)
        assert routed is not None and "Polisi Pamong Praja" in routed.name
        proposal = learning.pending(session)
        assert [(p.from_slug, p.to_slug) for p in proposal] == [("jalan-rusak", "ketertiban-umum")]
        assert "Asep" not in proposal[0].text and "081234567890" not in proposal[0].text
        assert "[nama]" in proposal[0].text and "[PHONE]" in proposal[0].text


def test_setting_the_same_category_again_changes_nothing(
    seeded: Database, citizen: int, calendar: WorkingCalendar
) -> None:
    number = _file(
        seeded, citizen, calendar, "sampah", "Sampah menumpuk di TPS sudah seminggu tidak diangkut"
    )

    _recategorize(seeded, number, "sampah")

    with seeded.reading() as session:
        assert learning.pending(session) == []
        assert learning.corrections(session, since=utcnow() - timedelta(days=1)) == []


def test_the_report_counts_the_most_frequent_corrections_first(
    seeded: Database, citizen: int, calendar: WorkingCalendar
) -> None:
    for text in ("got mampet bau sekali di gang mawar", "saluran air tertutup sampah di rt 3"):
        _recategorize(seeded, _file(seeded, citizen, calendar, "sampah", text), "banjir-drainase")
    _recategorize(
        seeded, _file(seeded, citizen, calendar, "lainnya", "pohon rindang perlu dipangkas"), "bencana"
    )

    with seeded.reading() as session:
        report = learning.corrections(session, since=utcnow() - timedelta(days=1))

    assert report[0] == learning.Correction("sampah", "banjir-drainase", 2)
    assert report[1] == learning.Correction("lainnya", "bencana", 1)


def test_an_accepted_correction_teaches_the_suggester_and_a_rejected_one_does_not(
    seeded: Database, citizen: int, calendar: WorkingCalendar, categories: LiveCategories
) -> None:
    before = categories.suggest(ODD)
    number = _file(seeded, citizen, calendar, "jalan-rusak", ODD)
    _recategorize(seeded, number, "ketertiban-umum")
    with seeded.session() as session:
        session.add(Officer(username="rina", display_name="Rina", role=Role.SUPERVISOR))
    with seeded.reading() as session:
        proposal = learning.pending(session)[0]

    with seeded.session() as session:
        learning.review(session, accept=[proposal.id], reviewer="rina")
    after = categories.suggest(ODD)

    assert after.offered[0] == "ketertiban-umum"
    assert after.ranked[0].score > next(s.score for s in before.ranked if s.slug == "ketertiban-umum")
    with seeded.reading() as session:
        example = session.get(CategoryExample, proposal.id)
        assert example is not None and example.status == ExampleStatus.ACCEPTED and example.reviewed_by


def test_a_review_is_all_or_nothing(seeded: Database, citizen: int, calendar: WorkingCalendar) -> None:
    _recategorize(
        seeded, _file(seeded, citizen, calendar, "sampah", "got mampet di gang mawar"), "banjir-drainase"
    )
    with seeded.reading() as session:
        proposal = learning.pending(session)[0]

    with pytest.raises(learning.ReviewError), seeded.session() as session:
        learning.review(session, accept=[proposal.id], reject=[999_999])
    with pytest.raises(learning.ReviewError), seeded.session() as session:
        learning.review(session, accept=[proposal.id], reviewer="nobody")

    with seeded.reading() as session:
        assert [p.id for p in learning.pending(session)] == [proposal.id]
