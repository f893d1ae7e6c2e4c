"""The one-page PDF management summary (reportlab, fully offline): title, filter, generation time,
the headline figures as cards, and up to three charts drawn by reportlab's own chart library.

Cyrillic and Kazakh letters need a TrueType font that has them: DejaVu Sans, which Debian
installs with ``fonts-dejavu-core`` (``make test`` installs it when missing). ``KTK_PDF_FONT``
may name another TTF file (regular; a bold file is looked for beside it).
"""
from __future__ import annotations

import os
from datetime import date
from functools import lru_cache
from pathlib import Path

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import STATE_DEFAULTS, Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.graphics import renderPDF

from data.errors import DomainError
from data.i18n import t
from data.reports.model import PCT, Chart, Report, Table

FONT, FONT_BOLD = "KTKSans", "KTKSans-Bold"
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF",
             "/usr/local/share/fonts", "/usr/share/fonts/truetype")
PALETTE = [colors.HexColor(c) for c in ("#2F6DB5", "#E08A2E", "#3A9A6B", "#C0504D", "#7A5BA6")]
INK = colors.HexColor("#1F3B5B")
MUTED = colors.HexColor("#5F6B7A")
CARD = colors.HexColor("#F2F5F9")
LINE = colors.HexColor("#D5DDE6")


def _find(names: tuple[str, ...]) -> Path | None:
    for folder in FONT_DIRS:
        for name in names:
            path = Path(folder) / name
            if path.is_file():
                return path
    return None


@lru_cache(maxsize=1)
def register_fonts() -> tuple[str, str]:
    regular = os.environ.get("KTK_PDF_FONT")
    regular_path = Path(regular) if regular else _find(("DejaVuSans.ttf",))
    if regular_path is None or not regular_path.is_file():
        raise DomainError("reports_no_font")
    bold_path = regular_path.with_name(regular_path.stem + "-Bold.ttf")
    if not bold_path.is_file():
        bold_path = _find(("DejaVuSans-Bold.ttf",)) or regular_path
    pdfmetrics.registerFont(TTFont(FONT, str(regular_path)))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(bold_path)))
    # reportlab's drawings start every chart in Times-Roman, which has no Cyrillic: ours instead
    STATE_DEFAULTS["fontName"] = FONT
    return FONT, FONT_BOLD


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if pdfmetrics.stringWidth(candidate, font, size) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def _shorten(text: str, font: str, size: float, width: float) -> str:
    text = str(text)
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _chart_rows(table: Table, spec: Chart) -> list:
    rows = table.rows if isinstance(table.rows, list) else []
    return rows[:spec.max_points]


def _drawing(spec: Chart, table: Table, width: float, height: float) -> Drawing | None:
    rows = [r for r in _chart_rows(table, spec) if any(isinstance(r[c], (int, float)) for c in spec.value_cols)]
    if not rows:
        return None
    d = Drawing(width, height)
    d.add(String(0, height - 11, spec.title, fontName=FONT_BOLD, fontSize=9, fillColor=INK))
    names = [table.columns[c].label for c in spec.value_cols]
    scale = [100.0 if table.columns[c].type == PCT else 1.0 for c in spec.value_cols]
    data = [[float(r[c] or 0) * k for r in rows] for c, k in zip(spec.value_cols, scale)]
    cats = [r[spec.category_col].strftime("%d.%m") if isinstance(r[spec.category_col], date)
            else str(r[spec.category_col] or "") for r in rows]
    legend_h = 14 if len(spec.value_cols) > 1 else 0
    if spec.type == "line":
        chart = LinePlot()
        chart.x, chart.y = 30, 22 + legend_h
        chart.width, chart.height = width - 40, height - 44 - legend_h
        chart.data = [[(i, v) for i, v in enumerate(series)] for series in data]
        for i in range(len(data)):
            chart.lines[i].strokeColor = PALETTE[i % len(PALETTE)]
            chart.lines[i].strokeWidth = 1.6
        chart.xValueAxis.valueMin, chart.xValueAxis.valueMax = 0, max(1, len(rows) - 1)
        step = max(1, len(rows) // 6)
        chart.xValueAxis.valueSteps = list(range(0, len(rows), step))
        chart.xValueAxis.labelTextFormat = lambda v: cats[int(v)] if 0 <= int(v) < len(cats) else ""
        chart.xValueAxis.labels.fontName = FONT
        chart.xValueAxis.labels.fontSize = 6
        chart.yValueAxis.labels.fontName = FONT
        chart.yValueAxis.labels.fontSize = 6
        chart.yValueAxis.valueMin = 0
    elif spec.type == "bar" or len(rows) > 8:
        chart = HorizontalBarChart()
        label_w = min(110, max(pdfmetrics.stringWidth(c, FONT, 6) for c in cats) + 4)
        per = 16 if (spec.stacked or len(data) == 1) else 9 * len(data) + 4
        plot_h = min(height - 32 - legend_h, max(40, len(rows) * per))
        chart.x, chart.y = label_w, height - 16 - plot_h
        chart.width, chart.height = width - label_w - 10, plot_h
        chart.data = [list(reversed(series)) for series in data]
        chart.categoryAxis.categoryNames = [_shorten(c, FONT, 6, label_w - 4) for c in reversed(cats)]
        chart.categoryAxis.labels.fontName = FONT
        chart.categoryAxis.labels.fontSize = 6
        chart.categoryAxis.labels.boxAnchor = "e"
        chart.valueAxis.labels.fontName = FONT
        chart.valueAxis.labels.fontSize = 6
        chart.valueAxis.valueMin = 0
        chart.barSpacing = 0
        chart.groupSpacing = 2
        if len(data) > 1 and spec.stacked:
            chart.categoryAxis.style = "stacked"
    else:
        chart = VerticalBarChart()
        chart.x, chart.y = 30, 30 + legend_h
        chart.width, chart.height = width - 40, height - 52 - legend_h
        chart.data = data
        chart.categoryAxis.categoryNames = [_shorten(c, FONT, 6, chart.width / max(1, len(cats)) - 2) for c in cats]
        chart.categoryAxis.labels.fontName = FONT
        chart.categoryAxis.labels.fontSize = 6
        chart.valueAxis.labels.fontName = FONT
        chart.valueAxis.labels.fontSize = 6
        chart.valueAxis.valueMin = 0
        chart.groupSpacing = 4
        if len(data) > 1 and spec.stacked:
            chart.categoryAxis.style = "stacked"
    values = [v for series in data for v in series]
    axis = chart.yValueAxis if spec.type == "line" else chart.valueAxis
    if values and all(float(v).is_integer() for v in values) and max(values) < 8:
        axis.valueStep = 1  # counts: no fractional ticks
    if spec.type != "line":
        for i in range(len(data)):
            chart.bars[i].fillColor = PALETTE[i % len(PALETTE)]
            chart.bars[i].strokeColor = None
    d.add(chart)
    if legend_h:
        legend = Legend()
        legend.x, legend.y = 30, (chart.y - 14) if isinstance(chart, HorizontalBarChart) else 6
        legend.fontName, legend.fontSize = FONT, 7
        legend.alignment = "right"
        legend.columnMaximum = 1
        legend.deltax = 90
        legend.dx, legend.dy = 6, 6
        legend.colorNamePairs = [(PALETTE[i % len(PALETTE)], _shorten(n, FONT, 7, 120)) for i, n in enumerate(names)]
        d.add(legend)
    return d


def write_report(report: Report, path: Path) -> None:
    register_fonts()
    width, height = A4
    margin = 15 * mm
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1, initialFontName=FONT, initialFontSize=10)
    c.setTitle(report.title)
    c.setAuthor(t("reports.generated_by", report.lang))
    c.setSubject(report.title)
    y = height - margin
    c.setFillColor(INK)
    c.setFont(FONT_BOLD, 17)
    c.drawString(margin, y - 14, report.title)
    y -= 24
    c.setFont(FONT, 8.5)
    c.setFillColor(MUTED)
    parts = [f"{label}: {value}" for label, value in report.filter_lines]
    parts.append(f"{t('reports.generated_at', report.lang)}: {report.generated_at:%d.%m.%Y %H:%M}")
    for line in _wrap(" · ".join(parts), FONT, 8.5, width - 2 * margin):
        y -= 11
        c.drawString(margin, y, line)
    y -= 10
    c.setStrokeColor(LINE)
    c.line(margin, y, width - margin, y)
    y -= 8

    # the figures, as cards, three per row
    per_row, gap = 3, 6
    card_w = (width - 2 * margin - gap * (per_row - 1)) / per_row
    card_h = 40
    for index, figure in enumerate(report.figures):
        col, row = index % per_row, index // per_row
        x = margin + col * (card_w + gap)
        top = y - row * (card_h + gap)
        c.setFillColor(CARD)
        c.setStrokeColor(LINE)
        c.roundRect(x, top - card_h, card_w, card_h, 4, stroke=1, fill=1)
        c.setFillColor(MUTED)
        c.setFont(FONT, 7.2)
        label_lines = _wrap(figure.label, FONT, 7.2, card_w - 12)[:2]
        for n, line in enumerate(label_lines):
            c.drawString(x + 6, top - 10 - n * 8.5, line)
        c.setFillColor(INK)
        c.setFont(FONT_BOLD, 14)
        c.drawString(x + 6, top - card_h + 7, figure.formatted(report.lang))
    rows_used = -(-len(report.figures) // per_row)
    y -= rows_used * (card_h + gap) + 6

    for note in report.notes:
        c.setFont(FONT, 7.5)
        c.setFillColor(MUTED)
        for line in _wrap(note, FONT, 7.5, width - 2 * margin):
            y -= 9.5
            c.drawString(margin, y, line)
    y -= 8

    # up to three charts: the first across the page, the next two side by side
    drawings = []
    for spec in report.charts:
        table = next((tb for tb in report.tables if tb.name == spec.table), None)
        if table is None:
            continue
        if isinstance(table.rows, list):
            table.written = len(table.rows)
        drawings.append(spec)
    drawings = drawings[:3]
    available = y - margin - 12
    if drawings and available > 120:
        first_h = min(230, available * (0.5 if len(drawings) > 1 else 1.0))
        spec = drawings[0]
        d = _drawing(spec, report.table(spec.table), width - 2 * margin, first_h)
        if d is not None:
            renderPDF.draw(d, c, margin, y - first_h)
            y -= first_h + 10
        rest = drawings[1:]
        if rest:
            h = min(230, y - margin - 12)
            w = (width - 2 * margin - 10) / len(rest)
            for i, spec in enumerate(rest):
                d = _drawing(spec, report.table(spec.table), w, h)
                if d is not None:
                    renderPDF.draw(d, c, margin + i * (w + 10), y - h)
    elif not report.figures:
        c.setFont(FONT, 10)
        c.drawString(margin, y - 12, t("reports.no_data", report.lang))

    c.setFont(FONT, 7)
    c.setFillColor(MUTED)
    c.drawString(margin, margin - 8, t("reports.generated_by", report.lang))
    c.drawRightString(width - margin, margin - 8, t("reports.page_of", report.lang, page=1))
    c.showPage()
    c.save()
