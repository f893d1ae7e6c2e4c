"""The Kazakhstan working calendar and the registration rule (domain.md "Time rules").

National holidays, days off moved by the weekend rule or by decree, and weekend days declared
working days come from the ``holidays`` package (country KZ). Admins' overrides for single
dates (stored in ``calendar_overrides``) win over it.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import holidays

from data.config import LOCAL_TZ, WorkingHours

HOLIDAY = "holiday"
WORKDAY = "workday"


@dataclass(frozen=True)
class DayInfo:
    """Why a date is or is not a working day.

    ``source`` is one of: ``weekday`` (ordinary Mon-Fri), ``weekend`` (ordinary Sat/Sun),
    ``national_holiday``, ``national_workday`` (a weekend day declared a working day),
    ``override_holiday``, ``override_workday``.
    """

    day: date
    working: bool
    source: str
    name_en: str | None = None
    name_kk: str | None = None
    override_name: str | None = None


@dataclass(frozen=True)
class Registration:
    """The registration day of an event and the reason for it.

    ``reason``: ``in_hours``, ``before_opening`` (same day), ``after_hours`` or
    ``non_working_day`` (next working day).
    """

    received_local: datetime
    day: date
    reason: str
    skipped: tuple[DayInfo, ...] = field(default_factory=tuple)


class WorkingCalendar:
    """Working days of Kazakhstan with admin overrides; all dates are local (Asia/Almaty)."""

    def __init__(
        self,
        overrides: Mapping[date, tuple[str, str | None]] | None = None,
        hours: WorkingHours | None = None,
    ) -> None:
        self.overrides: dict[date, tuple[str, str | None]] = dict(overrides or {})
        self.hours = hours or WorkingHours()
        self._years: set[int] = set()
        self._holidays_en: dict[date, str] = {}
        self._holidays_kk: dict[date, str] = {}
        self._weekend_workdays: set[date] = set()
        self._cache: dict[date, DayInfo] = {}

    # -- national calendar -------------------------------------------------------------------
    def _load_year(self, year: int) -> None:
        if year in self._years:
            return
        en = holidays.country_holidays("KZ", years=year, language="en_US")
        kk = holidays.country_holidays("KZ", years=year, language="kk")
        self._holidays_en.update(en)
        self._holidays_kk.update(kk)
        self._weekend_workdays.update(d for d in en.weekend_workdays if d.year == year)
        self._years.add(year)

    def day_info(self, day: date) -> DayInfo:
        info = self._cache.get(day)
        if info is not None:
            return info
        self._load_year(day.year)
        en = self._holidays_en.get(day)
        kk = self._holidays_kk.get(day)
        override = self.overrides.get(day)
        if override is not None:
            kind, name = override
            info = DayInfo(day, kind == WORKDAY, f"override_{kind}", en, kk, name)
        elif en is not None:
            info = DayInfo(day, False, "national_holiday", en, kk)
        elif day in self._weekend_workdays:
            info = DayInfo(day, True, "national_workday")
        elif day.weekday() >= 5:
            info = DayInfo(day, False, "weekend")
        else:
            info = DayInfo(day, True, "weekday")
        self._cache[day] = info
        return info

    def is_working_day(self, day: date) -> bool:
        return self.day_info(day).working

    def year_days(self, year: int) -> list[DayInfo]:
        first = date(year, 1, 1)
        count = (date(year + 1, 1, 1) - first).days
        return [self.day_info(first + timedelta(days=i)) for i in range(count)]

    # -- stepping ----------------------------------------------------------------------------
    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        candidate = day + timedelta(days=1)
        while not self.is_working_day(candidate):
            candidate += timedelta(days=1)
        return candidate

    def roll_forward(self, day: date) -> date:
        """``day`` itself if it is a working day, else the next working day."""
        return day if self.is_working_day(day) else self.next_working_day(day)

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after ``day`` (n >= 1); ``day`` itself when n == 0."""
        if n < 0:
            raise ValueError("n must not be negative")
        current = day
        for _ in range(n):
            current = self.next_working_day(current)
        return current

    def add_calendar_days(self, day: date, n: int, roll: bool = True) -> date:
        """``day`` + n calendar days, rolled forward to a working day when ``roll``."""
        if n < 0:
            raise ValueError("n must not be negative")
        end = day + timedelta(days=n)
        return self.roll_forward(end) if roll else end

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie in (start, end]; negative when end < start."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count

    def non_working_between(self, start: date, end: date) -> list[DayInfo]:
        """The non-working days in (start, end]."""
        result = []
        current = start
        while current < end:
            current += timedelta(days=1)
            info = self.day_info(current)
            if not info.working:
                result.append(info)
        return result

    # -- registration rule (seed 000, seed 004 item 8) ---------------------------------------
    def to_local(self, moment: datetime) -> datetime:
        """Aware datetimes are converted; naive ones are taken as local time already."""
        if moment.tzinfo is None:
            return moment.replace(tzinfo=LOCAL_TZ)
        return moment.astimezone(LOCAL_TZ)

    def registration(self, moment: datetime) -> Registration:
        """The day an event that arrived at ``moment`` is registered.

        Inside working hours on a working day: that day. Before opening on a working day: that
        day. At or after closing, or on a non-working day: the next working day.
        """
        local = self.to_local(moment)
        day = local.date()
        if self.is_working_day(day):
            clock = local.time().replace(tzinfo=None)
            if clock < self.hours.opens:
                return Registration(local, day, "before_opening")
            if clock < self.hours.closes:
                return Registration(local, day, "in_hours")
            reason = "after_hours"
        else:
            reason = "non_working_day"
        registered = self.next_working_day(day)
        skipped = tuple(self.non_working_between(day, registered - timedelta(days=1)))
        if reason == "non_working_day":
            skipped = (self.day_info(day),) + skipped
        return Registration(local, registered, reason, skipped)


def local_midnight_utc(day: date) -> datetime:
    """The UTC instant of local midnight starting ``day``."""
    return datetime.combine(day, time(0, 0), tzinfo=LOCAL_TZ).astimezone(timezone.utc)


def overrides_from_rows(rows: Iterable[tuple[date, str, str | None]]) -> dict[date, tuple[str, str | None]]:
    return {day: (kind, name) for day, kind, name in rows}
