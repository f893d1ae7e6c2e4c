"""The overdue job: the state of every open clock (on_track / due_soon / overdue / paused) and how
many working and calendar days it is overdue, stored on the clock by one set-based UPDATE.

Rules (as ``data.deadlines.clock_state`` / ``days_left``): a paused clock is ``paused``; a clock
is ``overdue`` from the first day after its due date; ``due_soon`` while at most the warning
window of its policy version (``warn_wd`` working days) is left, the due day itself counting as
0 left; else ``on_track``. Days overdue: calendar days ``today - due``, working days the working
days in (due, today].

Working days in SQL come from the ``work_days`` table (``data.models.jobs.WorkDay``): every date
of 2024-2030 (widened to whatever open clocks need) with a running count of working days, so
"working days between a and b" is ``wd_index(b) - wd_index(a)``. The table is rebuilt from
``data.clocks.load_calendar`` when its source changes: a fingerprint of the overrides, the
``holidays`` package version and the range is kept in ``job_state``, compared on every run (one
small query), and the table rebuilt (about 2,600 rows, well under a second) only when it
differs. So an admin's calendar override reaches the day counts at the next run.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import holidays
from sqlalchemy import Integer, and_, case, cast, delete, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from data.clocks import DeadlineContext, load_context
from data.config import LOCAL_TZ
from data.models import CalendarOverride, Clock
from data.models.jobs import JobState, WorkDay
from data.working_calendar import WorkingCalendar

WORK_DAYS_FROM = date(2024, 1, 1)
WORK_DAYS_TO = date(2030, 12, 31)
FINGERPRINT_KEY = "work_days.fingerprint"


# -- the working-day table -------------------------------------------------------------------
def _range_needed(session: Session, today: date) -> tuple[date, date]:
    """2024-2030 and a year around today, widened to any open clock due outside (rare: the query
    reads two short ranges of the (stopped_at, due_date) index, not every open clock)."""
    first = min(WORK_DAYS_FROM, today - timedelta(days=400))
    last = max(WORK_DAYS_TO, today + timedelta(days=400))
    low, high = session.execute(
        select(func.min(Clock.due_date), func.max(Clock.due_date)).where(
            Clock.stopped_at.is_(None), or_(Clock.due_date < first, Clock.due_date > last))
    ).one()
    first = min(d for d in (first, low, high) if d is not None)
    last = max(d for d in (last, low, high) if d is not None)
    return date(first.year, 1, 1), date(last.year, 12, 31)


def _fingerprint(session: Session, first: date, last: date, cal: WorkingCalendar) -> str:
    overrides = sorted((d.isoformat(), k) for d, k in session.execute(
        select(CalendarOverride.day, CalendarOverride.kind)))
    hours = f"{cal.hours.opens}-{cal.hours.closes}"
    text = f"{holidays.__version__}|{first}|{last}|{hours}|{overrides}"
    return hashlib.sha1(text.encode()).hexdigest()


def refresh_work_days(session: Session, cal: WorkingCalendar | None = None, today: date | None = None,
                      *, force: bool = False) -> bool:
    """Make ``work_days`` match the calendar (national + overrides). True when it was rebuilt."""
    if cal is None:
        from data.clocks import load_calendar

        cal = load_calendar(session)
    today = today or datetime.now(LOCAL_TZ).date()
    first, last = _range_needed(session, today)
    fingerprint = _fingerprint(session, first, last, cal)
    state = session.get(JobState, FINGERPRINT_KEY)
    if not force and state is not None and state.value == fingerprint:
        return False
    rows = []
    index = 0
    day = first
    while day <= last:
        working = cal.is_working_day(day)
        index += working
        rows.append({"day": day, "working": working, "wd_index": index})
        day += timedelta(days=1)
    session.execute(delete(WorkDay))
    session.execute(insert(WorkDay), rows)
    if state is None:
        session.add(JobState(key=FINGERPRINT_KEY, value=fingerprint))
    else:
        state.value = fingerprint
    session.flush()
    return True


# -- the states --------------------------------------------------------------------------------
@dataclass
class OverdueResult:
    today: date
    touched: int
    counts: dict[str, int] = field(default_factory=dict)
    expired_recipients: int | None = None
    work_days_rebuilt: bool = False

    def summary(self) -> dict[str, Any]:
        return {"today": self.today.isoformat(), "touched": self.touched, "counts": self.counts,
                "expired_recipients": self.expired_recipients, "work_days_rebuilt": self.work_days_rebuilt}


def soon_threshold(ctx: DeadlineContext, today: date):
    """SQL: the first due date that is no longer "due soon" on ``today`` for each clock's policy
    version: the (warn_wd + 1)-th working day after today, so that a due date on a day off just
    after the window counts as clock_state counts it. A constant when every version has the
    same warning window, else a CASE."""
    by_warn: dict[int, list[tuple[str, int]]] = {}
    for code in ctx.policies.codes():
        # PolicyBook has no public "all versions of a code"; its per-code lists are read here.
        for policy in ctx.policies._by_code[code]:
            by_warn.setdefault(policy.warn_wd, []).append((policy.code, policy.version))
    if not by_warn:
        return literal(ctx.calendar.add_working_days(today, 3))
    common = max(by_warn, key=lambda w: len(by_warn[w]))
    whens = []
    for warn, pairs in sorted(by_warn.items()):
        if warn == common:
            continue
        cond = or_(*(and_(Clock.policy_code == code, Clock.policy_version == version) for code, version in pairs))
        whens.append((cond, ctx.calendar.add_working_days(today, warn + 1)))
    default = ctx.calendar.add_working_days(today, common + 1)
    if not whens:
        return literal(default)
    return case(*whens, else_=default)


def _days_between_sql(session: Session, later, earlier):
    """SQL: calendar days from ``earlier`` to ``later`` (two dates)."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return later - earlier


def state_expressions(session: Session, ctx: DeadlineContext, today: date, wd_today: int):
    """(state, days_overdue_cd, days_overdue_wd) as SQL expressions over ``clocks``."""
    soon = soon_threshold(ctx, today)
    paused = Clock.paused_since.is_not(None)
    overdue = and_(Clock.paused_since.is_(None), Clock.due_date < today)
    state = case(
        (paused, "paused"),
        (Clock.due_date.is_(None), "on_track"),
        (Clock.due_date < today, "overdue"),
        (Clock.due_date < soon, "due_soon"),
        else_="on_track",
    )
    wd_due = select(WorkDay.wd_index).where(WorkDay.day == Clock.due_date).scalar_subquery()
    days_cd = case((overdue, _days_between_sql(session, literal(today), Clock.due_date)), else_=0)
    days_wd = case((overdue, literal(wd_today) - wd_due), else_=0)
    return state, days_cd, days_wd


def mark_clock_states(session: Session, today: date, ctx: DeadlineContext | None = None) -> int:
    """One set-based UPDATE over the open clocks; only rows whose state or day counts change are
    written. Returns the number of rows touched."""
    return update_clock_states(session, today, ctx).touched


def update_clock_states(session: Session, today: date, ctx: DeadlineContext | None = None) -> OverdueResult:
    """The states of all open clocks on ``today``, in two set-based statements:

    1. one SELECT over the open clocks computes the new state of each with the same expressions
       the UPDATE uses and returns, per new state, how many clocks there are and how many differ
       from what is stored (the job's counts; one scan, parallel on PostgreSQL);
    2. only when something differs, one UPDATE of exactly those rows.
    So the 15-minute run that finds nothing new costs one read of the open clocks.
    """
    ctx = ctx or load_context(session)
    rebuilt = refresh_work_days(session, ctx.calendar, today)
    wd_today = session.scalar(select(WorkDay.wd_index).where(WorkDay.day == today))
    state, days_cd, days_wd = state_expressions(session, ctx, today, wd_today)
    changed = or_(
        Clock.state.is_distinct_from(state),
        Clock.days_overdue_cd.is_distinct_from(days_cd),
        Clock.days_overdue_wd.is_distinct_from(days_wd),
    )
    per_clock = (
        select(state.label("state"), case((changed, 1), else_=0).label("changed"))
        .where(Clock.stopped_at.is_(None))
        .subquery()
    )
    rows = session.execute(
        select(per_clock.c.state, func.count(), func.sum(per_clock.c.changed)).group_by(per_clock.c.state)
    ).all()
    out = OverdueResult(today, 0, {s: int(n) for s, n, _ in rows}, work_days_rebuilt=rebuilt)
    if sum(int(c or 0) for _, _, c in rows):
        result = session.execute(
            update(Clock)
            .where(Clock.stopped_at.is_(None), changed)
            .values(state=state, days_overdue_cd=days_cd, days_overdue_wd=days_wd),
            execution_options={"synchronize_session": False},
        )
        out.touched = result.rowcount or 0
    return out


def expire_recipients(session: Session, today: date) -> int | None:
    """Call ``data.recipients.expire_recipients`` when a colleague's module provides it."""
    try:
        from data import recipients
    except ImportError:
        return None
    hook = getattr(recipients, "expire_recipients", None)
    if hook is None:
        return None
    return int(hook(session, today) or 0)


EXPIRED_ON_KEY = "overdue.recipients_expired_on"


def run_overdue(session: Session, today: date) -> OverdueResult:
    """The job: expire recipients whose window ended (their clocks stop), then the states.

    A window ends at a day's boundary, so recipients are expired by the first run of each day
    (the day is remembered in ``job_state``, in the same transaction), not every 15 minutes."""
    expired = None
    done = session.get(JobState, EXPIRED_ON_KEY)
    if done is None or done.value != today.isoformat():
        expired = expire_recipients(session, today)
        if done is None:
            session.add(JobState(key=EXPIRED_ON_KEY, value=today.isoformat()))
        else:
            done.value = today.isoformat()
        session.flush()
    result = update_clock_states(session, today)
    result.expired_recipients = expired
    return result


def job(ctx) -> dict[str, Any]:
    """Entry point for jobs.runner (``ctx``: jobs.runner.JobContext)."""
    result = run_overdue(ctx.session, ctx.today)
    return {"rows": result.touched + (result.expired_recipients or 0), "summary": result.summary()}
