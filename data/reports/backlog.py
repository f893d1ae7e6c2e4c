"""Backlog and flow: what came in, what was closed, what is open at the end of the period (by
status and by region), how old the open applications are, and the weekly trend.

- received: applications whose ``registration_date`` is in the period;
- closed: applications whose ``closed_at`` (local date) is in the period;
- open at the end of the period: for a period ending today (or later), the live figures; for an
  earlier end, the daily snapshot (``jobs/snapshot.py``) taken the next morning, which holds the
  open and overdue counts per kind x status x akimat x reviewer as that day ended, so history
  costs one small indexed read. Without that snapshot (or for a reviewer, whose department
  scope the snapshot rows cannot express) the live figures are shown and the file says so;
- aging: open applications today by days since registration (the overview's buckets);
- weekly trend (Monday to Sunday, clipped to the period): received, closed, and application
  clocks overdue at the end of each week (the overview's reckoning, ``overdue_at``, with this
  report's filter).
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, timedelta

from sqlalchemy import case, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from data.i18n import t
from data.models import Application, Clock, User
from data.models.jobs import DailySnapshot
from data.queries.overview import AGE_BUCKETS, age_bucket_sums, late_clock_condition
from data.reports.common import Names, application_filters
from data.reports.model import DATE, INT, PCT, TEXT, Chart, Column, Figure, Table, rate
from data.statuses import APPLICATION_KINDS
from data.working_calendar import local_midnight_utc


def _sum(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def open_at_end(session: Session, resolved, user: User | None, today: date) -> tuple[list[tuple], str]:
    """(kind, status, akimat_id, open, overdue) rows at the end of the period, and a note on the
    source."""
    end = resolved.date_to
    if end < today and (user is None or user.role in ("manager", "admin")):
        day = end + timedelta(days=1)
        s, f = DailySnapshot, resolved.filters
        query = (select(s.kind, s.status, s.akimat_id, func.sum(s.open), func.sum(s.overdue))
                 .where(s.day == day, s.kind.in_(APPLICATION_KINDS))
                 .group_by(s.kind, s.status, s.akimat_id))
        if f.kind:
            query = query.where(s.kind == f.kind)
        if resolved.akimat_ids is not None:
            query = query.where(s.akimat_id.in_(sorted(resolved.akimat_ids)))
        if f.reviewer_id is not None:
            query = query.where(s.reviewer_id == f.reviewer_id)
        have = session.scalar(select(func.count()).select_from(s).where(s.day == day))
        if have:
            rows = [(k, st, ak, int(o or 0), int(od or 0)) for k, st, ak, o, od in session.execute(query)]
            return [r for r in rows if r[3]], "reports.backlog.source_snapshot"
        note = "reports.backlog.source_none"
    elif end < today:
        note = "reports.backlog.source_none"
    else:
        note = "reports.backlog.source_live"
    a = Application
    query = (select(a.kind, a.status, a.akimat_id, func.count(), _sum(a.current_due_date < today))
             .where(a.is_open.is_(True)).group_by(a.kind, a.status, a.akimat_id))
    rows = [(k, st, ak, int(n), int(od)) for k, st, ak, n, od in
            session.execute(application_filters(query, resolved, user))]
    return rows, note


def aging(session: Session, resolved, user: User | None, today: date) -> tuple[list[int], int]:
    a = Application
    query = select(_sum(a.registration_date.is_(None)), *age_bucket_sums(today)).where(a.is_open.is_(True))
    unregistered, *counts = session.execute(application_filters(query, resolved, user)).one()
    return [int(n) for n in counts], int(unregistered)


def weeks(first: date, last: date) -> list[tuple[date, date]]:
    monday = first - timedelta(days=first.weekday())
    out = []
    while monday <= last:
        out.append((max(monday, first), min(monday + timedelta(days=6), last)))
        monday += timedelta(days=7)
    return out


def _needs_join(resolved, user: User | None) -> bool:
    f = resolved.filters
    return bool(f.kind or resolved.akimat_ids is not None or f.reviewer_id is not None) or (
        user is not None and user.role not in ("manager", "admin"))


def overdue_at(session: Session, days: list[date], resolved, user: User | None) -> list[int]:
    """Application clocks overdue on each of ``days`` (ascending): due before the day, not stopped
    on or before it, not paused on or before it (as ``data.queries.overview.overdue_at``)."""
    if not days:
        return []
    c = Clock
    diff = [0] * (len(days) + 1)
    for stopped in (c.stopped_on.is_(None), c.stopped_on > days[0]):
        query = (select(c.stopped_on, c.due_date, c.paused_since, func.count())
                 .where(late_clock_condition(), stopped, c.due_date < days[-1],
                        or_(c.paused_since.is_(None), c.paused_since > c.due_date),
                        or_(c.paused_since.is_(None), c.paused_since > days[0]))
                 .group_by(c.stopped_on, c.due_date, c.paused_since))
        if _needs_join(resolved, user):
            ids = application_filters(select(Application.id), resolved, user)
            query = query.where((c.application_id + 0).in_(ids))
        for stopped_on, due, paused, n in session.execute(query):
            ends = [d for d in (stopped_on, paused) if d is not None]
            first = bisect_right(days, due)
            last = bisect_left(days, min(ends)) if ends else len(days)
            if first < last:
                diff[first] += n
                diff[last] -= n
    out, running = [], 0
    for step in diff[:-1]:
        running += step
        out.append(running)
    return out


def flow(session: Session, resolved, user: User | None, spans: list[tuple[date, date]]):
    """(received, closed) per span, and per region id over the whole period."""
    a = Application
    received_q = [application_filters(select(literal(i), func.count()).where(
        a.registration_date >= start, a.registration_date <= end), resolved, user)
        for i, (start, end) in enumerate(spans)]
    closed_q = [application_filters(select(literal(i), func.count()).where(
        a.closed_at >= local_midnight_utc(start), a.closed_at < local_midnight_utc(end + timedelta(days=1))),
        resolved, user) for i, (start, end) in enumerate(spans)]
    received, closed = [0] * len(spans), [0] * len(spans)
    for chunk in range(0, len(spans), 50):
        for i, n in session.execute(union_all(*received_q[chunk:chunk + 50])):
            received[i] = int(n)
        for i, n in session.execute(union_all(*closed_q[chunk:chunk + 50])):
            closed[i] = int(n)
    return received, closed


def by_akimat_flow(session: Session, resolved, user: User | None) -> tuple[dict, dict]:
    a = Application
    rec = application_filters(select(a.akimat_id, func.count()).where(
        a.registration_date >= resolved.date_from, a.registration_date <= resolved.date_to)
        .group_by(a.akimat_id), resolved, user)
    clo = application_filters(select(a.akimat_id, func.count()).where(
        a.closed_at >= local_midnight_utc(resolved.date_from),
        a.closed_at < local_midnight_utc(resolved.date_to + timedelta(days=1))).group_by(a.akimat_id), resolved, user)
    return dict(session.execute(rec).all()), dict(session.execute(clo).all())


def build(session: Session, report, resolved, user: User | None, today: date, *, preview: bool = False) -> None:
    lang = report.lang
    names = Names(session, lang)
    (received,), (closed,) = flow(session, resolved, user, [(resolved.date_from, resolved.date_to)])
    open_rows, source = open_at_end(session, resolved, user, today)
    open_total = sum(r[3] for r in open_rows)
    overdue_total = sum(r[4] for r in open_rows)
    source_day = resolved.date_to if source != "reports.backlog.source_live" else today
    report.figures.extend([
        Figure(t("reports.backlog.received", lang), received, INT),
        Figure(t("reports.backlog.closed", lang), closed, INT),
        Figure(t("reports.backlog.net", lang), received - closed, INT),
        Figure(t("reports.backlog.open_end", lang), open_total, INT),
        Figure(t("reports.backlog.overdue_end", lang), overdue_total, INT),
    ])
    report.notes.append(t(source, lang, day=source_day.strftime("%d.%m.%Y")))
    report.notes.append(t("reports.backlog.aging_note", lang, day=today.strftime("%d.%m.%Y")))
    if preview:
        return

    # by status
    by_status: dict[tuple[str, str], list[int]] = {}
    by_region_open: dict[int | None, int] = {}
    for kind, status, akimat_id, n, od in open_rows:
        cell = by_status.setdefault((kind, status), [0, 0])
        cell[0] += n
        cell[1] += od
        region = names.region_id(akimat_id)
        by_region_open[region] = by_region_open.get(region, 0) + n
    status_rows = sorted(([names.kind(k), names.status(k, s), n, od, rate(n, open_total)]
                          for (k, s), (n, od) in by_status.items()), key=lambda r: (r[0], -r[2]))

    # by region
    rec, clo = by_akimat_flow(session, resolved, user)
    regions: dict[int | None, list[int]] = {}
    for source_map, index in ((rec, 0), (clo, 1)):
        for akimat_id, n in source_map.items():
            regions.setdefault(names.region_id(akimat_id), [0, 0, 0])[index] += int(n)
    for region, n in by_region_open.items():
        regions.setdefault(region, [0, 0, 0])[2] += n
    region_rows = sorted(([names.akimat(r), *v] for r, v in regions.items()), key=lambda r: (-r[3], r[0]))

    # aging
    counts, unregistered = aging(session, resolved, user, today)
    aging_rows = []
    for (low, high), n in zip(AGE_BUCKETS, counts):
        label = t("reports.backlog.age", lang, low=low, high=high) if high is not None else \
            t("reports.backlog.age_open", lang, low=low - 1)
        aging_rows.append([label, n])
    aging_rows.append([t("reports.backlog.unregistered", lang), unregistered])

    # weekly trend
    spans = weeks(resolved.date_from, resolved.date_to)
    w_received, w_closed = flow(session, resolved, user, spans)
    w_overdue = overdue_at(session, [end for _s, end in spans], resolved, user)
    trend_rows = [[start, end, r, c, o] for (start, end), r, c, o in zip(spans, w_received, w_closed, w_overdue)]

    report.tables.extend([
        Table(t("reports.sheet.by_status", lang), t("reports.backlog.by_status", lang),
              [Column(t("reports.col.kind", lang), TEXT, 18), Column(t("reports.col.status", lang), TEXT, 40),
               Column(t("reports.col.open", lang), INT), Column(t("reports.col.overdue", lang), INT),
               Column(t("reports.col.share", lang), PCT)], status_rows,
              note=t(source, lang, day=source_day.strftime("%d.%m.%Y"))),
        Table(t("reports.sheet.by_region", lang), t("reports.backlog.by_region", lang),
              [Column(t("reports.col.region", lang), TEXT, 36), Column(t("reports.col.received", lang), INT),
               Column(t("reports.col.closed", lang), INT), Column(t("reports.col.open", lang), INT)], region_rows),
        Table(t("reports.sheet.aging", lang), t("reports.backlog.aging", lang),
              [Column(t("reports.col.age", lang), TEXT, 24), Column(t("reports.col.count", lang), INT)], aging_rows,
              note=t("reports.backlog.aging_note", lang, day=today.strftime("%d.%m.%Y"))),
        Table(t("reports.sheet.trend", lang), t("reports.backlog.trend", lang),
              [Column(t("reports.col.week_start", lang), DATE), Column(t("reports.col.week_end", lang), DATE),
               Column(t("reports.col.received", lang), INT), Column(t("reports.col.closed", lang), INT),
               Column(t("reports.col.overdue", lang), INT)], trend_rows),
    ])
    report.charts.extend([
        Chart("line", t("reports.chart.trend", lang), t("reports.sheet.trend", lang), 0, (2, 3, 4), max_points=60),
        Chart("column", t("reports.chart.aging", lang), t("reports.sheet.aging", lang), 0, (1,)),
        Chart("bar", t("reports.chart.by_status", lang), t("reports.sheet.by_status", lang), 1, (2,), max_points=15),
    ])
