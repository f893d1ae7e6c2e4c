"""The working calendar of a year as the Calendar admin page shows it, and the page's one change:
set or remove an override (validated here, applied by ``data.calendar_admin`` which recomputes
every open deadline, and written to the audit trail).

Day categories: ``working`` (ordinary Mon-Fri), ``weekend``, ``holiday`` (a national public
holiday), ``moved_day_off`` (a national day off moved by the weekend rule or by decree: the
``holidays`` package names them "Day off (substituted from ...)" or "... (observed)"),
``working_weekend`` (a weekend day declared a working day), ``override_holiday`` and
``override_workday`` (admins' overrides, which win over the national calendar).
"""
from __future__ import annotations

import calendar as _calendar
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import extract, select
from sqlalchemy.orm import Session

from data.calendar_admin import remove_override, set_override
from data.clocks import load_calendar
from data.errors import DomainError
from data.explain import holiday_name
from data.i18n import t
from data.models import CalendarOverride, User
from data.working_calendar import HOLIDAY, WORKDAY, DayInfo, WorkingCalendar

CATEGORIES = ("working", "weekend", "holiday", "moved_day_off", "working_weekend", "override_holiday",
              "override_workday")
FIRST_YEAR, LAST_YEAR = 2000, 2100  # what the page accepts for an override
NAME_MAX = 200
_SUBSTITUTED = re.compile(r"substituted from (\d\d)/(\d\d)/(\d{4})")  # MM/DD/YYYY in the package


def day_category(info: DayInfo) -> str:
    if info.source == "weekday":
        return "working"
    if info.source == "weekend":
        return "weekend"
    if info.source == "national_workday":
        return "working_weekend"
    if info.source == "national_holiday":
        name = info.name_en or ""
        return "moved_day_off" if name.startswith("Day off") or name.endswith("(observed)") else "holiday"
    return info.source  # override_holiday | override_workday


def _as_dict(info: DayInfo) -> dict[str, Any]:
    return {"date": info.day.isoformat(), "source": info.source, "name_en": info.name_en, "name_kk": info.name_kk,
            "override_name": info.override_name}


@dataclass(frozen=True)
class CalendarDay:
    day: date
    working: bool
    category: str
    origin: str  # "" (ordinary day) | "national" | "override"
    name: str  # in the page's language; "" for ordinary days
    national: str  # for an override: what the national calendar alone says of the day
    estimated: bool  # the package marks the date as an estimate (e.g. Kurban ait)
    created_by: str | None = None  # overrides: who added it
    created_at: datetime | None = None

    @property
    def special(self) -> bool:
        return self.category not in ("working", "weekend")


@dataclass
class MonthView:
    year: int
    month: int
    weeks: list[list[CalendarDay | None]]  # Monday-first rows; None outside the month
    working_days: int
    days_off: int


@dataclass
class YearView:
    year: int
    months: list[MonthView]
    working_days: int
    days_off: int
    special: list[CalendarDay] = field(default_factory=list)
    overrides: int = 0


def _national_label(national: DayInfo, lang: str) -> str:
    """What the national calendar alone says of a day (shown beside an override)."""
    if national.source == "weekday":
        return t("calendar.cat.working", lang)
    if national.source == "weekend":
        return t("calendar.cat.weekend", lang)
    if national.source == "national_workday":
        return t("calendar.name.working_weekend", lang)
    return holiday_name(_as_dict(national), lang)


def year_view(session: Session, year: int, lang: str, cal: WorkingCalendar | None = None) -> YearView:
    """Every day of ``year`` with its category, name (kk/ru) and source; counts per month."""
    cal = cal or load_calendar(session)
    national_cal = WorkingCalendar(hours=cal.hours)
    days = cal.year_days(year)
    meta = {
        row.day: (username, row.created_at)
        for row, username in session.execute(
            select(CalendarOverride, User.username)
            .outerjoin(User, User.id == CalendarOverride.created_by_id)
            .where(extract("year", CalendarOverride.day) == year)
        )
    }
    # weekend days declared working: which day off they pay for ("substituted from MM/DD/YYYY")
    paid_by: dict[date, date] = {}
    for info in days:
        match = _SUBSTITUTED.search(info.name_en or "")
        if match and info.source == "national_holiday":
            month, day_, y = (int(g) for g in match.groups())
            paid_by[date(y, month, day_)] = info.day
    out_days: list[CalendarDay] = []
    for info in days:
        category = day_category(info)
        national = national_cal.day_info(info.day)
        origin = "override" if info.source.startswith("override_") else (
            "national" if info.source.startswith("national_") else "")
        if category in ("working", "weekend"):
            name = ""
        elif category == "working_weekend":
            moved = paid_by.get(info.day)
            name = (t("calendar.name.working_weekend_for", lang, day=moved.strftime("%d.%m.%Y")) if moved
                    else t("calendar.name.working_weekend", lang))
        elif category == "override_workday":
            name = info.override_name or t("calendar.name.override_workday", lang)
        else:
            name = holiday_name(_as_dict(info), lang)
        created_by, created_at = meta.get(info.day, (None, None))
        out_days.append(CalendarDay(
            day=info.day, working=info.working, category=category, origin=origin, name=name,
            national=_national_label(national, lang) if origin == "override" else "",
            estimated=(national.name_en or "").endswith("(estimated)"),
            created_by=created_by, created_at=created_at,
        ))
    by_day = {d.day: d for d in out_days}
    months = []
    for month in range(1, 13):
        weeks = [[by_day.get(d) if d.month == month else None for d in week]
                 for week in _calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)]
        in_month = [d for d in out_days if d.day.month == month]
        working = sum(1 for d in in_month if d.working)
        months.append(MonthView(year, month, weeks, working, len(in_month) - working))
    working_total = sum(m.working_days for m in months)
    return YearView(year, months, working_total, len(out_days) - working_total,
                    [d for d in out_days if d.special], sum(1 for d in out_days if d.origin == "override"))


def override_years(session: Session) -> list[int]:
    return sorted({d.year for d in session.scalars(select(CalendarOverride.day))})


# -- the page's change ---------------------------------------------------------------------------
@dataclass(frozen=True)
class OverrideResult:
    day: date
    action: str  # "set" | "removed"
    kind: str | None
    name: str | None
    checked: int
    moved: int


def parse_override_day(text: Any) -> date:
    """A date typed as dd.mm.yyyy (or ISO); clear errors for empty, malformed and far-off dates."""
    from data.workflows import parse_date

    if text is None or not str(text).strip():
        raise DomainError("calendar_date_required")
    day = parse_date(str(text).strip())
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise DomainError("calendar_year_range", first=FIRST_YEAR, last=LAST_YEAR)
    return day


def _snapshot(row: CalendarOverride | None) -> dict[str, Any] | None:
    return None if row is None else {"day": row.day.isoformat(), "kind": row.kind, "name": row.name}


def change_override(session: Session, actor: User | None, day_text: Any, kind: str | None = None,
                    name: str | None = None, remove: bool = False) -> OverrideResult:
    """Set (``kind`` holiday | workday, optional ``name``) or remove the override of a day, recompute
    every open deadline, and write the change to the audit trail. Raises DomainError (nothing
    changed) on bad input."""
    day = parse_override_day(day_text)
    before = _snapshot(session.scalar(select(CalendarOverride).where(CalendarOverride.day == day)))
    if remove:
        if before is None:
            raise DomainError("calendar_no_override", date=day.strftime("%d.%m.%Y"))
        change = remove_override(session, day, actor=actor)
        kind, name = None, None
    else:
        if kind not in (HOLIDAY, WORKDAY):
            raise DomainError("calendar_kind_required")
        name = (name or "").strip() or None
        if name and len(name) > NAME_MAX:
            raise DomainError("calendar_name_too_long", max=NAME_MAX, length=len(name))
        change = set_override(session, day, kind, name, actor=actor)
    # the audit row (before -> after, how many deadlines moved) is written by data.calendar_admin
    return OverrideResult(day, "removed" if remove else "set", kind, name, change.recomputed.checked,
                          change.recomputed.moved)


def result_message(result: OverrideResult, lang: str) -> str:
    params = dict(date=result.day.strftime("%d.%m.%Y"), checked=f"{result.checked:,}".replace(",", " "),
                  moved=f"{result.moved:,}".replace(",", " "),
                  name=f" ({result.name})" if result.name else "")
    key = "calendar.removed" if result.action == "removed" else f"calendar.saved.{result.kind}"
    return t(key, lang, **params)


def as_dict(result: OverrideResult) -> dict[str, Any]:
    out = asdict(result)
    out["day"] = result.day.isoformat()
    return out
