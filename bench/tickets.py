"""Benchmark: ticket creation throughput and status-lookup latency with a large complaint table.

Builds (once per database) N generated tickets with their first event through bulk inserts, then
measures on top of them, through the product's own functions:
  - creation: workflow.file_complaint in one thread and in 8 threads (tickets/s);
  - lookup: queries.status_for_contact for random existing numbers, and a contact's open tickets.

    .venv/bin/python bench/tickets.py --url sqlite:////tmp/loket-bench.db --tickets 1000000
    .venv/bin/python bench/tickets.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot import migrate
from bot.db import Database, utcnow
from channels.models import Contact
from complaints import queries, tickets, workflow
from complaints.calendar import WorkingCalendar
from complaints.models import Category, Complaint, ComplaintEvent, Privacy, Status
from complaints.reference import ensure_seeded

BATCH = 10_000
CONTACTS = 100_000


def generate(db: Database, count: int) -> None:
    """Bulk-insert generated tickets until the table holds ``count`` (random numbers, one event each)."""
    with db.session() as session:
        have = session.scalar(select(func.count()).select_from(Complaint)) or 0
        contacts = session.scalar(select(func.count()).select_from(Contact)) or 0
        categories = list(session.scalars(select(Category.id)))
    if contacts < CONTACTS:
        now = utcnow()
        with db.session() as session:
            session.execute(
                insert(Contact),
                [
                    {
                        "channel": "whatsapp",
                        "address": f"+62812{n:08d}",
                        "opted_out": False,
                        "created_at": now,
                    }
                    for n in range(contacts, CONTACTS)
                ],
            )
    rng = random.Random(7)
    started = time.perf_counter()
    statuses = [Status.BARU, Status.TERVERIFIKASI, Status.DIPROSES, Status.SELESAI, Status.DITUTUP]
    while have < count:
        size = min(BATCH, count - have)
        now = utcnow()
        rows = [
            {
                "number": tickets.new_number(),
                "contact_id": rng.randint(1, CONTACTS),
                "channel": "whatsapp",
                "privacy": Privacy.BIASA,
                "citizen_name": "Warga",
                "description": "Jalan berlubang di depan pasar",
                "category_id": rng.choice(categories),
                "status": rng.choice(statuses),
                "received_at": now - timedelta(days=rng.randint(0, 700)),
                "updated_at": now,
                "sla_state": "on_track",
                "due_kind": "resolve",
                "due_at": now + timedelta(days=rng.randint(-30, 30)),
            }
            for _ in range(size)
        ]
        with db.session() as session:
            # A million random numbers hold about 17 pairs of equal ones (birthday bound over 29.7
            # billion); the product redraws on conflict, the generator just skips the repeat.
            fresh = _insert(session).on_conflict_do_nothing(index_elements=["number"])
            ids = session.scalars(fresh.returning(Complaint.id), rows).all()
            session.execute(
                insert(ComplaintEvent),
                [
                    {"complaint_id": i, "at": now, "actor": "citizen", "action": "file", "data": {}}
                    for i in ids
                ],
            )
        have += len(ids)
        if have % 100_000 == 0:
            print(f"  generated {have} tickets ({time.perf_counter() - started:.0f} s)", flush=True)


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(Complaint)


def creation(db: Database, calendar: WorkingCalendar, count: int, threads: int) -> float:
    draft = workflow.Draft(1, "whatsapp", "Lampu jalan mati", "penerangan-jalan", Privacy.ANONIM)

    def file(_: int) -> None:
        with db.session() as session:
            workflow.file_complaint(session, draft, calendar)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(file, range(count)))
    return count / (time.perf_counter() - started)


def lookups(db: Database, count: int) -> tuple[list[float], list[float]]:
    with db.reading() as session:
        sample = session.execute(
            select(Complaint.number, Complaint.contact_id).order_by(func.random()).limit(count)
        ).all()
    by_number, by_contact = [], []
    for number, contact_id in sample:
        started = time.perf_counter()
        with db.reading() as session:
            queries.status_for_contact(session, number, contact_id)
        by_number.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        with db.reading() as session:
            queries.open_for_contact(session, contact_id)
        by_contact.append((time.perf_counter() - started) * 1000)
    return by_number, by_contact


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="sqlite:////tmp/loket-bench.db")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--create", type=int, default=2_000)
    parser.add_argument("--lookups", type=int, default=2_000)
    args = parser.parse_args()
    migrate.upgrade(args.url)
    db = Database(args.url)
    ensure_seeded(db)
    generate(db, args.tickets)
    calendar = WorkingCalendar()
    backend = db.engine.dialect.name
    print(f"backend={backend} tickets_in_table={args.tickets}")
    for threads in (1, 8):
        print(f"create_tickets_per_s threads={threads}: {creation(db, calendar, args.create, threads):.0f}")
    by_number, by_contact = lookups(db, args.lookups)
    for label, values in (("status_by_number_ms", by_number), ("own_open_tickets_ms", by_contact)):
        print(f"{label} p50={statistics.median(values):.2f} p95={percentile(values, 0.95):.2f}")


if __name__ == "__main__":
    main()
