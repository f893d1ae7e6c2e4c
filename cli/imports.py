"""flask --app app import-list | notify-recipients | expire-recipients | list-report"""
from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click
from flask import Flask

from cli.common import LANG_OPTION, fail, migrated_session
from data import audit
from data.config import LOCAL_TZ
from data.errors import DomainError
from data.i18n import t
from data.imports import ImportFileError, build_report, import_list, issue_message
from data.models import ListBatch
from data.recipients import expire_recipients, notify_recipients
from data.workflows import parse_date, parse_datetime

SHOWN_ERRORS = 50


def _moment(text: str | None, lang: str) -> datetime | None:
    if not text:
        return None
    try:
        return parse_datetime(text)
    except DomainError as exc:
        fail(exc.message(lang))
    return None


@click.command("import-list", help="Load an akimat's tenant list FILE (.xlsx, .xls, .csv) for the akimat "
               "KATO. Exit 0 when the file was read (even with row errors), 1 when it could not be read.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--akimat", "kato", required=True, help="The akimat's 9-digit KATO code.")
@click.option("--received", default=None, help="When the file was received (ISO date-time, local time); "
              "default: now.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the error report (.xlsx, in --lang) to this path when rows have errors.")
@click.option("--validate-only", is_flag=True, help="Check and keep the batch as 'validated' without loading.")
@LANG_OPTION
def import_list_command(file: Path, kato: str, received: str | None, as_json: bool, report_path: Path | None,
                        validate_only: bool, lang: str) -> None:
    received_at = _moment(received, lang)
    with migrated_session(lang) as session:
        try:
            result = import_list(session, file, akimat=kato, received_at=received_at, source_kind="cli",
                                 validate_only=validate_only)
        except ImportFileError as exc:
            message = exc.message(lang)
            result = None
        if result is not None and report_path is not None and result.issues:
            report_path.write_bytes(build_report(session, result.batch_id, lang))
    if result is None:
        fail(message)
    if as_json:
        click.echo(json.dumps(result.to_dict(lang), ensure_ascii=False, indent=2))
    else:
        _print_summary(result, lang)
        if report_path is not None and result.issues:
            click.echo(t("import.cli.report_written", lang, path=report_path))
    if not result.readable:
        click.echo(result.error_message(lang), err=True)
        sys.exit(1)


def _print_summary(result, lang: str) -> None:
    click.echo(t("import.cli.summary", lang, batch_id=result.batch_id, status=t(f"import.status.{result.status}", lang),
                 total=result.rows_total, loaded=result.rows_loaded, invalid=result.rows_invalid,
                 duplicates=result.rows_duplicate, already=result.rows_already_listed))
    if result.error_code and result.readable:
        click.echo(result.error_message(lang))
    if result.ignored_columns:
        click.echo(t("import.cli.ignored", lang, columns=", ".join(result.ignored_columns)))
    for issue in result.issues[:SHOWN_ERRORS]:
        column = f" [{issue.column}]" if issue.column else ""
        click.echo(f"{issue.row}{column}: {issue_message(issue.code, issue.params, lang)}")
    if len(result.issues) > SHOWN_ERRORS:
        click.echo(t("import.cli.more_errors", lang, count=len(result.issues) - SHOWN_ERRORS))


@click.command("notify-recipients", help="Mark the listed recipients of batch ID as notified by SMS "
               "(starts their 15-calendar-day application window).")
@click.option("--batch", "batch_id", type=int, required=True)
@click.option("--sent", default=None, help="When the SMS was sent (ISO date-time, local time); default: now.")
@LANG_OPTION
def notify_command(batch_id: int, sent: str | None, lang: str) -> None:
    sent_at = _moment(sent, lang) or datetime.now(LOCAL_TZ)
    with migrated_session(lang) as session:
        if session.get(ListBatch, batch_id) is None:
            missing = True
        else:
            missing = False
            result = notify_recipients(session, batch_id=batch_id, sent_at=sent_at)
            audit.record(session, "recipients_notified", entity="list_batch", entity_id=batch_id,
                         detail=audit.message("audit.msg.recipients_notified.cli", sent_at=sent_at.isoformat(),
                                              notified=result.count, skipped=len(result.skipped)))
    if missing:
        fail(t("import.cli.no_batch", lang, batch_id=batch_id))
    click.echo(t("import.cli.notified", lang, count=result.count, skipped=len(result.skipped)))


@click.command("expire-recipients", help="Mark notified recipients whose application window ended as expired.")
@click.option("--today", default=None, help="The day to check (ISO date); default: today.")
@LANG_OPTION
def expire_command(today: str | None, lang: str) -> None:
    try:
        day = parse_date(today) if today else datetime.now(LOCAL_TZ).date()
    except DomainError as exc:
        fail(exc.message(lang))
    with migrated_session(lang) as session:
        count = expire_recipients(session, day)
    click.echo(t("import.cli.expired", lang, count=count))


@click.command("list-report", help="Write the error report of batch ID to OUTPUT (.xlsx).")
@click.argument("batch_id", type=int)
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@LANG_OPTION
def report_command(batch_id: int, output: Path, lang: str) -> None:
    with migrated_session(lang) as session:
        content = build_report(session, batch_id, lang) if session.get(ListBatch, batch_id) else None
    if content is None:
        fail(t("import.cli.no_batch", lang, batch_id=batch_id))
    output.write_bytes(content)
    click.echo(t("import.cli.report_written", lang, path=output))


def register(server: Flask) -> None:
    for command in (import_list_command, notify_command, expire_command, report_command):
        server.cli.add_command(command)
