"""The recipients registry (/recipients): filtering, sorting and paging in SQL for the grid's
infinite row model.

Quick filters (the page's form and URL): ``status`` (listed | notified | applied | expired),
``akimat`` (an akimat id; ignored for akimat users, who see only their own), ``batch`` (a batch
id), ``q`` (the start of the name, or of the IIN for users who may read IINs). The grid's column
filters and sort arrive as AG Grid models; only the whitelisted columns and operators are
accepted (anything else is a ``GridRequestError``) and every value is a bound parameter — the
text and date conditions are ``data.queries.registry``'s own translators.

The application window is the recipient's ``applicant_submission`` clock (15 calendar days from
the SMS); its due date sorts and filters like a column; days left are calendar days.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, true
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from data.access import IIN_FULL_ROLES, can, mask_iin, scope_recipients
from data.models import Akimat, Clock, Recipient, User
from data.queries.registry import (
    DATE_OPS,
    TEXT_OPS,
    GridRequestError,
    _date_condition,
    _prefix,
    _text_condition,
    case_variants,
    clean_text,
)

STATUSES = ("listed", "notified", "applied", "expired")
OPEN_STATUSES = ("listed", "notified")
MAX_BLOCK = 500
POLICY = "applicant_submission"

# A recipient has at most one application window (listed -> notified happens once), so the
# window is a plain outer join on the clocks' recipient index.
_clock = aliased(Clock, name="window_clock")
_window_join = and_(_clock.recipient_id == Recipient.id, _clock.policy_code == POLICY)

TEXT_COLUMNS = {"full_name": Recipient.full_name, "phone": Recipient.phone, "iin": Recipient.iin}
DATE_COLUMNS = {"window_due": _clock.due_date}
SORT_COLUMNS = {
    "full_name": Recipient.full_name,
    "status": Recipient.status,
    "window_due": _clock.due_date,
    "days": _clock.due_date,
    "batch_id": Recipient.batch_id,
    "created": Recipient.id,
}
DEFAULT_SORT = ("created", "desc")


@dataclass(frozen=True)
class RecipientFilters:
    statuses: tuple[str, ...] = ()
    akimat_id: int | None = None
    batch_id: int | None = None
    q: str = ""

    def as_params(self) -> dict[str, str]:
        params: dict[str, str] = {}
        if self.statuses:
            params["status"] = ",".join(self.statuses)
        if self.akimat_id:
            params["akimat"] = str(self.akimat_id)
        if self.batch_id:
            params["batch"] = str(self.batch_id)
        if self.q:
            params["q"] = self.q
        return params


def _id(value: Any) -> int | None:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 12 else None


def parse_filters(params: Mapping[str, Any]) -> tuple[RecipientFilters, list[str]]:
    """The quick filters from a query string's dict; the names of the parameters that could not be
    read (they are left out)."""
    bad: list[str] = []
    raw_status = params.get("status")
    if isinstance(raw_status, (list, tuple)):
        raw_status = ",".join(str(s) for s in raw_status)
    statuses: list[str] = []
    for code in str(raw_status or "").split(","):
        code = code.strip()
        if not code:
            continue
        if code in STATUSES:
            if code not in statuses:
                statuses.append(code)
        elif "status" not in bad:
            bad.append("status")
    found = {}
    for name in ("akimat", "batch"):
        value = params.get(name)
        found[name] = _id(value)
        if value not in (None, "", []) and found[name] is None:
            bad.append(name)
    q = params.get("q")
    if isinstance(q, (list, tuple)):
        q = q[0] if q else ""
    return RecipientFilters(tuple(statuses), found["akimat"], found["batch"], clean_text(q or "")[:100]), bad


def may_read_iin(user: User) -> bool:
    return user.role in IIN_FULL_ROLES and can(user, "iin.read")


# -- conditions ---------------------------------------------------------------------------------------
def _one_condition(col_id: str, model: Mapping[str, Any], dialect: str, iin_ok: bool) -> ColumnElement:
    if not isinstance(model, Mapping):
        raise GridRequestError("filter model entry is not an object")
    conditions = model.get("conditions")
    if conditions is not None:
        if not isinstance(conditions, list) or len(conditions) > 4:
            raise GridRequestError("too many conditions")
        operator = str(model.get("operator", "AND")).upper()
        if operator not in ("AND", "OR"):
            raise GridRequestError(f"operator {operator!r}")
        parts = [_one_condition(col_id, c, dialect, iin_ok) for c in conditions]
        return (and_(*parts) if operator == "AND" else or_(*parts)) if parts else true()
    op = model.get("type")
    if col_id in TEXT_COLUMNS:
        if col_id == "iin" and not iin_ok:
            raise GridRequestError("IIN filter for a user who sees masked IINs")
        if model.get("filterType", "text") != "text" or op not in TEXT_OPS:
            raise GridRequestError(f"text filter {model!r}")
        return _text_condition(TEXT_COLUMNS[col_id], op, model.get("filter"), dialect)
    if col_id in DATE_COLUMNS:
        if model.get("filterType", "date") != "date" or op not in DATE_OPS:
            raise GridRequestError(f"date filter {model!r}")
        return _date_condition(DATE_COLUMNS[col_id], op, model)
    raise GridRequestError(f"column {col_id!r} cannot be filtered")


def grid_conditions(filter_model: Mapping[str, Any] | None, dialect: str, iin_ok: bool) -> list[ColumnElement]:
    if not filter_model:
        return []
    if not isinstance(filter_model, Mapping) or len(filter_model) > 8:
        raise GridRequestError("filter model is not an object")
    return [_one_condition(col_id, model, dialect, iin_ok) for col_id, model in filter_model.items()]


def conditions(session: Session, user: User, filters: RecipientFilters,
               filter_model: Mapping[str, Any] | None) -> list[ColumnElement]:
    dialect = session.get_bind().dialect.name
    iin_ok = may_read_iin(user)
    where: list[ColumnElement] = []
    if filters.statuses:
        where.append(Recipient.status.in_(filters.statuses))
    if filters.akimat_id and user.role != "akimat":
        where.append(Recipient.akimat_id == filters.akimat_id)
    if filters.batch_id:
        where.append(Recipient.batch_id == filters.batch_id)
    if filters.q:
        parts = [_prefix(Recipient.full_name, v, dialect) for v in case_variants(filters.q)]
        if iin_ok and filters.q.isdigit() and len(filters.q) <= 12:
            parts.append(_prefix(Recipient.iin, filters.q, dialect))
        where.append(or_(*parts))
    where.extend(grid_conditions(filter_model, dialect, iin_ok))
    return where


def sort_from_model(sort_model: Sequence[Mapping[str, Any]] | None) -> tuple[str, str]:
    if not sort_model:
        return DEFAULT_SORT
    if not isinstance(sort_model, (list, tuple)) or not isinstance(sort_model[0], Mapping):
        raise GridRequestError("sort model is not a list of objects")
    col_id, direction = sort_model[0].get("colId"), sort_model[0].get("sort")
    if col_id not in SORT_COLUMNS or direction not in ("asc", "desc"):
        raise GridRequestError(f"sort {sort_model[0]!r}")
    return col_id, direction


NULLABLE_SORTS = ("window_due", "days", "batch_id")


def _base(columns, user: User, where: list[ColumnElement], with_clock: bool = True) -> Select:
    """The scoped statement; the window clock is joined only when something needs it (a count
    without a window filter reads the recipients alone)."""
    stmt = select(*columns).select_from(Recipient)
    if with_clock:
        stmt = stmt.outerjoin(_clock, _window_join)
    return scope_recipients(stmt.where(*where), user)


# -- rows ---------------------------------------------------------------------------------------------
@dataclass
class RecipientRow:
    id: int
    iin: str
    full_name: str
    category: str
    phone: str | None
    akimat_kato: str
    akimat_kk: str
    akimat_ru: str
    batch_id: int | None
    status: str
    notified_at: datetime | None
    window_due: date | None
    application_id: int | None
    days_left: int | None = None  # calendar days to the window's end (negative: past), notified only

    def akimat(self, lang: str) -> str:
        return self.akimat_ru if lang == "ru" else self.akimat_kk


@dataclass
class Block:
    rows: list[RecipientRow]
    count: int


def fetch_block(session: Session, user: User, today: date, filters: RecipientFilters, start: int, end: int,
                sort_model: Sequence[Mapping[str, Any]] | None = None,
                filter_model: Mapping[str, Any] | None = None) -> Block:
    """Rows ``[start, end)`` of the filtered, sorted recipients the user may see, and the count.
    Empty values sort last in either direction; the id breaks ties so blocks never overlap."""
    col_id, direction = sort_from_model(sort_model)
    where = conditions(session, user, filters, filter_model)
    start = max(0, int(start))
    end = max(start, min(int(end), start + MAX_BLOCK))
    column = SORT_COLUMNS[col_id]
    order = [column.is_(None)] if col_id in NULLABLE_SORTS else []  # empty values last, either direction
    order.append(column.desc() if direction == "desc" else column.asc())
    if column is not Recipient.id:
        order.append(Recipient.id.desc() if direction == "desc" else Recipient.id.asc())
    columns = (Recipient.id, Recipient.iin, Recipient.full_name, Recipient.category, Recipient.phone, Akimat.kato,
               Akimat.name_kk, Akimat.name_ru, Recipient.batch_id, Recipient.status, Recipient.notified_at,
               _clock.due_date, Recipient.application_id)
    stmt = _base(columns, user, where).join(Akimat, Akimat.id == Recipient.akimat_id) \
        .order_by(*order).offset(start).limit(end - start)
    iin_ok = may_read_iin(user)
    rows = []
    for r in session.execute(stmt):
        row = RecipientRow(*r)
        if not iin_ok:
            row.iin = mask_iin(row.iin)
        if row.status == "notified" and row.window_due is not None:
            row.days_left = (row.window_due - today).days
        rows.append(row)
    if start == 0 and len(rows) < end - start:
        count = len(rows)
    else:
        needs_clock = bool(filter_model) and "window_due" in filter_model
        count = session.scalar(_base((func.count(),), user, where, with_clock=needs_clock)) or 0
    return Block(rows, count)


__all__ = [
    "STATUSES",
    "Block",
    "RecipientFilters",
    "RecipientRow",
    "fetch_block",
    "may_read_iin",
    "parse_filters",
    "sort_from_model",
]
