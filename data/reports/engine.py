"""Running a report: check who asks and the filter, build it, write the file, log the export.

``generate`` writes into ``out_dir`` under a unique name (two runs on one day never collide) and
returns the download name separately (``sla_2026-11-22.xlsx``). The export is written to the
audit trail in the caller's session (action ``export``, entity ``report``, the kind as entity
id, the detail a JSON object with kind, format, filter, rows and file name); the caller commits,
as everywhere in ``data/``.

``user`` None is the system (the scheduled report, the command line without ``--as``): it sees
every row, like a manager, but IINs are masked, because its files land on disk for whoever opens
them.
"""
from __future__ import annotations

import importlib
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from data import audit
from data.access import can
from data.config import LOCAL_TZ
from data.errors import DomainError
from data.i18n import normalize_lang, t
from data.models import User
from data.models.base import utcnow
from data.reports import register
from data.reports.filters import FORMATS, KINDS, Resolved, ReportFilters, check
from data.reports.model import Report
from data.reports.xlsxout import EXCEL_MAX_ROWS

MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}
# What a kind reads: the permission a user needs for it besides reports.run.
NEEDS = {"sla": "applications.read", "backlog": "applications.read", "lists": "lists.read",
         "complaints": "complaints.read", "register": "applications.read"}


@dataclass
class ReportResult:
    path: Path
    filename: str
    rows: int
    mime: str


def authorize(user: User | None, kind: str) -> None:
    if user is None:
        return
    if not can(user, "reports.run") or not can(user, NEEDS.get(kind, "reports.run")):
        raise DomainError("reports_forbidden")


def filter_lines(resolved: Resolved, kind: str, lang: str) -> list[tuple[str, str]]:
    f = resolved.filters
    lines = [(t("reports.filter.period", lang),
              f"{resolved.date_from:%d.%m.%Y} – {resolved.date_to:%d.%m.%Y}")]
    if kind != "lists":  # lists have no application kind or reviewer
        lines.append((t("reports.filter.kind", lang), t(f"kind.{f.kind}.short", lang) if f.kind
                      else t("reports.filter.all", lang)))
    lines.append((t("reports.filter.akimat", lang),
                  (resolved.akimat_name[1] if lang == "ru" else resolved.akimat_name[0]) + f" ({f.akimat_kato})"
                  if resolved.akimat_name else t("reports.filter.all", lang)))
    if kind != "lists":
        lines.append((t("reports.filter.reviewer", lang), resolved.reviewer_name or t("reports.filter.all", lang)))
    return lines


def build(session: Session, kind: str, filters: ReportFilters, *, user: User | None, lang: str, today: date,
          generated_at: datetime, preview: bool = False) -> Report:
    """The report's content (tables stream when written). ``preview``: the figures only."""
    lang = normalize_lang(lang)
    authorize(user, kind)
    resolved = check(session, kind, None, filters, today)
    report = Report(kind=kind, title=t(f"reports.kind.{kind}", lang), lang=lang, generated_at=generated_at,
                    filter_lines=filter_lines(resolved, kind, lang))
    importlib.import_module(f"data.reports.{kind}").build(session, report, resolved, user, today, preview=preview)
    return report


def preview(session: Session, kind: str, filters: ReportFilters, *, user: User | None, lang: str,
            today: date) -> list[tuple[str, str]]:
    """The headline figures as (label, formatted value), for the reports page."""
    now = datetime.now(LOCAL_TZ)
    report = build(session, kind, filters, user=user, lang=lang, today=today, generated_at=now, preview=True)
    return [(figure.label, figure.formatted(report.lang)) for figure in report.figures]


def generate(session: Session, kind: str, fmt: str, filters: ReportFilters, *, user: User | None, lang: str,
             out_dir: Path, now: datetime | None = None, progress: Callable[[float], None] | None = None,
             max_rows: int = EXCEL_MAX_ROWS) -> ReportResult:
    """Write the report file; see the module docstring. ``max_rows``: rows per Excel sheet."""
    if fmt not in FORMATS:
        raise DomainError("reports_unknown_format", value=str(fmt)[:40], known=", ".join(FORMATS))
    if kind not in KINDS:
        raise DomainError("reports_unknown_kind", value=str(kind)[:40], known=", ".join(KINDS))
    now = now or utcnow()
    if now.tzinfo is None:
        raise ValueError("now must be time-zone aware")
    local_now = now.astimezone(LOCAL_TZ)
    today = local_now.date()
    lang = normalize_lang(lang)
    report = build(session, kind, filters, user=user, lang=lang, today=today, generated_at=local_now)
    expected = sum(tb.total or 0 for tb in report.tables) or None

    def rows_done(n: int) -> None:
        if progress is not None and expected:
            progress(min(0.95, 0.05 + 0.9 * n / expected))

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    filename = f"{kind}_{today.isoformat()}.{fmt}"
    path = out_dir / f"{kind}_{local_now:%Y-%m-%d_%H%M%S}_{uuid.uuid4().hex[:8]}.{fmt}"
    partial = path.with_name(path.name + ".part")
    if progress is not None:
        progress(0.05)
    try:
        if fmt == "xlsx":
            from data.reports import xlsxout

            xlsxout.write_report(report, partial, max_rows=max_rows, progress=rows_done)
        elif fmt == "csv":
            from data.reports import csvout

            with open(partial, "w", encoding="utf-8", newline="") as out:
                csvout.write_report(report, out, filters.csv_delimiter, progress=rows_done)
        else:
            from data.reports import pdfout

            pdfout.write_report(report, partial)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    rows = report.rows
    audit.record(session, "export", actor=user, actor_name=None if user else register.SYSTEM_USERNAME,
                 entity="report", entity_id=kind,
                 detail=json.dumps({"report": kind, "format": fmt, "filter": filters.to_json(), "rows": rows,
                                    "file": filename}, ensure_ascii=False))
    if progress is not None:
        progress(1.0)
    return ReportResult(path, filename, rows, MIME[fmt])
