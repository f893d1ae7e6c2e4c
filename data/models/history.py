"""The append-only history of every tracked item."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, utcnow


class StatusEvent(Base):
    """One entry of an item's history: a transition, a note, an assignment, an action.

    Exactly one subject column is set. Rows are only ever inserted.
    """

    __tablename__ = "status_events"
    __table_args__ = (
        Index(None, "application_id", "at"),
        Index(None, "complaint_id", "at"),
        Index(None, "recipient_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[Optional[int]] = mapped_column(ForeignKey("applications.id"))
    complaint_id: Mapped[Optional[int]] = mapped_column(ForeignKey("complaints.id"))
    recipient_id: Mapped[Optional[int]] = mapped_column(ForeignKey("recipients.id"))
    kind: Mapped[str] = mapped_column(String(16), default="transition")  # transition|note|assign|action
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    from_status: Mapped[Optional[str]] = mapped_column(String(32))
    to_status: Mapped[Optional[str]] = mapped_column(String(32))
    comment: Mapped[Optional[str]] = mapped_column(Text)
    documents: Mapped[list[str]] = mapped_column(JSON, default=list)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
