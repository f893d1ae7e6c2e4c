"""Read-side queries of the overview page: KPIs, backlog, overdue by region and reviewer, the
weekly trend, the aging of open applications, lists waiting to be loaded and open complaints.

Every query goes through ``data.access`` scoping and the page's filters (kind, akimat/region,
period). The open applications are read in ONE grouped pass (kind x status x akimat x reviewer
with conditional sums) from which the KPIs, the backlog, the overdue-by-region and -by-reviewer
bars and the aging histogram are all derived in Python.

Definitions (the registry's URL filters select exactly the same rows, see ``registry_params``):

- open: ``Application.is_open``.
- overdue: open and ``current_due_date < today`` (the mirrored due date of the item's running
  clock; the item is overdue from the day after its due date).
- due soon: open and due within the warning window of its policy (``due_soon_condition``).
- on-time rate: clocks of ``ON_TIME_POLICIES`` (KTK's own terms on an application: the 15-day
  review and the 1-working-day state registration) that stopped in the period, met when
  ``stopped_on <= due_date``.
- trend, per week (Monday-Sunday): received = applications with ``registration_date`` in the
  week; closed = applications whose ``closed_at`` (local date) is in the week; overdue = running
  application clocks that were overdue at the end of the week (today for the current week):
  due before that day, not stopped by it, not paused since before it. Computed from the clocks'
  stored ``due_date`` / ``stopped_on`` / ``paused_since``, so an earlier pause that was later
  resumed is not seen (its days are already in the due date).
- aging: open applications by days since ``registration_date``; not yet registered (correction
  applications being created or sent) counted apart.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import quote

from sqlalchemy import Select, and_, case, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from data.access import can, scope_applications, scope_batches, scope_complaints
from data.clocks import DeadlineContext
from data.models import Akimat, Application, Clock, Complaint, ListBatch, Recipient, User
from data.policies import PolicyBook
from data.statuses import APPLICATION_KINDS, WORKFLOWS
from data.working_calendar import WorkingCalendar, local_midnight_utc

# KTK's own statutory terms on applications, counted by the on-time rate.
ON_TIME_POLICIES = ("ktk_review", "state_registration")
# Days since registration: (lowest, highest) age in days, inclusive; None = no upper bound.
AGE_BUCKETS: tuple[tuple[int, int | None], ...] = ((0, 7), (8, 15), (16, 30), (31, 60), (61, 90), (91, 180),
                                                   (181, None))
PERIODS = (30, 90, 182, 365)  # days
DEFAULT_PERIOD = 30
MIN_TREND_WEEKS = 26
WAITING_BATCH_STATUSES = ("received", "validated")
REGISTRY_PARAMS = ("kind", "status", "akimat", "reviewer", "state", "from", "to", "q")


@dataclass(frozen=True)
class Headline:
    open: int
    overdue: int
    due_soon: int


@dataclass(frozen=True)
class OverviewFilter:
    """What the page is narrowed to: an application kind, an akimat (KATO; a region includes its
    districts) and the period (days, ending today) of the on-time rate and the trend."""

    kind: str | None = None
    akimat: str | None = None
    period_days: int = DEFAULT_PERIOD

    @classmethod
    def clean(cls, kind=None, akimat=None, period=None) -> "OverviewFilter":
        """Whatever arrives from a URL or a dropdown: unknown values mean "no filter"."""
        kind = kind if kind in APPLICATION_KINDS else None
        akimat = str(akimat).strip() if akimat else None
        akimat = akimat if akimat and akimat.isdigit() and len(akimat) == 9 else None
        try:
            period = int(period)
        except (TypeError, ValueError):
            period = DEFAULT_PERIOD
        return cls(kind, akimat, period if period in PERIODS else DEFAULT_PERIOD)

    def link_params(self) -> dict[str, str]:
        out = {}
        if self.kind:
            out["kind"] = self.kind
        if self.akimat:
            out["akimat"] = self.akimat
        return out


# -- akimats ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AkimatNode:
    id: int
    kato: str
    name_kk: str
    name_ru: str
    level: str
    parent_id: int | None

    def name(self, lang: str) -> str:
        return self.name_ru if lang == "ru" else self.name_kk


class Akimats:
    """The akimat tree (a few dozen rows): regions and what lies under them."""

    def __init__(self, nodes: Iterable[AkimatNode]) -> None:
        self.by_id = {n.id: n for n in nodes}
        self.by_kato = {n.kato: n for n in self.by_id.values()}
        self.children: dict[int, list[int]] = {}
        for node in self.by_id.values():
            if node.parent_id is not None:
                self.children.setdefault(node.parent_id, []).append(node.id)

    def region_of(self, akimat_id: int) -> int:
        """The top of the akimat's tree (a region or a city of republican significance)."""
        node = self.by_id[akimat_id]
        seen = {node.id}
        while node.parent_id is not None and node.parent_id in self.by_id and node.parent_id not in seen:
            node = self.by_id[node.parent_id]
            seen.add(node.id)
        return node.id

    def subtree(self, akimat_id: int) -> set[int]:
        out, stack = set(), [akimat_id]
        while stack:
            current = stack.pop()
            if current in out:
                continue
            out.add(current)
            stack.extend(self.children.get(current, ()))
        return out

    def subtree_of_kato(self, kato: str | None) -> set[int] | None:
        """Ids of the akimat with that KATO and everything under it; None when no filter;
        an empty set when the KATO is unknown (nothing matches)."""
        if not kato:
            return None
        node = self.by_kato.get(kato)
        return self.subtree(node.id) if node else set()

    def regions(self) -> list[AkimatNode]:
        return [n for n in self.by_id.values() if n.parent_id is None]

    def options(self, lang: str) -> list[tuple[str, str, int]]:
        """(KATO, name, depth) for a dropdown: each region followed by what lies under it."""
        out: list[tuple[str, str, int]] = []

        def walk(node: AkimatNode, depth: int) -> None:
            out.append((node.kato, node.name(lang), depth))
            for child in sorted((self.by_id[c] for c in self.children.get(node.id, ())), key=lambda n: n.name(lang)):
                walk(child, depth + 1)

        for region in sorted(self.regions(), key=lambda n: n.name(lang)):
            walk(region, 0)
        return out


def load_akimats(session: Session) -> Akimats:
    rows = session.execute(select(Akimat.id, Akimat.kato, Akimat.name_kk, Akimat.name_ru, Akimat.level,
                                  Akimat.parent_id)).all()
    return Akimats(AkimatNode(*row) for row in rows)


# -- shared conditions --------------------------------------------------------------------------
def due_soon_condition(column_due, column_policy, today: date, cal: WorkingCalendar, policies: PolicyBook):
    """SQL condition: due within the policy's warning window (in working days) from today."""
    parts = []
    for code in policies.codes():
        warn = policies.in_force(code, today).warn_wd
        parts.append(and_(column_policy == code, column_due <= cal.add_working_days(today, warn)))
    return and_(column_due >= today, or_(*parts))


def due_soon_case(column_due, column_policy, today: date, cal: WorkingCalendar, policies: PolicyBook):
    """The same condition as ``due_soon_condition`` written as one CASE lookup of the policy's
    last warning day (cheaper per row than an OR over every policy; no match = not due soon)."""
    limits = case(*[(column_policy == code, cal.add_working_days(today, policies.in_force(code, today).warn_wd))
                    for code in policies.codes()], else_=None)
    return and_(column_due >= today, column_due <= limits)


def _sum(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _application_filters(query: Select, flt: OverviewFilter, akimats: Akimats, user: User | None) -> Select:
    a = Application
    if flt.kind:
        query = query.where(a.kind == flt.kind)
    ids = akimats.subtree_of_kato(flt.akimat)
    if ids is not None:
        query = query.where(a.akimat_id.in_(sorted(ids)) if ids else a.id.is_(None))
    return scope_applications(query, user) if user is not None else query


def _needs_application_join(flt: OverviewFilter, user: User | None) -> bool:
    return bool(flt.kind or flt.akimat) or (user is not None and user.role not in ("manager", "admin"))


def _clock_filters(query: Select, flt: OverviewFilter, akimats: Akimats, user: User | None, since: date) -> Select:
    """Clocks of the applications the filters and the user's scope select: a semi-join on the
    application ids (one index pass over applications) rather than a row lookup per clock.

    Only clocks that ran on or after ``since`` are asked for, and a clock stops at the latest when
    its application closes (the final transition stops every running clock; ``closed_at`` is that
    moment), so the ids are read from the open applications and those closed since ``since``
    only - two covering-index ranges - not from every application in scope. With an akimat
    filter the akimat's applications are few and their ids come from one index range anyway.

    ``application_id + 0`` keeps the planners on the clock index the query is written for
    (SQLite would otherwise walk the id list through ``ix_clocks_application_id`` and read every
    clock row of those applications, several times slower)."""
    if not _needs_application_join(flt, user):
        return query
    a = Application
    if flt.akimat:  # an akimat's applications are few: read their ids from the filter index at once
        return query.where((Clock.application_id + 0).in_(_application_filters(select(a.id), flt, akimats, user)))
    still_open = _application_filters(select(a.id).where(a.is_open.is_(True)), flt, akimats, user)
    closed_since = _application_filters(select(a.id).where(a.closed_at >= local_midnight_utc(since)),
                                        flt, akimats, user)
    return query.where((Clock.application_id + 0).in_(union_all(still_open, closed_since)))


# -- the open applications, one pass ------------------------------------------------------------
@dataclass
class OpenSummary:
    open: int = 0
    overdue: int = 0
    due_soon: int = 0
    unregistered: int = 0
    backlog: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, status) -> open
    overdue_by_akimat: dict[int | None, int] = field(default_factory=dict)
    overdue_by_reviewer: dict[int | None, int] = field(default_factory=dict)
    aging: list[int] = field(default_factory=list)  # per AGE_BUCKETS

    @property
    def headline(self) -> Headline:
        return Headline(self.open, self.overdue, self.due_soon)


def age_bounds(today: date, bucket: tuple[int, int | None]) -> tuple[date | None, date]:
    """Registration dates of a bucket: (earliest or None, latest or None for the first bucket).

    The first bucket has no latest date (it also holds anything registered after today)."""
    low, high = bucket
    earliest = today - timedelta(days=high) if high is not None else None
    latest = today - timedelta(days=low)
    return earliest, latest


def age_bucket_sums(today: date) -> list:
    """SQL: one conditional count per ``AGE_BUCKETS`` bucket of the applications' registration
    date (the overview's aging histogram and the backlog report's aging sheet)."""
    reg = Application.registration_date
    sums = []
    for index, bucket in enumerate(AGE_BUCKETS):
        earliest, latest = age_bounds(today, bucket)
        condition = reg <= latest if index else reg >= earliest
        if index and earliest is not None:
            condition = and_(condition, reg >= earliest)
        sums.append(_sum(condition))
    return sums


def open_summary(session: Session, today: date, ctx: DeadlineContext, flt: OverviewFilter | None = None,
                 user: User | None = None, akimats: Akimats | None = None) -> OpenSummary:
    flt = flt or OverviewFilter()
    akimats = akimats or load_akimats(session)
    a = Application
    reg = a.registration_date
    buckets = age_bucket_sums(today)
    query = (
        select(a.kind, a.status, a.akimat_id, a.reviewer_id, func.count(),
               _sum(a.current_due_date < today),
               _sum(due_soon_case(a.current_due_date, a.current_policy, today, ctx.calendar, ctx.policies)),
               _sum(reg.is_(None)), *buckets)
        .where(a.is_open.is_(True))
        .group_by(a.kind, a.status, a.akimat_id, a.reviewer_id)
    )
    query = _application_filters(query, flt, akimats, user)
    out = OpenSummary(aging=[0] * len(AGE_BUCKETS))
    for kind, status, akimat_id, reviewer_id, count, overdue, due_soon, unregistered, *aging in session.execute(query):
        out.open += count
        out.overdue += overdue
        out.due_soon += due_soon
        out.unregistered += unregistered
        out.backlog[(kind, status)] = out.backlog.get((kind, status), 0) + count
        if overdue:
            out.overdue_by_akimat[akimat_id] = out.overdue_by_akimat.get(akimat_id, 0) + overdue
            out.overdue_by_reviewer[reviewer_id] = out.overdue_by_reviewer.get(reviewer_id, 0) + overdue
        for i, n in enumerate(aging):
            out.aging[i] += n
    return out


def headline(session: Session, today: date, cal: WorkingCalendar, policies: PolicyBook) -> Headline:
    """Open / overdue / due soon of every application (unscoped; kept for callers of the first sketch)."""
    return open_summary(session, today, DeadlineContext(cal, policies)).headline


def backlog_by_status(session: Session) -> list[tuple[str, str, int]]:
    """(kind, status, count) of every application, open and closed."""
    rows = session.execute(
        select(Application.kind, Application.status, func.count()).group_by(Application.kind, Application.status)
    ).all()
    return [(kind, status, count) for kind, status, count in rows]


def overdue_by_region(summary: OpenSummary, akimats: Akimats) -> list[tuple[int | None, int]]:
    """(region akimat id or None for "no akimat", overdue) — districts rolled up to their region;
    largest first."""
    totals: dict[int | None, int] = {}
    for akimat_id, n in summary.overdue_by_akimat.items():
        key = akimats.region_of(akimat_id) if akimat_id in akimats.by_id else None
        totals[key] = totals.get(key, 0) + n
    return sorted(totals.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or 0))


def reviewer_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.full_name).where(User.id.in_(wanted))).all())


# -- on-time rate -------------------------------------------------------------------------------
@dataclass(frozen=True)
class OnTime:
    met: int
    total: int
    since: date
    until: date

    @property
    def rate(self) -> float | None:
        return self.met / self.total if self.total else None


def on_time(session: Session, today: date, flt: OverviewFilter | None = None, user: User | None = None,
            akimats: Akimats | None = None) -> OnTime:
    """Clocks of ON_TIME_POLICIES that stopped in the last ``period_days`` days (today included)."""
    flt = flt or OverviewFilter()
    since = today - timedelta(days=flt.period_days - 1)
    c = Clock
    query = select(func.count(), _sum(c.stopped_on <= c.due_date)).where(
        c.policy_code.in_(ON_TIME_POLICIES), c.stopped_on >= since, c.stopped_on <= today,
        c.application_id.is_not(None), c.due_date.is_not(None),
    )
    query = _clock_filters(query, flt, akimats or load_akimats(session), user, since)
    total, met = session.execute(query).one()
    return OnTime(int(met or 0), int(total or 0), since, today)


# -- weekly trend -------------------------------------------------------------------------------
@dataclass
class WeekPoint:
    start: date  # Monday
    end: date  # Sunday (or today for the current week)
    received: int = 0
    closed: int = 0
    overdue: int = 0


def trend_weeks(today: date, period_days: int = DEFAULT_PERIOD) -> list[tuple[date, date]]:
    """(Monday, last day) of each week: at least MIN_TREND_WEEKS, more for a longer period; the
    current week ends today."""
    weeks = max(MIN_TREND_WEEKS, -(-period_days // 7))
    this_monday = today - timedelta(days=today.weekday())
    out = []
    for back in range(weeks - 1, -1, -1):
        monday = this_monday - timedelta(weeks=back)
        out.append((monday, min(monday + timedelta(days=6), today)))
    return out


def trend(session: Session, today: date, flt: OverviewFilter | None = None, user: User | None = None,
          akimats: Akimats | None = None, overdue_of: Callable[[], list[int]] | None = None) -> list[WeekPoint]:
    """The weekly points. ``overdue_of`` gives the overdue-at-week-end counts when they are being
    read elsewhere (``overview(concurrent=True)``); by default they are read here."""
    flt = flt or OverviewFilter()
    akimats = akimats or load_akimats(session)
    weeks = trend_weeks(today, flt.period_days)
    points = [WeekPoint(start, end) for start, end in weeks]
    last = weeks[-1][1]
    a = Application

    # received (registration date) and closed (local date of closed_at) per week: one index range
    # count per week, all in one UNION ALL (cheaper than grouping every row of the period)
    bounds = [local_midnight_utc(start) for start, _end in weeks] + [local_midnight_utc(last + timedelta(days=1))]
    received = [_application_filters(select(literal(i), func.count()).where(
        a.registration_date >= start, a.registration_date <= end), flt, akimats, user)
        for i, (start, end) in enumerate(weeks)]
    closed = [_application_filters(select(literal(i), func.count()).where(
        a.closed_at >= bounds[i], a.closed_at < bounds[i + 1]), flt, akimats, user)
        for i in range(len(weeks))]
    for week, n in session.execute(union_all(*received)):
        points[week].received = n
    for week, n in session.execute(union_all(*closed)):
        points[week].closed = n

    # overdue at the end of each week, from the clocks
    ends = [end for _start, end in weeks]
    overdue = overdue_of() if overdue_of is not None else overdue_at(session, ends, flt, user, akimats)
    for point, n in zip(points, overdue):
        point.overdue = n
    return points


def late_clock_condition():
    """Clocks that are (or were) running past their due date: still open, or stopped late. The
    others were never overdue, so the history of "overdue" needs only these (a partial index
    could hold just them)."""
    c = Clock
    return and_(c.application_id.is_not(None), or_(c.stopped_on.is_(None), c.stopped_on > c.due_date))


def overdue_at(session: Session, days: list[date], flt: OverviewFilter | None = None, user: User | None = None,
               akimats: Akimats | None = None) -> list[int]:
    """How many application clocks were overdue on each of ``days`` (ascending): due before the
    day, not stopped on or before it, not paused on or before it.

    A clock is overdue on the days X with due < X < end, where end = the earlier of stopped_on and
    paused_since (none: open-ended), so only the clocks with due < end ever count
    (``late_clock_condition``). They are read grouped by (stopped_on, due_date, paused_since), the
    order of their index (no sorting), and each group adds its count to the run of days it covers.
    """
    flt = flt or OverviewFilter()
    if not days:
        return []
    c = Clock
    diff = [0] * (len(days) + 1)
    # still running, and stopped after the first day: unfiltered, two index ranges rather than one
    # OR; with a filter or a scope one statement, so the ids it semi-joins on are read once
    running = (c.stopped_on.is_(None), c.stopped_on > days[0])
    if _needs_application_join(flt, user):
        running = (or_(*running),)
    for stopped in running:
        query = (
            select(c.stopped_on, c.due_date, c.paused_since, func.count())
            .where(late_clock_condition(), stopped, c.due_date < days[-1],
                   or_(c.paused_since.is_(None), c.paused_since > c.due_date),
                   or_(c.paused_since.is_(None), c.paused_since > days[0]))
            .group_by(c.stopped_on, c.due_date, c.paused_since)
        )
        query = _clock_filters(query, flt, akimats or load_akimats(session), user, days[0])
        for stopped_on, due, paused, n in session.execute(query):
            ends = [d for d in (stopped_on, paused) if d is not None]
            first = bisect_right(days, due)  # the first day after the due date
            last = bisect_left(days, min(ends)) if ends else len(days)  # the first day it no longer runs
            if first < last:
                diff[first] += n
                diff[last] -= n
    counts, running = [], 0
    for step in diff[:-1]:
        running += step
        counts.append(running)
    return counts


# -- lists and complaints -----------------------------------------------------------------------
@dataclass(frozen=True)
class Waiting:
    count: int
    overdue: int


def lists_waiting(session: Session, today: date, flt: OverviewFilter | None = None, user: User | None = None,
                  akimats: Akimats | None = None) -> Waiting:
    """Akimat lists received or validated but not loaded yet, and how many of them are past
    their 2-working-day ``list_upload`` clock."""
    flt = flt or OverviewFilter()
    b = ListBatch
    late = exists().where(Clock.batch_id == b.id, Clock.policy_code == "list_upload", Clock.stopped_at.is_(None),
                          Clock.due_date < today)
    query = select(func.count(), _sum(late)).where(b.status.in_(WAITING_BATCH_STATUSES))
    ids = (akimats or load_akimats(session)).subtree_of_kato(flt.akimat)
    if ids is not None:
        query = query.where(b.akimat_id.in_(sorted(ids)) if ids else b.id.is_(None))
    if user is not None:
        query = scope_batches(query, user)
    count, overdue = session.execute(query).one()
    return Waiting(int(count or 0), int(overdue or 0))


@dataclass(frozen=True)
class ComplaintFigures:
    """Open complaints, of them due soon and overdue, and the complaints answered in the period
    with how many were answered by their statutory due date."""
    count: int
    overdue: int
    due_soon: int = 0
    answered: int = 0
    answered_on_time: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return self.answered_on_time / self.answered if self.answered else None


def open_complaints(session: Session, today: date, flt: OverviewFilter | None = None, user: User | None = None,
                    akimats: Akimats | None = None, ctx: DeadlineContext | None = None) -> ComplaintFigures:
    """Open complaints (``Complaint.is_open``), how many are due soon (the complaints page's own
    condition) and overdue, and the answered on time rate of the period (answer date in the last
    ``period_days`` days; ``closed_on_time`` is stored when the answer stops the level clock).
    With a kind filter only complaints about applications of that kind count; the akimat filter
    uses the akimat of the application, recipient or list complained about."""
    from data.clocks import load_context
    from data.queries.complaints import QueryContext, due_soon_condition

    flt = flt or OverviewFilter()
    ctx = ctx or load_context(session)
    cm, a = Complaint, Application
    since = today - timedelta(days=flt.period_days - 1)
    soon = due_soon_condition(QueryContext(user, today, ctx.calendar, ctx.policies))
    answered = and_(cm.status == "answered", cm.closed_on_time.is_not(None), cm.answer_date >= since,
                    cm.answer_date <= today)
    query = select(_sum(cm.is_open.is_(True)), _sum(and_(cm.is_open.is_(True), cm.current_due_date < today)),
                   _sum(soon), _sum(answered), _sum(and_(answered, cm.closed_on_time.is_(True))))
    query = query.where(or_(cm.is_open.is_(True), answered))
    if flt.kind or flt.akimat:
        query = query.outerjoin(a, a.id == cm.application_id)
        if flt.kind:
            query = query.where(a.kind == flt.kind)
        ids = (akimats or load_akimats(session)).subtree_of_kato(flt.akimat)
        if ids is not None:
            wanted = sorted(ids) or [-1]
            query = (query.outerjoin(Recipient, Recipient.id == cm.recipient_id)
                     .outerjoin(ListBatch, ListBatch.id == cm.batch_id)
                     .where(func.coalesce(a.akimat_id, Recipient.akimat_id, ListBatch.akimat_id).in_(wanted)))
    if user is not None:
        query = scope_complaints(query, user)
    count, overdue, due_soon, answered_n, on_time_n = session.execute(query).one()
    return ComplaintFigures(int(count or 0), int(overdue or 0), int(due_soon or 0), int(answered_n or 0),
                            int(on_time_n or 0))


# -- everything the page shows ------------------------------------------------------------------
@dataclass
class Overview:
    today: date
    filter: OverviewFilter
    summary: OpenSummary
    on_time: OnTime
    trend: list[WeekPoint]
    lists: Waiting | None
    complaints: ComplaintFigures | None
    regions: list[tuple[int | None, int]]
    reviewers: dict[int, str]
    akimats: Akimats


def _on_own_connection(bind, fn, *args):
    with Session(bind) as own:
        return fn(own, *args)


def overview(session: Session, today: date, ctx: DeadlineContext, flt: OverviewFilter | None = None,
             user: User | None = None, *, concurrent: bool = False) -> Overview:
    """All the overview's numbers for ``user`` (None = unscoped, e.g. benchmarks).

    With ``concurrent`` the two clock-side parts (the on-time rate and the overdue history of the
    trend) run on connections of their own in two threads while this one reads the open
    applications, the lists, the complaints and the trend's received / closed counts: independent
    reads, which both databases run in parallel (SQLite and psycopg release the GIL while a
    statement runs). Only for a session that holds no uncommitted changes (the page's own
    read-only session): other connections do not see them.
    """
    flt = flt or OverviewFilter()
    akimats = load_akimats(session)
    ends = [end for _start, end in trend_weeks(today, flt.period_days)]
    with ExitStack() as stack:
        if concurrent:
            pool = stack.enter_context(ThreadPoolExecutor(max_workers=2, thread_name_prefix="overview"))
            bind = session.get_bind()

            def later(fn, *args):  # started now on its own connection; the result when asked for
                return pool.submit(_on_own_connection, bind, fn, *args).result
        else:
            def later(fn, *args):  # read on this connection when asked for
                return lambda: fn(session, *args)
        rate_of = later(on_time, today, flt, user, akimats)
        overdue_of = later(overdue_at, ends, flt, user, akimats)
        summary = open_summary(session, today, ctx, flt, user, akimats)
        lists = lists_waiting(session, today, flt, user, akimats) if user is None or can(user, "lists.read") else None
        complaints = (open_complaints(session, today, flt, user, akimats, ctx)
                      if user is None or can(user, "complaints.read") else None)
        weeks = trend(session, today, flt, user, akimats, overdue_of=overdue_of)
        rate = rate_of()
    return Overview(
        today=today, filter=flt, summary=summary,
        on_time=rate,
        trend=weeks,
        lists=lists, complaints=complaints,
        regions=overdue_by_region(summary, akimats),
        reviewers=reviewer_names(session, summary.overdue_by_reviewer),
        akimats=akimats,
    )


# -- links to the registry ----------------------------------------------------------------------
def registry_params(flt: OverviewFilter | None = None, **params) -> dict[str, str]:
    """The registry's URL filters for a number on the overview: the page's own filters plus
    ``params`` (keys: kind, status, akimat, reviewer, state, from, to, q; use ``from_`` for from).
    Dates are dd.mm.yyyy; status lists are comma-separated."""
    out = dict((flt or OverviewFilter()).link_params())
    for key, value in params.items():
        key = key.rstrip("_")
        if key not in REGISTRY_PARAMS:
            raise ValueError(f"not a registry filter: {key}")
        if value is None:
            continue
        if isinstance(value, date):
            value = value.strftime("%d.%m.%Y")
        elif isinstance(value, (list, tuple)):
            value = ",".join(value)
        out[key] = str(value)
    return {key: out[key] for key in REGISTRY_PARAMS if key in out}


def registry_href(flt: OverviewFilter | None = None, **params) -> str:
    query = "&".join(f"{key}={quote(value, safe=',.')}" for key, value in registry_params(flt, **params).items())
    return "/registry" + (f"?{query}" if query else "")


def status_label(kind: str, status: str, lang: str) -> str:
    workflow = WORKFLOWS.get(kind)
    return workflow.by_code[status].label(lang) if workflow and status in workflow.by_code else status
