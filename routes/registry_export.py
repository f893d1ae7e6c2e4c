"""GET /files/registry.csv: the registry's current filter as CSV, streamed.

Parameters: the registry's (``data.queries.registry``: kind, status, akimat, reviewer, state,
from, to, q, sort), plus ``grid`` (the grid's column filters, JSON, as the page builds the
link) and ``sep=semicolon`` for ``;`` as the separator (Excel in kk/ru locales). UTF-8 with
a BOM; a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
leading apostrophe so a spreadsheet never runs it as a formula. The columns and the CSV writer
are the report engine's (``data.reports.register``, ``data.reports.csvout``): the register
extract report writes the same rows. IINs are masked as on the page
for users who may not read them. Signed-in users with ``applications.read`` and
``reports.run`` only (the gate in routes/auth.py refuses anonymous requests with 401); every
export is written to the audit trail (filter and row count) before the first row is sent.
"""
from __future__ import annotations

import json
from collections.abc import Iterator

from flask import Flask, Response, request, stream_with_context

from callbacks.context import current_lang, require, today_local
from data import audit
from data.db import session_factory
from data.i18n import t
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
from data.reports import csvout
from data.reports import register as register_columns

# The CSV writer and the columns are the report engine's (the register extract writes the same).
neutralize = csvout.neutralize
header = register_columns.header


def csv_row(row: RegistryRow, lang: str) -> list[str]:
    return [csvout.cell_text(v, k) for v, k in zip(register_columns.row_values(row, lang), register_columns.types())]


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
            rows = (register_columns.row_values(row, lang)
                    for row in iter_export(session, ctx, filters, None, filter_model))
            yield from csvout.iter_csv(header(lang), rows, delimiter, register_columns.types())
        finally:
            session.rollback()
            session.close()

    name = f"registry-{today_local():%Y%m%d}.csv"
    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store"})


def register(server: Flask) -> None:
    server.add_url_rule("/files/registry.csv", "registry_export", export_registry)
