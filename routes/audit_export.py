"""GET /files/audit.csv: the audit search's current filter as CSV (admins, ``audit.read``).

Parameters as on the page (``data.queries.audit``). The export itself is written to the audit
trail (action ``export``, entity ``audit``, the filter and the row count) before the first row
is sent. UTF-8 with a BOM, ``;`` separated (Excel in kk/ru locales); cells that a spreadsheet
would run as a formula get a leading apostrophe; IINs masked for readers without ``iin.read``.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from flask import Flask, Response, request, stream_with_context

from callbacks.audit import action_label, actor_text, detail_text, entity_text
from callbacks.context import current_lang, require, today_local
from data import audit
from data.access import can
from data.db import session_factory
from data.i18n import fmt_datetime, t
from data.queries.audit import count, iter_rows, mask_text, parse_filters
from routes.registry_export import neutralize

FLUSH_BYTES = 64 * 1024


def _columns(lang: str) -> list[str]:
    return [t(f"audit.col.{name}", lang) for name in ("id", "at", "actor", "action", "entity", "detail", "ip")] + \
        [t("audit.details.before", lang), t("audit.details.after", lang)]


def export_audit():
    user = require("audit.read")
    lang = current_lang()
    args = {key: request.args.get(key) for key in request.args}
    filters, problems = parse_filters(args)
    if problems:
        return Response(t("audit.csv.refused", lang), status=400, mimetype="text/plain; charset=utf-8")
    full = can(user, "iin.read")
    session = session_factory()()
    try:
        total, _exact = count(session, filters)
        audit.record(session, "export", actor=user, entity="audit",
                     detail=json.dumps({"filter": filters.as_params(), "rows": total}, ensure_ascii=False),
                     ip=request.remote_addr)
        session.commit()
    except BaseException:
        session.rollback()
        session.close()
        raise

    def shown(text: str | None) -> str:
        return (text or "") if full else (mask_text(text) or "")

    def generate() -> Iterator[str]:
        try:
            buffer = io.StringIO()
            writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
            buffer.write("\ufeff")
            writer.writerow([neutralize(h) for h in _columns(lang)])
            for row in iter_rows(session, filters):
                before = json.dumps(row.before, ensure_ascii=False) if row.before is not None else ""
                after = json.dumps(row.after, ensure_ascii=False) if row.after is not None else ""
                writer.writerow([neutralize(c) for c in (
                    row.id, fmt_datetime(row.local_at), actor_text(row, lang), action_label(row.action, lang),
                    entity_text(row, lang), shown(detail_text(row.detail, lang)), row.ip, shown(before), shown(after))])
                if buffer.tell() >= FLUSH_BYTES:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()
        finally:
            session.rollback()
            session.close()

    name = f"audit-{today_local():%Y%m%d}.csv"
    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


def register(server: Flask) -> None:
    server.add_url_rule("/files/audit.csv", "audit_export", export_audit)
