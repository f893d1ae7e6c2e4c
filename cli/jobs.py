"""flask --app app jobs list | run NAME"""
from __future__ import annotations

import json
import sys

import click
from flask import Flask

from cli.common import LANG_OPTION, fail, migrated_session
from data.config import LOCAL_TZ
from data.i18n import fmt_datetime, t


def _local(moment) -> str:
    return fmt_datetime(moment.astimezone(LOCAL_TZ)) if moment else "—"


@click.group("jobs", help="Scheduled jobs: list them, run one now.")
def jobs_group() -> None:
    pass


@jobs_group.command("list", help="Every job with its schedule, last run and next run.")
@LANG_OPTION
def list_command(lang: str) -> None:
    from data.job_history import list_jobs

    with migrated_session(lang) as session:
        jobs = list_jobs(session, lang)
    click.echo(t("jobs.cli.header", lang))
    for job in jobs:
        last = job.last_run
        click.echo("\t".join((
            job.name,
            job.schedule or t("jobs.schedule.off" if job.disabled else "jobs.schedule.on_demand", lang),
            _local(last.started_at) if last else t("jobs.never", lang),
            t(f"jobs.outcome.{last.outcome}", lang) if last else "",
            "" if last is None or last.rows is None else str(last.rows),
            "" if last is None or last.duration_ms is None else str(last.duration_ms),
            _local(job.next_run) if job.next_run else "—",
        )))


@jobs_group.command("run", help="Run job NAME once, now, with the same locking as the scheduler.")
@click.argument("name")
@LANG_OPTION
def run_command(name: str, lang: str) -> None:
    from jobs.runner import JOBS, run_job

    if name not in JOBS:
        fail(t("jobs.cli.unknown", lang, name=name, known=", ".join(JOBS)))
    with migrated_session(lang):
        pass  # the migrated-database check, with its clear message
    record = run_job(name, trigger="manual")
    if not record.claimed:
        fail(t("jobs.cli.duplicate", lang, name=name, period=record.period), 1)
    click.echo(t("jobs.cli.done", lang, name=name, outcome=t(f"jobs.outcome.{record.outcome}", lang),
                 rows="—" if record.rows is None else record.rows, ms=record.duration_ms))
    if record.summary:
        click.echo(json.dumps(record.summary, ensure_ascii=False, indent=2, default=str))
    if record.outcome == "error":
        click.echo(record.error or "", err=True)
        sys.exit(1)


def register(server: Flask) -> None:
    server.cli.add_command(jobs_group)
