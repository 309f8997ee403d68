"""Tables of the message pipeline: contacts, the inbox and the outbox."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from bot.db import Base, UTCDateTime, utcnow


class QueueStatus(enum.StrEnum):
    """Where a queued message is; ``pending`` and ``processing`` block later messages of the same contact."""

    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


UNFINISHED = (QueueStatus.PENDING, QueueStatus.PROCESSING)


class Contact(Base):
    """One citizen identity on one channel (a Telegram chat, a WhatsApp number, an API sender)."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(128), doc="The channel's own id for the sender.")
    phone: Mapped[str | None] = mapped_column(
        String(20), index=True, doc="E.164 number on phone channels: one citizen across WhatsApp and SMS."
    )
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erase_requested_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, doc="HAPUS DATA: the contact is removed once the last reply to it is delivered."
    )
    unreachable_reason: Mapped[str | None] = mapped_column(
        String(200), doc="Why the provider refused the address for good; cleared by the next inbound message."
    )

    @property
    def conversation_id(self) -> str:
        """The stable id Rasa keys this contact's conversation by."""
        return f"c{self.id}"  # parsed back by channels.contacts.contact_id_of


class QueuedMixin:
    """The columns that make a table a leased work queue (see channels/queue.py)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=QueueStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

    @declared_attr
    def contact(cls) -> Mapped[Contact]:
        return relationship(Contact, lazy="joined")


class InboxMessage(QueuedMixin, Base):
    """A message received from a citizen, stored before the provider is acknowledged."""

    __tablename__ = "inbox_messages"
    __table_args__ = (
        UniqueConstraint("channel", "provider_message_id"),
        Index("ix_inbox_contact_status", "contact_id", "status"),
        Index("ix_inbox_status_available", "status", "available_at"),
    )

    provider_message_id: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delay_notice_sent: Mapped[bool] = mapped_column(Boolean, default=False)


class OutboxMessage(QueuedMixin, Base):
    """A reply waiting to be delivered (or delivered) to a contact on its channel."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_contact_status", "contact_id", "status"),
        Index("ix_outbox_status_available", "status", "available_at"),
        Index("ix_outbox_inbox", "inbox_id"),
    )

    inbox_id: Mapped[int | None] = mapped_column(ForeignKey("inbox_messages.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16), default="reply", doc="reply | notice | notification")
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_message_id: Mapped[str | None] = mapped_column(String(128))
    parts_sent: Mapped[int] = mapped_column(
        Integer, default=0, doc="Parts of a multi-part reply already delivered; a retry goes on from there."
    )


class Delivery(Base):
    """The provider's delivery status of one sent message (a Twilio MessageSid), which only moves forward."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("channel", "provider_message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    provider_message_id: Mapped[str] = mapped_column(String(128))
    outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QuickReplyContent(Base):
    """A WhatsApp quick-reply layout created once through Twilio's Content API and reused by its key."""

    __tablename__ = "quick_reply_contents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True, doc="SHA-256 of the button titles and ids.")
    content_sid: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
