"""Deadlines in working days across weekends, national holidays and cuti bersama."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.db import Database
from complaints.calendar import WorkingCalendar
from complaints.models import CalendarDay

WIB = ZoneInfo("Asia/Jakarta")


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=WIB)


def test_a_friday_report_with_three_working_days_is_due_on_wednesday(calendar: WorkingCalendar) -> None:
    due = calendar.add_working_days(at("2026-11-20"), 3)  # Friday

    assert due == datetime(2026, 11, 25, 23, 59, 59, tzinfo=WIB)


def test_a_weekend_report_counts_from_monday(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_days(at("2026-11-21"), 1).date() == date(2026, 11, 23)  # Sat → Mon


def test_a_national_holiday_is_skipped(calendar: WorkingCalendar) -> None:
    # 2026-08-17 (Monday) is Independence Day.
    assert calendar.add_working_days(at("2026-08-14"), 1).date() == date(2026, 8, 18)


def test_the_idul_fitri_block_of_holidays_and_cuti_bersama_is_skipped(calendar: WorkingCalendar) -> None:
    # Idul Fitri 1447 H: Nyepi 19 March, cuti bersama 18, 20, 23 and 24 March 2026, Lebaran 21-22 (weekend).
    blocked = [date(2026, 3, day) for day in (18, 19, 20, 23, 24)]

    assert not any(calendar.is_working_day(day) for day in blocked)
    assert calendar.add_working_days(at("2026-03-17"), 3).date() == date(2026, 3, 27)  # 25, 26, 27


def test_administrators_add_a_day_off_and_restore_a_working_day(seeded: Database) -> None:
    with seeded.session() as session:
        session.add(CalendarDay(day=date(2026, 11, 24), working=False, name="Cuti bersama (SKB baru)"))
        session.add(CalendarDay(day=date(2026, 12, 24), working=True, name="Masuk kerja"))
    with seeded.reading() as session:
        calendar = WorkingCalendar.load(session)

    assert not calendar.is_working_day(date(2026, 11, 24))
    assert calendar.is_working_day(date(2026, 12, 24))  # the library's cuti bersama, overridden
    assert calendar.add_working_days(at("2026-11-23"), 1).date() == date(2026, 11, 25)


def test_working_days_between_ignores_the_starting_day(calendar: WorkingCalendar) -> None:
    assert calendar.working_days_between(at("2026-11-20"), at("2026-11-27")) == 5  # Fri → next Fri
    assert calendar.working_days_between(at("2026-11-20", 8), at("2026-11-20", 20)) == 0
