"""Routing learns from officers: every category correction proposes the citizen's words as an example
of the right category (``workflow.recategorize``); a reviewer accepts or rejects it here, and accepted
examples are matched by the category suggester from the next message on (complaints/suggest.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from bot.db import utcnow
from complaints.models import Category, CategoryExample, ComplaintEvent, ExampleStatus, Officer


class ReviewError(ValueError):
    """A review that cannot be done (unknown example or account, already reviewed)."""


@dataclass(frozen=True)
class Correction:
    from_slug: str | None
    to_slug: str
    count: int


@dataclass(frozen=True)
class Proposal:
    id: int
    text: str
    from_slug: str | None
    to_slug: str


@dataclass(frozen=True)
class Reviewed:
    accepted: int
    rejected: int


def corrections(session: Session, since: datetime) -> list[Correction]:
    """Category changes made by officers since ``since``, the most frequent first."""
    rows = session.scalars(
        select(ComplaintEvent.data).where(ComplaintEvent.action == "recategorize", ComplaintEvent.at >= since)
    )
    counts: dict[tuple[str | None, str], int] = {}
    for data in rows:  # JSON on every backend: counted here rather than grouped in SQL
        key = (data.get("from"), str(data.get("to")))
        counts[key] = counts.get(key, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0][1], item[0][0] or ""))
    return [Correction(source, target, count) for (source, target), count in ranked]


def pending_count(session: Session) -> int:
    """How many proposed examples wait for review."""
    return (
        session.scalar(
            select(func.count())
            .select_from(CategoryExample)
            .where(CategoryExample.status == ExampleStatus.PROPOSED)
        )
        or 0
    )


def pending(session: Session) -> list[Proposal]:
    """Proposed examples, oldest first."""
    previous = aliased(Category)
    rows = session.execute(
        select(CategoryExample.id, CategoryExample.text, previous.slug, Category.slug)
        .join(Category, Category.id == CategoryExample.category_id)
        .outerjoin(previous, previous.id == CategoryExample.from_category_id)
        .where(CategoryExample.status == ExampleStatus.PROPOSED)
        .order_by(CategoryExample.id)
    )
    return [Proposal(id_, text, source, target) for id_, text, source, target in rows]


def review(
    session: Session, *, accept: Iterable[int] = (), reject: Iterable[int] = (), reviewer: str | None = None
) -> Reviewed:
    """Accept or reject proposed examples; all or nothing."""
    officer_id = None
    if reviewer is not None:
        officer_id = session.scalar(select(Officer.id).where(Officer.username == reviewer, Officer.active))
        if officer_id is None:
            raise ReviewError(f"no active account '{reviewer}'")
    decisions = {example_id: ExampleStatus.ACCEPTED for example_id in accept}
    decisions |= {example_id: ExampleStatus.REJECTED for example_id in reject}
    now = utcnow()
    for example_id, status in decisions.items():
        example = session.get(CategoryExample, example_id, with_for_update=True)
        if example is None or example.status != ExampleStatus.PROPOSED:
            raise ReviewError(f"example #{example_id} is not waiting for review")
        example.status, example.reviewed_by, example.reviewed_at = status, officer_id, now
    statuses = list(decisions.values())
    return Reviewed(statuses.count(ExampleStatus.ACCEPTED), statuses.count(ExampleStatus.REJECTED))
