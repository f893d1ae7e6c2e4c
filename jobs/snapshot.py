"""The daily snapshot: one row per day x kind x status x akimat x reviewer with the counts of open,
due soon, overdue, closed on time and closed late items (``daily_snapshots``), so trend charts and
reports read a small table and history is kept.

Two ``INSERT ... SELECT ... GROUP BY`` statements (applications; complaints) after deleting the
day's rows, in the job's one transaction: re-running a day replaces it.

Open items are counted as the overview counts them: overdue when the item's mirrored running
due date (``current_due_date``) is before the day, due soon when it is at most the warning window
of the policy in force (``data.queries.overview.due_soon_condition``). Closed counts are the items
that reached a final status during the previous day (at 00:10 the last complete day):
applications by ``closed_at`` and ``closed_on_time``; complaints by their main clock
(``complaint_provider`` / ``complaint_quality_body``) stopping that day, on time when it stopped
on or before its due date.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from data.clocks import load_context
from data.models import Application, Clock, Complaint
from data.models.base import UTCDateTime, utcnow
from data.models.jobs import DailySnapshot
from data.queries.overview import due_soon_condition
from data.working_calendar import local_midnight_utc

COMPLAINT_POLICIES = ("complaint_provider", "complaint_quality_body")
COLUMNS = ("day", "kind", "status", "akimat_id", "reviewer_id", "open", "due_soon", "overdue",
           "closed_on_time", "closed_late", "created_at")


@dataclass
class SnapshotResult:
    day: date
    rows: int
    deleted: int
    totals: dict[str, int]


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _application_rows(day: date, ctx, created):
    a = Application
    since, until = local_midnight_utc(day - timedelta(days=1)), local_midnight_utc(day)
    is_open = a.is_open.is_(True)
    closed_yesterday = and_(a.is_open.is_(False), a.closed_at >= since, a.closed_at < until,
                            a.closed_on_time.is_not(None))
    return (
        select(
            literal(day), a.kind, a.status, a.akimat_id, a.reviewer_id,
            _count(is_open),
            _count(and_(is_open, due_soon_condition(a.current_due_date, a.current_policy, day, ctx.calendar,
                                                    ctx.policies))),
            _count(and_(is_open, a.current_due_date < day)),
            _count(and_(closed_yesterday, a.closed_on_time.is_(True))),
            _count(and_(closed_yesterday, a.closed_on_time.is_(False))),
            literal(created, UTCDateTime()),
        )
        .where(is_open | closed_yesterday)
        .group_by(a.kind, a.status, a.akimat_id, a.reviewer_id)
    )


def _complaint_rows(day: date, ctx, created):
    c, a = Complaint, Application
    yesterday = day - timedelta(days=1)
    main = (
        select(Clock.complaint_id.label("complaint_id"), Clock.stopped_on.label("stopped_on"),
               Clock.due_date.label("due_date"))
        .where(Clock.complaint_id.is_not(None), Clock.policy_code.in_(COMPLAINT_POLICIES),
               Clock.stopped_on == yesterday)
        .subquery()
    )
    policy = case((c.level == "quality_body", COMPLAINT_POLICIES[1]), else_=COMPLAINT_POLICIES[0])
    is_open = c.is_open.is_(True)
    closed = and_(c.is_open.is_(False), main.c.stopped_on.is_not(None), main.c.due_date.is_not(None))
    return (
        select(
            literal(day), literal("complaint"), c.status, a.akimat_id, c.responsible_id,
            _count(is_open),
            _count(and_(is_open, due_soon_condition(c.current_due_date, policy, day, ctx.calendar, ctx.policies))),
            _count(and_(is_open, c.current_due_date < day)),
            _count(and_(closed, main.c.stopped_on <= main.c.due_date)),
            _count(and_(closed, main.c.stopped_on > main.c.due_date)),
            literal(created, UTCDateTime()),
        )
        .select_from(c)
        .outerjoin(a, a.id == c.application_id)
        .outerjoin(main, main.c.complaint_id == c.id)
        .where(is_open | closed)
        .group_by(c.status, a.akimat_id, c.responsible_id)
    )


def take_snapshot(session: Session, day: date) -> SnapshotResult:
    """Replace the snapshot rows of ``day``."""
    ctx = load_context(session)
    deleted = session.execute(delete(DailySnapshot).where(DailySnapshot.day == day),
                              execution_options={"synchronize_session": False}).rowcount or 0
    created = utcnow()
    table = DailySnapshot.__table__
    columns = [table.c[name] for name in COLUMNS]
    for query in (_application_rows(day, ctx, created), _complaint_rows(day, ctx, created)):
        session.execute(insert(table).from_select(columns, query))
    s = DailySnapshot
    # (INSERT ... SELECT reports no row count through psycopg: count what is there.)
    total = session.execute(
        select(func.count(), func.sum(s.open), func.sum(s.due_soon), func.sum(s.overdue),
               func.sum(s.closed_on_time), func.sum(s.closed_late)).where(s.day == day)
    ).one()
    totals = dict(zip(("open", "due_soon", "overdue", "closed_on_time", "closed_late"),
                      (int(v or 0) for v in total[1:])))
    return SnapshotResult(day, int(total[0]), deleted, totals)


def job(ctx) -> dict[str, Any]:
    result = take_snapshot(ctx.session, ctx.today)
    return {"rows": result.rows, "summary": {"day": result.day.isoformat(), "rows": result.rows,
                                             "replaced": result.deleted, "totals": result.totals}}
