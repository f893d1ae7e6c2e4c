"""Searching the audit trail (the admins' /audit page and its CSV), and the logged IIN reveal.

The audit table is append-only (database triggers refuse UPDATE and DELETE); nothing here
writes to it except ``audit.record`` for a reveal or an export, which are themselves audited
events. Paging and sorting are done in SQL for AG Grid's infinite row model: the grid's
sortModel and column filters go through the registry's translators (``sort_from_model``,
``_text_condition``), so every value is a bound parameter and only whitelisted columns and
operators are accepted.

Filters (the page's form, also the export's URL parameters):
``from``/``to`` (dd.mm.yyyy, local days, inclusive), ``actor`` (user id), ``action`` (codes,
comma separated), ``entity`` (type) and ``entity_id``, ``q`` (free text over the details, the
before/after values, the actor's name, the entity id and the address).
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session, aliased

from data import audit
from data.access import can, mask_iin, scope_applications, scope_complaints, scope_recipients
from data.config import LOCAL_TZ
from data.errors import DomainError
from data.models import Application, Complaint, Guarantor, Recipient, User
from data.models.audit import AuditEntry
from data.queries.registry import (
    MAX_BLOCK,
    GridRequestError,
    _contains,
    _text_condition,
    case_variants,
    clean_text,
    parse_day,
    sort_from_model,
)

E = AuditEntry

# Every action the code writes, in the order the filter lists them (labels: audit.action.<code>).
ACTIONS = (
    "sign_in", "sign_in_failed", "sign_out",
    "export", "iin_reveal",
    "create", "status_change", "assign", "note",
    "complaint_register", "complaint_review", "complaint_extend", "complaint_notice", "complaint_answer",
    "complaint_assign", "complaint_escalate",
    "list_import", "list_load", "recipients_notified", "recipients_expired",
    "report.download",
    "calendar_override", "jobs.run_now",
    "user_created", "password_set", "user_deactivated",
)
# Entity types (labels: audit.entity.<code>); application and complaint rows link to their page.
ENTITIES = ("application", "complaint", "recipient", "list_batch", "calendar", "user", "registry", "report_run",
            "report", "job", "audit")
ENTITY_LINKS = {"application": "/applications/{id}", "complaint": "/complaints/{id}"}

MAX_TEXT = 100
COUNT_CAP = 100_000
DEFAULT_SORT = ("at", "desc")
# Sortable: time (its index) and action (the (action, at) index); the rest is filtered, not sorted.
SORT_COLUMNS = {"at": (E.at,), "action": (E.action, E.at)}
TEXT_FILTER_COLUMNS = {"actor": E.actor_name, "entity_id": E.entity_id, "ip": E.ip}
IIN_LIKE = re.compile(r"(?<!\d)(\d{12})(?!\d)")


# -- filters ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FilterProblem:
    param: str
    code: str  # audit.problem.<code>
    value: str = ""


@dataclass(frozen=True)
class AuditFilters:
    date_from: date | None = None
    date_to: date | None = None
    actor_id: int | None = None
    actions: tuple[str, ...] = ()
    entity: str | None = None
    entity_id: str | None = None
    q: str = ""

    def as_params(self) -> dict[str, str]:
        params = {
            "from": self.date_from.strftime("%d.%m.%Y") if self.date_from else "",
            "to": self.date_to.strftime("%d.%m.%Y") if self.date_to else "",
            "actor": str(self.actor_id) if self.actor_id else "",
            "action": ",".join(self.actions),
            "entity": self.entity or "",
            "entity_id": self.entity_id or "",
            "q": self.q,
        }
        return {key: value for key, value in params.items() if value}


def _first(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return "" if value is None else str(value)


def parse_filters(params: Mapping[str, Any]) -> tuple[AuditFilters, list[FilterProblem]]:
    """The filters from the form or the URL; what cannot be read is reported and left out."""
    problems: list[FilterProblem] = []
    days: dict[str, date | None] = {}
    for name in ("from", "to"):
        text = clean_text(_first(params.get(name)))[:20]
        days[name] = None
        if text:
            day = parse_day(text)
            if day is None:
                problems.append(FilterProblem(name, "bad_date", text))
            else:
                days[name] = day
    if days["from"] and days["to"] and days["from"] > days["to"]:
        problems.append(FilterProblem("to", "range", days["to"].strftime("%d.%m.%Y")))
        days["to"] = None
    actor_text = clean_text(_first(params.get("actor")))
    actor_id = None
    if actor_text:
        if actor_text.isdigit() and len(actor_text) <= 9:
            actor_id = int(actor_text)
        else:
            problems.append(FilterProblem("actor", "bad_actor", actor_text[:20]))
    raw_actions = params.get("action")
    if isinstance(raw_actions, str):
        raw_actions = raw_actions.split(",")
    actions: list[str] = []
    for code in raw_actions or []:
        code = clean_text(str(code))
        if not code:
            continue
        if code in ACTIONS:
            if code not in actions:
                actions.append(code)
        else:
            problems.append(FilterProblem("action", "bad_action", code[:40]))
    entity = clean_text(_first(params.get("entity"))) or None
    if entity and entity not in ENTITIES:
        problems.append(FilterProblem("entity", "bad_entity", entity[:40]))
        entity = None
    entity_id = clean_text(_first(params.get("entity_id")))[:40] or None
    q = clean_text(_first(params.get("q")))[:MAX_TEXT]
    return AuditFilters(days["from"], days["to"], actor_id, tuple(actions), entity, entity_id, q), problems


def filters_from_json(data: Mapping[str, Any] | None) -> AuditFilters:
    filters, _problems = parse_filters(data or {})
    return filters


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=LOCAL_TZ)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def text_condition(q: str, dialect: str):
    """``q`` anywhere in the details, the before/after values, the actor's name, the entity id
    or the address (case as typed, lower, upper or capitalised)."""
    plain_columns = (E.detail, E.actor_name, E.entity_id, E.ip)
    json_columns = (cast(E.before, String), cast(E.after, String))
    parts = [_text_condition(column, "contains", q, dialect) for column in plain_columns + json_columns]
    # before/after are stored as JSON text with non-ASCII letters escaped (\u0434…): match that form too
    for variant in case_variants(q):
        escaped = json.dumps(variant)[1:-1]
        if escaped != variant:
            parts.extend(_contains(column, escaped, dialect) for column in json_columns)
    return or_(*parts)


def conditions(filters: AuditFilters, dialect: str, filter_model: Mapping[str, Any] | None = None) -> list:
    where: list = []
    if filters.date_from:
        where.append(E.at >= _start_of(filters.date_from))
    if filters.date_to:
        where.append(E.at < _start_of(filters.date_to + timedelta(days=1)))
    if filters.actor_id:
        where.append(E.actor_id == filters.actor_id)
    if filters.actions:
        where.append(E.action.in_(filters.actions))
    if filters.entity:
        where.append(E.entity == filters.entity)
    if filters.entity_id:
        where.append(E.entity_id == filters.entity_id)
    if filters.q:
        where.append(text_condition(filters.q, dialect))
    where.extend(grid_filter_conditions(filter_model, dialect))
    return where


def grid_filter_conditions(filter_model: Mapping[str, Any] | None, dialect: str) -> list:
    """The grid's own column filters (text columns only) through the registry's translator."""
    if not filter_model:
        return []
    if not isinstance(filter_model, Mapping) or len(filter_model) > len(TEXT_FILTER_COLUMNS):
        raise GridRequestError("filter model is not an object")
    out = []
    for col_id, model in filter_model.items():
        if col_id not in TEXT_FILTER_COLUMNS or not isinstance(model, Mapping):
            raise GridRequestError(f"column {col_id!r} cannot be filtered")
        if model.get("filterType", "text") != "text":
            raise GridRequestError(f"filter {model!r}")
        out.append(_text_condition(TEXT_FILTER_COLUMNS[col_id], model.get("type"), model.get("filter"), dialect))
    return out


# -- rows ---------------------------------------------------------------------------------------
@dataclass
class AuditRow:
    id: int
    at: datetime
    actor_id: int | None
    actor_name: str | None
    actor_full_name: str | None
    action: str
    entity: str | None
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    detail: str | None
    ip: str | None

    @property
    def local_at(self) -> datetime:
        return self.at.astimezone(LOCAL_TZ)

    @property
    def link(self) -> str | None:
        pattern = ENTITY_LINKS.get(self.entity or "")
        if pattern and self.entity_id and self.entity_id.isdigit():
            return pattern.format(id=self.entity_id)
        return None


@dataclass
class Block:
    rows: list[AuditRow]
    count: int | None  # None: not counted (a text search; the grid learns the end by scrolling to it)
    exact: bool = True
    at_least: int = 0


_ACTOR = aliased(User)


def _select(columns, where: list):
    return select(*columns).select_from(E).where(*where)


def _row_columns():
    return (E.id, E.at, E.actor_id, E.actor_name, _ACTOR.full_name, E.action, E.entity, E.entity_id, E.before,
            E.after, E.detail, E.ip)


def _to_row(r) -> AuditRow:
    return AuditRow(*r)


def count(session: Session, filters: AuditFilters, filter_model: Mapping[str, Any] | None = None,
          cap: int = COUNT_CAP) -> tuple[int, bool]:
    """(count, exact); counting stops after ``cap`` rows."""
    where = conditions(filters, _dialect(session), filter_model)
    limited = _select([E.id], where).limit(cap + 1).subquery()
    n = session.execute(select(func.count()).select_from(limited)).scalar_one()
    return (n, True) if n <= cap else (cap, False)


def _ordered(stmt, sort: tuple[str, str]):
    columns = SORT_COLUMNS[sort[0]] + (E.id,)
    if sort[1] == "desc":
        return stmt.order_by(*(c.desc() for c in columns))
    return stmt.order_by(*(c.asc() for c in columns))


def fetch_block(session: Session, filters: AuditFilters, start: int, end: int,
                sort_model: Sequence[Mapping[str, Any]] | None = None,
                filter_model: Mapping[str, Any] | None = None) -> Block:
    """Rows [start, end) in the grid's sort order (newest first by default) and the count.
    Raises GridRequestError for a sort or column filter the page does not offer."""
    sort = sort_from_model(sort_model, None, columns=SORT_COLUMNS, default=DEFAULT_SORT)
    where = conditions(filters, _dialect(session), filter_model)
    start = max(0, int(start))
    limit = max(0, min(int(end) - start, MAX_BLOCK))
    stmt = _ordered(_select(_row_columns(), where).outerjoin(_ACTOR, _ACTOR.id == E.actor_id), sort)
    rows = [_to_row(r) for r in session.execute(stmt.offset(start).limit(limit))] if limit else []
    if len(rows) < limit and (rows or start == 0):
        return Block(rows, start + len(rows), True, start + len(rows))  # the last block: the count is known
    if filters.q or filter_model:
        # A text match is not indexed: counting would read the whole table on every block, while the
        # rows themselves come from walking the time index until a block is full.
        return Block(rows, None, False, start + len(rows))
    n, exact = count(session, filters, filter_model)
    return Block(rows, n, exact, n)


def entry(session: Session, entry_id: Any) -> AuditRow | None:
    try:
        ident = int(entry_id)
    except (TypeError, ValueError):
        return None
    r = session.execute(select(*_row_columns()).select_from(E).outerjoin(_ACTOR, _ACTOR.id == E.actor_id)
                        .where(E.id == ident)).first()
    return _to_row(r) if r else None


def iter_rows(session: Session, filters: AuditFilters, sort: tuple[str, str] = DEFAULT_SORT,
              chunk: int = 2000) -> Iterator[AuditRow]:
    where = conditions(filters, _dialect(session))
    stmt = _ordered(_select(_row_columns(), where).outerjoin(_ACTOR, _ACTOR.id == E.actor_id), sort)
    for r in session.execute(stmt.execution_options(yield_per=chunk)):
        yield _to_row(r)


# -- before -> after, readably ----------------------------------------------------------------------
@dataclass
class Change:
    key: str
    before: Any
    after: Any
    changed: bool


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_flat(inner, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: value} if prefix else {"": value}


def changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[Change]:
    """Before and after side by side, one line per field (nested values as dotted names);
    fields that changed first, in the order the entry wrote them."""
    old = _flat(before) if isinstance(before, Mapping) else ({} if before is None else {"": before})
    new = _flat(after) if isinstance(after, Mapping) else ({} if after is None else {"": after})
    keys = list(old) + [k for k in new if k not in old]
    rows = [Change(k, old.get(k), new.get(k), old.get(k) != new.get(k) or (k in old) != (k in new)) for k in keys]
    return [r for r in rows if r.changed] + [r for r in rows if not r.changed]


def plain(value: Any) -> str:
    """A value of a before/after as text (— for nothing)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, (list, tuple)):
        return ", ".join(plain(v) for v in value) or "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def summary(row: AuditRow, limit: int = 3) -> str:
    """``status: under_review → needs_revision; …`` for the grid cell."""
    parts = []
    for change in changes(row.before, row.after):
        if not change.changed:
            continue
        name = change.key or "value"
        if change.before is None:
            parts.append(f"{name}: {plain(change.after)}")
        elif change.after is None and row.after is not None:
            parts.append(f"{name}: {plain(change.before)} → —")
        else:
            parts.append(f"{name}: {plain(change.before)} → {plain(change.after)}")
    if len(parts) > limit:
        parts = parts[:limit] + ["…"]
    return "; ".join(parts)


def mask_text(text: str | None) -> str | None:
    """Twelve-digit runs (IINs) masked, for readers without ``iin.read``."""
    return IIN_LIKE.sub(lambda m: mask_iin(m.group(1)), text) if text else text


# -- choices for the filter form ---------------------------------------------------------------------
def actor_choices(session: Session) -> list[tuple[int, str]]:
    """Every account (active or not: the trail outlives them), by name."""
    return [(uid, f"{name} ({username})") for uid, name, username in
            session.execute(select(User.id, User.full_name, User.username).order_by(User.full_name, User.id))]


# -- the logged "show" of a masked IIN ---------------------------------------------------------------
REVEALABLE = ("application", "guarantor", "complaint", "recipient")


def reveal_iin(session: Session, user: User, entity: str, entity_id: Any, *, ip: str | None = None) -> str:
    """The full identity number of one item for a user who sees it masked and may reveal it;
    written to the audit trail (action ``iin_reveal``, the entity, who, when, from where).
    A guarantor (``entity_id``: the guarantor's id) is within the scope of their application, and
    its reveal is written against the application, naming the guarantor.

    Refused (DomainError "forbidden") without ``iin.reveal``; an item outside the user's scope
    is "not found" exactly like one that does not exist, so scope cannot be probed."""
    if not can(user, "iin.reveal"):
        raise DomainError("forbidden")
    if entity not in REVEALABLE:
        raise DomainError("audit_reveal_not_found", entity=str(entity)[:20], id=str(entity_id)[:20])
    try:
        ident = int(str(entity_id))
    except (TypeError, ValueError):
        ident = None
    value: str | None = None
    field_name = "iin"
    target, target_id = entity, ident
    if ident is not None:
        if entity == "application":
            row = session.execute(scope_applications(
                select(Application.kind, Application.applicant_iin, Application.applicant_bin)
                .where(Application.id == ident), user)).first()
            if row is not None:
                value = row.applicant_bin if row.kind == "correction" else row.applicant_iin
                field_name = "bin" if row.kind == "correction" else "iin"
                found = True
            else:
                found = False
        elif entity == "guarantor":
            row = session.execute(scope_applications(
                select(Guarantor.iin, Guarantor.application_id)
                .join(Application, Application.id == Guarantor.application_id)
                .where(Guarantor.id == ident), user)).first()
            found = row is not None
            if row is not None:
                value, field_name = row.iin, "guarantor"
                target, target_id = "application", row.application_id
        elif entity == "complaint":
            row = session.execute(scope_complaints(
                select(Complaint.complainant_id_number).where(Complaint.id == ident), user)).first()
            found = row is not None
            value = row[0] if row else None
        else:
            row = session.execute(scope_recipients(select(Recipient.iin).where(Recipient.id == ident), user)).first()
            found = row is not None
            value = row[0] if row else None
    else:
        found = False
    if not found:
        raise DomainError("audit_reveal_not_found", entity=entity, id=str(entity_id)[:20])
    actor = session.get(User, user.id) or user
    params = {"guarantor_id": ident} if field_name == "guarantor" else {}
    audit.record(session, "iin_reveal", actor=actor, entity=target, entity_id=target_id, ip=ip,
                 detail=audit.message(f"audit.msg.iin_reveal.{field_name}", iin=mask_iin(value) or "—", **params))
    return value or ""


__all__ = ["ACTIONS", "ENTITIES", "AuditFilters", "AuditRow", "Block", "Change", "FilterProblem", "actor_choices",
           "changes", "count", "entry", "fetch_block", "filters_from_json", "iter_rows", "mask_text", "parse_filters",
           "plain", "reveal_iin", "summary"]
