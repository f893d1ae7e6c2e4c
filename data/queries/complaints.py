"""Read side of complaints: the registry (filtered, sorted, paged in SQL), the KPIs, the page.

Registry parameters (URL query string of ``/complaints``, all optional and combinable, e.g.
``/complaints?state=overdue&level=provider``):

==========  =====================================================================================
``level``   ``provider`` | ``quality_body`` (comma list)
``status``  comma list of complaint status codes (``registered``, ``under_review``, ``extended``,
            ``answered``)
``state``   ``open`` | ``due_soon`` | ``overdue`` | ``answered``. Overdue: open and the nearest
            open due date (answer or extension notice, ``Complaint.current_due_date``) is past.
            Due soon: open, not overdue, and a running clock is due within its policy's warning
            window (working days, default 2).
``due_from`` / ``due_to``  the answer due date (the level clock's due date), inclusive:
            ``dd.mm.yyyy`` or ``yyyy-mm-dd``
``q``       ``#id`` / an id, or the beginning of the complainant's name or IIN/BIN
``sort``    a column id, ``-`` in front for descending
==========  =====================================================================================

A value that cannot be read is reported (``FilterProblem``) and ignored. Every value reaches SQL
as a bound parameter; columns and operators come from the whitelists here, never from input.
Every query goes through ``data.access.scope_complaints``.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from data.access import can, mask_iin, scope_complaints
from data.clocks import DeadlineContext, load_context
from data.config import LOCAL_TZ
from data.deadlines import DaysLeft, clock_state, days_left
from data.models import Application, Clock, Complaint, ListBatch, Recipient, StatusEvent, User
from data.policies import PolicyBook
from data.statuses import WORKFLOWS
from data.working_calendar import WorkingCalendar

C = Complaint
LEVELS = ("provider", "quality_body")
LEVEL_POLICIES = ("complaint_provider", "complaint_quality_body")
NOTICE_POLICY = "complaint_extension_notice"
COMPLAINT_POLICIES = LEVEL_POLICIES + (NOTICE_POLICY,)
STATUSES = tuple(s.code for s in WORKFLOWS["complaint"].statuses)
STATES = ("open", "due_soon", "overdue", "answered")
MAX_SEARCH = 100
MAX_BLOCK = 500


# -- filters ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FilterProblem:
    param: str
    code: str  # message key suffix: complaints.problem.<code>
    value: str


@dataclass(frozen=True)
class ComplaintFilters:
    levels: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    state: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    q: str = ""
    sort: str | None = None

    def as_params(self) -> dict[str, str]:
        params: dict[str, str] = {}
        if self.levels:
            params["level"] = ",".join(self.levels)
        if self.statuses:
            params["status"] = ",".join(self.statuses)
        if self.state:
            params["state"] = self.state
        if self.due_from:
            params["due_from"] = self.due_from.isoformat()
        if self.due_to:
            params["due_to"] = self.due_to.isoformat()
        if self.q:
            params["q"] = self.q
        if self.sort:
            params["sort"] = self.sort
        return params


def _first(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return str(value[0]) if value else ""
    return "" if value is None else str(value)


def _split(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        out: list[str] = []
        for part in value:
            out.extend(_split(part))
        return out
    return [p.strip() for p in str(value).split(",") if p.strip()]


def parse_day(text: Any) -> date | None:
    text = _first(text).strip()
    for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text[:10], fmt).date()
        except ValueError:
            continue
    return None


SORT_KEYS = ("id", "registration_date", "level", "status", "complainant", "answer_due", "notice_due", "due",
             "responsible")


_CONTROL = {code: " " for code in list(range(0x00, 0x20)) + [0x7F]}  # control characters read as spaces


def parse_filters(params: Mapping[str, Any]) -> tuple[ComplaintFilters, list[FilterProblem]]:
    """Read the parameters; every value is checked against what exists."""
    problems: list[FilterProblem] = []

    def pick(name: str, allowed: Sequence[str], code: str) -> tuple[str, ...]:
        chosen: list[str] = []
        for value in _split(params.get(name)):
            if value in allowed:
                if value not in chosen:
                    chosen.append(value)
            else:
                problems.append(FilterProblem(name, code, value[:40]))
        return tuple(chosen)

    levels = pick("level", LEVELS, "unknown_level")
    statuses = pick("status", STATUSES, "unknown_status")
    state = _first(params.get("state")).strip().lower() or None
    if not state and _first(params.get("overdue")).strip().lower() in ("1", "true", "yes", "on"):
        state = "overdue"
    if state in ("all", ""):
        state = None
    if state and state not in STATES:
        problems.append(FilterProblem("state", "unknown_state", state[:40]))
        state = None
    days: dict[str, date | None] = {}
    for name in ("due_from", "due_to"):
        raw = _first(params.get(name)).strip()
        days[name] = parse_day(raw) if raw else None
        if raw and days[name] is None:
            problems.append(FilterProblem(name, "bad_date", raw[:20]))
    if days["due_from"] and days["due_to"] and days["due_from"] > days["due_to"]:
        problems.append(FilterProblem("due_to", "date_order", _first(params.get("due_to")).strip()[:20]))
        days["due_to"] = None
    q = " ".join(_first(params.get("q")).translate(_CONTROL).split())  # NUL: PostgreSQL refuses it in text
    if len(q) > MAX_SEARCH:
        problems.append(FilterProblem("q", "search_too_long", q[:20] + "…"))
        q = q[:MAX_SEARCH]
    sort = _first(params.get("sort")).strip() or None
    if sort and sort.lstrip("-") not in SORT_KEYS:
        problems.append(FilterProblem("sort", "bad_sort", sort[:40]))
        sort = None
    return ComplaintFilters(levels, statuses, state, days["due_from"], days["due_to"], q, sort), problems


def filters_from_json(data: Mapping[str, Any] | None) -> ComplaintFilters:
    return parse_filters(dict(data or {}))[0]


# -- the query ------------------------------------------------------------------------------------
class GridRequestError(ValueError):
    """The grid sent a sort this module does not offer (a tampered request)."""


@dataclass
class QueryContext:
    user: User
    today: date
    cal: WorkingCalendar
    policies: PolicyBook

    @property
    def may_read_iin(self) -> bool:
        return can(self.user, "iin.read")


def query_context(session: Session, user: User, today: date, ctx: DeadlineContext | None = None) -> QueryContext:
    ctx = ctx or load_context(session)
    return QueryContext(user, today, ctx.calendar, ctx.policies)


Level = aliased(Clock, name="level_clock")
Notice = aliased(Clock, name="notice_clock")
Responsible = aliased(User, name="responsible")


def _plain(column):
    """``column`` as an expression no index can serve: a complaint has a handful of clocks, found
    by ``ix_clocks_complaint_id``, but the planners' statistics see that column mostly NULL
    (application clocks) and would rather walk the policy / open-clock indexes - every open clock
    of the database for each complaint row. ``coalesce(x, x)`` is ``x``."""
    return func.coalesce(column, column)


def _level_join():
    """The level clock of each complaint row (by ``complaint_id``: a few clocks per complaint)."""
    return and_(Level.complaint_id == C.id, _plain(Level.policy_code).in_(LEVEL_POLICIES))


def _level_filter_join():
    """The level clocks as a filter (answer due range): the planner may read the range of due
    dates from ``ix_clocks_complaint_due`` (complaint clocks only; the ``IS NOT NULL`` lets it
    prove the partial index applies) instead of looking each complaint's clocks up."""
    return and_(Level.complaint_id == C.id, Level.complaint_id.is_not(None), Level.policy_code.in_(LEVEL_POLICIES))


def _notice_join():
    return and_(Notice.complaint_id == C.id, _plain(Notice.policy_code) == NOTICE_POLICY,
                _plain(Notice.stopped_at).is_(None))


def due_soon_condition(ctx: QueryContext):
    """Open, not overdue, and a running clock due within its policy's warning window.

    ``current_due_date`` is the earliest running clock's due date, so when every complaint policy
    has the same window (the default: 2 working days) this is a condition on the complaints table
    alone: the earliest due date is within the window exactly when some running clock is. With
    different windows each clock is checked against its own policy's window."""
    windows = {code: ctx.policies.in_force(code, ctx.today).warn_wd for code in COMPLAINT_POLICIES}
    open_not_late = and_(C.is_open.is_(True), C.current_due_date >= ctx.today)
    if len(set(windows.values())) == 1:
        limit = ctx.cal.add_working_days(ctx.today, next(iter(windows.values())))
        return and_(open_not_late, C.current_due_date <= limit)
    parts = [and_(_plain(Clock.policy_code) == code, _plain(Clock.due_date) <= ctx.cal.add_working_days(ctx.today, warn))
             for code, warn in windows.items()]
    running = (exists().where(Clock.complaint_id == C.id, _plain(Clock.stopped_at).is_(None),
                              _plain(Clock.paused_since).is_(None), _plain(Clock.due_date) >= ctx.today, or_(*parts)))
    return and_(open_not_late, running)


def overdue_condition(ctx: QueryContext):
    return and_(C.is_open.is_(True), C.current_due_date < ctx.today)


def _search(q: str, may_read_iin: bool):
    q = " ".join((q or "").translate(_CONTROL).split())
    if not q:
        return None
    parts = []
    ident = q.lstrip("#№").strip()
    if ident.isdigit() and len(ident) < 10:
        parts.append(C.id == int(ident))
    variants: list[str] = []
    for variant in (q, q.lower(), q.upper(), q[:1].upper() + q[1:].lower()):
        if variant not in variants:
            variants.append(variant)
    for variant in variants:
        escaped = variant.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        parts.append(C.complainant_name.like(escaped + "%", escape="\\"))
    digits = re.sub(r"\s", "", q)
    if digits.isdigit() and len(digits) <= 12 and (may_read_iin or len(digits) == 12):
        # without iin.read only a full number matches (no guessing a masked IIN digit by digit)
        parts.append(C.complainant_id_number.like(digits + "%") if may_read_iin else C.complainant_id_number == digits)
    return or_(*parts)


def conditions(ctx: QueryContext, filters: ComplaintFilters) -> tuple[list, bool]:
    """WHERE conditions of the filters (the scope is added by ``_scoped``) and whether the
    level clock has to be joined."""
    where: list = []
    need_level = False
    if filters.levels:
        where.append(C.level.in_(filters.levels))
    if filters.statuses:
        where.append(C.status.in_(filters.statuses))
    if filters.state == "open":
        where.append(C.is_open.is_(True))
    elif filters.state == "answered":
        where.append(C.status == "answered")
    elif filters.state == "overdue":
        where.append(overdue_condition(ctx))
    elif filters.state == "due_soon":
        where.append(due_soon_condition(ctx))
    if filters.due_from:
        where.append(Level.due_date >= filters.due_from)
        need_level = True
    if filters.due_to:
        where.append(Level.due_date <= filters.due_to)
        need_level = True
    search = _search(filters.q, ctx.may_read_iin)
    if search is not None:
        where.append(search)
    return where, need_level


def _scoped(stmt: Select, ctx: QueryContext) -> Select:
    return scope_complaints(stmt, ctx.user)


SORT_COLUMN = {
    "id": C.id,
    "registration_date": C.registration_date,
    "level": C.level,
    "status": C.status,
    "complainant": C.complainant_name,
    "answer_due": Level.due_date,
    "notice_due": Notice.due_date,
    "due": C.current_due_date,
    "responsible": Responsible.full_name,
}
DEFAULT_SORT = ("registration_date", "desc")


def sort_from_model(sort_model: Sequence[Mapping[str, Any]] | None, fallback: str | None = None) -> tuple[str, str]:
    if sort_model:
        if not isinstance(sort_model, (list, tuple)) or not isinstance(sort_model[0], Mapping):
            raise GridRequestError("sort model")
        col_id, direction = sort_model[0].get("colId"), sort_model[0].get("sort")
        if col_id not in SORT_COLUMN or direction not in ("asc", "desc"):
            raise GridRequestError(f"sort {sort_model[0]!r}")
        return col_id, direction
    if fallback and fallback.lstrip("-") in SORT_COLUMN:
        return fallback.lstrip("-"), "desc" if fallback.startswith("-") else "asc"
    return DEFAULT_SORT


def count_rows(session: Session, ctx: QueryContext, filters: ComplaintFilters) -> int:
    where, need_level = conditions(ctx, filters)
    stmt = select(func.count()).select_from(C)
    if need_level:
        stmt = stmt.join(Level, _level_filter_join())
    return session.execute(_scoped(stmt.where(*where), ctx)).scalar_one()


@dataclass
class ComplaintRow:
    id: int
    level: str
    status: str
    is_open: bool
    channel: str
    registration_date: date
    complainant_name: str
    complainant_id: str  # masked unless the user may read IINs
    subject: str
    about: str | None  # application | recipient | batch
    about_label: str | None
    responsible: str | None
    answer_due: date | None
    notice_due: date | None
    due: date | None  # the nearest open due date
    parent_id: int | None
    closed_on_time: bool | None
    days: DaysLeft | None = None
    state: str | None = None  # on_track | due_soon | overdue (open rows with a due date)


def _row_query() -> Select:
    return (
        select(C.id, C.level, C.status, C.is_open, C.channel, C.registration_date, C.complainant_name,
               C.complainant_id_number, C.subject, C.application_id, C.recipient_id, C.batch_id,
               Application.registration_number, Recipient.full_name, ListBatch.file_name, Responsible.full_name,
               Level.due_date, Notice.due_date, C.current_due_date, C.parent_id, C.closed_on_time)
        .select_from(C)
        .outerjoin(Level, _level_join())
        .outerjoin(Notice, _notice_join())
        .outerjoin(Responsible, Responsible.id == C.responsible_id)
        .outerjoin(Application, Application.id == C.application_id)
        .outerjoin(Recipient, Recipient.id == C.recipient_id)
        .outerjoin(ListBatch, ListBatch.id == C.batch_id)
    )


def _state(ctx: QueryContext, due: date | None, is_open: bool, warn: dict[str, int], answer_due, notice_due):
    if not is_open or due is None:
        return None, None
    left = days_left(due, ctx.today, ctx.cal)
    if ctx.today > due:
        return left, "overdue"
    soon = False
    for policy_due, window in ((answer_due, warn["level"]), (notice_due, warn["notice"])):
        if policy_due is not None and policy_due >= ctx.today and \
                ctx.cal.working_days_between(ctx.today, policy_due) <= window:
            soon = True
    return left, "due_soon" if soon else "on_track"


def _to_row(ctx: QueryContext, r, warn: dict[str, dict[str, int]]) -> ComplaintRow:
    (ident, level, status, is_open, channel, reg_date, name, id_number, subject, app_id, rec_id, batch_id,
     app_number, rec_name, batch_file, responsible, answer_due, notice_due, due, parent_id, on_time) = r
    if app_id:
        about, label = "application", app_number or f"#{app_id}"
    elif rec_id:
        about, label = "recipient", rec_name
    elif batch_id:
        about, label = "batch", batch_file
    else:
        about, label = None, None
    shown = id_number if ctx.may_read_iin or not id_number else mask_iin(id_number)
    row = ComplaintRow(ident, level, status, bool(is_open), channel, reg_date, name, shown or "", subject, about,
                       label, responsible, answer_due, notice_due, due, parent_id, on_time)
    row.days, row.state = _state(ctx, due, row.is_open, warn[level], answer_due, notice_due)
    return row


def _warn(ctx: QueryContext) -> dict[str, dict[str, int]]:
    notice = ctx.policies.in_force(NOTICE_POLICY, ctx.today).warn_wd
    return {level: {"level": ctx.policies.in_force(code, ctx.today).warn_wd, "notice": notice}
            for level, code in zip(LEVELS, LEVEL_POLICIES)}


@dataclass
class Block:
    rows: list[ComplaintRow]
    count: int | None


def page_ids(session: Session, ctx: QueryContext, filters: ComplaintFilters, start: int, limit: int,
             sort: tuple[str, str]) -> list[int]:
    """The ids of rows [start, start + limit) in sort order (empty values last, then by id): a
    narrow query that joins only what the filters and the sort need."""
    col_id, direction = sort
    where, need_level = conditions(ctx, filters)
    stmt = select(C.id).select_from(C)
    if need_level:
        stmt = stmt.join(Level, _level_filter_join())
    elif col_id == "answer_due":
        stmt = stmt.outerjoin(Level, _level_join())
    if col_id == "notice_due":
        stmt = stmt.outerjoin(Notice, _notice_join())
    if col_id == "responsible":
        stmt = stmt.outerjoin(Responsible, Responsible.id == C.responsible_id)
    column = SORT_COLUMN[col_id]
    ordered = column.desc() if direction == "desc" else column.asc()
    tie = C.id.desc() if direction == "desc" else C.id.asc()
    stmt = _scoped(stmt.where(*where), ctx).order_by(ordered.nulls_last(), tie).offset(start).limit(limit)
    return list(session.scalars(stmt))


def rows_by_ids(session: Session, ctx: QueryContext, ids: Sequence[int]) -> list[ComplaintRow]:
    """The grid rows of these complaints, in the given order (ids already scoped by page_ids)."""
    if not ids:
        return []
    warn = _warn(ctx)
    found = {r[0]: r for r in session.execute(_row_query().where(C.id.in_(list(ids))))}
    return [_to_row(ctx, found[i], warn) for i in ids if i in found]


def fetch_block(session: Session, ctx: QueryContext, filters: ComplaintFilters, start: int, end: int,
                sort_model: Sequence[Mapping[str, Any]] | None = None, *, with_count: bool | None = None) -> Block:
    """Rows [start, end) of the registry in the chosen order (empty values last) and, for the
    first block, the exact count. This is what the grid's callback calls (bench/complaints.py)."""
    start = max(0, int(start))
    limit = max(0, min(int(end) - start, MAX_BLOCK))
    sort = sort_from_model(sort_model, filters.sort)
    rows = rows_by_ids(session, ctx, page_ids(session, ctx, filters, start, limit, sort)) if limit else []
    if len(rows) < limit and (rows or start == 0):
        count: int | None = start + len(rows)
    elif with_count or (with_count is None and start == 0):
        count = count_rows(session, ctx, filters)
    else:
        count = None
    return Block(rows, count)


# -- KPIs (the lead puts them on the overview) -----------------------------------------------------
@dataclass
class ComplaintKpis:
    open: int
    due_soon: int
    overdue: int
    answered: int  # answered complaints (answered on or after ``since`` when given)
    answered_on_time: int  # ... whose level clock stopped on or before its due date

    @property
    def on_time_rate(self) -> float | None:
        """Share of answered complaints answered on time (None when nothing was answered)."""
        return self.answered_on_time / self.answered if self.answered else None

    @property
    def on_time_percent(self) -> int | None:
        rate = self.on_time_rate
        return None if rate is None else round(rate * 100)


def complaint_kpis(session: Session, user: User, today: date, *, since: date | None = None,
                   ctx: DeadlineContext | None = None) -> ComplaintKpis:
    """Open, due soon, overdue, and answered on time (level clock ``stopped_on <= due_date``),
    within the user's scope. ``since`` limits the answered ones to answers on or after that day."""
    qctx = query_context(session, user, today, ctx)
    open_, soon, late = session.execute(_scoped(
        select(func.count(), func.coalesce(func.sum(case((due_soon_condition(qctx), 1), else_=0)), 0),
               func.coalesce(func.sum(case((overdue_condition(qctx), 1), else_=0)), 0))
        .select_from(C).where(C.is_open.is_(True)), qctx)).one()
    # ``closed_on_time`` is the level clock's ``stopped_on <= due_date``, stored when the complaint
    # is answered (data.complaints.answer stops the clock on the answer date); the tests check it
    # against the clocks. Reading it here keeps the KPIs a scan of the complaints table alone.
    answered_q = (select(func.count(), func.coalesce(func.sum(case((C.closed_on_time.is_(True), 1), else_=0)), 0))
                  .select_from(C).where(C.status == "answered", C.closed_on_time.is_not(None)))
    if since is not None:
        answered_q = answered_q.where(C.answer_date >= since)
    answered, on_time = session.execute(_scoped(answered_q, qctx)).one()
    return ComplaintKpis(int(open_), int(soon), int(late), int(answered), int(on_time))


# -- the complaint page ----------------------------------------------------------------------------
@dataclass
class ClockView:
    id: int
    policy_code: str
    policy_version: int
    started_at: datetime
    registered_on: date | None
    due_date: date | None
    stopped_at: datetime | None
    stopped_on: date | None
    state: str  # on_track | due_soon | overdue | paused | stopped
    met: bool | None
    extensions: list[tuple[date, int]]
    explanation: list[dict[str, Any]]
    left: DaysLeft | None


@dataclass
class HistoryEntry:
    id: int
    kind: str
    at: datetime
    actor: str | None
    from_status: str | None
    to_status: str | None
    comment: str | None
    payload: dict[str, Any]


@dataclass
class Linked:
    id: int
    level: str
    status: str
    registration_date: date
    visible: bool  # within the user's scope (a link is shown only then)


@dataclass
class ComplaintPage:
    id: int
    version: int
    level: str
    status: str
    is_open: bool
    channel: str
    received_at: datetime
    registration_date: date
    complainant_name: str
    complainant_id: str | None
    complainant_contact: str | None
    subject: str
    about: str | None
    about_id: int | None
    about_label: str | None
    responsible_id: int | None
    responsible: str | None
    extension_reason: str | None
    extension_days: int
    notice_sent_on: date | None
    notice_channel: str | None
    outcome: str | None
    answer_text: str | None
    answer_date: date | None
    current_due_date: date | None
    closed_on_time: bool | None
    parent: Linked | None
    children: list[Linked]
    clocks: list[ClockView]
    history: list[HistoryEntry]
    today: date
    user_names: dict[int, str] = field(default_factory=dict)

    @property
    def level_clock(self) -> ClockView | None:
        found = [c for c in self.clocks if c.policy_code in LEVEL_POLICIES]
        return found[-1] if found else None

    @property
    def notice_clock(self) -> ClockView | None:
        """The latest notice clock (open or stopped)."""
        found = [c for c in self.clocks if c.policy_code == NOTICE_POLICY]
        return found[-1] if found else None

    @property
    def notice_open(self) -> bool:
        clock = self.notice_clock
        return clock is not None and clock.stopped_at is None


def _extensions(events) -> list[tuple[date, int]]:
    return [(e.at.astimezone(LOCAL_TZ).date(), int(e.days or 0)) for e in sorted(events, key=lambda e: (e.at, e.id))
            if e.kind == "extend"]


def complaint_page(session: Session, complaint_id: int, user: User, today: date,
                   ctx: DeadlineContext | None = None) -> ComplaintPage | None:
    """Everything the complaint page shows, or None when it does not exist or is outside the scope."""
    row = session.execute(scope_complaints(
        select(C, Responsible.full_name).outerjoin(Responsible, Responsible.id == C.responsible_id)
        .where(C.id == complaint_id), user)).first()
    if row is None:
        return None
    c, responsible = row
    ctx = ctx or load_context(session)
    cal = ctx.calendar
    clocks = []
    for clock in session.scalars(select(Clock).where(Clock.complaint_id == c.id).order_by(Clock.id)):
        stopped = clock.stopped_at is not None
        warn = ctx.policies.version(clock.policy_code, clock.policy_version).warn_wd
        state = clock_state(clock.due_date, today, cal, warn, paused=clock.paused_since is not None, stopped=stopped)
        left = days_left(clock.due_date, today, cal) if clock.due_date and not stopped else None
        met = (clock.stopped_on <= clock.due_date) if stopped and clock.due_date and clock.stopped_on else None
        clocks.append(ClockView(clock.id, clock.policy_code, clock.policy_version, clock.started_at,
                                clock.registered_on, clock.due_date, clock.stopped_at, clock.stopped_on, state, met,
                                _extensions(clock.events), list(clock.explanation or []), left))
    actor = aliased(User)
    history = [
        HistoryEntry(e.id, e.kind, e.at, name, e.from_status, e.to_status, e.comment, dict(e.payload or {}))
        for e, name in session.execute(
            select(StatusEvent, actor.full_name).outerjoin(actor, actor.id == StatusEvent.actor_id)
            .where(StatusEvent.complaint_id == c.id).order_by(StatusEvent.id))  # insertion order = recording order
    ]
    visible_ids = set(session.scalars(scope_complaints(
        select(C.id).where(or_(C.parent_id == c.id, C.id == (c.parent_id or -1))), user)))
    parent = None
    if c.parent_id:
        p = session.get(Complaint, c.parent_id)
        if p is not None:
            parent = Linked(p.id, p.level, p.status, p.registration_date, p.id in visible_ids)
    children = [Linked(k.id, k.level, k.status, k.registration_date, k.id in visible_ids)
                for k in session.scalars(select(Complaint).where(Complaint.parent_id == c.id).order_by(Complaint.id))]
    about = about_id = about_label = None
    if c.application_id:
        about, about_id = "application", c.application_id
        about_label = session.scalar(select(Application.registration_number).where(Application.id == c.application_id))
        about_label = about_label or f"#{c.application_id}"
    elif c.recipient_id:
        about, about_id = "recipient", c.recipient_id
        about_label = session.scalar(select(Recipient.full_name).where(Recipient.id == c.recipient_id))
    elif c.batch_id:
        about, about_id = "batch", c.batch_id
        about_label = session.scalar(select(ListBatch.file_name).where(ListBatch.id == c.batch_id))
    mentioned: set[int] = set()
    for entry in history:
        for key in ("responsible_id", "from_responsible_id", "to_responsible_id"):
            value = entry.payload.get(key)
            if isinstance(value, int):
                mentioned.add(value)
    names = dict(session.execute(select(User.id, User.full_name).where(User.id.in_(mentioned))).all()) \
        if mentioned else {}
    full = can(user, "iin.read")
    return ComplaintPage(
        id=c.id, version=c.version, level=c.level, status=c.status, is_open=c.is_open, channel=c.channel,
        received_at=c.received_at, registration_date=c.registration_date, complainant_name=c.complainant_name,
        complainant_id=c.complainant_id_number if full or not c.complainant_id_number
        else mask_iin(c.complainant_id_number),
        complainant_contact=c.complainant_contact, subject=c.subject, about=about, about_id=about_id,
        about_label=about_label, responsible_id=c.responsible_id, responsible=responsible,
        extension_reason=c.extension_reason, extension_days=c.extension_days or 0, notice_sent_on=c.notice_sent_on,
        notice_channel=c.notice_channel, outcome=c.outcome, answer_text=c.answer_text, answer_date=c.answer_date,
        current_due_date=c.current_due_date, closed_on_time=c.closed_on_time, parent=parent, children=children,
        clocks=clocks, history=history, today=today, user_names=names,
    )


def version_of(session: Session, complaint_id: int, user: User) -> tuple[str, int] | None:
    """(status, version) of a complaint in the user's scope (the fresh state a conflict shows)."""
    row = session.execute(scope_complaints(select(C.status, C.version).where(C.id == complaint_id), user)).first()
    return (row[0], row[1]) if row else None


__all__ = ["ComplaintFilters", "ComplaintKpis", "ComplaintPage", "ComplaintRow", "FilterProblem", "GridRequestError",
           "complaint_kpis", "complaint_page", "count_rows", "fetch_block", "page_ids", "rows_by_ids", "filters_from_json", "parse_filters",
           "query_context", "sort_from_model", "version_of"]
