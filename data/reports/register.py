"""The register extract: the registry's current filter, every column, streamed from SQL.

The rows are exactly the registry's (``data.queries.registry``: its filter translation, its
scoping, its sort, its day counting); this module only decides the columns. The registry's CSV
route (``routes/registry_export.py``) writes the same columns through the same CSV writer.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from data.access import IIN_FULL_ROLES, can
from data.errors import DomainError
from data.i18n import t
from data.models import User
from data.queries import registry as reg
from data.reports.model import DATE, INT, TEXT, Column, Figure, Table
from data.statuses import WORKFLOWS

COLUMN_KEYS: tuple[tuple[str, str], ...] = (
    ("registry.col.id", INT),
    ("registry.col.registration_number", TEXT),
    ("registry.col.registration_date", DATE),
    ("registry.col.kind", TEXT),
    ("registry.col.applicant_name", TEXT),
    ("registry.col.applicant_id", TEXT),
    ("registry.col.akimat", TEXT),
    ("registry.col.status", TEXT),
    ("registry.col.reviewer", TEXT),
    ("registry.col.due_date", DATE),
    ("registry.csv.state", TEXT),
    ("registry.csv.days_wd", INT),
    ("registry.csv.days_cd", INT),
    ("registry.col.contract_number", TEXT),
)
WIDTHS = (9, 18, 12, 18, 36, 15, 30, 30, 26, 12, 16, 14, 14, 18)


def columns(lang: str) -> list[Column]:
    return [Column(t(key, lang), kind, width) for (key, kind), width in zip(COLUMN_KEYS, WIDTHS)]


def header(lang: str) -> list[str]:
    return [c.label for c in columns(lang)]


def types() -> list[str]:
    return [kind for _key, kind in COLUMN_KEYS]


def row_values(row: reg.RegistryRow, lang: str) -> list[Any]:
    """One registry row as typed values (dates as dates, counts as numbers)."""
    workflow = WORKFLOWS.get(row.kind)
    status = workflow.by_code.get(row.status) if workflow else None
    state = t(f"registry.state.{row.state}", lang) if row.state else (
        t("registry.csv.open", lang) if row.is_open else t("registry.csv.closed", lang))
    return [row.id, row.registration_number, row.registration_date, t(f"kind.{row.kind}.short", lang),
            row.applicant_name, row.applicant_id, row.akimat(lang), status.label(lang) if status else row.status,
            row.reviewer, row.due_date if row.is_open else None, state,
            _abs(row.days_wd), _abs(row.days_cd), row.contract_number]


def _abs(value: int | None) -> int | None:
    """Days as a plain count; whether they are left or overdue is the state column."""
    return None if value is None else abs(value)


@dataclass
class ReportQueryContext(reg.QueryContext):
    """The registry's context with the IIN rule of exports: full IINs only for a user whose role
    may see them (``IIN_FULL_ROLES``) and who has ``iin.read``; masked otherwise, and always for
    the system (scheduled reports, the command line without --as): those files land on disk."""

    iin_visible: bool = False

    @property
    def may_read_iin(self) -> bool:
        return self.iin_visible


SYSTEM_USERNAME = "system"


def system_user() -> User:
    """A stand-in for "the system" (not stored): reads everything, like a manager."""
    return User(id=None, username=SYSTEM_USERNAME, full_name=SYSTEM_USERNAME, role="manager", is_active=True)


def iin_visible(user: User | None) -> bool:
    return user is not None and user.role in IIN_FULL_ROLES and can(user, "iin.read")


def registry_params(resolved) -> dict[str, Any]:
    """The registry parameters of a report filter: ``filters.registry`` as it is, or, without it,
    kind / akimat / reviewer / registration dates from the report's own fields."""
    f = resolved.filters
    if f.registry is not None:
        return dict(f.registry)
    params: dict[str, Any] = {}
    if f.kind:
        params["kind"] = f.kind
    if f.akimat_kato:
        params["akimat"] = f.akimat_kato
    if f.reviewer_id is not None:
        params["reviewer"] = str(f.reviewer_id)
    if f.date_from:
        params["from"] = f.date_from.isoformat()
    if f.date_to:
        params["to"] = f.date_to.isoformat()
    return params


@dataclass
class RegisterQuery:
    ctx: reg.QueryContext
    filters: reg.RegistryFilters
    grid: Mapping[str, Any] | None
    params: dict[str, Any]


def prepare(session: Session, resolved, user: User | None, today: date) -> RegisterQuery:
    """Read and check the registry filter; a bad grid filter or an unreadable value is refused."""
    params = registry_params(resolved)
    plain = {k: v for k, v in params.items() if k != "grid"}
    filters, problems = reg.parse_filters(plain)
    if problems:
        p = problems[0]
        raise DomainError("reports_bad_registry_filter", field=p.param, value=str(p.value)[:40])
    grid = params.get("grid")
    try:
        grid = reg.parse_grid_json(grid) if isinstance(grid, str) else grid
        base = reg.query_context(session, user or system_user(), today)
        ctx = ReportQueryContext(**{f.name: getattr(base, f.name) for f in fields(base)},
                                 iin_visible=iin_visible(user))
        reg.conditions(session, ctx, filters, grid)  # a bad column filter is refused here
    except (reg.GridRequestError, ValueError):
        raise DomainError("reports_bad_registry_filter", field="grid", value=str(params.get("grid"))[:40]) from None
    return RegisterQuery(ctx, filters, grid, params)


def build(session: Session, report, resolved, user: User | None, today: date, *, preview: bool = False) -> None:
    lang = report.lang
    query = prepare(session, resolved, user, today)
    total = reg.count_rows(session, query.ctx, query.filters, query.grid)
    report.figures.append(Figure(t("reports.register.rows", lang), total, INT))
    report.filter_lines[:] = _filter_lines(query, lang)
    report.csv_table_only = True
    if not query.ctx.may_read_iin:
        report.notes.append(t("reports.register.masked", lang))
    if preview:
        return

    def rows() -> Iterator[list[Any]]:
        for row in reg.iter_export(session, query.ctx, query.filters, None, query.grid):
            yield row_values(row, lang)

    report.tables.append(Table(t("reports.sheet.register", lang), t("reports.register.title", lang),
                               columns(lang), rows(), total=total))


def _filter_lines(query: RegisterQuery, lang: str) -> list[tuple[str, str]]:
    shown = {k: v for k, v in query.filters.as_params().items()}
    if query.grid:
        shown["grid"] = json.dumps(query.grid, ensure_ascii=False)
    if not shown:
        return [(t("reports.filter.registry", lang), t("reports.filter.none", lang))]
    return [(t("reports.filter.registry", lang), "; ".join(f"{k}={v}" for k, v in shown.items()))]
