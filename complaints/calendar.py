"""Working days: weekends, national holidays and cuti bersama are skipped when deadlines are counted.

National holidays and the government's cuti bersama come from the maintained ``holidays`` library
(categories ``public`` and ``government``). Administrators extend or correct it in the
``calendar_days`` table: a day off the library does not know (a new SKB, a regional holiday) or a
working day it should not skip.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.models import CalendarDay

LIBRARY_CATEGORIES = ("public", "government")  # government = cuti bersama


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days count as working days in one time zone."""

    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Jakarta"))
    overrides: Mapping[date, bool] = field(default_factory=dict)  # day → is a working day
    override_names: Mapping[date, str] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, timezone: str = "Asia/Jakarta") -> WorkingCalendar:
        """The calendar with the administrators' days from the database."""
        rows = session.execute(select(CalendarDay.day, CalendarDay.working, CalendarDay.name)).all()
        return cls(
            ZoneInfo(timezone),
            {day: working for day, working, _ in rows},
            {day: name for day, _, name in rows},
        )

    @cached_property
    def _library(self) -> holidays.HolidayBase:
        return holidays.country_holidays("ID", categories=LIBRARY_CATEGORIES, language="id")

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday, not a holiday or cuti bersama, unless an administrator said otherwise."""
        if day in self.overrides:
            return self.overrides[day]
        return day.weekday() < 5 and day not in self._library

    def day_off_name(self, day: date) -> str | None:
        """Why ``day`` is not a working day, if it is a holiday the library knows."""
        return self._library.get(day)

    def days_off(self, year: int) -> list[tuple[date, str, bool]]:
        """The library's holidays and the administrators' days of ``year``: (day, name, is working)."""
        library = holidays.country_holidays("ID", categories=LIBRARY_CATEGORIES, language="id", years=year)
        days = {day: (str(name), False) for day, name in library.items()}
        days |= {
            day: (self.override_names.get(day, "") + " (admin)", working)
            for day, working in self.overrides.items()
            if day.year == year
        }
        return sorted((day, name, working) for day, (name, working) in days.items())

    def local_date(self, moment: datetime) -> date:
        """The date at ``moment`` in this calendar's time zone."""
        return moment.astimezone(self.timezone).date()

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The end (23:59:59 local) of the ``days``-th working day after the day of ``start``.

        The day something arrives does not count, whatever the hour: a report on Friday afternoon
        with three working days is due at the end of Wednesday.
        """
        day = self.local_date(start)
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return datetime.combine(day, time(23, 59, 59), self.timezone)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """How many working days after the day of ``start`` have begun by ``end``."""
        first, last = self.local_date(start), self.local_date(end)
        return sum(1 for day in _days_after(first, last) if self.is_working_day(day))


def _days_after(first: date, last: date) -> Iterable[date]:
    day = first + timedelta(days=1)
    while day <= last:
        yield day
        day += timedelta(days=1)


DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember")  # fmt: skip


def format_date(day: date) -> str:
    """A date as Indonesians write it: "Rabu, 25 November 2026"."""
    return f"{DAYS[day.weekday()]}, {day.day} {MONTHS[day.month - 1]} {day.year}"
