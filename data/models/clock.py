"""Deadline clocks and the events their due dates are derived from."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.base import Base, utcnow


_RUNNING = "stopped_at IS NULL AND paused_since IS NULL"
CLOCKS_FILLFACTOR = 70
_COMPLAINT = "complaint_id IS NOT NULL"
_LATE = "application_id IS NOT NULL AND (stopped_on IS NULL OR stopped_on > due_date)"


class Clock(Base):
    """One statutory term running for one item.

    The due date is derived from the clock's events (start, pause, resume, extend, stop) by
    ``data.deadlines``; ``due_date``, ``registered_on``, ``paused_since`` and ``explanation`` are
    the stored result, so lists are indexed queries and recomputation can be compared with it.
    Exactly one subject column is set.
    """

    __tablename__ = "clocks"
    __table_args__ = (
        Index(None, "stopped_at", "due_date"),
        Index(None, "policy_code", "stopped_at", "due_date"),
        Index(None, "application_id"),
        # A complaint's clocks by policy, with what the complaints registry's joins read (0013).
        Index("ix_clocks_complaint_id", "complaint_id", "policy_code", "due_date", "stopped_at"),
        Index(None, "recipient_id"),
        Index(None, "batch_id"),
        # Registry / deadlines board (migration 0005) and overview (migration 0006) access paths.
        Index("ix_clocks_running_due", "due_date", "policy_code", "application_id", "complaint_id", "batch_id",
              "recipient_id", "stopped_at", "paused_since",
              sqlite_where=text(_RUNNING), postgresql_where=text(_RUNNING)),
        Index("ix_clocks_running_application", "application_id", "due_date", "policy_code", "stopped_at",
              "paused_since", sqlite_where=text(_RUNNING), postgresql_where=text(_RUNNING)),
        Index("ix_clocks_late_overview", "stopped_on", "due_date", "paused_since", "application_id",
              sqlite_where=text(_LATE), postgresql_where=text(_LATE)),
        # The on-time rate (overview) and the SLA report (days used from registered_on) read the
        # clocks stopped in a period from this index alone (migration 0010).
        Index("ix_clocks_on_time_overview", "policy_code", "stopped_on", "due_date", "application_id",
              "registered_on"),
        # The complaints registry's answer-due range (migration 0012): the level clocks by policy
        # and due date, complaint clocks only (a small index).
        Index("ix_clocks_complaint_due", "policy_code", "due_date", "complaint_id",
              sqlite_where=text(_COMPLAINT), postgresql_where=text(_COMPLAINT)),
        # Free room on every page (PostgreSQL, migration 0009) so the overdue job's updates of the
        # unindexed state / day-count columns stay on the page (HOT): no index entry is written.
        {"postgresql_with": {"fillfactor": CLOCKS_FILLFACTOR}},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[Optional[int]] = mapped_column(ForeignKey("applications.id"))
    complaint_id: Mapped[Optional[int]] = mapped_column(ForeignKey("complaints.id"))
    recipient_id: Mapped[Optional[int]] = mapped_column(ForeignKey("recipients.id"))
    batch_id: Mapped[Optional[int]] = mapped_column(ForeignKey("list_batches.id"))

    policy_code: Mapped[str] = mapped_column(String(40))
    policy_version: Mapped[int] = mapped_column(Integer)
    variant: Mapped[Optional[str]] = mapped_column(String(40))
    started_at: Mapped[datetime]
    registered_on: Mapped[Optional[date]]
    due_date: Mapped[Optional[date]]
    paused_since: Mapped[Optional[date]]
    stopped_at: Mapped[Optional[datetime]]
    stopped_on: Mapped[Optional[date]]  # local date of stopped_at; met when stopped_on <= due_date
    state: Mapped[Optional[str]] = mapped_column(String(12))  # on_track|due_soon|overdue|paused
    # Written by the overdue job (jobs/overdue.py) for open clocks, as of its last run: how many
    # working / calendar days after the due date today is (0 unless ``state`` is overdue).
    days_overdue_wd: Mapped[Optional[int]] = mapped_column(Integer)
    days_overdue_cd: Mapped[Optional[int]] = mapped_column(Integer)
    explanation: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    events: Mapped[list["ClockEvent"]] = relationship(
        back_populates="clock", cascade="all, delete-orphan", order_by="ClockEvent.id"
    )


class ClockEvent(Base):
    """start | pause | resume | extend | stop; ``days`` for extend, ``due`` for a set date."""

    __tablename__ = "clock_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    clock_id: Mapped[int] = mapped_column(ForeignKey("clocks.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    days: Mapped[Optional[int]] = mapped_column(Integer)
    due: Mapped[Optional[date]]
    note: Mapped[Optional[str]] = mapped_column(String(300))

    clock: Mapped[Clock] = relationship(back_populates="events")
