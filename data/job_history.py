"""What the Jobs page and the overview need about scheduled jobs: the jobs with their schedule,
last and next run, the run history, failing jobs, and running a job now.

Run history is ``job_runs`` (written by ``jobs.runner.run_job``). The next run comes from the
scheduler's persistent job store (``apscheduler_jobs``), so it is known in every process,
including web workers that run no scheduler; it is ``None`` while no scheduler has stored the job.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, Float, MetaData, String, Table, Column, func, inspect, select
from sqlalchemy.orm import Session

from data.i18n import t
from data.models.base import utcnow
from data.models.jobs import JobRun

FINISHED = ("ok", "skipped", "error")


@dataclass
class RunRow:
    id: int
    job: str
    period: str
    trigger: str
    scheduled_at: datetime | None
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    outcome: str
    rows: int | None
    summary: dict[str, Any] | None
    error: str | None
    host: str | None
    pid: int | None

    @classmethod
    def of(cls, run: JobRun) -> "RunRow":
        return cls(run.id, run.job, run.period, run.trigger, run.scheduled_at, run.started_at, run.finished_at,
                   run.duration_ms, run.outcome, run.rows, run.summary, run.error, run.host, run.pid)


@dataclass
class JobInfo:
    name: str
    title: str
    about: str
    schedule: str  # crontab expressions in local time; "" = not scheduled
    scheduled: bool
    disabled: bool  # has a default schedule, switched off (KTK_JOB_SCHEDULE_<NAME>=off)
    next_run: datetime | None
    last_run: RunRow | None
    last_ok_at: datetime | None
    failing: bool


@dataclass
class FailingJob:
    name: str
    title: str
    since: datetime  # start of the first failed run after the last good one
    failures: int  # failed runs in a row
    last_error: str | None
    last_ok_at: datetime | None


def _latest_runs(session: Session, finished_only: bool = False) -> dict[str, JobRun]:
    inner = select(func.max(JobRun.id))
    if finished_only:
        inner = inner.where(JobRun.outcome.in_(FINISHED))
    ids = inner.group_by(JobRun.job)
    return {run.job: run for run in session.scalars(select(JobRun).where(JobRun.id.in_(ids)))}


def _last_ok(session: Session) -> dict[str, tuple[int, datetime | None]]:
    rows = session.execute(
        select(JobRun.job, func.max(JobRun.id)).where(JobRun.outcome == "ok").group_by(JobRun.job)).all()
    ids = {job: run_id for job, run_id in rows}
    finished = dict(session.execute(select(JobRun.id, JobRun.finished_at).where(JobRun.id.in_(ids.values()))).all())
    return {job: (run_id, finished.get(run_id)) for job, run_id in ids.items()}


def next_runs(session: Session, table: str | None = None) -> dict[str, datetime]:
    """Next run time of every job in the scheduler's job store (UTC), by job id."""
    from jobs.runner import job_settings

    table = table or job_settings()["jobstore_table"]
    connection = session.connection()
    if not inspect(connection).has_table(table):
        return {}
    jobs_t = Table(table, MetaData(), Column("id", String(191)), Column("next_run_time", Float(25)))
    rows = session.execute(select(jobs_t.c.id, jobs_t.c.next_run_time)).all()
    return {job_id: datetime.fromtimestamp(ts, timezone.utc) for job_id, ts in rows if ts is not None}


def list_jobs(session: Session, lang: str = "kk", settings: dict[str, Any] | None = None) -> list[JobInfo]:
    """Every job: schedule, next run (from the job store), last run, last success, failing."""
    from jobs.runner import JOBS, describe_schedule, job_settings

    cfg = job_settings(settings)
    latest = _latest_runs(session)
    last_ok = _last_ok(session)
    failing = {f.name for f in failing_jobs(session, lang)}
    upcoming = next_runs(session, cfg["jobstore_table"])
    out = []
    for name in JOBS:
        schedule = describe_schedule(cfg["schedules"].get(name))
        run = latest.get(name)
        out.append(JobInfo(
            name=name, title=t(f"jobs.name.{name}", lang), about=t(f"jobs.about.{name}", lang), schedule=schedule,
            scheduled=bool(schedule), disabled=not schedule and JOBS[name].schedule is not None,
            next_run=upcoming.get(name) if schedule else None,
            last_run=RunRow.of(run) if run else None, last_ok_at=last_ok.get(name, (None, None))[1],
            failing=name in failing,
        ))
    return out


def recent_runs(session: Session, name: str | None = None, limit: int = 50) -> list[RunRow]:
    """The latest runs, newest first (of one job, or of all)."""
    query = select(JobRun).order_by(JobRun.id.desc()).limit(limit)
    if name is not None:
        query = query.where(JobRun.job == name)
    return [RunRow.of(run) for run in session.scalars(query)]


def failing_jobs(session: Session, lang: str = "kk") -> list[FailingJob]:
    """Jobs whose latest finished run failed, or whose current run was abandoned (still
    ``running`` long after the job's ``stale_after``). For the overview: "a failing job shows as
    failing"."""
    from jobs.runner import JOBS

    finished = _latest_runs(session, finished_only=True)
    latest = _latest_runs(session)
    last_ok = _last_ok(session)
    now = utcnow()
    out = []
    for name, run in latest.items():
        ok_id, ok_at = last_ok.get(name, (0, None))
        spec = JOBS.get(name)
        abandoned = (run.outcome == "running" and spec is not None
                     and run.started_at < now - timedelta(seconds=spec.stale_after))
        last = finished.get(name)
        if not abandoned and (last is None or last.outcome != "error"):
            continue
        failed = list(session.execute(
            select(JobRun.started_at, JobRun.error)
            .where(JobRun.job == name, JobRun.id > ok_id, JobRun.outcome == "error")
            .order_by(JobRun.id)).all())
        since = failed[0][0] if failed else run.started_at
        error = failed[-1][1] if failed else None
        if abandoned:
            error = f"abandoned: running since {run.started_at.isoformat(timespec='seconds')} on {run.host}"
        out.append(FailingJob(name, t(f"jobs.name.{name}", lang), since, len(failed) + int(abandoned), error, ok_at))
    return sorted(out, key=lambda f: f.since)


def overdue_as_of(session: Session) -> datetime | None:
    """When the clock states (``clocks.state``, ``days_overdue_*``) were last computed."""
    return session.scalar(select(func.max(JobRun.finished_at)).where(
        JobRun.job.in_(("overdue", "recompute_deadlines")), JobRun.outcome == "ok"))


def run_now(name: str, *, engine: Engine | None = None, wait: bool = False, now: datetime | None = None):
    """Run job ``name`` now with the same claim and lock as scheduled runs.

    The run is claimed at once (its ``job_runs`` row exists when this returns); the work runs in
    a background thread unless ``wait``. Returns ``jobs.runner.RunRecord`` (finished when
    ``wait``). Raises ``jobs.runner.UnknownJob`` for a name that is not a job.
    """
    from jobs.runner import claim_run, execute_claimed

    record = claim_run(name, engine=engine, trigger="manual")
    if not record.claimed:
        return record
    if wait:
        return execute_claimed(record, engine=engine, now=now)
    thread = threading.Thread(target=execute_claimed, args=(record,), kwargs={"engine": engine, "now": now},
                              name=f"job-{name}", daemon=True)
    thread.start()
    return record
