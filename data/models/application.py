"""Applications of both kinds, with their guarantors and document checklist."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.base import Base, utcnow
from data.models.reference import Akimat
from data.models.user import User


class Application(Base):
    """An application tracked by KTK.

    ``kind`` is ``correction`` (legal entity correction, seed 000) or ``rent_to_own`` (seed 001).
    ``current_due_date`` / ``current_policy`` mirror the application's main open clock so lists
    and counts are plain indexed queries; the clock itself remains the source of truth.
    ``version`` is the optimistic lock: a stale update raises instead of overwriting.
    """

    __tablename__ = "applications"
    __table_args__ = (
        Index(None, "status", "kind"),
        Index(None, "is_open", "current_due_date"),
        Index(None, "reviewer_id", "is_open", "current_due_date"),
        Index(None, "akimat_id", "status"),
        Index(None, "registration_date"),
        Index(None, "applicant_iin"),
        Index(None, "applicant_bin"),
        Index(None, "registration_number"),
        Index(None, "contract_number"),
        Index(None, "kind", "registration_date"),
        # Registry (migration 0005) and overview (migration 0006) access paths.
        Index("ix_applications_applicant_name", "applicant_name"),
        Index("ix_applications_status_is_open_current_due_date_id", "status", "is_open", "current_due_date", "id"),
        # ``id`` last (migration 0011): the overview's clock figures read the ids of the open and
        # of the recently closed applications in scope from these indexes alone on PostgreSQL too.
        Index("ix_applications_open_overview", "kind", "status", "akimat_id", "reviewer_id", "current_due_date",
              "current_policy", "registration_date", "is_open", "id",
              sqlite_where=text("is_open IS 1"), postgresql_where=text("is_open IS true")),
        Index("ix_applications_closed_overview", "closed_at", "kind", "akimat_id", "reviewer_id", "id"),
        Index("ix_applications_received_overview", "registration_date", "kind", "akimat_id", "reviewer_id"),
        Index("ix_applications_filter_overview", "akimat_id", "kind", "reviewer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)

    registration_number: Mapped[Optional[str]] = mapped_column(String(40))
    registration_date: Mapped[Optional[date]]
    received_at: Mapped[Optional[datetime]]
    internal_number: Mapped[Optional[str]] = mapped_column(String(40))

    applicant_iin: Mapped[Optional[str]] = mapped_column(String(12))
    applicant_bin: Mapped[Optional[str]] = mapped_column(String(12))
    applicant_name: Mapped[str] = mapped_column(String(300))
    applicant_phone: Mapped[Optional[str]] = mapped_column(String(16))
    akimat_id: Mapped[Optional[int]] = mapped_column(ForeignKey("akimats.id"))
    category: Mapped[Optional[str]] = mapped_column(String(40))
    family_size: Mapped[Optional[int]] = mapped_column(Integer)
    consent_personal_data: Mapped[Optional[bool]] = mapped_column(Boolean)

    contract_number: Mapped[Optional[str]] = mapped_column(String(60))
    contract_date: Mapped[Optional[date]]
    correction_category: Mapped[Optional[str]] = mapped_column(String(40))
    correction_other: Mapped[Optional[str]] = mapped_column(String(300))

    reviewer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    remarks: Mapped[Optional[str]] = mapped_column(Text)
    revision_due: Mapped[Optional[date]]
    refusal_reason: Mapped[Optional[str]] = mapped_column(String(40))
    refusal_text: Mapped[Optional[str]] = mapped_column(Text)
    agreement_number: Mapped[Optional[str]] = mapped_column(String(60))
    agreement_date: Mapped[Optional[date]]
    payment_confirmed_at: Mapped[Optional[datetime]]

    current_due_date: Mapped[Optional[date]]
    current_policy: Mapped[Optional[str]] = mapped_column(String(40))
    closed_at: Mapped[Optional[datetime]]
    closed_on_time: Mapped[Optional[bool]] = mapped_column(Boolean)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    akimat: Mapped[Optional[Akimat]] = relationship()
    reviewer: Mapped[Optional[User]] = relationship()
    guarantors: Mapped[list["Guarantor"]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="Guarantor.id"
    )
    documents: Mapped[list["ApplicationDocument"]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ApplicationDocument.id"
    )

    __mapper_args__ = {"version_id_col": version}


class Guarantor(Base):
    __tablename__ = "guarantors"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    iin: Mapped[str] = mapped_column(String(12))
    full_name: Mapped[str] = mapped_column(String(300))

    application: Mapped[Application] = relationship(back_populates="guarantors")


class ApplicationDocument(Base):
    """One line of the rent-to-own document checklist (seed 001 p.10)."""

    __tablename__ = "application_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    provided: Mapped[bool] = mapped_column(Boolean, default=False)

    application: Mapped[Application] = relationship(back_populates="documents")
