"""Deadlines are dates in Beijing time: every comparison and day count happens in Asia/Shanghai."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_date(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def end_of_day(day: date) -> datetime:
    """The last second of ``day`` in Beijing time: a deadline "2013-09-01" lasts until 23:59:59 that day."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)


def days_left(deadline: datetime, now: datetime) -> int:
    """Calendar days from today to the deadline's day, in Beijing time: 0 on the day, negative when overdue."""
    return (local_date(deadline) - local_date(now)).days


def is_after(deadline: datetime, moment: datetime) -> bool:
    return moment > deadline
