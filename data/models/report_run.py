"""Report runs: one export a user (or the scheduler) asked for, from the queue to the file.

``status``: queued | running | done | failed. ``file_path`` is relative to the reports folder
(``data.report_runs.reports_dir``) and is set only once the finished file has been renamed into
place, so a half-written file is never offered. ``audience`` names who besides the owner sees
the run: ``managers`` (managers and admins) for the scheduled weekly workbook. ``error_key`` is
a translation key (with ``error_params``) so the list says what went wrong in the reader's
language. ``worker`` is ``host:pid`` of the process running it, so a run left ``running`` by a
process that died can be told from one still at work.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, utcnow


class ReportRun(Base):
    __tablename__ = "report_runs"
    __table_args__ = (
        Index(None, "user_id", "created_at"),
        Index(None, "audience", "created_at"),
        Index(None, "status"),
        Index(None, "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    format: Mapped[str] = mapped_column(String(8))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    lang: Mapped[str] = mapped_column(String(2), default="kk")
    status: Mapped[str] = mapped_column(String(12), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    rows: Mapped[Optional[int]] = mapped_column(Integer)
    file_path: Mapped[Optional[str]] = mapped_column(String(300))
    filename: Mapped[Optional[str]] = mapped_column(String(200))
    error_key: Mapped[Optional[str]] = mapped_column(String(80))
    error_params: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    error_detail: Mapped[Optional[str]] = mapped_column(Text)
    scheduled: Mapped[bool] = mapped_column(Boolean, default=False)
    audience: Mapped[Optional[str]] = mapped_column(String(20))
    worker: Mapped[Optional[str]] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[Optional[datetime]]
    finished_at: Mapped[Optional[datetime]]
    expires_at: Mapped[datetime]
