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


# -- the Jobs page ---------------------------------------------------------------------------------
@dataclass
class RunNowOutcome:
    """What pressing "run now" did: ``started`` (with the new run's id), ``running`` (refused: a
    run of the job is in progress since ``since``), or ``duplicate`` (another runner had the
    period, practically never for a manual run)."""

    job: str
    status: str  # started | running | duplicate
    run_id: int | None = None
    since: datetime | None = None


def running_run(session: Session, name: str) -> RunRow | None:
    """The job's run in progress (``running`` and not yet abandoned), if any."""
    from jobs.runner import JOBS

    spec = JOBS.get(name)
    stale = timedelta(seconds=spec.stale_after if spec else 2 * 3600)
    run = session.scalars(
        select(JobRun).where(JobRun.job == name, JobRun.outcome == "running", JobRun.started_at >= utcnow() - stale)
        .order_by(JobRun.id.desc()).limit(1)).first()
    return RunRow.of(run) if run else None


def any_running(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(JobRun).where(JobRun.outcome == "running")) > 0


def request_run(name: str, actor, *, engine: Engine | None = None, ip: str | None = None,
                wait: bool = False) -> RunNowOutcome:
    """"Run now" from the Jobs page: refuse while a run of the job is in progress, else claim a
    manual run (the same claim and lock as the scheduler and the CLI) and start the work in a
    background thread; the audit trail records who pressed it. Raises
    ``jobs.runner.UnknownJob`` for a name that is not a job."""
    from data.audit import record as audit
    from data.db import session_scope
    from jobs.runner import JOBS, UnknownJob

    if name not in JOBS:
        raise UnknownJob(name)
    with session_scope(engine) as session:
        busy = running_run(session, name)
    if busy is not None:
        return RunNowOutcome(name, "running", busy.id, busy.started_at)
    record = run_now(name, engine=engine, wait=wait)
    status = "started" if record.claimed else "duplicate"
    with session_scope(engine) as session:
        audit(session, "jobs.run_now", actor=actor, entity="job", entity_id=name,
              after={"run_id": record.run_id, "period": record.period, "status": status}, ip=ip)
    return RunNowOutcome(name, status, record.run_id)


# -- schedules in words ----------------------------------------------------------------------------
_DOW = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _dow_words(field_: str, lang: str) -> str | None:
    """'mon-fri' -> 'дүйсенбі–жұма', 'mon,thu' -> 'дүйсенбі, бейсенбі'; None when not simple.
    Numbers follow APScheduler (0 = Monday)."""
    def day(token: str) -> int | None:
        token = token.strip().lower()
        if token.isdigit() and int(token) < 7:
            return int(token)
        return _DOW.index(token[:3]) if token[:3] in _DOW else None

    parts = []
    for chunk in field_.split(","):
        if "-" in chunk:
            first, last = (day(x) for x in chunk.split("-", 1))
            if first is None or last is None:
                return None
            parts.append(f"{t(f'weekday.{first}', lang)}–{t(f'weekday.{last}', lang)}")
        else:
            number = day(chunk)
            if number is None:
                return None
            parts.append(t(f"weekday.{number}", lang))
    return ", ".join(parts)


def _one_in_words(expr: str, lang: str) -> str:
    fields = expr.split()
    if len(fields) != 5:
        return expr
    minute, hour, dom, month, dow = fields
    if (dom, month) != ("*", "*"):
        return expr
    if hour == "*" and dow == "*":
        if minute == "*":
            return t("jobspage.sched.every_minute", lang)
        if minute.startswith("*/") and minute[2:].isdigit():
            return t("jobspage.sched.every_n_minutes", lang, n=int(minute[2:]))
        return expr
    if not (minute.isdigit() and hour.isdigit()):
        return expr
    at = f"{int(hour):02d}:{int(minute):02d}"
    if dow == "*":
        return t("jobspage.sched.daily_at", lang, time=at)
    days = _dow_words(dow, lang)
    return t("jobspage.sched.days_at", lang, days=days, time=at) if days else expr


def schedule_in_words(schedule: str, lang: str = "kk") -> str:
    """A crontab schedule ('*/15 * * * *; 5 0 * * *') in words, in local time ("every 15
    minutes; every day at 00:05"); an expression it cannot say simply is shown as it is."""
    parts = [part.strip() for part in (schedule or "").split(";") if part.strip()]
    return "; ".join(_one_in_words(part, lang) for part in parts)
