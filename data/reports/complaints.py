"""Complaints, by level (the service provider; the quality-control body), for the period:

- registered: ``registration_date`` in the period;
- answered: the level's clock (``complaint_provider`` 5 wd / ``complaint_quality_body`` 15 wd,
  extensions included) stopped in the period; on time when it stopped on or before its due date;
- extensions: ``complaint_extension_notice`` clocks started in the period (each extension
  decision starts one: the applicant must be told within 3 working days); the notice was on
  time when that clock stopped on or before its due date, late when it stopped after it or is
  still running past it today;
- open and overdue now.

Filters: the application kind of the application complained about, the akimat of the
application, recipient or list complained about (as the overview), the reviewer as the
responsible officer. Scoped by ``scope_complaints``.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from data.access import scope_complaints
from data.i18n import t
from data.models import Application, Clock, Complaint, ListBatch, Recipient, User
from data.reports.model import INT, PCT, TEXT, Chart, Column, Figure, Table, rate
from data.working_calendar import local_midnight_utc

LEVELS = ("provider", "quality_body")
LEVEL_POLICY = {"provider": "complaint_provider", "quality_body": "complaint_quality_body"}


def _sum(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def complaint_ids(resolved, user: User | None):
    """The complaints the filter and the user's scope select (a subquery of ids)."""
    cm, a, f = Complaint, Application, resolved.filters
    query = select(cm.id)
    if f.kind or resolved.akimat_ids is not None:
        query = query.outerjoin(a, a.id == cm.application_id)
        if f.kind:
            query = query.where(a.kind == f.kind)
        if resolved.akimat_ids is not None:
            query = (query.outerjoin(Recipient, Recipient.id == cm.recipient_id)
                     .outerjoin(ListBatch, ListBatch.id == cm.batch_id)
                     .where(func.coalesce(a.akimat_id, Recipient.akimat_id, ListBatch.akimat_id)
                            .in_(sorted(resolved.akimat_ids) or [-1])))
    if f.reviewer_id is not None:
        query = query.where(cm.responsible_id == f.reviewer_id)
    return scope_complaints(query, user) if user is not None else query


def figures_by_level(session: Session, resolved, user: User | None, today: date) -> dict[str, dict[str, int]]:
    cm, c = Complaint, Clock
    ids = complaint_ids(resolved, user)
    out = {level: dict.fromkeys(("registered", "answered", "answered_on_time", "extended", "notices_on_time",
                                 "notices_late", "open_overdue"), 0) for level in LEVELS}
    period = and_(cm.registration_date >= resolved.date_from, cm.registration_date <= resolved.date_to)
    query = (select(cm.level, _sum(period), _sum(and_(cm.is_open.is_(True), cm.current_due_date < today)))
             .where(cm.id.in_(ids)).group_by(cm.level))
    for level, registered, overdue in session.execute(query):
        if level in out:
            out[level]["registered"] += int(registered)
            out[level]["open_overdue"] += int(overdue)
    level_clock = or_(*(and_(cm.level == level, c.policy_code == policy) for level, policy in LEVEL_POLICY.items()))
    query = (select(cm.level, func.count(), _sum(c.stopped_on <= c.due_date))
             .select_from(c).join(cm, cm.id == c.complaint_id)
             .where(level_clock, c.stopped_on >= resolved.date_from, c.stopped_on <= resolved.date_to,
                    c.due_date.is_not(None), cm.id.in_(ids))
             .group_by(cm.level))
    for level, answered, on_time in session.execute(query):
        if level in out:
            out[level]["answered"] += int(answered)
            out[level]["answered_on_time"] += int(on_time)
    since = local_midnight_utc(resolved.date_from)
    until = local_midnight_utc(resolved.date_to + timedelta(days=1))
    notice_late = or_(c.stopped_on > c.due_date, and_(c.stopped_on.is_(None), c.due_date < today))
    query = (select(cm.level, func.count(), _sum(c.stopped_on <= c.due_date), _sum(notice_late))
             .select_from(c).join(cm, cm.id == c.complaint_id)
             .where(c.policy_code == "complaint_extension_notice", c.started_at >= since, c.started_at < until,
                    cm.id.in_(ids))
             .group_by(cm.level))
    for level, extended, on_time, late in session.execute(query):
        if level in out:
            out[level]["extended"] += int(extended)
            out[level]["notices_on_time"] += int(on_time)
            out[level]["notices_late"] += int(late)
    return out


def build(session: Session, report, resolved, user: User | None, today: date, *, preview: bool = False) -> None:
    lang = report.lang
    levels = figures_by_level(session, resolved, user, today)
    total = {key: sum(v[key] for v in levels.values()) for key in next(iter(levels.values()))}
    report.figures.extend([
        Figure(t("reports.complaints.registered", lang), total["registered"], INT),
        Figure(t("reports.complaints.answered", lang), total["answered"], INT),
        Figure(t("reports.complaints.answered_on_time", lang), total["answered_on_time"], INT),
        Figure(t("reports.complaints.rate", lang), rate(total["answered_on_time"], total["answered"]), PCT),
        Figure(t("reports.complaints.extended", lang), total["extended"], INT),
        Figure(t("reports.complaints.notices_on_time", lang), total["notices_on_time"], INT),
        Figure(t("reports.complaints.notices_late", lang), total["notices_late"], INT),
        Figure(t("reports.complaints.open_overdue", lang), total["open_overdue"], INT),
    ])
    report.notes.append(t("reports.complaints.note", lang))
    if preview:
        return
    rows = []
    for level in LEVELS:
        v = levels[level]
        rows.append([t(f"reports.complaints.level.{level}", lang), v["registered"], v["answered"],
                     v["answered_on_time"], v["answered"] - v["answered_on_time"],
                     rate(v["answered_on_time"], v["answered"]), v["extended"], v["notices_on_time"],
                     v["notices_late"], v["open_overdue"]])
    columns = [Column(t("reports.col.level", lang), TEXT, 30), Column(t("reports.col.registered", lang), INT),
               Column(t("reports.col.answered", lang), INT), Column(t("reports.col.on_time", lang), INT),
               Column(t("reports.col.late", lang), INT), Column(t("reports.col.on_time_rate", lang), PCT),
               Column(t("reports.col.extended", lang), INT), Column(t("reports.col.notices_on_time", lang), INT),
               Column(t("reports.col.notices_late", lang), INT), Column(t("reports.col.overdue", lang), INT)]
    sheet = t("reports.sheet.by_level", lang)
    report.tables.append(Table(sheet, t("reports.complaints.by_level", lang), columns, rows))
    report.charts.extend([
        Chart("column", t("reports.chart.complaints_by_level", lang), sheet, 0, (1, 2, 6), stacked=False),
        Chart("column", t("reports.col.on_time", lang) + " / " + t("reports.col.late", lang), sheet, 0, (3, 4)),
    ])
