"""Row errors of an akimat list batch, kept so the error report can be rebuilt in kk or ru."""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base


class ListRowError(Base):
    """One problem of one row of a list file.

    ``row`` is the row number the akimat sees in Excel; ``field`` the field code
    (``data.imports.columns``), ``column`` the header as written in the file; ``code`` a stable
    code whose message is ``import.row.<code>``; ``params`` what the message shows. ``row_values``
    (the row's original cells, JSON) is kept on the first error of each row only.
    """

    __tablename__ = "list_row_errors"
    __table_args__ = (Index(None, "batch_id", "row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("list_batches.id"))
    row: Mapped[int] = mapped_column(Integer)
    field: Mapped[Optional[str]] = mapped_column(String(20))
    column: Mapped[Optional[str]] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    row_values: Mapped[Optional[list[Any]]] = mapped_column(JSON)
