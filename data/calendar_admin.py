"""Admins' corrections to the national calendar; every change recomputes the open clocks."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, extract, select
from sqlalchemy.orm import Session

from data import audit
from data.clocks import RecomputeResult, load_context, recompute_open
from data.errors import DomainError
from data.models import CalendarOverride, User
from data.working_calendar import HOLIDAY, WORKDAY


@dataclass
class OverrideChange:
    override: CalendarOverride | None
    recomputed: RecomputeResult


def set_override(session: Session, day: date, kind: str, name: str | None = None,
                 actor: User | None = None) -> OverrideChange:
    """Declare ``day`` a holiday or a working day (replacing an earlier override of it)."""
    if kind not in (HOLIDAY, WORKDAY):
        raise DomainError("invalid_field", field="kind_override", reason_key="not_in_list")
    name = (name or "").strip()[:200] or None
    row = session.scalar(select(CalendarOverride).where(CalendarOverride.day == day))
    before = _snapshot(row)
    if row is None:
        row = CalendarOverride(day=day, kind=kind, name=name, created_by_id=actor.id if actor else None)
        session.add(row)
    else:
        row.kind, row.name = kind, name
    session.flush()
    change = OverrideChange(row, recompute_open(session, load_context(session)))
    _audit(session, actor, day, "set", kind, before, _snapshot(row), change.recomputed)
    return change


def remove_override(session: Session, day: date, actor: User | None = None) -> OverrideChange:
    before = _snapshot(session.scalar(select(CalendarOverride).where(CalendarOverride.day == day)))
    session.execute(delete(CalendarOverride).where(CalendarOverride.day == day))
    session.flush()
    change = OverrideChange(None, recompute_open(session, load_context(session)))
    _audit(session, actor, day, "removed", None, before, None, change.recomputed)
    return change


def _snapshot(row: CalendarOverride | None) -> dict | None:
    return None if row is None else {"day": row.day.isoformat(), "kind": row.kind, "name": row.name}


def _audit(session: Session, actor: User | None, day: date, action: str, kind: str | None, before: dict | None,
           after: dict | None, recomputed: RecomputeResult) -> None:
    """Every override change (page or command line) in the audit trail, with how many open
    deadlines it moved."""
    audit.record(session, "calendar_override", actor=actor, entity="calendar", entity_id=day.isoformat(),
                 before=before, after=after,
                 detail=audit.message(f"audit.msg.calendar_override.{kind if action == 'set' else action}",
                                      day=day.isoformat(), moved=recomputed.moved, checked=recomputed.checked))


def list_overrides(session: Session, year: int | None = None) -> list[CalendarOverride]:
    query = select(CalendarOverride).order_by(CalendarOverride.day)
    if year is not None:
        query = query.where(extract("year", CalendarOverride.day) == year)
    return list(session.scalars(query))
