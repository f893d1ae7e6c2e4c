"""Excel output (xlsxwriter), in constant memory.

The workbook: a first sheet with the title, the filter, the generation time, the headline
figures and native Excel charts over the breakdown sheets; then one sheet per table, each with
a caption line (title, filter, generation time), a frozen header row, an autofilter, column
widths, dates as real Excel dates and numbers as numbers. xlsxwriter's ``constant_memory`` mode
writes each row to disk as soon as the next one starts, so a register extract of millions of
rows (read from SQL in chunks) never sits in memory. A table longer than ``max_rows`` (Excel's
limit, 1,048,576 rows per sheet, caption and header included) continues on "Name (2)",
"Name (3)", … with the caption and header repeated.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from data.i18n import t
from data.reports.model import DATE, DATETIME, FLOAT, INT, PCT, TEXT, Chart, Report, Table

EXCEL_MAX_ROWS = 1_048_576
HEADER_ROWS = 2  # the caption line and the header
INVALID_SHEET_CHARS = str.maketrans({c: " " for c in "[]:*?/\\"})
PALETTE = ("#2F6DB5", "#E08A2E", "#3A9A6B", "#C0504D", "#7A5BA6", "#5B8FA8")
EXCEL_EPOCH = date(1899, 12, 30).toordinal()  # day 0 of Excel's 1900 date system (from March 1900 on)
DEFAULT_WIDTH = {TEXT: 24, INT: 12, FLOAT: 12, PCT: 11, DATE: 12, DATETIME: 17}


def sheet_name(name: str, used: set[str]) -> str:
    """A valid, unique sheet name: at most 31 characters, none of []:*?/\\."""
    base = (name.translate(INVALID_SHEET_CHARS).strip().strip("'") or "Sheet")[:31]
    candidate, n = base, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate = base[:31 - len(suffix)] + suffix
        n += 1
    used.add(candidate.lower())
    return candidate


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        base = {"font_name": "Calibri", "font_size": 10, "valign": "top"}
        self.title = wb.add_format({**base, "bold": True, "font_size": 14, "font_color": "#1F3B5B"})
        self.caption = wb.add_format({**base, "italic": True, "font_color": "#5F6B7A"})
        self.header = wb.add_format({**base, "bold": True, "bg_color": "#E8EEF5", "border": 1,
                                     "border_color": "#C5D0DC", "text_wrap": True})
        self.label = wb.add_format({**base, "font_color": "#33404F"})
        self.bold_label = wb.add_format({**base, "bold": True, "font_color": "#1F3B5B"})
        self.by_type = {
            TEXT: wb.add_format(base),
            INT: wb.add_format({**base, "num_format": "#,##0"}),
            FLOAT: wb.add_format({**base, "num_format": "#,##0.0"}),
            PCT: wb.add_format({**base, "num_format": "0.0%"}),
            DATE: wb.add_format({**base, "num_format": "dd.mm.yyyy"}),
            DATETIME: wb.add_format({**base, "num_format": "dd.mm.yyyy hh:mm"}),
        }
        self.big = {
            INT: wb.add_format({**base, "bold": True, "font_size": 12, "num_format": "#,##0"}),
            FLOAT: wb.add_format({**base, "bold": True, "font_size": 12, "num_format": "#,##0.0"}),
            PCT: wb.add_format({**base, "bold": True, "font_size": 12, "num_format": "0.0%"}),
            DATE: wb.add_format({**base, "bold": True, "font_size": 12, "num_format": "dd.mm.yyyy"}),
            TEXT: wb.add_format({**base, "bold": True, "font_size": 12}),
        }


def _write_cell(ws, row: int, col: int, value: Any, kind: str, fmt) -> None:
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, datetime):
        ws.write_datetime(row, col, value.replace(tzinfo=None), fmt)
    elif isinstance(value, date):
        ws.write_datetime(row, col, datetime(value.year, value.month, value.day), fmt)
    elif isinstance(value, bool):
        ws.write_string(row, col, str(value), fmt)
    elif isinstance(value, (int, float)) and kind != TEXT:
        ws.write_number(row, col, value, fmt)
    else:
        # always a string: never a formula, never a URL (write() would turn "=…" into a formula)
        ws.write_string(row, col, str(value), fmt)


class _TableSheets:
    """Writes one table over as many sheets as ``max_rows`` requires; remembers the ranges."""

    def __init__(self, wb, fmts: _Formats, report: Report, table: Table, used: set[str], max_rows: int,
                 caption: str) -> None:
        self.wb, self.fmts, self.report, self.table = wb, fmts, report, table
        self.used, self.max_rows, self.caption = used, max_rows, caption
        self.sheets: list[tuple[str, int]] = []  # (sheet name, data rows on it)

    def _new_sheet(self):
        name = sheet_name(self.table.name, self.used)
        ws = self.wb.add_worksheet(name)
        cols = self.table.columns
        for i, col in enumerate(cols):
            width = col.width or max(DEFAULT_WIDTH.get(col.type, 14), min(len(col.label) + 2, 40))
            ws.set_column(i, i, width, self.fmts.by_type[col.type])
        ws.set_row(0, 16)
        ws.write_string(0, 0, self.caption, self.fmts.caption)
        ws.set_row(1, 30)
        for i, col in enumerate(cols):
            ws.write_string(1, i, col.label, self.fmts.header)
        ws.freeze_panes(HEADER_ROWS, 0)
        self.sheets.append((name, 0))
        return ws

    def _close_sheet(self, ws, rows: int) -> None:
        last_col = max(0, len(self.table.columns) - 1)
        ws.autofilter(1, 0, 1 + max(rows, 0), last_col)
        name, _ = self.sheets[-1]
        self.sheets[-1] = (name, rows)

    def write(self, progress=None) -> None:
        per_sheet = self.max_rows - HEADER_ROWS
        if per_sheet < 1:
            raise ValueError("max_rows must leave room for at least one data row")
        types = [c.type for c in self.table.columns]
        formats = [self.fmts.by_type[k] for k in types]
        plan = list(enumerate(zip(types, formats)))
        ws = self._new_sheet()
        on_sheet = 0
        for row in self.table.rows:
            if on_sheet == per_sheet:
                self._close_sheet(ws, on_sheet)
                ws = self._new_sheet()
                on_sheet = 0
            r = HEADER_ROWS + on_sheet
            for c, (kind, fmt) in plan:
                value = row[c]
                if value is None or value == "":
                    continue  # an empty cell: the column's format is already set
                value_type = type(value)
                if value_type is int or value_type is float:
                    if kind == TEXT:
                        ws.write_string(r, c, str(value), fmt)
                    else:
                        ws.write_number(r, c, value, fmt)
                elif value_type is date:
                    ws.write_number(r, c, value.toordinal() - EXCEL_EPOCH, fmt)
                elif value_type is str:
                    ws.write_string(r, c, value, fmt)  # never a formula or a URL
                else:
                    _write_cell(ws, r, c, value, kind, fmt)
            on_sheet += 1
            self.table.written += 1
            if progress is not None and self.table.written % 5000 == 0:
                progress(self.table.written)
        self._close_sheet(ws, on_sheet)


def write_report(report: Report, path: Path, *, max_rows: int = EXCEL_MAX_ROWS, progress=None) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "default_date_format": "dd.mm.yyyy"})
    wb.set_properties({"title": report.title, "company": "ҚТК / KTK",
                       "comments": t("reports.generated_by", report.lang)})
    fmts = _Formats(wb)
    used: set[str] = set()
    lang = report.lang
    generated = t("reports.generated_at", lang) + ": " + report.generated_at.strftime("%d.%m.%Y %H:%M")
    filter_text = "; ".join(f"{label}: {value}" for label, value in report.filter_lines)

    summary = wb.add_worksheet(sheet_name(t("reports.sheet.summary", lang), used))
    summary.set_column(0, 0, 46)
    summary.set_column(1, 1, 18)
    summary.set_column(2, 12, 12)
    row = 0
    summary.set_row(0, 22)
    summary.write_string(row, 0, report.title, fmts.title)
    row += 2
    for label, value in report.filter_lines:
        summary.write_string(row, 0, label, fmts.label)
        summary.write_string(row, 1, value, fmts.by_type[TEXT])
        row += 1
    summary.write_string(row, 0, t("reports.generated_at", lang), fmts.label)
    summary.write_datetime(row, 1, report.generated_at.replace(tzinfo=None), fmts.by_type[DATETIME])
    row += 2
    summary.write_string(row, 0, t("reports.headline", lang), fmts.bold_label)
    row += 1
    for figure in report.figures:
        summary.write_string(row, 0, figure.label, fmts.label)
        fmt = fmts.big.get(figure.type, fmts.big[TEXT])
        _write_cell(summary, row, 1, figure.value, figure.type, fmt)
        row += 1
    for note in report.notes:
        row += 1
        summary.write_string(row, 0, note, fmts.caption)
    chart_row = row + 2

    caption = f"{report.title} — {filter_text} — {generated}"
    written: dict[str, _TableSheets] = {}
    for table in report.tables:
        sheets = _TableSheets(wb, fmts, report, table, used, max_rows,
                              caption + (f" — {table.note}" if table.note else ""))
        sheets.write(progress)
        written[table.name] = sheets

    for index, spec in enumerate(report.charts):
        chart = _chart(wb, spec, written.get(spec.table), report)
        if chart is None:
            continue
        summary.insert_chart(chart_row + (index // 2) * 20, (index % 2) * 5, chart,
                             {"x_offset": 4, "y_offset": 4})
    wb.close()


def _chart(wb, spec: Chart, sheets: _TableSheets | None, report: Report):
    if sheets is None or not sheets.sheets:
        return None
    name, rows = sheets.sheets[0]
    rows = min(rows, spec.max_points)
    if rows == 0:
        return None
    first, last = HEADER_ROWS, HEADER_ROWS + rows - 1
    chart_type = {"column": ("column", None), "bar": ("bar", None), "line": ("line", None),
                  "pie": ("doughnut", None)}[spec.type][0]
    options = {"type": chart_type}
    if chart_type in ("bar", "column") and spec.stacked and len(spec.value_cols) > 1:
        options["subtype"] = "stacked"
    chart = wb.add_chart(options)
    quoted = "'" + name.replace("'", "''") + "'"
    for n, col in enumerate(spec.value_cols):
        series = {
            "name": [name, 1, col],
            "categories": f"={quoted}!${_col(spec.category_col)}${first + 1}:${_col(spec.category_col)}${last + 1}",
            "values": f"={quoted}!${_col(col)}${first + 1}:${_col(col)}${last + 1}",
        }
        if chart_type == "doughnut":
            series["points"] = [{"fill": {"color": PALETTE[i % len(PALETTE)]}} for i in range(rows)]
        elif chart_type == "line":
            series["line"] = {"color": PALETTE[n % len(PALETTE)], "width": 2}
            series["marker"] = {"type": "circle", "size": 4, "fill": {"color": PALETTE[n % len(PALETTE)]},
                                "border": {"color": PALETTE[n % len(PALETTE)]}}
        else:
            series["fill"] = {"color": PALETTE[n % len(PALETTE)]}
            series["gap"] = 60
        chart.add_series(series)
    table = report.table(spec.table)
    value_axis = {"num_format": "0%"} if all(table.columns[c].type == PCT for c in spec.value_cols) else {}
    value_axis["major_gridlines"] = {"visible": True, "line": {"color": "#E3E8EE"}}
    if chart_type == "bar":  # categories top-down in the table's order; values along the bottom
        chart.set_y_axis({"reverse": True})
        chart.set_x_axis(value_axis)
    elif chart_type != "doughnut":
        chart.set_y_axis(value_axis)
        if table.columns[spec.category_col].type == DATE:
            chart.set_x_axis({"text_axis": True, "num_format": "dd.mm", "num_font": {"rotation": -45}})
    chart.set_title({"name": spec.title, "name_font": {"size": 11, "bold": True, "color": "#1F3B5B"}})
    chart.set_legend({"position": "bottom"} if len(spec.value_cols) > 1 or chart_type == "doughnut"
                     else {"none": True})
    chart.set_size({"width": 560, "height": 300})
    chart.set_style(10)
    return chart


def _col(index: int) -> str:
    from xlsxwriter.utility import xl_col_to_name

    return xl_col_to_name(index)
