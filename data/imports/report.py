"""The error report of a batch: the rows that were not loaded, as the akimat sent them, with
their errors in the requested language, as an .xlsx (xlsxwriter) to fix and send again.

The first sheet has the original header row (the original header texts, in their order) and
the original values of every row that has an error, an "already listed" notice or a duplicate
IIN; two columns are added on the right: the errors (one line each, "column: message") and the
row number in the file that was sent. Both added headers are unknown to the importer, so the
fixed file can be sent back as it is. The cells with an error are highlighted. A second sheet
sums the batch up.
"""
from __future__ import annotations

import io
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.config import LOCAL_TZ
from data.i18n import fmt_datetime, t
from data.imports.errors import file_error_message
from data.imports.validate import Issue
from data.models import Akimat, ListBatch
from data.models.list_errors import ListRowError

NOTICE_CODES = ("already_listed",)


def issue_message(code: str, params: dict[str, Any] | None, lang: str = "kk") -> str:
    """The message of a row issue code in ``lang``."""
    params = dict(params or {})
    key = f"import.row.{code}"
    if code == "already_listed":
        if params.get("batch_id") is None:
            key = "import.row.already_listed_manual"
        elif params.get("other_akimat"):
            key = "import.row.already_listed_other"
    params.setdefault("value", "")
    return t(key, lang, **params)


def column_label(column: str | None, field: str | None, lang: str) -> str:
    if column:
        return column
    if field:
        return t(f"import.field.{field}", lang)
    return ""


def batch_issues(session: Session, batch_id: int) -> list[Issue]:
    """The stored issues of a batch, in row order."""
    rows = session.execute(
        select(ListRowError.row, ListRowError.field, ListRowError.column, ListRowError.code, ListRowError.params)
        .where(ListRowError.batch_id == batch_id)
        .order_by(ListRowError.row, ListRowError.id)
    ).all()
    return [Issue(r, f, c or "", code, dict(p or {})) for r, f, c, code, p in rows]


def _cell_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "$date" in value:
            return date.fromisoformat(value["$date"])
        if "$datetime" in value:
            return datetime.fromisoformat(value["$datetime"])
    return value


def build_report(session: Session, batch_id: int, lang: str = "kk") -> bytes:
    """The error report of ``batch_id`` as .xlsx bytes."""
    batch = session.get(ListBatch, batch_id)
    if batch is None:
        raise LookupError(batch_id)
    akimat = session.get(Akimat, batch.akimat_id)
    records = session.execute(
        select(ListRowError).where(ListRowError.batch_id == batch_id).order_by(ListRowError.row, ListRowError.id)
    ).scalars().all()
    by_row: dict[int, list[ListRowError]] = defaultdict(list)
    for record in records:
        by_row[record.row].append(record)

    headers = list(batch.headers or [])
    positions: dict[str, int] = {}
    for i, text in enumerate(headers):
        positions.setdefault(text, i)  # a header written twice: the first column is the one used
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1, "text_wrap": True,
                            "valign": "top"})
    added = book.add_format({"bold": True, "bg_color": "#F4CCCC", "border": 1, "text_wrap": True,
                             "valign": "top"})
    bad = book.add_format({"bg_color": "#F8D7DA"})
    bad_date = book.add_format({"bg_color": "#F8D7DA", "num_format": "dd.mm.yyyy"})
    notice = book.add_format({"bg_color": "#FFF3CD"})
    datefmt = book.add_format({"num_format": "dd.mm.yyyy"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})

    sheet = book.add_worksheet(t("import.report.sheet", lang)[:31])
    errors_col = len(headers)
    row_col = errors_col + 1
    for col, text in enumerate(headers):
        sheet.write_string(0, col, text, bold)
    sheet.write_string(0, errors_col, t("import.report.errors", lang), added)
    sheet.write_string(0, row_col, t("import.report.row", lang), added)
    sheet.freeze_panes(1, 0)
    widths = [max(10, min(40, len(h) + 2)) for h in headers]

    out = 1
    for row_number in sorted(by_row):
        items = by_row[row_number]
        values = next((r.row_values for r in items if r.row_values is not None), None) or []
        marked = {}
        for item in items:
            pos = positions.get(item.column) if item.column else None
            if pos is not None:
                marked[pos] = notice if item.code in NOTICE_CODES and pos not in marked else bad
        for col in range(len(headers)):
            value = _cell_value(values[col]) if col < len(values) else ""
            fmt = marked.get(col)
            if isinstance(value, (date, datetime)):
                if isinstance(value, datetime):
                    value = value.replace(tzinfo=None)
                sheet.write_datetime(out, col, value, bad_date if fmt is bad else datefmt)
            elif isinstance(value, bool):
                sheet.write_boolean(out, col, value, fmt)
            elif isinstance(value, (int, float)):
                sheet.write_number(out, col, value, fmt)
            elif value in ("", None):
                sheet.write_blank(out, col, None, fmt)
            else:
                sheet.write_string(out, col, str(value), fmt)
        lines = []
        for item in items:
            label = column_label(item.column, item.field, lang)
            message = issue_message(item.code, item.params, lang)
            lines.append(f"{label}: {message}" if label and not message.startswith(label) else message)
        sheet.write_string(out, errors_col, "\n".join(lines), wrap)
        sheet.write_number(out, row_col, row_number)
        out += 1
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.set_column(errors_col, errors_col, 70)
    sheet.set_column(row_col, row_col, 14)
    if out > 1:
        sheet.autofilter(0, 0, out - 1, row_col)

    summary = book.add_worksheet(t("import.report.summary_sheet", lang)[:31])
    lines = [
        ("import.report.batch", batch.id),
        ("import.report.akimat", f"{akimat.kato} {akimat.name(lang)}" if akimat else ""),
        ("import.report.file", batch.file_name),
        ("import.report.received", fmt_datetime(batch.received_at.astimezone(LOCAL_TZ))),
        ("import.report.status", t(f"import.status.{batch.status}", lang)),
        ("import.report.rows_total", batch.rows_total),
        ("import.report.rows_loaded", batch.rows_loaded),
        ("import.report.rows_invalid", batch.rows_invalid),
        ("import.report.rows_duplicate", batch.rows_duplicate),
        ("import.report.rows_already_listed", batch.rows_already_listed),
        ("import.report.ignored_columns", ", ".join(batch.ignored_columns or [])),
    ]
    if batch.error_code:
        lines.append(("import.report.file_error", file_error_message(batch.error_code, batch.error_params, lang)))
    for i, (key, value) in enumerate(lines):
        summary.write_string(i, 0, t(key, lang), bold)
        if isinstance(value, int):
            summary.write_number(i, 1, value)
        else:
            summary.write_string(i, 1, str(value))
    summary.write_string(len(lines) + 1, 0, t("import.report.hint", lang, errors=t("import.report.errors", lang),
                                               row=t("import.report.row", lang)))
    summary.set_column(0, 0, 34)
    summary.set_column(1, 1, 80)
    book.close()
    return buffer.getvalue()


def write_report(session: Session, batch_id: int, path: str | Path, lang: str = "kk") -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.part")
    temporary.write_bytes(build_report(session, batch_id, lang))
    temporary.replace(target)
    return target

