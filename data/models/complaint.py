"""Complaints about an application, a recipient or a list (seed 004 items 33-34)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.base import Base, utcnow
from data.models.user import User


class Complaint(Base):
    __tablename__ = "complaints"
    __table_args__ = (Index(None, "status", "level"), Index(None, "application_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[Optional[int]] = mapped_column(ForeignKey("applications.id"))
    recipient_id: Mapped[Optional[int]] = mapped_column(ForeignKey("recipients.id"))
    batch_id: Mapped[Optional[int]] = mapped_column(ForeignKey("list_batches.id"))
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("complaints.id"))

    complainant_id_number: Mapped[Optional[str]] = mapped_column(String(12))  # IIN or BIN
    complainant_name: Mapped[str] = mapped_column(String(300))
    complainant_contact: Mapped[Optional[str]] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))  # paper | electronic
    level: Mapped[str] = mapped_column(String(16))  # provider | quality_body
    subject: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    registration_date: Mapped[date]
    responsible_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="registered")
    is_open: Mapped[bool] = mapped_column(default=True)
    extension_reason: Mapped[Optional[str]] = mapped_column(String(40))
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    notice_sent_on: Mapped[Optional[date]]
    notice_channel: Mapped[Optional[str]] = mapped_column(String(16))
    outcome: Mapped[Optional[str]] = mapped_column(String(16))  # upheld | partly | rejected
    answer_text: Mapped[Optional[str]] = mapped_column(Text)
    answer_date: Mapped[Optional[date]]
    current_due_date: Mapped[Optional[date]]
    closed_on_time: Mapped[Optional[bool]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    responsible: Mapped[Optional[User]] = relationship()

    __mapper_args__ = {"version_id_col": version}
