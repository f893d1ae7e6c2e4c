"""Reference data: akimats, calendar overrides, deadline policies, configurable lists."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.base import Base, utcnow


class Akimat(Base):
    """A local executive body, identified by its 9-digit KATO code."""

    __tablename__ = "akimats"

    id: Mapped[int] = mapped_column(primary_key=True)
    kato: Mapped[str] = mapped_column(String(9), unique=True)
    name_kk: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))  # region | city | district
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("akimats.id"), index=True)

    parent: Mapped[Optional["Akimat"]] = relationship(remote_side="Akimat.id")

    def name(self, lang: str) -> str:
        return self.name_ru if lang == "ru" else self.name_kk


class CalendarOverride(Base):
    """An admin's correction to the national calendar for one date; overrides win."""

    __tablename__ = "calendar_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # holiday | workday
    name: Mapped[Optional[str]] = mapped_column(String(200))
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeadlinePolicy(Base):
    """One version of a statutory term, in force from ``effective_from``."""

    __tablename__ = "deadline_policies"
    __table_args__ = (UniqueConstraint("code", "version"), Index(None, "code", "effective_from"))

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date]
    term: Mapped[Optional[int]] = mapped_column(Integer)  # None for "date set by the reviewer"
    unit: Mapped[str] = mapped_column(String(4))  # cd | wd | set
    start_rule: Mapped[str] = mapped_column(String(16))  # registration | event | set_date
    roll_forward: Mapped[bool] = mapped_column(Boolean, default=True)
    pause_mode: Mapped[str] = mapped_column(String(8), default="resume")  # resume | restart
    pause_statuses: Mapped[list[str]] = mapped_column(JSON, default=list)
    warn_wd: Mapped[int] = mapped_column(Integer, default=2)
    variants: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    seed_ref: Mapped[str] = mapped_column(String(40), default="")


class ReferenceItem(Base):
    """An entry of a configurable list (refusal grounds, correction categories, ...)."""

    __tablename__ = "reference_items"
    __table_args__ = (UniqueConstraint("list_name", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_name: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(40))
    label_kk: Mapped[str] = mapped_column(String(300))
    label_ru: Mapped[str] = mapped_column(String(300))
    sort: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def label(self, lang: str) -> str:
        return self.label_ru if lang == "ru" else self.label_kk
