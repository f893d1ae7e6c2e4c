"""flask --app app report KIND --format xlsx|csv|pdf --out PATH [--from DATE --to DATE] [--akimat KATO]
[--kind K] [--reviewer ID] [--lang kk|ru] [--delimiter ';'] [--as USERNAME] [--json]

Writes one report file (``data.reports.generate``). PATH is a file name (its extension must be
the format's) or an existing directory (the file then gets the download name,
``sla_2026-11-22.xlsx``). Without ``--as`` the report runs as the system: every row, IINs masked;
with ``--as`` as that user (their role's rows and IIN rule; refused without ``reports.run``).
Every run is logged in the audit trail. Bad input: a message in ``--lang`` and exit code 2.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from cli.common import LANG_OPTION, fail, migrated_session
from data.errors import DomainError
from data.i18n import t
from data.models import User
from data.reports import FORMATS, KINDS, ReportFilters, generate


@click.command("report", help="Write a report file: KIND is one of " + ", ".join(KINDS) + ".")
@click.argument("kind")
@click.option("--format", "fmt", required=True, help="xlsx | csv | pdf")
@click.option("--out", "out", required=True, type=click.Path(), help="File to write, or an existing directory.")
@click.option("--from", "date_from", default=None, help="Period start (YYYY-MM-DD or dd.mm.yyyy); default: 30 days "
              "before --to.")
@click.option("--to", "date_to", default=None, help="Period end, inclusive; default: today.")
@click.option("--akimat", default=None, help="KATO code of an akimat or a region (a region includes its districts).")
@click.option("--kind", "app_kind", default=None, help="Application kind: correction | rent_to_own.")
@click.option("--reviewer", default=None, help="Reviewer's user id.")
@click.option("--delimiter", default=",", help="CSV separator: ',' or ';'.")
@click.option("--as", "username", default=None, help="Run as this user (their scope and IIN rule).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of a line.")
@LANG_OPTION
def report_command(kind: str, fmt: str, out: str, date_from: str | None, date_to: str | None, akimat: str | None,
                   app_kind: str | None, reviewer: str | None, delimiter: str, username: str | None, as_json: bool,
                   lang: str) -> None:
    try:
        if kind not in KINDS:
            raise DomainError("reports_unknown_kind", value=kind, known=", ".join(KINDS))
        if fmt not in FORMATS:
            raise DomainError("reports_unknown_format", value=fmt, known=", ".join(FORMATS))
        filters = ReportFilters.from_json({"date_from": date_from, "date_to": date_to, "kind": app_kind,
                                           "akimat_kato": akimat, "reviewer_id": reviewer,
                                           "csv_delimiter": delimiter})
    except DomainError as exc:
        fail(exc.message(lang))
    target = Path(out)
    if target.is_dir():
        directory, name = target, None
    else:
        directory, name = target.parent if str(target.parent) else Path("."), target.name
        if target.suffix.lower() != f".{fmt}":
            fail(t("reports.cli.extension", lang, path=out, fmt=fmt))
        if not directory.is_dir():
            fail(t("reports.cli.bad_out", lang, path=out, reason=t("reports.cli.no_dir", lang)))
    if not os.access(directory, os.W_OK):
        fail(t("reports.cli.bad_out", lang, path=out, reason=t("reports.cli.no_write", lang)))
    with migrated_session(lang) as session:
        user = None
        if username:
            user = session.scalar(select(User).where(User.username == username))
            if user is None or not user.is_active:
                fail(t("reports.cli.unknown_user", lang, username=username))
        with tempfile.TemporaryDirectory(dir=directory, prefix=".report-") as work:
            result = generate(session, kind, fmt, filters, user=user, lang=lang, out_dir=Path(work))
            final = directory / (name or result.filename)
            shutil.move(str(result.path), final)
    if as_json:
        click.echo(json.dumps({"path": str(final), "filename": result.filename, "rows": result.rows,
                               "mime": result.mime, "kind": kind, "format": fmt, "filter": filters.to_json(),
                               "as": username}, ensure_ascii=False, indent=2))
    else:
        click.echo(t("reports.cli.done", lang, path=str(final), rows=result.rows, name=result.filename))


def register(server: Flask) -> None:
    server.cli.add_command(report_command)
