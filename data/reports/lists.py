"""Akimat lists: per akimat, the list files received in the period (``ListBatch.registration_date``)
and what became of them and of the recipients they named.

- loaded within 2 working days: the batch's ``list_upload`` clock stopped on or before its due
  date; late: stopped after it, or still running past it today; waiting: still running, not yet
  due; rejected: files refused as a whole (unreadable, duplicates, …);
- rows loaded / invalid: the batches' row counts;
- recipients of those batches: notified (an SMS was sent: ``notified_at``), applied within the
  15 calendar days (status ``applied`` with the ``applicant_submission`` clock stopped on time,
  or applied before any SMS), expired (status ``expired``).

Lists have no application kind or reviewer: those filters do not apply here. Akimat users see
their own akimat only (``scope_batches`` / ``scope_recipients``).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from data.access import scope_batches, scope_recipients
from data.i18n import t
from data.models import Clock, ListBatch, Recipient, User
from data.reports.common import Names
from data.reports.model import INT, PCT, TEXT, Chart, Column, Figure, Table, rate


def _sum(condition, value=1):
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def _batches(resolved, user: User | None):
    b = ListBatch
    query = select(b.id).where(b.registration_date >= resolved.date_from, b.registration_date <= resolved.date_to)
    if resolved.akimat_ids is not None:
        query = query.where(b.akimat_id.in_(sorted(resolved.akimat_ids)))
    return scope_batches(query, user) if user is not None else query


def batch_rows(session: Session, resolved, user: User | None, today: date) -> dict[int, list[int]]:
    """akimat id -> [batches, on time, late, waiting, rejected, rows loaded, rows invalid]."""
    b = ListBatch
    c = aliased(Clock)
    on_time = and_(c.stopped_on.is_not(None), c.stopped_on <= c.due_date)
    late = or_(c.stopped_on > c.due_date, and_(c.stopped_on.is_(None), c.due_date < today))
    waiting = and_(c.stopped_on.is_(None), c.due_date >= today)
    query = (select(b.akimat_id, func.count(b.id), _sum(on_time), _sum(late), _sum(waiting),
                    _sum(b.status == "rejected"), func.coalesce(func.sum(b.rows_loaded), 0),
                    func.coalesce(func.sum(b.rows_invalid), 0))
             .select_from(b)
             .outerjoin(c, and_(c.batch_id == b.id, c.policy_code == "list_upload"))
             .where(b.id.in_(_batches(resolved, user)))
             .group_by(b.akimat_id))
    return {row[0]: [int(v) for v in row[1:]] for row in session.execute(query)}


def recipient_rows(session: Session, resolved, user: User | None) -> dict[int, list[int]]:
    """akimat id -> [recipients, notified, applied within 15 days, expired]."""
    r = Recipient
    c = aliased(Clock)
    applied_in_time = and_(r.status == "applied", or_(c.id.is_(None), c.stopped_on <= c.due_date))
    query = (select(r.akimat_id, func.count(r.id), _sum(r.notified_at.is_not(None)), _sum(applied_in_time),
                    _sum(r.status == "expired"))
             .select_from(r)
             .outerjoin(c, and_(c.recipient_id == r.id, c.policy_code == "applicant_submission"))
             .where(r.batch_id.in_(_batches(resolved, user)))
             .group_by(r.akimat_id))
    if user is not None:
        query = scope_recipients(query, user)
    return {row[0]: [int(v) for v in row[1:]] for row in session.execute(query)}


def build(session: Session, report, resolved, user: User | None, today: date, *, preview: bool = False) -> None:
    lang = report.lang
    names = Names(session, lang)
    batches = batch_rows(session, resolved, user, today)
    recipients = recipient_rows(session, resolved, user)
    totals = [sum(v[i] for v in batches.values()) for i in range(7)]
    rtotals = [sum(v[i] for v in recipients.values()) for i in range(4)]
    report.figures.extend([
        Figure(t("reports.lists.batches", lang), totals[0], INT),
        Figure(t("reports.lists.loaded_on_time", lang), totals[1], INT),
        Figure(t("reports.lists.loaded_late", lang), totals[2], INT),
        Figure(t("reports.lists.on_time_rate", lang), rate(totals[1], totals[1] + totals[2]), PCT),
        Figure(t("reports.lists.rows_loaded", lang), totals[5], INT),
        Figure(t("reports.lists.rows_invalid", lang), totals[6], INT),
        Figure(t("reports.lists.notified", lang), rtotals[1], INT),
        Figure(t("reports.lists.applied", lang), rtotals[2], INT),
        Figure(t("reports.lists.expired", lang), rtotals[3], INT),
    ])
    report.notes.append(t("reports.lists.note", lang))
    if preview:
        return
    rows = []
    for akimat_id in set(batches) | set(recipients):
        bv = batches.get(akimat_id, [0] * 7)
        rv = recipients.get(akimat_id, [0] * 4)
        rows.append([names.akimat(akimat_id), names.kato(akimat_id), *bv[:5],
                     rate(bv[1], bv[1] + bv[2]), bv[5], bv[6], *rv])
    rows.sort(key=lambda r: (-r[2], r[0]))
    columns = [Column(t("reports.col.akimat", lang), TEXT, 36), Column(t("reports.col.kato", lang), TEXT, 11),
               Column(t("reports.col.batches", lang), INT), Column(t("reports.col.loaded_on_time", lang), INT),
               Column(t("reports.col.loaded_late", lang), INT), Column(t("reports.col.waiting", lang), INT),
               Column(t("reports.col.rejected", lang), INT), Column(t("reports.col.on_time_rate", lang), PCT),
               Column(t("reports.col.rows_loaded", lang), INT), Column(t("reports.col.rows_invalid", lang), INT),
               Column(t("reports.col.recipients", lang), INT), Column(t("reports.col.notified", lang), INT),
               Column(t("reports.col.applied", lang), INT), Column(t("reports.col.expired", lang), INT)]
    sheet = t("reports.sheet.lists_by_akimat", lang)
    report.tables.append(Table(sheet, t("reports.lists.by_akimat", lang), columns, rows))
    report.charts.extend([
        Chart("bar", t("reports.chart.lists_by_akimat", lang), sheet, 0, (3, 4), max_points=20),
        Chart("bar", t("reports.chart.recipients", lang), sheet, 0, (11, 12, 13), max_points=12, stacked=False),
    ])
