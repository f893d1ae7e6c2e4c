"""The application registry: filtering, sorting and paging in SQL, for the /registry grid and
its CSV export (``routes/registry_export.py``).

URL query parameters (the overview and other pages link to the registry with them; all optional
and combinable, e.g. ``/registry?state=overdue&akimat=710000000``):

==========  ====================================================================================
``kind``    ``correction`` | ``rent_to_own`` (comma list)
``status``  comma list of status codes: ``code`` matches that code in every kind,
            ``kind:code`` only in that kind (``rent_to_own:registered``)
``akimat``  a 9-digit KATO code; a region's or city's code includes its district akimats
            (``Akimat.parent_id``, any depth)
``reviewer`` a user id, ``me`` (the signed-in user) or ``none`` (not assigned)
``state``   ``open`` | ``closed`` | ``due_soon`` | ``overdue`` (due soon / overdue as on the
            overview: the current due date within the policy's warning window, or past)
``from``    registration date from, inclusive: ``dd.mm.yyyy`` or ``yyyy-mm-dd``
``to``      registration date to, inclusive
``q``       search: the beginning of the registration number, contract number, applicant name,
            IIN or BIN (see "Text matching")
``sort``    the grid's sort: a column id, ``-`` in front for descending (``-registration_date``)
==========  ====================================================================================

Aliases kept for short links: ``overdue=1`` (``state=overdue``), ``due_soon=1``
(``state=due_soon``), ``mine=1`` (``reviewer=me``). A value that cannot be read is reported
(``FilterProblem``) and ignored; the other parameters still apply.

Text matching. Every text comparison is done in SQL on bound parameters, never on SQL built
from input, and matches the text as typed, in lower case, in upper case and capitalised (so
``ахмет`` finds ``Ахметов``): case-insensitive matching that SQLite (ASCII-only ``lower``) and
PostgreSQL do alike and that can use plain b-tree indexes. A prefix is an index range
``[x, successor(x))`` (plus an escaped ``LIKE 'x%'`` re-check on PostgreSQL, whose collation
decides the range); that is exact when the collation orders by code point (SQLite's BINARY,
PostgreSQL's "C" / "C.UTF-8", as here). "Contains" and "ends with" of the grid's column filters
scan.

Sorting is one column at a time (plus the id, so pages never overlap); empty values always
sort last, in either direction, by reading the non-empty rows first and the empty ones after
(each part walks an index in its natural order, so both backends agree and stay fast).

Counting: the grid's first block of a filter carries the count, exact up to ``COUNT_CAP``
(100,000) rows and "more than 100,000" above (``count_rows_capped`` stops counting at the cap,
so a broad filter costs what reading 100,000 index entries costs, not a million); later blocks
reuse it, and a short block gives the exact total for free. ``count_rows`` (exact, uncapped)
is what the export's audit record and the overview's cross-checks use. Figures:
bench/registry.py.
"""
from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select, and_, false, func, not_, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from data.access import can, mask_iin, scope_applications
from data.models import Akimat, Application, CalendarOverride, User
from data.policies import PolicyBook
from data.queries.overview import due_soon_condition
from data.statuses import APPLICATION_KINDS, WORKFLOWS
from data.working_calendar import WorkingCalendar

STATES = ("open", "closed", "due_soon", "overdue")
MAX_SEARCH = 100
MAX_BLOCK = 500
KATO_RE = re.compile(r"^\d{9}$")

A = Application


# -- filters (the URL query string) -------------------------------------------------------------
@dataclass(frozen=True)
class FilterProblem:
    """A parameter that could not be read: ``code`` is the message key suffix
    (``registry.problem.<code>``), ``param`` the parameter, ``value`` what was given."""

    param: str
    code: str
    value: str


@dataclass(frozen=True)
class RegistryFilters:
    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()  # "code" or "kind:code"
    akimat: str | None = None  # KATO
    reviewer: str | None = None  # "me" | "none" | "<user id>"
    state: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""
    sort: str | None = None  # "col" or "-col"

    def is_empty(self) -> bool:
        return self == RegistryFilters(sort=self.sort)

    def as_params(self) -> dict[str, str]:
        """The canonical query parameters (what ``parse_filters`` reads back to the same value)."""
        params: dict[str, str] = {}
        if self.kinds:
            params["kind"] = ",".join(self.kinds)
        if self.statuses:
            params["status"] = ",".join(self.statuses)
        if self.akimat:
            params["akimat"] = self.akimat
        if self.reviewer:
            params["reviewer"] = self.reviewer
        if self.state:
            params["state"] = self.state
        if self.date_from:
            params["from"] = self.date_from.isoformat()
        if self.date_to:
            params["to"] = self.date_to.isoformat()
        if self.q:
            params["q"] = self.q
        if self.sort:
            params["sort"] = self.sort
        return params

    def query_string(self) -> str:
        return urlencode(self.as_params())

    def as_json(self) -> dict[str, Any]:
        """For a dcc.Store: plain JSON."""
        return self.as_params()


def status_codes() -> dict[str, set[str]]:
    """Status code -> the application kinds that have it."""
    codes: dict[str, set[str]] = {}
    for kind in APPLICATION_KINDS:
        for status in WORKFLOWS[kind].statuses:
            codes.setdefault(status.code, set()).add(kind)
    return codes


def parse_day(text: str) -> date | None:
    """``dd.mm.yyyy`` or ISO ``yyyy-mm-dd`` (a time part after it is ignored); None if neither."""
    text = (text or "").strip()
    for fmt, size in (("%d.%m.%Y", 10), ("%Y-%m-%d", 10)):
        try:
            return datetime.strptime(text[:size], fmt).date() if len(text) >= size else None
        except ValueError:
            continue
    return None


def _split(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        items: list[str] = []
        for part in value:
            items.extend(_split(part))
        return items
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _first(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return str(value[0]) if value else ""
    return "" if value is None else str(value)


def _truthy(value: Any) -> bool:
    return _first(value).strip().lower() in ("1", "true", "yes", "on")


SORT_KEYS = ("registration_number", "registration_date", "kind", "applicant_name", "due_date", "days",
             "contract_number")


def parse_filters(params: Mapping[str, Any]) -> tuple[RegistryFilters, list[FilterProblem]]:
    """Read the registry parameters (a query string's dict, or the filter form's values).

    Every value is checked against what exists (kinds, status codes, KATO format, dates);
    a bad one becomes a ``FilterProblem`` and is left out, the rest still applies.
    """
    problems: list[FilterProblem] = []
    kinds: list[str] = []
    for kind in _split(params.get("kind")):
        if kind in APPLICATION_KINDS:
            if kind not in kinds:
                kinds.append(kind)
        else:
            problems.append(FilterProblem("kind", "unknown_kind", kind))
    known = status_codes()
    statuses: list[str] = []
    for code in _split(params.get("status")):
        kind, _, bare = code.rpartition(":")
        ok = (bare in known and kind in known[bare]) if kind else code in known
        if ok:
            if code not in statuses:
                statuses.append(code)
        else:
            problems.append(FilterProblem("status", "unknown_status", code))
    akimat = _first(params.get("akimat")).strip() or None
    if akimat and not KATO_RE.match(akimat):
        problems.append(FilterProblem("akimat", "bad_kato", akimat))
        akimat = None
    reviewer = _first(params.get("reviewer")).strip().lower() or None
    if _truthy(params.get("mine")) and not reviewer:
        reviewer = "me"
    if reviewer and reviewer not in ("me", "none") and not (reviewer.isdigit() and len(reviewer) < 10):
        problems.append(FilterProblem("reviewer", "bad_reviewer", reviewer))
        reviewer = None
    state = _first(params.get("state")).strip().lower() or None
    if not state:
        if _truthy(params.get("overdue")):
            state = "overdue"
        elif _truthy(params.get("due_soon")):
            state = "due_soon"
    if state and state not in STATES:
        problems.append(FilterProblem("state", "unknown_state", state))
        state = None
    days: dict[str, date | None] = {}
    for name in ("from", "to"):
        raw = _first(params.get(name)).strip()
        days[name] = parse_day(raw) if raw else None
        if raw and days[name] is None:
            problems.append(FilterProblem(name, "bad_date", raw))
    if days["from"] and days["to"] and days["from"] > days["to"]:
        problems.append(FilterProblem("to", "date_order", _first(params.get("to")).strip()))
        days["to"] = None
    q = clean_text(_first(params.get("q")))
    if len(q) > MAX_SEARCH:
        problems.append(FilterProblem("q", "search_too_long", q[:20] + "…"))
        q = q[:MAX_SEARCH]
    sort = _first(params.get("sort")).strip() or None
    if sort and sort.lstrip("-") not in SORT_KEYS:
        problems.append(FilterProblem("sort", "bad_sort", sort))
        sort = None
    return RegistryFilters(tuple(kinds), tuple(statuses), akimat, reviewer, state, days["from"], days["to"], q,
                           sort), problems


def filters_from_json(data: Mapping[str, Any] | None) -> RegistryFilters:
    """Back from ``as_json`` (a store posted by the browser: read again, problems dropped)."""
    return parse_filters(dict(data or {}))[0]


# -- text matching -------------------------------------------------------------------------------
_CONTROL = {code: " " for code in list(range(0x00, 0x20)) + [0x7F]}


def clean_text(text: str) -> str:
    """Control characters (NUL among them, which PostgreSQL refuses in text) become spaces; runs
    of white space one space; no space at the ends."""
    return " ".join(str(text or "").translate(_CONTROL).split())


def case_variants(text: str) -> list[str]:
    """The text as typed, lower case, upper case, capitalised (first letter upper, rest lower)."""
    out: list[str] = []
    for variant in (text, text.lower(), text.upper(), text[:1].upper() + text[1:].lower()):
        if variant and variant not in out:
            out.append(variant)
    return out


def _like_escape(text: str) -> str:
    """Escape LIKE wildcards for PostgreSQL, whose default escape character is the backslash."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _successor(text: str) -> str:
    """The smallest string greater than every string starting with ``text`` (code point order)."""
    chars = list(text)
    while chars:
        last = ord(chars[-1])
        if last < 0x10FFFF:
            if 0xD7FF <= last < 0xE000:  # skip the surrogate block
                chars[-1] = chr(0xE000)
            else:
                chars[-1] = chr(last + 1)
            return "".join(chars)
        chars.pop()
    return "\U0010FFFF"


def _prefix(column, text: str, dialect: str) -> ColumnElement:
    """``column`` starts with ``text``: an index range [text, successor); exact on SQLite (BINARY
    collation compares code points). PostgreSQL compares with the database's collation, which can
    use a plain b-tree index for the range but not for ``LIKE`` (unless the collation is "C"), so
    there the range finds the candidates and ``LIKE 'text%'`` keeps the exact ones."""
    in_range = and_(column >= text, column < _successor(text))
    if dialect == "sqlite":
        return in_range
    return and_(in_range, column.like(_like_escape(text) + "%"))


def _contains(column, text: str, dialect: str) -> ColumnElement:
    fn = func.instr(column, text) if dialect == "sqlite" else func.strpos(column, text)
    return fn > 0


def _suffix(column, text: str, dialect: str) -> ColumnElement:
    if dialect == "sqlite":
        return func.substr(column, -len(text)) == text
    return func.right(column, len(text)) == text


def search_condition(q: str, dialect: str, may_read_iin: bool) -> ColumnElement | None:
    """``q`` as the start of the registration number, contract number, applicant name, BIN,
    or (for users who may read IINs) IIN."""
    q = clean_text(q)
    if not q:
        return None
    variants = case_variants(q)
    parts: list[ColumnElement] = []
    for column in (A.registration_number, A.contract_number, A.applicant_name):
        parts.extend(_prefix(column, v, dialect) for v in variants)
    if q.isdigit() and len(q) <= 12:
        parts.append(_prefix(A.applicant_bin, q, dialect))
        if may_read_iin:
            parts.append(_prefix(A.applicant_iin, q, dialect))
    return or_(*parts)


class unindexed(FunctionElement):
    """``expr`` as such, but written ``+expr`` on SQLite, which then will not read it from an
    index: the way to tell SQLite's planner (which cannot see bound values) not to walk the sort
    column's index when a selective condition, e.g. a search, should lead."""

    inherit_cache = True

    def __init__(self, expr) -> None:
        super().__init__(expr)
        self.type = expr.type


@compiles(unindexed)
def _unindexed(element, compiler, **kw) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element, compiler, **kw) -> str:
    return "+" + compiler.process(element.clauses, **kw)


SEARCH_LEAD_CAP = 5000


# -- the grid's column filters and sort ----------------------------------------------------------
class GridRequestError(ValueError):
    """The grid sent a filter or sort this module does not offer (a tampered request)."""


TEXT_OPS = ("contains", "notContains", "equals", "notEqual", "startsWith", "endsWith", "blank", "notBlank")
DATE_OPS = ("equals", "notEqual", "lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual",
            "inRange", "blank", "notBlank")
TEXT_COLUMNS = ("registration_number", "applicant_name", "applicant_id", "contract_number")
DATE_COLUMNS = ("registration_date", "due_date")
DATE_COLUMN = {"registration_date": A.registration_date, "due_date": A.current_due_date}


def _text_column(col_id: str, may_read_iin: bool):
    if col_id == "applicant_id":
        return func.coalesce(A.applicant_iin, A.applicant_bin) if may_read_iin else A.applicant_bin
    return getattr(A, col_id)


def _text_condition(column, op: str, value: Any, dialect: str) -> ColumnElement:
    if op == "blank":
        return or_(column.is_(None), column == "")
    if op == "notBlank":
        return and_(column.is_not(None), column != "")
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise GridRequestError(f"text filter value {value!r}")
    text = clean_text(str(value))[:MAX_SEARCH]
    if not text:
        return true()
    variants = case_variants(text)
    if op == "equals":
        return column.in_(variants)
    if op == "notEqual":
        return or_(column.is_(None), column.not_in(variants))
    if op == "startsWith":
        return or_(*(_prefix(column, v, dialect) for v in variants))
    if op == "endsWith":
        return or_(*(_suffix(column, v, dialect) for v in variants))
    if op == "contains":
        return or_(*(_contains(column, v, dialect) for v in variants))
    if op == "notContains":
        return or_(column.is_(None), not_(or_(*(_contains(column, v, dialect) for v in variants))))
    raise GridRequestError(f"text operator {op!r}")


def _grid_day(value: Any) -> date:
    if not isinstance(value, str):
        raise GridRequestError(f"date value {value!r}")
    day = parse_day(value)
    if day is None:
        raise GridRequestError(f"date value {value!r}")
    return day


def _date_condition(column, op: str, model: Mapping[str, Any]) -> ColumnElement:
    if op == "blank":
        return column.is_(None)
    if op == "notBlank":
        return column.is_not(None)
    if op not in DATE_OPS:
        raise GridRequestError(f"date operator {op!r}")
    if model.get("dateFrom") in (None, ""):
        return true()
    day = _grid_day(model.get("dateFrom"))
    if op == "equals":
        return column == day
    if op == "notEqual":
        return or_(column.is_(None), column != day)
    if op == "lessThan":
        return column < day
    if op == "lessThanOrEqual":
        return column <= day
    if op == "greaterThan":
        return column > day
    if op == "greaterThanOrEqual":
        return column >= day
    # inRange, inclusive of both ends (the grid is configured with inRangeInclusive)
    if model.get("dateTo") in (None, ""):
        return column >= day
    end = _grid_day(model.get("dateTo"))
    low, high = min(day, end), max(day, end)
    return and_(column >= low, column <= high)


def _one_condition(col_id: str, model: Mapping[str, Any], dialect: str, may_read_iin: bool) -> ColumnElement:
    if not isinstance(model, Mapping):
        raise GridRequestError("filter model entry is not an object")
    conditions = model.get("conditions")
    if conditions is None and "condition1" in model:  # the grid's older combined format
        conditions = [c for c in (model.get("condition1"), model.get("condition2")) if c]
    if conditions is not None:
        if not isinstance(conditions, list) or len(conditions) > 4:
            raise GridRequestError("too many conditions")
        operator = str(model.get("operator", "AND")).upper()
        if operator not in ("AND", "OR"):
            raise GridRequestError(f"operator {operator!r}")
        parts = [_one_condition(col_id, c, dialect, may_read_iin) for c in conditions]
        if not parts:
            return true()
        return and_(*parts) if operator == "AND" else or_(*parts)
    op = model.get("type")
    if col_id in TEXT_COLUMNS:
        if model.get("filterType", "text") != "text" or op not in TEXT_OPS:
            raise GridRequestError(f"text filter {model!r}")
        return _text_condition(_text_column(col_id, may_read_iin), op, model.get("filter"), dialect)
    if col_id in DATE_COLUMNS:
        if model.get("filterType", "date") != "date":
            raise GridRequestError(f"date filter {model!r}")
        return _date_condition(DATE_COLUMN[col_id], op, model)
    raise GridRequestError(f"column {col_id!r} cannot be filtered")


def grid_filter_conditions(filter_model: Mapping[str, Any] | None, dialect: str,
                           may_read_iin: bool) -> list[ColumnElement]:
    """The grid's filterModel ({colId: model}) as SQL conditions; only the whitelisted
    columns and operators; every value a bound parameter."""
    if not filter_model:
        return []
    if not isinstance(filter_model, Mapping) or len(filter_model) > 12:
        raise GridRequestError("filter model is not an object")
    return [_one_condition(col_id, model, dialect, may_read_iin) for col_id, model in filter_model.items()]


SORT_COLUMN = {
    "registration_number": (A.registration_number, True),
    "registration_date": (A.registration_date, True),
    "kind": (A.kind, False),
    "applicant_name": (A.applicant_name, False),
    "due_date": (A.current_due_date, True),
    "days": (A.current_due_date, True),
    "contract_number": (A.contract_number, True),
}


def filled(col_id: str, lead: bool = True) -> ColumnElement:
    """The rows that have a value to sort by. A due date counts only on an open application (a
    closed one shows none), which also lets the (is_open, current_due_date) indexes serve it.
    ``lead=False``: the sort column must not lead the query (see ``unindexed``)."""
    column, _nullable = SORT_COLUMN[col_id]
    if not lead:
        column = unindexed(column)
    if SORT_COLUMN[col_id][0] is A.current_due_date:
        return and_(A.is_open.is_(True), column.is_not(None))
    return column.is_not(None)


def empty(col_id: str) -> ColumnElement:
    column, _nullable = SORT_COLUMN[col_id]
    if column is A.current_due_date:
        return or_(A.is_open.is_(False), column.is_(None))
    return column.is_(None)


DEFAULT_SORT = ("registration_date", "desc")


def sort_from_model(sort_model: Sequence[Mapping[str, Any]] | None, fallback: str | None = None,
                    columns: Mapping[str, Any] | None = None,
                    default: tuple[str, str] = DEFAULT_SORT) -> tuple[str, str]:
    """(column id, "asc" | "desc") from the grid's sortModel, else from ``sort`` ("-col").
    ``columns``/``default``: another grid's sortable columns (the registry's by default)."""
    known = SORT_COLUMN if columns is None else columns
    if sort_model:
        if not isinstance(sort_model, (list, tuple)) or not isinstance(sort_model[0], Mapping):
            raise GridRequestError("sort model is not a list of objects")
        first = sort_model[0]
        col_id, direction = first.get("colId"), first.get("sort")
        if col_id not in known or direction not in ("asc", "desc"):
            raise GridRequestError(f"sort {first!r}")
        return col_id, direction
    if fallback and fallback.lstrip("-") in known:
        return fallback.lstrip("-"), "desc" if fallback.startswith("-") else "asc"
    return default


# -- the query ---------------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _calendar_for(overrides: tuple[tuple[date, str, str | None], ...]) -> WorkingCalendar:
    return WorkingCalendar({day: (kind, name) for day, kind, name in overrides})


class WorkdayCounter:
    """``working_days_between`` by two binary searches in the sorted ordinals of the working days
    of the years seen so far (the calendar's own day-by-day answer, tabulated once)."""

    def __init__(self, cal: WorkingCalendar) -> None:
        self.cal = cal
        self.first_year = self.last_year = None
        self.ordinals: list[int] = []

    def _cover(self, first: date, last: date) -> None:
        if self.first_year is not None and self.first_year <= first.year and last.year <= self.last_year:
            return
        low = min(first.year, self.first_year or first.year)
        high = max(last.year, self.last_year or last.year)
        day, end = date(low, 1, 1), date(high, 12, 31)
        ordinals = []
        while day <= end:
            if self.cal.is_working_day(day):
                ordinals.append(day.toordinal())
            day += timedelta(days=1)
        self.first_year, self.last_year, self.ordinals = low, high, ordinals

    def between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end < start (as the calendar counts)."""
        if end < start:
            return -self.between(end, start)
        self._cover(start, end)
        return bisect_right(self.ordinals, end.toordinal()) - bisect_right(self.ordinals, start.toordinal())


def workday_counter(cal: WorkingCalendar) -> WorkdayCounter:
    counter = getattr(cal, "_registry_workday_counter", None)
    if counter is None:
        counter = WorkdayCounter(cal)
        cal._registry_workday_counter = counter  # one table per calendar instance
    return counter


def calendar(session: Session) -> WorkingCalendar:
    """The working calendar (national + overrides), one instance per set of overrides so its
    holiday tables are built once per process, not per block. Same days as
    ``data.clocks.load_calendar``."""
    rows = session.execute(select(CalendarOverride.day, CalendarOverride.kind, CalendarOverride.name)
                           .order_by(CalendarOverride.day)).all()
    return _calendar_for(tuple((d, k, n) for d, k, n in rows))


def akimat_ids_under(session: Session, kato: str) -> list[int]:
    """The akimat with this KATO and every akimat below it (parent_id, any depth)."""
    rows = session.execute(select(Akimat.id, Akimat.kato, Akimat.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    root = None
    for ident, code, parent in rows:
        children.setdefault(parent, []).append(ident)
        if code == kato:
            root = ident
    if root is None:
        return []
    found, stack = [], [root]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return sorted(found)


@dataclass
class QueryContext:
    """What one registry request needs besides the filters: who asks, when, which dialect."""

    user: User
    today: date
    cal: WorkingCalendar
    policies: PolicyBook
    dialect: str

    @property
    def may_read_iin(self) -> bool:
        return can(self.user, "iin.read")


def query_context(session: Session, user: User, today: date) -> QueryContext:
    return QueryContext(user, today, calendar(session), PolicyBook.load(session), session.get_bind().dialect.name)


def conditions(session: Session, ctx: QueryContext, filters: RegistryFilters,
               filter_model: Mapping[str, Any] | None = None) -> list[ColumnElement]:
    """Every WHERE condition of the filters and the grid's column filters (not the scope)."""
    where: list[ColumnElement] = []
    if filters.kinds:
        where.append(A.kind.in_(filters.kinds))
    if filters.statuses:
        bare = [s for s in filters.statuses if ":" not in s]
        pairs = [s.split(":", 1) for s in filters.statuses if ":" in s]
        parts = []
        if bare:
            parts.append(A.status.in_(bare))
        parts.extend(and_(A.status == code, A.kind == kind) for kind, code in pairs)
        where.append(or_(*parts))
    if filters.akimat:
        ids = akimat_ids_under(session, filters.akimat)
        where.append(A.akimat_id.in_(ids) if ids else false())
    if filters.reviewer == "me":
        where.append(A.reviewer_id == ctx.user.id)
    elif filters.reviewer == "none":
        where.append(A.reviewer_id.is_(None))
    elif filters.reviewer:
        where.append(A.reviewer_id == int(filters.reviewer))
    if filters.state == "open":
        where.append(A.is_open.is_(True))
    elif filters.state == "closed":
        where.append(A.is_open.is_(False))
    elif filters.state == "overdue":
        where.extend((A.is_open.is_(True), A.current_due_date < ctx.today))
    elif filters.state == "due_soon":
        where.extend((A.is_open.is_(True),
                      due_soon_condition(A.current_due_date, A.current_policy, ctx.today, ctx.cal, ctx.policies)))
    if filters.date_from:
        where.append(A.registration_date >= filters.date_from)
    if filters.date_to:
        where.append(A.registration_date <= filters.date_to)
    search = search_condition(filters.q, ctx.dialect, ctx.may_read_iin)
    if search is not None:
        where.append(search)
    where.extend(grid_filter_conditions(filter_model, ctx.dialect, ctx.may_read_iin))
    return where


def _base(ctx: QueryContext, columns, where: list[ColumnElement]) -> Select:
    return scope_applications(select(*columns).where(*where), ctx.user)


def count_rows(session: Session, ctx: QueryContext, filters: RegistryFilters,
               filter_model: Mapping[str, Any] | None = None) -> int:
    """Exact number of applications the filters select, within the user's scope."""
    where = conditions(session, ctx, filters, filter_model)
    return session.execute(_base(ctx, [func.count()], where).select_from(A)).scalar_one()


COUNT_CAP = 100_000


def count_rows_capped(session: Session, ctx: QueryContext, filters: RegistryFilters,
                      filter_model: Mapping[str, Any] | None = None, cap: int | None = None) -> tuple[int, bool]:
    """(count, exact): the exact count up to ``cap`` rows (default ``COUNT_CAP``); above it
    (cap, False). Counting stops at the cap, so a broad filter over a million rows costs what
    ``cap`` index entries cost."""
    cap = COUNT_CAP if cap is None else cap
    where = conditions(session, ctx, filters, filter_model)
    limited = _base(ctx, [A.id], where).limit(cap + 1).subquery()
    n = session.execute(select(func.count()).select_from(limited)).scalar_one()
    return (n, True) if n <= cap else (cap, False)


def _ordered(stmt: Select, column, direction: str, lead: bool = True) -> Select:
    if not lead:
        column = unindexed(column)
    if direction == "desc":
        return stmt.order_by(column.desc(), A.id.desc())
    return stmt.order_by(column.asc(), A.id.asc())


def _sort_leads(session: Session, ctx: QueryContext, filters: RegistryFilters,
                filter_model: Mapping[str, Any] | None) -> bool:
    """Should the query walk the sort column's index (True) or start from the search (False)?

    Only a question on SQLite, whose planner cannot see the search text (a bound value) and so
    cannot tell a search matching 30 rows, best read through the search indexes and sorted,
    from one matching 100,000, best found by walking the sort order: count the matches, up to
    ``SEARCH_LEAD_CAP`` (a few milliseconds through the search indexes), and decide. PostgreSQL
    plans with the values and decides itself."""
    if not filters.q or ctx.dialect != "sqlite":
        return True
    _n, exact = count_rows_capped(session, ctx, filters, filter_model, cap=SEARCH_LEAD_CAP)
    return not exact


def page_ids(session: Session, ctx: QueryContext, filters: RegistryFilters, start: int, end: int,
             sort: tuple[str, str], filter_model: Mapping[str, Any] | None = None) -> list[int]:
    """The ids of rows [start, end) in sort order (empty values last in both directions)."""
    start = max(0, int(start))
    limit = max(0, min(int(end) - start, MAX_BLOCK))
    if limit == 0:
        return []
    where = conditions(session, ctx, filters, filter_model)
    col_id, direction = sort
    column, nullable = SORT_COLUMN[col_id]
    lead = _sort_leads(session, ctx, filters, filter_model)
    if not nullable:
        stmt = _ordered(_base(ctx, [A.id], where), column, direction, lead)
        return list(session.scalars(stmt.offset(start).limit(limit)))
    # Rows with a value first, in order; then the empty ones by id in the same direction.
    with_value = _ordered(_base(ctx, [A.id], where + [filled(col_id, lead)]), column, direction, lead)
    ids = list(session.scalars(with_value.offset(start).limit(limit)))
    if len(ids) == limit:
        return ids
    if ids:
        empty_offset = 0
    else:
        filled_count = session.execute(
            _base(ctx, [func.count()], where + [filled(col_id)]).select_from(A)).scalar_one()
        empty_offset = start - filled_count
    rest = _base(ctx, [A.id], where + [empty(col_id)])
    rest = rest.order_by(A.id.desc() if direction == "desc" else A.id.asc())
    ids.extend(session.scalars(rest.offset(empty_offset).limit(limit - len(ids))))
    return ids


@dataclass
class RegistryRow:
    id: int
    kind: str
    status: str
    is_open: bool
    registration_number: str | None
    registration_date: date | None
    applicant_name: str
    applicant_id: str  # IIN (masked unless the user may read IINs) or BIN
    akimat_kk: str | None
    akimat_ru: str | None
    reviewer: str | None
    due_date: date | None
    policy: str | None
    contract_number: str | None
    days_wd: int | None = None  # working days left (negative: overdue)
    days_cd: int | None = None  # calendar days left (negative: overdue)
    state: str | None = None  # on_track | due_soon | overdue | None (closed / no running clock)

    def akimat(self, lang: str) -> str:
        return (self.akimat_ru if lang == "ru" else self.akimat_kk) or ""


Reviewer = aliased(User)


def _detail_columns():
    return (A.id, A.kind, A.status, A.is_open, A.registration_number, A.registration_date, A.applicant_name,
            A.applicant_iin, A.applicant_bin, Akimat.name_kk, Akimat.name_ru, Reviewer.full_name,
            A.current_due_date, A.current_policy, A.contract_number)


def _detail_query(columns=None) -> Select:
    return (select(*(columns or _detail_columns()))
            .select_from(A)
            .outerjoin(Akimat, Akimat.id == A.akimat_id)
            .outerjoin(Reviewer, Reviewer.id == A.reviewer_id))


def _to_row(ctx: QueryContext, r) -> RegistryRow:
    (ident, kind, status, is_open, number, reg_date, name, iin, bin_, ak_kk, ak_ru, reviewer, due, policy,
     contract) = r
    if iin:
        shown = iin if ctx.may_read_iin else mask_iin(iin)
    else:
        shown = bin_ or ""
    row = RegistryRow(ident, kind, status, bool(is_open), number, reg_date, name, shown, ak_kk, ak_ru, reviewer,
                      due, policy, contract)
    annotate_days(ctx, row)
    return row


def annotate_days(ctx: QueryContext, row: RegistryRow) -> None:
    """Days left / overdue (working and calendar) and the state, for an open row with a due date."""
    if not row.is_open or row.due_date is None:
        return
    row.days_wd = workday_counter(ctx.cal).between(ctx.today, row.due_date)
    row.days_cd = (row.due_date - ctx.today).days
    if ctx.today > row.due_date:
        row.state = "overdue"
        return
    warn = 2
    if row.policy:
        try:
            warn = ctx.policies.in_force(row.policy, ctx.today).warn_wd
        except Exception:  # noqa: BLE001 - an unknown policy code keeps the default window
            warn = 2
    # as the SQL filter (data.queries.overview.due_soon_condition): due no later than the
    # warn-th working day after today
    row.state = "due_soon" if row.due_date <= ctx.cal.add_working_days(ctx.today, warn) else "on_track"


def rows_by_ids(session: Session, ctx: QueryContext, ids: Sequence[int]) -> list[RegistryRow]:
    if not ids:
        return []
    found = {r[0]: r for r in session.execute(_detail_query().where(A.id.in_(list(ids))))}
    return [_to_row(ctx, found[i]) for i in ids if i in found]


@dataclass
class Block:
    rows: list[RegistryRow]
    count: int | None  # exact total when known (first block, or a short block), else None
    at_least: int | None = None  # a first block over COUNT_CAP rows: "more than this many"


def fetch_block(session: Session, ctx: QueryContext, filters: RegistryFilters, start: int, end: int,
                sort_model: Sequence[Mapping[str, Any]] | None = None,
                filter_model: Mapping[str, Any] | None = None, *, with_count: bool | None = None) -> Block:
    """One block of the grid: rows [start, end) and, with the first block, the count.

    The count is exact up to ``COUNT_CAP`` rows; a broader filter says "more than COUNT_CAP" and
    the grid keeps extending its scroll until a short block gives the exact end. A short block
    always knows the exact total without counting. This is the function the grid's callback
    calls (and bench/registry.py times).
    """
    sort = sort_from_model(sort_model, filters.sort)
    ids = page_ids(session, ctx, filters, start, end, sort, filter_model)
    rows = rows_by_ids(session, ctx, ids)
    want = max(0, min(int(end) - int(start), MAX_BLOCK))
    if len(ids) < want and (ids or start == 0):
        return Block(rows, int(start) + len(ids))
    if with_count or (with_count is None and int(start) == 0):
        n, exact = count_rows_capped(session, ctx, filters, filter_model)
        return Block(rows, n, None) if exact else Block(rows, None, n)
    return Block(rows, None)


def iter_export(session: Session, ctx: QueryContext, filters: RegistryFilters,
                sort_model: Sequence[Mapping[str, Any]] | None = None,
                filter_model: Mapping[str, Any] | None = None, chunk: int = 2000) -> Iterable[RegistryRow]:
    """Every row the filters select, in sort order, read in chunks (for the CSV export)."""
    col_id, direction = sort_from_model(sort_model, filters.sort)
    column, nullable = SORT_COLUMN[col_id]
    where = conditions(session, ctx, filters, filter_model)
    parts = [where + [filled(col_id)], where + [empty(col_id)]] if nullable else [where]
    for index, part in enumerate(parts):
        stmt = scope_applications(_detail_query().where(*part), ctx.user)
        if index == 0:
            stmt = _ordered(stmt, column, direction)
        else:
            stmt = stmt.order_by(A.id.desc() if direction == "desc" else A.id.asc())
        for r in session.execute(stmt.execution_options(yield_per=chunk)):
            yield _to_row(ctx, r)


def parse_grid_json(text: str | None) -> Any:
    """The grid's filter/sort model as passed in an export link (JSON); None when absent."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise GridRequestError("not JSON") from exc


# -- choices for the filter form -----------------------------------------------------------------
@dataclass
class Choice:
    value: str
    kk: str
    ru: str
    indent: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def label(self, lang: str) -> str:
        return self.ru if lang == "ru" else self.kk


def akimat_choices(session: Session) -> list[Choice]:
    """Regions and cities, each followed by its districts (indented)."""
    rows = session.execute(select(Akimat.id, Akimat.kato, Akimat.name_kk, Akimat.name_ru, Akimat.parent_id)
                           .order_by(Akimat.kato)).all()
    by_parent: dict[int | None, list] = {}
    for row in rows:
        by_parent.setdefault(row.parent_id, []).append(row)
    out: list[Choice] = []

    def walk(parent: int | None, depth: int) -> None:
        for row in by_parent.get(parent, []):
            out.append(Choice(row.kato, row.name_kk, row.name_ru, indent=depth > 0))
            walk(row.id, depth + 1)

    walk(None, 0)
    return out


def reviewer_choices(session: Session, user: User) -> list[Choice]:
    """The reviewers the user may filter by: everybody for managers and admins, the colleagues
    of their department for a reviewer."""
    stmt = select(User.id, User.full_name).where(User.role == "reviewer", User.is_active.is_(True))
    if user.role == "reviewer":
        stmt = stmt.where(or_(User.id == user.id, User.department == user.department)
                          if user.department else User.id == user.id)
    return [Choice(str(i), n, n) for i, n in session.execute(stmt.order_by(User.full_name))]


def status_choices() -> list[Choice]:
    """One choice per status; a code whose labels differ between the kinds gets one per kind."""
    out: list[Choice] = []
    seen: dict[str, tuple[str, str]] = {}
    per_code: dict[str, list[tuple[str, Any]]] = {}
    for kind in APPLICATION_KINDS:
        for status in WORKFLOWS[kind].statuses:
            per_code.setdefault(status.code, []).append((kind, status))
    for kind in APPLICATION_KINDS:
        for status in WORKFLOWS[kind].statuses:
            entries = per_code[status.code]
            same = len({(s.kk, s.ru) for _k, s in entries}) == 1
            if same:
                if status.code in seen:
                    continue
                seen[status.code] = (status.kk, status.ru)
                out.append(Choice(status.code, status.kk, status.ru, extra={"color": status.color}))
            else:
                out.append(Choice(f"{kind}:{status.code}", status.kk, status.ru,
                                  extra={"color": status.color, "kind": kind}))
    return out


def with_sort(filters: RegistryFilters, sort: tuple[str, str] | None) -> RegistryFilters:
    if not sort or sort == DEFAULT_SORT:
        return replace(filters, sort=None)
    col_id, direction = sort
    return replace(filters, sort=("-" if direction == "desc" else "") + col_id)
