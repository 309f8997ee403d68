"""Tables of the complaint queue: regions, agencies, categories, routing rules, officers,
complaints, attachments, the append-only event log, and the administrators' calendar."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from bot.db import Base, UTCDateTime, utcnow


class Status(enum.StrEnum):
    """A complaint's place in the workflow (CONVERSATION.md)."""

    BARU = "baru"
    TERVERIFIKASI = "terverifikasi"
    DIPROSES = "diproses"
    MENUNGGU_WARGA = "menunggu_warga"
    SELESAI = "selesai"
    DITUTUP = "ditutup"
    DITOLAK = "ditolak"


OPEN_STATUSES = (Status.BARU, Status.TERVERIFIKASI, Status.DIPROSES, Status.MENUNGGU_WARGA, Status.SELESAI)


class Privacy(enum.StrEnum):
    """Who may see the citizen's identity."""

    BIASA = "biasa"  # handling officers see it
    RAHASIA = "rahasia"  # only verifiers and supervisors see it
    ANONIM = "anonim"  # no name kept; the channel link only notifies


class RejectReason(enum.StrEnum):
    BUKAN_WEWENANG = "bukan_wewenang"
    DUPLIKAT = "duplikat"
    SPAM = "spam"
    TIDAK_LENGKAP = "tidak_lengkap"


class Role(enum.StrEnum):
    OFFICER = "officer"  # petugas of one agency
    VERIFIER = "verifier"  # checks and routes new complaints
    SUPERVISOR = "supervisor"  # SLA, reassignment, escalations
    ADMIN = "admin"
    EDITOR = "editor"  # drafts catalog entries
    REVIEWER = "reviewer"  # publishes other editors' drafts


class SlaState(enum.StrEnum):
    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


class Region(Base):
    """A province, regency/city, district or desa/kelurahan, keyed by its Kemendagri code ("32.73.07")."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    level: Mapped[str] = mapped_column(
        String(16), doc="provinsi | kabupaten | kota | kecamatan | kelurahan | desa"
    )
    name: Mapped[str] = mapped_column(String(128), index=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))


class Agency(Base):
    """An instansi/OPD that handles complaints, optionally limited to one region."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))


class Category(Base):
    """A kind of complaint, with the words that suggest it and its deadline policy in working days."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    verify_days: Mapped[int] = mapped_column(Integer, default=3)
    response_days: Mapped[int] = mapped_column(Integer, default=5)
    resolve_days: Mapped[int] = mapped_column(Integer, default=14)


class ExampleStatus(enum.StrEnum):
    """Where a category example stands: seeded and accepted ones teach the suggester, proposed ones wait."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class CategoryExample(Base):
    """A complaint in a citizen's words that belongs to a category: seeded from
    ``complaints/data/examples.yml``, or proposed when an officer corrects a ticket's category and
    accepted after review. Accepted ones are matched by the category suggester."""

    __tablename__ = "category_examples"
    __table_args__ = (Index("ix_category_examples_category_status", "category_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ExampleStatus.ACCEPTED)
    source: Mapped[str] = mapped_column(String(16), default="seed", doc="seed | correction | admin")
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id", ondelete="SET NULL"))
    from_category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), doc="The category the ticket had before."
    )
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RoutingRule(Base):
    """Complaints of ``category`` from regions under ``region_prefix`` (None: anywhere) go to ``agency``.

    The rule with the longest matching region code wins; editable by administrators.
    """

    __tablename__ = "routing_rules"
    __table_args__ = (UniqueConstraint("category_id", "region_prefix"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    region_prefix: Mapped[str | None] = mapped_column(String(16))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))


class Officer(Base):
    """A console account: a petugas of an agency, a verifier, a supervisor or an administrator."""

    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    password_hash: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Complaint(Base):
    """One citizen's complaint (pengaduan) and where it stands."""

    __tablename__ = "complaints"
    __table_args__ = (
        Index("ix_complaints_contact_status", "contact_id", "status"),
        Index("ix_complaints_status_due", "status", "due_at"),
        Index("ix_complaints_agency_status", "agency_id", "status"),
        # The deadline sweep's query (complaints/sla.py): only tickets with a running, unescalated
        # deadline can change state, so the index holds nothing else.
        Index(
            "ix_complaints_sweep",
            "sla_state",
            "due_at",
            postgresql_where=text("due_at IS NOT NULL AND escalated_at IS NULL"),
            sqlite_where=text("due_at IS NOT NULL AND escalated_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(32))
    privacy: Mapped[str] = mapped_column(String(16), default=Privacy.BIASA)
    citizen_name: Mapped[str | None] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    service_id: Mapped[str | None] = mapped_column(String(80), doc="A related catalog service, if any.")
    location_text: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    status: Mapped[str] = mapped_column(String(20), default=Status.BARU)
    resume_status: Mapped[str | None] = mapped_column(String(20), doc="Where menunggu_warga returns to.")
    paused_due_kind: Mapped[str | None] = mapped_column(
        String(16), doc="The deadline that menunggu_warga paused (verify | response | resolve)."
    )
    paused_days_left: Mapped[int | None] = mapped_column(
        Integer, doc="Working days that deadline had left when it was paused."
    )
    reject_reason: Mapped[str | None] = mapped_column(String(20))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_kind: Mapped[str | None] = mapped_column(String(16), doc="verify | response | resolve")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_state: Mapped[str] = mapped_column(String(16), default=SlaState.ON_TRACK)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating: Mapped[int | None] = mapped_column(Integer)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(
        Integer, default=1, server_default="1", doc="Raised by every workflow change (optimistic locking)."
    )

    # Every UPDATE checks the version it read, so a change made on a stale copy is refused
    # (https://docs.sqlalchemy.org/en/20/orm/versioning.html). The workflow raises it itself
    # (version_id_generator=False): the sweep's due-soon flag is bookkeeping, and must not make an
    # officer's reply fail as if someone had changed the ticket.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    category: Mapped[Category | None] = relationship(lazy="joined")
    agency: Mapped[Agency | None] = relationship(lazy="joined")


class Attachment(Base):
    """A photo or file a citizen sent with a complaint."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    source_url: Mapped[str | None] = mapped_column(Text, doc="Where the channel offered the file.")
    stored_path: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    fetch_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_fetch_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetch_error: Mapped[str | None] = mapped_column(
        String(32),
        doc="Why the file was not kept: too_large, type, gone, refused, untrusted_source, unavailable.",
    )


class ComplaintEvent(Base):
    """One entry of a complaint's history: who did what, when and why; never changed once written."""

    __tablename__ = "complaint_events"
    __table_args__ = (Index("ix_complaint_events_complaint", "complaint_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(16), doc="citizen | officer | system")
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str | None] = mapped_column(Text, doc="Text exchanged with the citizen, if any.")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CalendarDay(Base):
    """An administrator's correction to the holiday library: a day off (cuti bersama) or a working day."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete a written complaint event through the ORM."""


@event.listens_for(Session, "before_flush")
def _refuse_event_changes(session: Session, _context: Any, _instances: Any) -> None:
    for instance in (*session.dirty, *session.deleted):
        if isinstance(instance, ComplaintEvent):
            raise EventLogIsAppendOnly(f"complaint event {instance.id} cannot be changed")
