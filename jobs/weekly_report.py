"""The weekly SLA workbook: every Monday at 08:00 local time (schedule ``0 8 * * mon``; note that
APScheduler counts numeric weekdays from Monday = 0, so ``* * 1`` would be Tuesday).

It covers the previous full week, Monday to Sunday (local dates), before the week the job runs
in: fired on Monday 23.11.2026 it reports 16.11.2026 – 22.11.2026; a run caught up later in the
week still reports that same week. The workbook is a scheduled run with no owner
(``data.report_runs.create_system_run``), shown in the "my reports" list of every manager and
admin, its file in the reports folder; it is produced as the system (every row, IINs masked) in
Kazakh (``KTK_WEEKLY_REPORT_LANG=ru`` for Russian). The same run purges expired reports.

The job commits by itself (``own_transactions``): progress and the result are written in short
transactions of their own, as for reports started from the page.
"""
from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any

from data import report_runs
from data.db import session_scope
from data.i18n import normalize_lang


def previous_week(today: date) -> tuple[date, date]:
    """Monday and Sunday of the week before the one ``today`` is in."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(days=7), monday - timedelta(days=1)


def job(ctx) -> dict[str, Any]:
    date_from, date_to = previous_week(ctx.today)
    lang = normalize_lang(os.environ.get("KTK_WEEKLY_REPORT_LANG", "kk"))
    with session_scope(ctx.engine) as session:
        run_id = report_runs.create_system_run(
            session, "sla", "xlsx", {"date_from": date_from.isoformat(), "date_to": date_to.isoformat()},
            lang=lang, audience=report_runs.MANAGERS, now=ctx.now).id
    outcome = report_runs.run(run_id, engine=ctx.engine, now=ctx.now)
    with session_scope(ctx.engine) as session:
        purged = report_runs.purge_expired(session, now=ctx.now)
        row = session.get(report_runs.ReportRun, run_id)
        rows, file_path, error = row.rows, row.file_path, row.error_key
    summary = {"run": run_id, "status": outcome, "from": date_from.isoformat(), "to": date_to.isoformat(),
               "file": file_path, "purged": purged}
    if outcome != "done":
        summary["error"] = error
        return {"rows": 0, "summary": summary, "outcome": "error"}
    return {"rows": rows or 0, "summary": summary}
