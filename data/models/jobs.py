"""Scheduled jobs: their run history (and the (job, period) claim), the working-day lookup table,
daily snapshots for trends and reports, and in-app notifications."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, utcnow


class JobRun(Base):
    """One run of a job.

    ``(job, period)`` is unique: a scheduler claims a period by inserting its row before doing
    the work, so a second scheduler (started by mistake) fails to insert and does nothing.
    ``period`` is the scheduled fire time (local, ISO) for scheduled runs and ``manual:<UTC>``
    for runs started by hand. ``outcome``: running | ok | skipped | error.
    """

    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("job", "period"),
        Index(None, "job", "started_at"),
        Index(None, "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(60))
    trigger: Mapped[str] = mapped_column(String(16))  # schedule | manual
    scheduled_at: Mapped[Optional[datetime]]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_at: Mapped[Optional[datetime]]  # when the work transaction got the job's lock
    finished_at: Mapped[Optional[datetime]]
    duration_ms: Mapped[Optional[int]] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(12), default="running")
    rows: Mapped[Optional[int]] = mapped_column(Integer)
    summary: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    error: Mapped[Optional[str]] = mapped_column(Text)  # the traceback's last lines
    host: Mapped[Optional[str]] = mapped_column(String(100))
    pid: Mapped[Optional[int]] = mapped_column(Integer)


class JobState(Base):
    """Small key/value facts the jobs keep between runs (e.g. the working-day table's source)."""

    __tablename__ = "job_state"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WorkDay(Base):
    """Every date of a range (2024-2030 and whatever open clocks need) with its working-day
    status under the national calendar plus overrides, and ``wd_index``: how many working days
    lie in [first day of the table, day]. The working days in (a, b] are
    ``wd_index(b) - wd_index(a)``, so days overdue in working days are one indexed lookup in SQL.
    Rebuilt by ``jobs.overdue.refresh_work_days`` whenever the overrides (or the holidays
    package) change."""

    __tablename__ = "work_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    wd_index: Mapped[int] = mapped_column(Integer)


class DailySnapshot(Base):
    """Counts per day x kind x status x akimat x reviewer, written by the ``daily_snapshot`` job.

    ``open``, ``due_soon``, ``overdue``: the open items in that status on ``day`` (due soon /
    overdue by the same rules as the overview). ``closed_on_time`` / ``closed_late``: items that
    reached a final status during the previous day (``day`` - 1), i.e. the last complete day
    when the snapshot is taken at 00:10. ``kind``: correction | rent_to_own | complaint (for
    complaints ``reviewer_id`` is the responsible officer and ``akimat_id`` the akimat of the
    application complained about). Re-running the job for a day replaces that day's rows.
    """

    __tablename__ = "daily_snapshots"
    __table_args__ = (
        Index(None, "day", "kind"),
        Index(None, "akimat_id", "day"),
        Index(None, "reviewer_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    akimat_id: Mapped[Optional[int]] = mapped_column(ForeignKey("akimats.id"))
    reviewer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    open: Mapped[int] = mapped_column(Integer, default=0)
    due_soon: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)
    closed_on_time: Mapped[int] = mapped_column(Integer, default=0)
    closed_late: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """An in-app notification. ``dedup_key`` (unique per user) makes "one digest per person per
    day" a database rule: ``digest:2026-03-20``."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "dedup_key"),
        Index(None, "user_id", "read_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(24))
    dedup_key: Mapped[Optional[str]] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    read_at: Mapped[Optional[datetime]]
