"""Akimat tenant lists (batches) and the recipients they name (seed 001 p.6-7)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.base import Base, utcnow
from data.models.reference import Akimat


class ListBatch(Base):
    """One list file an akimat sent: received -> validated -> loaded, or rejected.

    ``error_code``/``error_params`` say why a file was rejected (message ``import.file.<code>``,
    so it can be shown in either language; ``error_message`` keeps the Kazakh text);
    ``duplicate_of_id`` is the earlier batch with the same content (same SHA-256, same akimat).
    ``headers`` is the header row as written and ``header_row`` its row number, which the error
    report reuses; ``ignored_columns`` the headers that were not used.
    """

    __tablename__ = "list_batches"
    __table_args__ = (Index(None, "akimat_id", "received_at"), Index(None, "sha256"))

    id: Mapped[int] = mapped_column(primary_key=True)
    akimat_id: Mapped[int] = mapped_column(ForeignKey("akimats.id"))
    file_name: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime]
    registration_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), default="received")
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    rows_invalid: Mapped[int] = mapped_column(Integer, default=0)
    rows_already_listed: Mapped[int] = mapped_column(Integer, default=0)
    rows_duplicate: Mapped[int] = mapped_column(Integer, default=0)
    error_message: Mapped[Optional[str]] = mapped_column(Text)
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    loaded_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Added by migration 0002_list_imports.
    source: Mapped[Optional[str]] = mapped_column(String(16))  # upload | inbox | cli
    file_format: Mapped[Optional[str]] = mapped_column(String(8))  # xlsx | xls | xlsb | ods | csv
    error_code: Mapped[Optional[str]] = mapped_column(String(40))
    error_params: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    duplicate_of_id: Mapped[Optional[int]] = mapped_column(Integer)  # no FK: keeps SQLite's ALTER simple
    header_row: Mapped[Optional[int]] = mapped_column(Integer)
    headers: Mapped[Optional[list[str]]] = mapped_column(JSON)
    ignored_columns: Mapped[Optional[list[str]]] = mapped_column(JSON)

    akimat: Mapped[Akimat] = relationship()


class Recipient(Base):
    __tablename__ = "recipients"
    __table_args__ = (Index(None, "akimat_id", "status"), Index(None, "batch_id"),
                      # the recipients grid sorted by name, and its name prefix search (0014)
                      Index("ix_recipients_full_name", "full_name", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    iin: Mapped[str] = mapped_column(String(12), unique=True)
    full_name: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(40))
    phone: Mapped[Optional[str]] = mapped_column(String(16))
    queue_number: Mapped[Optional[str]] = mapped_column(String(40))
    queue_date: Mapped[Optional[date]]
    note: Mapped[Optional[str]] = mapped_column(Text)
    akimat_id: Mapped[int] = mapped_column(ForeignKey("akimats.id"))
    batch_id: Mapped[Optional[int]] = mapped_column(ForeignKey("list_batches.id"))
    status: Mapped[str] = mapped_column(String(16), default="listed")
    notified_at: Mapped[Optional[datetime]]
    application_id: Mapped[Optional[int]] = mapped_column(ForeignKey("applications.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    akimat: Mapped[Akimat] = relationship()

    __mapper_args__ = {"version_id_col": version}
