"""In-app notifications (the morning digest writes them): a user's list, the unread count for
the bell in the navbar, marking them read. A user only ever sees and changes their own."""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from data.models.base import utcnow
from data.models.jobs import Notification


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def list_notifications(session: Session, user_id: int, limit: int = 50) -> list[Notification]:
    """The user's latest notifications, newest first."""
    return list(session.scalars(
        select(Notification).where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def mark_all_read(session: Session, user_id: int) -> int:
    """Mark the user's unread notifications read; returns how many."""
    result = session.execute(
        update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow()), execution_options={"synchronize_session": False})
    return result.rowcount or 0
