"""Periodic work of the app: the deadline sweep, finishing citizens' erasure requests, and fetching
the files attached to complaints."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from functools import partial

from sqlalchemy.exc import SQLAlchemyError

from bot.db import Database, utcnow
from bot.rasa_server import forget_conversation
from bot.settings import Settings
from channels import media
from channels.contacts import finish_erasures
from complaints import attachments, sla
from complaints.calendar import WorkingCalendar

logger = logging.getLogger(__name__)


class MaintenanceWorker:
    """Runs ``run_once`` every ``maintenance_seconds``; safe with several app instances."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.media_sources = media.sources_from(settings)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.run_once, utcnow())
            except SQLAlchemyError as error:  # the database is away: the next round catches up
                logger.warning("maintenance skipped, database unavailable: %s", type(error).__name__)
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.settings.maintenance_seconds)
            except TimeoutError:
                continue

    def run_once(self, now: datetime) -> None:
        with self.db.session() as session:
            calendar = WorkingCalendar.load(session, self.settings.timezone)
            report = sla.sweep(session, calendar, now)
        if report.escalated or report.closed or report.skipped:
            logger.info("deadline sweep: %s", report)  # skipped tickets are taken up by the next run
        erased = finish_erasures(self.db, partial(forget_conversation, self.settings))
        if erased:
            logger.info("erased %d contacts on their request", erased)
        fetched = attachments.fetch_pending(
            self.db, self.media_sources, self.settings.var_dir / "media", self.settings.media_max_bytes, now
        )
        if fetched:
            logger.info("stored %d attachments", fetched)
