"""SLA compliance: how the statutory terms on applications were kept in the period.

Counted from the deadline clocks (``data/models/clock.py``): a clock that stopped in the period
(``stopped_on`` in [from, to]) with a due date was met when ``stopped_on <= due_date``. Days
used: calendar days from the term's registration day (``registered_on``) to ``stopped_on``;
median and 90th percentile by linear interpolation (``statistics.quantiles(method="inclusive")``).
The headline and the breakdowns by region (districts rolled up), akimat, reviewer and kind count
KTK's own terms (``ON_TIME_POLICIES``: the 15-day review and the 1-working-day state registration,
as the overview's on-time rate does); the per-policy sheet shows every term on applications
(the applicant's revision term too). One grouped query reads it all.

Overdue open items: open applications whose running due date is before today, with the days
overdue in calendar days and in working days (the working calendar with its overrides),
streamed from SQL.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from data.i18n import t
from data.models import Akimat, Application, Clock, User
from data.queries.overview import ON_TIME_POLICIES
from data.queries.registry import calendar, workday_counter
from data.reports.common import Names, OnTimeStats, application_filters, day_diff, stats_columns
from data.reports.model import DATE, FLOAT, INT, PCT, TEXT, Chart, Column, Figure, Table


def closed_clocks(session: Session, resolved, user: User | None):
    """(policy, kind, akimat, reviewer, days used, met, count) of application clocks stopped in
    the period."""
    a, c = Application, Clock
    dialect = session.get_bind().dialect.name
    days = day_diff(c.registered_on, c.stopped_on, dialect).label("days")
    met = (c.stopped_on <= c.due_date).label("met")
    query = (
        select(c.policy_code, a.kind, a.akimat_id, a.reviewer_id, days, met, func.count())
        .select_from(c).join(a, a.id == c.application_id)
        .where(c.application_id.is_not(None), c.stopped_on >= resolved.date_from,
               c.stopped_on <= resolved.date_to, c.due_date.is_not(None))
        .group_by(c.policy_code, a.kind, a.akimat_id, a.reviewer_id, days, met)
    )
    return session.execute(application_filters(query, resolved, user)).all()


def overdue_query(resolved, user: User | None, today: date, columns=None):
    a = Application
    reviewer = aliased(User)
    query = (select(*(columns or (a.id, a.registration_number, a.kind, a.status, a.applicant_name, Akimat.name_kk,
                                  Akimat.name_ru, Akimat.kato, reviewer.full_name, a.current_policy,
                                  a.current_due_date)))
             .select_from(a)
             .outerjoin(Akimat, Akimat.id == a.akimat_id)
             .outerjoin(reviewer, reviewer.id == a.reviewer_id)
             .where(a.is_open.is_(True), a.current_due_date < today))
    return application_filters(query, resolved, user)


def build(session: Session, report, resolved, user: User | None, today: date, *, preview: bool = False) -> None:
    lang = report.lang
    names = Names(session, lang)
    total = OnTimeStats()
    by_policy: dict[str, OnTimeStats] = {}
    by_region: dict[int | None, OnTimeStats] = {}
    by_akimat: dict[int | None, OnTimeStats] = {}
    by_reviewer: dict[int | None, OnTimeStats] = {}
    by_kind: dict[str, OnTimeStats] = {}
    for policy, kind, akimat_id, reviewer_id, days, met, n in closed_clocks(session, resolved, user):
        met = bool(met)
        by_policy.setdefault(policy, OnTimeStats()).add(met, days, n)
        if policy not in ON_TIME_POLICIES:
            continue
        total.add(met, days, n)
        by_region.setdefault(names.region_id(akimat_id), OnTimeStats()).add(met, days, n)
        by_akimat.setdefault(akimat_id, OnTimeStats()).add(met, days, n)
        by_reviewer.setdefault(reviewer_id, OnTimeStats()).add(met, days, n)
        by_kind.setdefault(kind, OnTimeStats()).add(met, days, n)
    overdue_count = session.execute(
        overdue_query(resolved, user, today, [func.count()]).order_by(None)).scalar_one()

    report.figures.extend([
        Figure(t("reports.sla.closed", lang), total.closed, INT),
        Figure(t("reports.sla.on_time", lang), total.on_time, INT),
        Figure(t("reports.sla.late", lang), total.late, INT),
        Figure(t("reports.sla.rate", lang), total.rate, PCT),
        Figure(t("reports.sla.median", lang), total.median(), FLOAT),
        Figure(t("reports.sla.p90", lang), total.p90(), FLOAT),
        Figure(t("reports.sla.overdue_open", lang), overdue_count, INT),
    ])
    report.notes.append(t("reports.sla.note", lang))
    if preview:
        return

    def ordered(groups: dict, label) -> list[list]:
        rows = [[label(key), *stats.cells()] for key, stats in groups.items()]
        return sorted(rows, key=lambda r: (-r[1], r[0]))

    policy_rows = ordered(by_policy, names.policy)
    region_rows = ordered(by_region, names.akimat)
    akimat_rows = sorted(([names.akimat(k), names.kato(k), *s.cells()] for k, s in by_akimat.items()),
                         key=lambda r: (-r[2], r[0]))
    reviewer_rows = ordered(by_reviewer, names.reviewer)
    kind_rows = ordered(by_kind, names.kind)
    report.tables.extend([
        Table(t("reports.sheet.by_policy", lang), t("reports.sla.by_policy", lang),
              stats_columns(t("reports.col.policy", lang), lang), policy_rows),
        Table(t("reports.sheet.by_region", lang), t("reports.sla.by_region", lang),
              stats_columns(t("reports.col.region", lang), lang), region_rows),
        Table(t("reports.sheet.by_akimat", lang), t("reports.sla.by_akimat", lang),
              stats_columns(t("reports.col.akimat", lang), lang, [Column(t("reports.col.kato", lang), TEXT, 11)]),
              akimat_rows),
        Table(t("reports.sheet.by_reviewer", lang), t("reports.sla.by_reviewer", lang),
              stats_columns(t("reports.col.reviewer", lang), lang), reviewer_rows),
        Table(t("reports.sheet.by_kind", lang), t("reports.sla.by_kind", lang),
              stats_columns(t("reports.col.kind", lang), lang), kind_rows),
        Table(t("reports.sheet.overdue", lang), t("reports.sla.overdue", lang), overdue_columns(lang),
              overdue_rows(session, resolved, user, today, names), total=overdue_count),
    ])
    report.charts.extend([
        Chart("bar", t("reports.chart.rate_by_region", lang), t("reports.sheet.by_region", lang), 0, (2, 3)),
        Chart("column", t("reports.chart.by_policy", lang), t("reports.sheet.by_policy", lang), 0, (2, 3)),
        Chart("bar", t("reports.chart.by_reviewer", lang), t("reports.sheet.by_reviewer", lang), 0, (4,),
              max_points=15),
    ])


def overdue_columns(lang: str) -> list[Column]:
    return [Column(t("reports.col.id", lang), INT, 9), Column(t("reports.col.number", lang), TEXT, 18),
            Column(t("reports.col.kind", lang), TEXT, 18), Column(t("reports.col.status", lang), TEXT, 30),
            Column(t("reports.col.applicant", lang), TEXT, 34), Column(t("reports.col.akimat", lang), TEXT, 30),
            Column(t("reports.col.kato", lang), TEXT, 11), Column(t("reports.col.reviewer", lang), TEXT, 26),
            Column(t("reports.col.policy", lang), TEXT, 26), Column(t("reports.col.due", lang), DATE, 12),
            Column(t("reports.col.days_overdue_cd", lang), INT, 14),
            Column(t("reports.col.days_overdue_wd", lang), INT, 14)]


def overdue_rows(session: Session, resolved, user: User | None, today: date, names: Names) -> Iterator[list]:
    counter = workday_counter(calendar(session))
    query = overdue_query(resolved, user, today).order_by(Application.current_due_date, Application.id)
    for (ident, number, kind, status, applicant, ak_kk, ak_ru, kato, reviewer, policy,
         due) in session.execute(query.execution_options(yield_per=2000)):
        yield [ident, number, names.kind(kind), names.status(kind, status), applicant,
               (ak_ru if names.lang == "ru" else ak_kk) or "", kato, reviewer or t("reports.no_reviewer", names.lang),
               names.policy(policy), due, (today - due).days, counter.between(due, today)]
