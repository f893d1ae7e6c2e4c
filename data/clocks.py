"""Deadline clocks on items: start, pause, resume, extend, stop, recompute.

Every change appends a ``ClockEvent`` and recomputes the clock from all its events with
``data.deadlines.compute_due``; the result (due date, explanation, pause) is stored on the
clock and mirrored onto the item (``current_due_date``) for indexed lists.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Union

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from data.config import LOCAL_TZ
from data.deadlines import OVERDUE, Event, clock_state, compute_due
from data.models import Application, Clock, ClockEvent, CalendarOverride, Complaint, ListBatch, Recipient
from data.policies import PolicyBook
from data.working_calendar import WorkingCalendar

Subject = Union[Application, Complaint, Recipient, ListBatch]

SUBJECT_COLUMN = {
    Application: "application_id",
    Complaint: "complaint_id",
    Recipient: "recipient_id",
    ListBatch: "batch_id",
}


@dataclass
class DeadlineContext:
    """The calendar and the policies, loaded once per unit of work."""

    calendar: WorkingCalendar
    policies: PolicyBook
    today: date | None = None  # the day states are judged on (None: today in Asia/Almaty)


def load_calendar(session: Session) -> WorkingCalendar:
    rows = session.execute(select(CalendarOverride.day, CalendarOverride.kind, CalendarOverride.name)).all()
    return WorkingCalendar({day: (kind, name) for day, kind, name in rows})


def load_context(session: Session) -> DeadlineContext:
    return DeadlineContext(load_calendar(session), PolicyBook.load(session))


def _subject_filter(subject: Subject):
    column = getattr(Clock, SUBJECT_COLUMN[type(subject)])
    return column == subject.id


def clocks_of(session: Session, subject: Subject) -> list[Clock]:
    return list(
        session.scalars(
            select(Clock).where(_subject_filter(subject)).options(selectinload(Clock.events)).order_by(Clock.id)
        )
    )


def open_clock(session: Session, subject: Subject, policy_code: str) -> Clock | None:
    return session.scalars(
        select(Clock)
        .where(_subject_filter(subject), Clock.policy_code == policy_code, Clock.stopped_at.is_(None))
        .options(selectinload(Clock.events))
        .order_by(Clock.id.desc())
    ).first()


def recompute(ctx: DeadlineContext, clock: Clock) -> bool:
    """Replay the clock's events; store the result. True when the due date moved."""
    policy = ctx.policies.version(clock.policy_code, clock.policy_version)
    events = [Event(e.kind, e.at, e.days, e.due) for e in clock.events]
    result = compute_due(policy, events, ctx.calendar, clock.variant)
    moved = clock.due_date != result.due
    clock.registered_on = result.registered
    clock.due_date = result.due
    clock.paused_since = result.paused_since
    clock.stopped_at = result.stopped_at
    clock.stopped_on = ctx.calendar.to_local(result.stopped_at).date() if result.stopped_at else None
    clock.explanation = result.steps
    if result.stopped_at is not None:
        clock.state = "stopped"
        return moved
    # A running or paused clock's state is current at once (the overdue job keeps it current as
    # the days pass): on_track / due_soon / overdue with the days overdue, as the job computes them.
    today = ctx.today or datetime.now(LOCAL_TZ).date()
    paused = result.paused_since is not None
    clock.state = clock_state(result.due, today, ctx.calendar, policy.warn_wd, paused=paused)
    late = clock.state == OVERDUE and result.due is not None
    clock.days_overdue_cd = (today - result.due).days if late else 0
    clock.days_overdue_wd = ctx.calendar.working_days_between(result.due, today) if late else 0
    return moved


def start_clock(
    session: Session,
    ctx: DeadlineContext,
    subject: Subject,
    policy_code: str,
    at: datetime,
    *,
    variant: str | None = None,
    due: date | None = None,
) -> Clock:
    on = ctx.calendar.to_local(at).date()
    policy = ctx.policies.in_force(policy_code, on)
    clock = Clock(policy_code=policy_code, policy_version=policy.version, variant=variant, started_at=at)
    setattr(clock, SUBJECT_COLUMN[type(subject)], subject.id)
    clock.events.append(ClockEvent(kind="start", at=at, due=due))
    recompute(ctx, clock)
    session.add(clock)
    return clock


def add_event(
    ctx: DeadlineContext, clock: Clock, kind: str, at: datetime, *, days: int | None = None, note: str | None = None
) -> Clock:
    clock.events.append(ClockEvent(kind=kind, at=at, days=days, note=note))
    recompute(ctx, clock)
    return clock


def running_due(session: Session, column: str, subject_id: int) -> tuple[date | None, str | None]:
    """The earliest due date among the item's running (open, not paused) clocks."""
    row = session.execute(
        select(Clock.due_date, Clock.policy_code)
        .where(
            getattr(Clock, column) == subject_id,
            Clock.stopped_at.is_(None),
            Clock.paused_since.is_(None),
        )
        .order_by(Clock.due_date, Clock.id)
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else (None, None)


def sync_subject_due(session: Session, subject: Subject) -> None:
    """Mirror the earliest running clock's due date onto the item (applications, complaints)."""
    if not hasattr(subject, "current_due_date"):
        return
    session.flush()
    due, policy = running_due(session, SUBJECT_COLUMN[type(subject)], subject.id)
    subject.current_due_date = due
    if hasattr(subject, "current_policy"):
        subject.current_policy = policy


@dataclass
class RecomputeResult:
    checked: int
    moved: int


def recompute_open(session: Session, ctx: DeadlineContext | None = None, chunk: int = 2000) -> RecomputeResult:
    """Recompute every open clock (after a calendar override or a policy change)."""
    ctx = ctx or load_context(session)
    checked = moved = 0
    last_id = 0
    while True:
        batch = list(
            session.scalars(
                select(Clock)
                .where(Clock.stopped_at.is_(None), Clock.id > last_id)
                .order_by(Clock.id)
                .limit(chunk)
                .options(selectinload(Clock.events))
            )
        )
        if not batch:
            break
        moved_clocks = [c for c in batch if recompute(ctx, c)]
        checked += len(batch)
        moved += len(moved_clocks)
        _mirror_moved(session, moved_clocks)
        session.flush()
        last_id = batch[-1].id
    return RecomputeResult(checked, moved)


def _mirror_moved(session: Session, moved: list[Clock]) -> None:
    """Refresh the mirrored due date with plain UPDATEs: a recomputation is not an edit, so it
    must not bump the items' optimistic-lock versions under a reviewer's open form."""
    session.flush()
    for clock in moved:
        for model, column in ((Application, "application_id"), (Complaint, "complaint_id")):
            subject_id = getattr(clock, column)
            if subject_id is None:
                continue
            due, policy = running_due(session, column, subject_id)
            values = {"current_due_date": due}
            if model is Application:
                values["current_policy"] = policy
            session.execute(
                update(model).where(model.id == subject_id).values(**values),
                execution_options={"synchronize_session": False},
            )
