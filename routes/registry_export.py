"""GET /files/registry.csv: the registry's current filter as CSV, streamed.

Parameters: the registry's (``data.queries.registry``: kind, status, akimat, reviewer, state,
from, to, q, sort), plus ``grid`` (the grid's column filters, JSON, as the page builds the
link) and ``sep=semicolon`` for ``;`` as the separator (Excel in kk/ru locales). UTF-8 with
a BOM; a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
leading apostrophe so a spreadsheet never runs it as a formula. IINs are masked as on the page
for users who may not read them. Signed-in users with ``applications.read`` and
``reports.run`` only (the gate in routes/auth.py refuses anonymous requests with 401); every
export is written to the audit trail (filter and row count) before the first row is sent.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from flask import Flask, Response, request, stream_with_context

from callbacks.context import current_lang, require, today_local
from data import audit
from data.db import session_factory
from data.i18n import fmt_date, t
from data.queries.registry import (
    GridRequestError,
    RegistryRow,
    conditions,
    count_rows,
    iter_export,
    parse_filters,
    parse_grid_json,
    query_context,
    sort_from_model,
)
from data.statuses import WORKFLOWS

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FLUSH_BYTES = 64 * 1024


def neutralize(value: object) -> str:
    """A cell as text; one a spreadsheet would read as a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def header(lang: str) -> list[str]:
    return [t("registry.col.id", lang), t("registry.col.registration_number", lang),
            t("registry.col.registration_date", lang), t("registry.col.kind", lang),
            t("registry.col.applicant_name", lang), t("registry.col.applicant_id", lang),
            t("registry.col.akimat", lang), t("registry.col.status", lang), t("registry.col.reviewer", lang),
            t("registry.col.due_date", lang), t("registry.csv.state", lang), t("registry.csv.days_wd", lang),
            t("registry.csv.days_cd", lang), t("registry.col.contract_number", lang)]


def csv_row(row: RegistryRow, lang: str) -> list[str]:
    workflow = WORKFLOWS.get(row.kind)
    status = workflow.by_code.get(row.status) if workflow else None
    state = t(f"registry.state.{row.state}", lang) if row.state else (
        t("registry.csv.open", lang) if row.is_open else t("registry.csv.closed", lang))
    cells = [row.id, row.registration_number, fmt_date(row.registration_date), t(f"kind.{row.kind}.short", lang),
             row.applicant_name, row.applicant_id, row.akimat(lang), status.label(lang) if status else row.status,
             row.reviewer, fmt_date(row.due_date) if row.is_open else "", state,
             _abs(row.days_wd), _abs(row.days_cd), row.contract_number]
    return [neutralize(c) for c in cells]


def _abs(value: int | None) -> int | None:
    """Days as a plain count; whether they are left or overdue is the state column."""
    return None if value is None else abs(value)


def export_registry():
    user = require("applications.read")
    require("reports.run")
    lang = current_lang()
    args = {key: request.args.get(key) for key in request.args}
    filters, _problems = parse_filters(args)
    delimiter = ";" if args.get("sep") in ("semicolon", ";") else ","
    session = session_factory()()
    try:
        filter_model = parse_grid_json(args.get("grid"))
        ctx = query_context(session, user, today_local())
        conditions(session, ctx, filters, filter_model)  # a bad column filter is refused here, before anything
        sort_from_model(None, filters.sort)
        total = count_rows(session, ctx, filters, filter_model)
        detail = {key: value for key, value in args.items() if key != "sep" and value}
        audit.record(session, "export", actor=user, entity="registry",
                     detail=json.dumps({"filter": detail, "rows": total}, ensure_ascii=False),
                     ip=request.remote_addr)
        session.commit()
    except (GridRequestError, ValueError):
        session.rollback()
        session.close()
        return Response(t("registry.export.refused", lang), status=400, mimetype="text/plain; charset=utf-8")
    except BaseException:
        session.rollback()
        session.close()
        raise

    def generate() -> Iterator[str]:
        try:
            buffer = io.StringIO()
            writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
            buffer.write("\ufeff")
            writer.writerow([neutralize(h) for h in header(lang)])
            for row in iter_export(session, ctx, filters, None, filter_model):
                writer.writerow(csv_row(row, lang))
                if buffer.tell() >= FLUSH_BYTES:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()
        finally:
            session.rollback()
            session.close()

    name = f"registry-{today_local():%Y%m%d}.csv"
    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store"})


def register(server: Flask) -> None:
    server.add_url_rule("/files/registry.csv", "registry_export", export_registry)
