"""Admins' corrections to the national calendar; every change recomputes the open clocks."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, extract, select
from sqlalchemy.orm import Session

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
    if row is None:
        row = CalendarOverride(day=day, kind=kind, name=name, created_by_id=actor.id if actor else None)
        session.add(row)
    else:
        row.kind, row.name = kind, name
    session.flush()
    return OverrideChange(row, recompute_open(session, load_context(session)))


def remove_override(session: Session, day: date) -> OverrideChange:
    session.execute(delete(CalendarOverride).where(CalendarOverride.day == day))
    session.flush()
    return OverrideChange(None, recompute_open(session, load_context(session)))


def list_overrides(session: Session, year: int | None = None) -> list[CalendarOverride]:
    query = select(CalendarOverride).order_by(CalendarOverride.day)
    if year is not None:
        query = query.where(extract("year", CalendarOverride.day) == year)
    return list(session.scalars(query))
