"""GET /files/reports/<run_id>: the file of a finished report run, for its owner (and, for the
scheduled runs meant for them, managers and admins).

Anonymous requests never get here (the gate in routes/auth.py answers /files/ with 401).
Another user's run answers 404 (whether it exists is not revealed), an expired or purged one
410, one still running or failed 409, each with a sentence in the user's language. Every
download is written to the audit trail (who, which run, file name, rows).
"""
from __future__ import annotations

import json

from flask import Flask, Response, request, send_file

from callbacks.context import current_lang, require
from data import audit
from data.db import session_scope
from data.i18n import t
from data.report_runs import Gone, NotFound, NotReady, for_download


def _refuse(key: str, status: int, lang: str) -> Response:
    return Response(t(key, lang), status=status, mimetype="text/plain; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


def download_report(run_id: int):
    user = require("reports.run")
    lang = current_lang()
    with session_scope() as session:
        try:
            found = for_download(session, user, run_id)
        except NotFound:
            return _refuse("report_page.download.not_found", 404, lang)
        except Gone:
            return _refuse("report_page.download.expired", 410, lang)
        except NotReady:
            return _refuse("report_page.download.not_ready", 409, lang)
        audit.record(session, "report.download", actor=user, entity="report_run", entity_id=run_id,
                     detail=json.dumps({"kind": found.run.kind, "format": found.run.format,
                                        "file": found.filename, "rows": found.run.rows,
                                        "filters": found.run.filters}, ensure_ascii=False),
                     ip=request.remote_addr)
    response = send_file(found.path, mimetype=found.mime, as_attachment=True, download_name=found.filename,
                         conditional=False, etag=False, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


def register(server: Flask) -> None:
    server.add_url_rule("/files/reports/<int:run_id>", "report_file", download_report)
