"""CSV output, the one place CSV is written (the reports and the registry's CSV route).

UTF-8 with a byte-order mark, so Excel opens Cyrillic and Kazakh letters correctly; ``,`` or
``;`` (Excel in kk/ru locales expects ``;``); CRLF line ends. Every cell goes through
``neutralize``: text a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) gets a leading apostrophe, so an applicant's name or a contract
number can never become a formula on a colleague's machine. Numbers are written as numbers
(a negative number is a number, not a formula, and stays as it is); dates as dd.mm.yyyy.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, TextIO

from data.reports.model import DATE, DATETIME, FLOAT, INT, PCT, Report

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FLUSH_CHARS = 64 * 1024


def neutralize(value: object) -> str:
    """A cell as text; one a spreadsheet would read as a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell_text(value: Any, kind: str | None = None) -> str:
    """A typed value as CSV text: dates dd.mm.yyyy, percentages as a number of per cent (87.5),
    other numbers as they are; text neutralized."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return neutralize(value)
    if isinstance(value, datetime) or kind == DATETIME and isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if kind == PCT and isinstance(value, (int, float)):
        return f"{value * 100:.1f}"
    if kind == FLOAT and isinstance(value, float):
        return f"{value:.1f}"
    if kind in (INT, FLOAT, PCT, DATE) and isinstance(value, (int, float)):
        return str(value)
    return neutralize(value)


def iter_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]], delimiter: str = ",",
             types: Sequence[str] | None = None, bom: bool = True) -> Iterator[str]:
    """The CSV text in chunks of about 64 KiB (for streaming a response or writing a file)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    if bom:
        buffer.write(BOM)
    writer.writerow([neutralize(h) for h in header])
    for row in rows:
        if types is None:
            writer.writerow([cell_text(v) for v in row])
        else:
            writer.writerow([cell_text(v, k) for v, k in zip(row, types)])
        if buffer.tell() >= FLUSH_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_report(report: Report, out: TextIO, delimiter: str = ",", progress=None) -> None:
    """A report as one CSV file. The register extract is its one table (header + rows). A
    summary report is, one after the other and separated by an empty line: the title, the filter
    and the generation time, the headline figures (label; value), then each table under its
    title."""
    from data.i18n import t

    if report.csv_table_only:
        table = report.tables[0]
        counter = _Counter(table, progress)
        for chunk in iter_csv([c.label for c in table.columns], counter.rows(), delimiter,
                              [c.type for c in table.columns]):
            out.write(chunk)
        return
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    out.write(BOM)
    writer.writerow([neutralize(report.title)])
    for label, value in report.filter_lines:
        writer.writerow([neutralize(label), neutralize(value)])
    writer.writerow([neutralize(t("reports.generated_at", report.lang)),
                     report.generated_at.strftime("%d.%m.%Y %H:%M")])
    writer.writerow([])
    writer.writerow([neutralize(t("reports.headline", report.lang))])
    for figure in report.figures:
        writer.writerow([neutralize(figure.label), cell_text(figure.value, figure.type)])
    for table in report.tables:
        if not table.in_csv:
            continue
        writer.writerow([])
        writer.writerow([neutralize(table.title)])
        if table.note:
            writer.writerow([neutralize(table.note)])
        for chunk in iter_csv([c.label for c in table.columns], _Counter(table, progress).rows(), delimiter,
                              [c.type for c in table.columns], bom=False):
            out.write(chunk)


class _Counter:
    """Counts a table's rows as they are written and reports progress now and then."""

    def __init__(self, table, progress) -> None:
        self.table, self.progress = table, progress

    def rows(self) -> Iterator[Sequence[Any]]:
        for row in self.table.rows:
            self.table.written += 1
            if self.progress is not None and self.table.written % 5000 == 0:
                self.progress(self.table.written)
            yield row
