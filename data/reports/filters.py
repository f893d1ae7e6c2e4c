"""The filter of a report (period, application kind, akimat or region, reviewer, the registry's
filter for the register extract, the CSV separator) and its check against the database."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.errors import DomainError
from data.models import User
from data.statuses import APPLICATION_KINDS

KINDS = ("sla", "backlog", "lists", "complaints", "register")
FORMATS = ("xlsx", "csv", "pdf")
DELIMITERS = (",", ";")
DEFAULT_PERIOD_DAYS = 30
MAX_PERIOD_DAYS = 366 * 5
KATO_RE = re.compile(r"^\d{9}$")
# The registry's URL parameters (data/queries/registry.py) plus the grid's column filters.
REGISTRY_KEYS = ("kind", "status", "akimat", "reviewer", "state", "from", "to", "q", "sort", "grid",
                 "overdue", "due_soon", "mine")


def _day(value: Any, name: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    from data.queries.registry import parse_day

    day = parse_day(str(value))
    if day is None:
        raise DomainError("reports_bad_date", field=name, value=str(value)[:40])
    return day


@dataclass(frozen=True)
class ReportFilters:
    """What a report is narrowed to. ``date_from`` / ``date_to`` (inclusive, local dates) default
    to the last 30 days ending today; the register extract takes its rows from ``registry`` (the
    registry page's filter: its URL parameters, plus ``grid``, the grid's column filters) and,
    without it, from kind / akimat / reviewer / the registration dates given here (no default
    period: the register is not a period report)."""

    date_from: date | None = None
    date_to: date | None = None
    kind: str | None = None
    akimat_kato: str | None = None
    reviewer_id: int | None = None
    registry: dict | None = field(default=None, hash=False, compare=True)
    csv_delimiter: str = ","

    def to_json(self) -> dict:
        return {
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "kind": self.kind,
            "akimat_kato": self.akimat_kato,
            "reviewer_id": self.reviewer_id,
            "registry": dict(self.registry) if self.registry else None,
            "csv_delimiter": self.csv_delimiter,
        }

    @classmethod
    def from_json(cls, d: dict | None) -> "ReportFilters":
        """Back from ``to_json`` (or a form / command line: dates ISO or dd.mm.yyyy). A value that
        cannot be read raises ``DomainError`` naming it."""
        d = dict(d or {})
        unknown = sorted(set(d) - {"date_from", "date_to", "kind", "akimat_kato", "reviewer_id", "registry",
                                   "csv_delimiter"})
        if unknown:
            raise DomainError("reports_bad_filter", field=unknown[0])
        reviewer = d.get("reviewer_id")
        if reviewer in ("", None):
            reviewer = None
        else:
            try:
                reviewer = int(reviewer)
            except (TypeError, ValueError):
                raise DomainError("reports_bad_reviewer", value=str(reviewer)[:40]) from None
        registry = d.get("registry")
        if registry is not None and not isinstance(registry, dict):
            raise DomainError("reports_bad_filter", field="registry")
        return cls(
            date_from=_day(d.get("date_from"), "date_from"),
            date_to=_day(d.get("date_to"), "date_to"),
            kind=(d.get("kind") or None),
            akimat_kato=(str(d["akimat_kato"]).strip() if d.get("akimat_kato") else None),
            reviewer_id=reviewer,
            registry=registry or None,
            csv_delimiter=d.get("csv_delimiter") or ",",
        )

    def period(self, today: date) -> tuple[date, date]:
        """(first day, last day), both inclusive, with the defaults filled in."""
        end = self.date_to or today
        start = self.date_from or (end - timedelta(days=DEFAULT_PERIOD_DAYS - 1))
        return start, end


@dataclass(frozen=True)
class Resolved:
    """A checked filter: the period, and the akimat ids it covers (None: no akimat filter)."""

    filters: ReportFilters
    date_from: date
    date_to: date
    akimat_ids: frozenset[int] | None
    akimat_name: tuple[str, str] | None  # (kk, ru)
    reviewer_name: str | None


def check(session: Session, kind: str, fmt: str | None, filters: ReportFilters, today: date) -> Resolved:
    """Refuse a bad kind, format or filter with a message naming it; resolve the akimat subtree."""
    if kind not in KINDS:
        raise DomainError("reports_unknown_kind", value=str(kind)[:40], known=", ".join(KINDS))
    if fmt is not None and fmt not in FORMATS:
        raise DomainError("reports_unknown_format", value=str(fmt)[:40], known=", ".join(FORMATS))
    if not isinstance(filters, ReportFilters):
        raise DomainError("reports_bad_filter", field="filters")
    if filters.kind is not None and filters.kind not in APPLICATION_KINDS:
        raise DomainError("reports_bad_application_kind", value=str(filters.kind)[:40],
                          known=", ".join(APPLICATION_KINDS))
    if filters.csv_delimiter not in DELIMITERS:
        raise DomainError("reports_bad_delimiter", value=str(filters.csv_delimiter)[:10])
    start, end = filters.period(today)
    if start > end:
        raise DomainError("reports_date_order", date_from=start.strftime("%d.%m.%Y"),
                          date_to=end.strftime("%d.%m.%Y"))
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise DomainError("reports_period_too_long", days=MAX_PERIOD_DAYS)
    ids = None
    akimat_name = None
    if filters.akimat_kato is not None:
        kato = str(filters.akimat_kato)
        if not KATO_RE.match(kato):
            raise DomainError("reports_bad_kato", value=kato[:40])
        from data.queries.overview import load_akimats

        akimats = load_akimats(session)
        node = akimats.by_kato.get(kato)
        if node is None:
            raise DomainError("reports_unknown_akimat", value=kato)
        ids = frozenset(akimats.subtree(node.id))
        akimat_name = (node.name_kk, node.name_ru)
    reviewer_name = None
    if filters.reviewer_id is not None:
        reviewer_name = session.scalar(select(User.full_name).where(User.id == filters.reviewer_id))
        if reviewer_name is None:
            raise DomainError("reports_unknown_reviewer", value=str(filters.reviewer_id))
    if filters.registry is not None:
        bad = sorted(k for k in filters.registry if k not in REGISTRY_KEYS)
        if bad:
            raise DomainError("reports_bad_filter", field=f"registry.{bad[0]}")
    return Resolved(filters, start, end, ids, akimat_name, reviewer_name)
