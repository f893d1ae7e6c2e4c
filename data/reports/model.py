"""What a report is, independent of its file format: headline figures, tables (a sheet each in
Excel), charts over the tables, and the lines describing the filter. The writers (xlsx, csv,
pdf) render this; the report builders (one module per kind) fill it in."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# Column / figure types: how a value is written (Excel number formats, CSV text).
TEXT, INT, FLOAT, PCT, DATE, DATETIME = "text", "int", "float", "pct", "date", "datetime"


@dataclass(frozen=True)
class Column:
    label: str
    type: str = TEXT
    width: int | None = None  # characters; None: from the type and the label


@dataclass
class Table:
    """One breakdown. ``rows`` may be a generator (streamed once); ``total`` is the number of rows
    when known beforehand (for progress)."""

    name: str  # sheet name (translated, short)
    title: str  # what the table shows (translated)
    columns: list[Column]
    rows: Iterable[Sequence[Any]]
    total: int | None = None
    note: str | None = None
    in_csv: bool = True
    written: int = 0  # rows written, set by the writer


@dataclass(frozen=True)
class Figure:
    label: str
    value: Any  # int | float | date | str | None
    type: str = INT

    def formatted(self, lang: str) -> str:
        return format_value(self.value, self.type, lang)


@dataclass(frozen=True)
class Chart:
    """A chart over a table: categories from one column, one series per value column."""

    type: str  # column | bar | line | pie
    title: str
    table: str  # the table's name
    category_col: int
    value_cols: tuple[int, ...]
    max_points: int = 25
    stacked: bool = True  # several series: parts of one whole (stacked) or side by side


@dataclass
class Report:
    kind: str
    title: str
    lang: str
    generated_at: datetime  # local time
    filter_lines: list[tuple[str, str]]  # (label, value) describing the filter
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    csv_table_only: bool = False  # register: the CSV is the one table, nothing around it

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)

    @property
    def rows(self) -> int:
        return sum(t.written for t in self.tables)


def format_value(value: Any, kind: str, lang: str) -> str:
    """A value as people read it: 12 345, 87,5 %, 20.11.2026 (both languages use a space for
    thousands and a comma for decimals)."""
    if value is None or value == "":
        return "—"
    if kind == PCT:
        return f"{value * 100:.1f}".replace(".", ",") + " %"
    if kind == INT:
        return f"{int(value):,}".replace(",", "\u00a0")
    if kind == FLOAT:
        return f"{value:,.1f}".replace(",", "\u00a0").replace(".", ",")
    if kind == DATE and isinstance(value, (date, datetime)):
        return value.strftime("%d.%m.%Y")
    if kind == DATETIME and isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    return str(value)


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def percentile(histogram: dict[int, int], p: float) -> float | None:
    """The p-quantile (0..1) of the values counted in ``histogram`` ({value: count}), by linear
    interpolation between the closest ranks (the "inclusive" method of
    ``statistics.quantiles``; p=0.5 is the ordinary median)."""
    n = sum(histogram.values())
    if n == 0:
        return None
    values = sorted(histogram)

    def at(rank: int) -> int:
        seen = 0
        for value in values:
            seen += histogram[value]
            if rank < seen:
                return value
        return values[-1]

    position = p * (n - 1)
    low = int(position)
    a, b = at(low), at(min(low + 1, n - 1))
    return float(a + (b - a) * (position - low))
