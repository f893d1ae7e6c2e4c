"""The deadline engine: a due date derived from a clock's event history.

``compute_due`` is a pure function of (policy, events, calendar): replaying the same history
always gives the same due date, and every result carries the steps that explain it (stored as
JSON on the clock, rendered in kk/ru by ``data.explain``).

Events:
- ``start`` at the moment the clock's trigger happened (``due`` set for policies whose date is
  set by a person, e.g. the applicant's revision deadline);
- ``pause`` / ``resume`` while the item waits for someone else (resume adds the paused days,
  or restarts the term when the policy says so);
- ``extend`` by ``days`` working days from the current due date (complaint extension);
- ``stop`` when the obligation was met.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from data.policies import CD, REGISTRATION, SET_DATE, WD, Policy
from data.working_calendar import DayInfo, WorkingCalendar


@dataclass(frozen=True)
class Event:
    kind: str
    at: datetime
    days: int | None = None
    due: date | None = None


@dataclass
class DueResult:
    registered: date | None
    due: date | None
    paused_since: date | None = None
    stopped_at: datetime | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)


def _day(info: DayInfo) -> dict[str, Any]:
    return {
        "date": info.day.isoformat(),
        "source": info.source,
        "name_en": info.name_en,
        "name_kk": info.name_kk,
        "override_name": info.override_name,
    }


def _start_day(policy: Policy, at: datetime, cal: WorkingCalendar, steps: list, code: str) -> date:
    local = cal.to_local(at)
    if policy.start_rule == REGISTRATION:
        reg = cal.registration(at)
        steps.append(
            {
                "code": code,
                "rule": "registration",
                "received": local.isoformat(timespec="minutes"),
                "registered": reg.day.isoformat(),
                "reason": reg.reason,
                "skipped": [_day(d) for d in reg.skipped],
            }
        )
        return reg.day
    steps.append({"code": code, "rule": "event", "date": local.date().isoformat()})
    return local.date()


def _term_end(
    policy: Policy, start: date, n: int, cal: WorkingCalendar, steps: list, extra: int = 0
) -> date:
    if policy.unit == WD:
        due = cal.add_working_days(start, n + extra)
        steps.append(
            {
                "code": "term_wd",
                "n": n,
                "extra": extra,
                "from": start.isoformat(),
                "due": due.isoformat(),
                "skipped": [_day(d) for d in cal.non_working_between(start, due)],
            }
        )
        return due
    raw = cal.add_calendar_days(start, n + extra, roll=False)
    steps.append(
        {"code": "term_cd", "n": n, "extra": extra, "from": start.isoformat(), "end": raw.isoformat()}
    )
    return _roll(policy, raw, cal, steps)


def _roll(policy: Policy, day: date, cal: WorkingCalendar, steps: list) -> date:
    if not policy.roll_forward or cal.is_working_day(day):
        return day
    rolled = cal.next_working_day(day)
    steps.append(
        {
            "code": "rolled_forward",
            "from": day.isoformat(),
            "to": rolled.isoformat(),
            "days": [_day(cal.day_info(day))]
            + [_day(d) for d in cal.non_working_between(day, rolled - timedelta(days=1))],
        }
    )
    return rolled


def _paused_days(policy: Policy, paused: date, resumed: date, cal: WorkingCalendar) -> int:
    if policy.unit == WD:
        return max(0, cal.working_days_between(paused, resumed))
    return max(0, (resumed - paused).days)


def compute_due(
    policy: Policy,
    events: Sequence[Event],
    cal: WorkingCalendar,
    variant: str | None = None,
    extension_unit: str = WD,
) -> DueResult:
    """Replay ``events`` (in order) under ``policy`` and ``cal``."""
    # Stable sort: events at the same instant keep the order they were recorded in (by id).
    events = sorted(events, key=lambda e: cal.to_local(e.at))
    steps: list[dict[str, Any]] = []
    start_events = [e for e in events if e.kind == "start"]
    if not start_events:
        raise ValueError("a clock needs a start event")
    start_event = start_events[0]
    n = policy.term_for(variant)

    if policy.start_rule == SET_DATE:
        registered = cal.to_local(start_event.at).date()
        if start_event.due is None:
            raise ValueError(f"policy {policy.code} needs the due date set on its start event")
        steps.append({"code": "set_date", "on": registered.isoformat(), "date": start_event.due.isoformat()})
        base_due = _roll(policy, start_event.due, cal, steps)
        term_start = registered
    else:
        if n is None:
            raise ValueError(f"policy {policy.code} has no term")
        registered = _start_day(policy, start_event.at, cal, steps, "start")
        term_start = registered
        base_due = None

    paused_total = 0
    paused_since: date | None = None
    stopped_at: datetime | None = None
    extension_days = 0

    for event in events:
        if event.kind == "pause" and paused_since is None and stopped_at is None:
            paused_since = cal.to_local(event.at).date()
        elif event.kind == "resume" and paused_since is not None:
            if policy.start_rule != SET_DATE and policy.pause_mode == "restart":
                steps.append({"code": "paused", "from": paused_since.isoformat(), "mode": "restart"})
                term_start = _start_day(policy, event.at, cal, steps, "restart")
                paused_total = 0
            else:
                resumed = (
                    cal.registration(event.at).day
                    if policy.start_rule == REGISTRATION
                    else cal.to_local(event.at).date()
                )
                days = _paused_days(policy, paused_since, resumed, cal)
                paused_total += days
                steps.append(
                    {
                        "code": "paused",
                        "from": paused_since.isoformat(),
                        "to": resumed.isoformat(),
                        "days": days,
                        "unit": policy.unit,
                    }
                )
            paused_since = None
        elif event.kind == "extend" and stopped_at is None:
            extension_days += int(event.days or 0)
        elif event.kind == "stop" and stopped_at is None:
            stopped_at = event.at

    if base_due is not None:
        due = base_due
    else:
        assert n is not None
        due = _term_end(policy, term_start, n, cal, steps, extra=paused_total)

    if extension_days:
        before = due
        if extension_unit == CD:
            due = cal.add_calendar_days(due, extension_days)
        else:
            due = cal.add_working_days(due, extension_days)
        steps.append(
            {
                "code": "extended",
                "days": extension_days,
                "from": before.isoformat(),
                "to": due.isoformat(),
                "skipped": [_day(d) for d in cal.non_working_between(before, due)],
            }
        )

    if paused_since is not None:
        steps.append({"code": "paused_now", "since": paused_since.isoformat()})
    steps.append({"code": "due", "date": due.isoformat()})
    return DueResult(registered, due, paused_since, stopped_at, steps)


# -- state of a clock on a given day ---------------------------------------------------------
ON_TRACK, DUE_SOON, OVERDUE, PAUSED, STOPPED = "on_track", "due_soon", "overdue", "paused", "stopped"


@dataclass(frozen=True)
class DaysLeft:
    working: int
    calendar: int


def days_left(due: date, today: date, cal: WorkingCalendar) -> DaysLeft:
    """Working and calendar days from ``today`` to ``due``; negative when overdue."""
    return DaysLeft(cal.working_days_between(today, due), (due - today).days)


def clock_state(
    due: date | None,
    today: date,
    cal: WorkingCalendar,
    warn_wd: int = 2,
    paused: bool = False,
    stopped: bool = False,
) -> str:
    """``overdue`` from the first day after the due date; ``due_soon`` while at most
    ``warn_wd`` working days are left (the due day itself counts as 0 left)."""
    if stopped:
        return STOPPED
    if paused:
        return PAUSED
    if due is None:
        return ON_TRACK
    if today > due:
        return OVERDUE
    if cal.working_days_between(today, due) <= warn_wd:
        return DUE_SOON
    return ON_TRACK
