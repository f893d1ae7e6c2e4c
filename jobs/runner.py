"""The scheduler and the one way every job runs.

Jobs are plain functions over ``data/`` (``func(ctx: JobContext) -> dict``). ``run_job`` runs
one of them once, records it in ``job_runs`` and makes sure no job's work is done twice for the
same period even when two schedulers run against one database by mistake:

1. **Claim.** Before any work it inserts the run's row; ``(job, period)`` is unique, so the second
   scheduler's insert fails and it does nothing. The period of a scheduled run is its scheduled
   fire time (the trigger's latest fire time not after now), identical in every scheduler; a
   manual run's period is ``manual:<UTC instant>``. A claim left ``running`` by a process that
   died is taken over after the job's ``stale_after``.
2. **Lock.** The work runs in one transaction that first takes the job's lock: on PostgreSQL
   ``pg_try_advisory_xact_lock`` (busy -> the run is recorded ``skipped``; JIT is switched off
   for the transaction), on SQLite a write to
   the run's own row, which takes the database write lock before the job reads anything.
   So a manual run and a scheduled run of the same job never interleave.
3. **Record.** Start, end, duration, outcome (ok / skipped / error with the traceback's last
   lines), rows touched and the job's summary.

The scheduler is APScheduler 3 (``BackgroundScheduler``) with a persistent ``SQLAlchemyJobStore``
in the same database (table ``apscheduler_jobs``, created by APScheduler), explicit job ids,
``replace_existing=True``, ``coalesce=True`` and a generous ``misfire_grace_time``. On start the
stored next run time of an unchanged job is kept, so a run missed during downtime is caught up
exactly once (coalesced), instead of being forgotten by the replacement.

Two ways to run:

- ``python app.py`` (the embedded default, ``make run``): ``main()`` calls ``start_scheduler()``
  inside the web process. ``KTK_RUN_SCHEDULER`` decides: ``1`` (the default) starts it, ``0``
  keeps it out (e.g. while ``python -m jobs`` runs beside it). The older spelling
  ``KTK_SCHEDULER=off`` is still understood; ``KTK_RUN_SCHEDULER`` wins when both are set.
- ``python -m jobs``: the scheduler as a process of its own, for production. There the web is
  served by gunicorn with several workers; gunicorn imports ``app:app`` and never calls
  ``main()``, so no worker ever starts a scheduler, whatever ``KTK_RUN_SCHEDULER`` says.
  ``python -m jobs`` starts its scheduler regardless of ``KTK_RUN_SCHEDULER`` (that is its job).
  Even if two schedulers run by mistake, the claim and the lock below keep every job's work
  for a period to one run.

Schedules are crontab expressions in local time (Asia/Almaty), several joined by ``;``. Override
per job with the environment (``KTK_JOB_SCHEDULE_OVERDUE="*/10 * * * *"``, ``off`` disables) or
a settings dict (``{"schedules": {"overdue": "..."}}``); a dict value is passed to
``CronTrigger`` as keyword arguments and a trigger object is used as it is. Day-of-week fields
follow APScheduler (names ``mon-fri`` are unambiguous; numbers start at Monday = 0).
"""
from __future__ import annotations

import hashlib
import importlib
import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data import config
from data.config import LOCAL_TZ
from data.db import get_engine, make_engine, session_scope
from data.models.base import utcnow
from data.models.jobs import JobRun

log = logging.getLogger("ktk.jobs")

HOST = socket.gethostname()[:100]
TRACEBACK_LINES = 15
TRACEBACK_CHARS = 4000


# -- the catalogue ---------------------------------------------------------------------------
@dataclass(frozen=True)
class JobSpec:
    """A job: its function (``module:function`` taking a JobContext), default schedule (None =
    on demand only), how late a missed run may still be caught up, and after how long a
    ``running`` claim counts as abandoned. ``own_transactions``: the function commits through
    the engine itself (the inbox), so no transaction-scoped lock is held around it."""

    name: str
    func: str | Callable[["JobContext"], Any]
    schedule: str | None
    misfire_grace: int = 3600
    stale_after: int = 2 * 3600
    own_transactions: bool = False
    run_on_install: bool = False  # the first time a job store gets the job, run it at once
    working_days_only: bool = False  # fires every day, does its work on working days only (shown so)


JOBS: dict[str, JobSpec] = {
    spec.name: spec
    for spec in (
        JobSpec("overdue", "jobs.overdue:job", "*/15 * * * *; 5 0 * * *", misfire_grace=24 * 3600,
                run_on_install=True),
        JobSpec("daily_snapshot", "jobs.snapshot:job", "10 0 * * *", misfire_grace=23 * 3600, run_on_install=True),
        JobSpec("inbox", "jobs.runner:inbox_job", "* * * * *", misfire_grace=3600, stale_after=1800,
                own_transactions=True),
        JobSpec("digest", "jobs.digest:job", "30 8 * * *", misfire_grace=8 * 3600, working_days_only=True),
        JobSpec("prune_history", "jobs.runner:prune_job", "40 3 * * *", misfire_grace=24 * 3600),
        JobSpec("recompute_deadlines", "jobs.runner:recompute_job", None, stale_after=6 * 3600),
        JobSpec("weekly_report", "jobs.weekly_report:job", "0 8 * * mon", misfire_grace=24 * 3600,
                own_transactions=True),
    )
}


class UnknownJob(KeyError):
    pass


# -- settings ------------------------------------------------------------------------------------
_OFF = ("off", "0", "no", "false")


def scheduler_enabled(env: Mapping[str, str] | None = None) -> bool:
    """Whether ``python app.py`` starts the scheduler in the web process: ``KTK_RUN_SCHEDULER``
    (``1`` / ``0``, default ``1``), else the older ``KTK_SCHEDULER`` (``on`` / ``off``)."""
    env = os.environ if env is None else env
    value = env.get("KTK_RUN_SCHEDULER")
    if value is None or not value.strip():
        value = env.get("KTK_SCHEDULER", "1")
    return value.strip().lower() not in _OFF


def job_settings(settings: Mapping[str, Any] | None = None, registry: Mapping[str, JobSpec] | None = None
                 ) -> dict[str, Any]:
    """Defaults, then the environment, then ``settings``."""
    registry = registry or JOBS
    env = os.environ
    merged: dict[str, Any] = {
        "enabled": scheduler_enabled(env),
        "jobstore_table": env.get("KTK_JOBSTORE_TABLE", "apscheduler_jobs"),
        "max_workers": int(env["KTK_JOB_WORKERS"]) if env.get("KTK_JOB_WORKERS") else None,
        "inbox_dir": Path(env.get("KTK_INBOX_DIR") or Path(config.INSTANCE_DIR) / "inbox"),
        "outbox_dir": Path(env.get("KTK_OUTBOX_DIR") or Path(config.INSTANCE_DIR) / "outbox"),
        "history_days": int(env.get("KTK_JOB_HISTORY_DAYS", "30")),
        "smtp": {
            "host": env.get("KTK_SMTP_HOST", "").strip() or None,
            "port": int(env.get("KTK_SMTP_PORT", "25")),
            "user": env.get("KTK_SMTP_USER") or None,
            "password": env.get("KTK_SMTP_PASSWORD") or None,
            "starttls": env.get("KTK_SMTP_STARTTLS", "").lower() in ("1", "true", "yes", "on"),
        },
        "mail_from": env.get("KTK_MAIL_FROM", "noreply@ktk.kz"),
        "mail_domain": env.get("KTK_MAIL_DOMAIN", "ktk.kz"),
        "schedules": {},
    }
    for name, spec in registry.items():
        value: Any = spec.schedule
        env_value = env.get(f"KTK_JOB_SCHEDULE_{name.upper()}")
        if env_value is not None:
            value = env_value
        merged["schedules"][name] = value
    for key, value in (settings or {}).items():
        if key == "schedules":
            merged["schedules"].update(value)
        elif key == "smtp":
            merged["smtp"] = {**merged["smtp"], **value}
        else:
            merged[key] = value
    return merged


def build_trigger(value: Any) -> BaseTrigger | None:
    """A crontab string (several joined by ';'), CronTrigger kwargs, a trigger, or None/'off'."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "off", "none")):
        return None
    if isinstance(value, BaseTrigger):
        return value
    if isinstance(value, Mapping):
        return CronTrigger(timezone=LOCAL_TZ, **value)
    parts = [part.strip() for part in str(value).split(";") if part.strip()]
    triggers = [CronTrigger.from_crontab(part, timezone=LOCAL_TZ) for part in parts]
    return triggers[0] if len(triggers) == 1 else OrTrigger(triggers)


def describe_schedule(value: Any) -> str:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "off", "none")):
        return ""
    if isinstance(value, str):
        return "; ".join(part.strip() for part in value.split(";") if part.strip())
    return str(value)


LOOKBACKS = tuple(timedelta(seconds=s) for s in (2, 120, 7200, 2 * 86400, 9 * 86400, 40 * 86400, 400 * 86400))


def last_fire_time(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The trigger's latest fire time not after ``now`` (the period a scheduled run covers)."""
    now = now.astimezone(LOCAL_TZ)
    for lookback in LOOKBACKS:
        fire = trigger.get_next_fire_time(None, now - lookback)
        if fire is None or fire > now:
            continue
        while True:
            following = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
            if following is None or following > now or following <= fire:
                return fire
            fire = following
    return None


def period_of(fire: datetime) -> str:
    return fire.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M:%S")


# -- one run -----------------------------------------------------------------------------------
@dataclass
class JobContext:
    """What a job function gets: the work session (one transaction, the job's lock held), the
    moment it runs for, and the settings. Callbacks in ``after_commit`` run once the work is
    committed (e-mail goes out only for what was stored)."""

    name: str
    engine: Engine
    session: Session
    now: datetime
    period: str
    trigger: str
    settings: dict[str, Any]
    after_commit: list[Callable[[], Any]] = field(default_factory=list)

    @property
    def today(self) -> date:
        return self.now.astimezone(LOCAL_TZ).date()


@dataclass
class RunRecord:
    job: str
    period: str
    claimed: bool
    run_id: int | None = None
    outcome: str = "duplicate"  # ok | skipped | error | duplicate (another runner has the period)
    rows: int | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None
    duration_ms: int | None = None


def traceback_tail(text_: str, lines: int = TRACEBACK_LINES, chars: int = TRACEBACK_CHARS) -> str:
    tail = "\n".join(text_.rstrip().splitlines()[-lines:])
    return tail[-chars:]


def _resolve(func: str | Callable) -> Callable:
    if callable(func):
        return func
    module, _, attr = func.partition(":")
    return getattr(importlib.import_module(module), attr)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for the job."""
    return int.from_bytes(hashlib.sha1(f"ktk.job.{name}".encode()).digest()[:8], "big", signed=True)


def _claim(engine: Engine, spec: JobSpec, period: str, trigger: str, scheduled_at: datetime | None,
           wall: datetime) -> int | None:
    table = JobRun.__table__
    values = {"job": spec.name, "period": period, "trigger": trigger, "scheduled_at": scheduled_at,
              "started_at": wall, "outcome": "running", "host": HOST, "pid": os.getpid()}
    try:
        with engine.begin() as conn:
            return conn.execute(insert(table).values(**values).returning(table.c.id)).scalar_one()
    except IntegrityError:
        pass
    # Someone has the period. Take it over only when it was abandoned while running.
    cutoff = wall - timedelta(seconds=spec.stale_after)
    with engine.begin() as conn:
        row = conn.execute(
            update(table)
            .where(table.c.job == spec.name, table.c.period == period, table.c.outcome == "running",
                   table.c.started_at < cutoff)
            .values(started_at=wall, trigger=trigger, host=HOST, pid=os.getpid(),
                    error="took over a run abandoned while running")
            .returning(table.c.id)
        ).first()
    return row[0] if row else None


def _lock_in_transaction(session: Session, spec: JobSpec, run_id: int) -> bool:
    """Take the job's lock for the rest of the work transaction; False when another run of the
    same job holds it (PostgreSQL). On SQLite the write to the run's row takes the database's
    write lock first (waiting for it), so nothing the job reads can go stale under it."""
    if session.get_bind().dialect.name == "postgresql":
        if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": lock_key(spec.name)}):
            return False
        # The jobs' statements scan a lot but are simple: JIT compilation (triggered by their
        # cost estimates) took longer than it saved, about half a second per statement.
        session.execute(text("SET LOCAL jit = off"))
    session.execute(update(JobRun).where(JobRun.id == run_id).values(locked_at=utcnow()),
                    execution_options={"synchronize_session": False})
    return True


class _SessionLock:
    """For jobs that commit by themselves: a PostgreSQL session-level advisory lock on a
    connection of its own (nothing on SQLite: a held write lock would block the job itself)."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine, self.name, self.conn = engine, name, None

    def __enter__(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True
        self.conn = self.engine.connect()
        got = bool(self.conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": lock_key(self.name)}).scalar())
        self.conn.commit()
        if not got:
            self.conn.close()
            self.conn = None
        return got

    def __exit__(self, *exc) -> None:
        if self.conn is not None:
            self.conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": lock_key(self.name)})
            self.conn.commit()
            self.conn.close()


def _finish(engine: Engine, record: RunRecord, finished: datetime) -> None:
    table = JobRun.__table__
    with engine.begin() as conn:
        conn.execute(update(table).where(table.c.id == record.run_id).values(
            finished_at=finished, duration_ms=record.duration_ms, outcome=record.outcome, rows=record.rows,
            summary=record.summary, error=record.error))


def claim_run(name: str, *, engine: Engine | None = None, period: str | None = None, trigger: str = "manual",
              scheduled_at: datetime | None = None, registry: Mapping[str, JobSpec] | None = None
              ) -> RunRecord:
    """Step 1 alone: claim (job, period). ``execute_claimed`` does the rest."""
    registry = registry or JOBS
    if name not in registry:
        raise UnknownJob(name)
    spec = registry[name]
    engine = engine or get_engine()
    wall = utcnow()
    if period is None:
        period = f"manual:{wall.isoformat(timespec='microseconds')}"
    run_id = _claim(engine, spec, period, trigger, scheduled_at, wall)
    return RunRecord(name, period, claimed=run_id is not None, run_id=run_id,
                     outcome="running" if run_id is not None else "duplicate")


def execute_claimed(record: RunRecord, *, engine: Engine | None = None, now: datetime | None = None,
                    settings: Mapping[str, Any] | None = None, registry: Mapping[str, JobSpec] | None = None
                    ) -> RunRecord:
    """Steps 2 and 3 for a claimed run: do the work under the job's lock and record the result."""
    registry = registry or JOBS
    spec = registry[record.job]
    engine = engine or get_engine()
    started = time.perf_counter()
    record.outcome = "ok"
    try:
        cfg = job_settings(settings, registry)
        result = _execute(spec, record, engine, now or utcnow(), cfg)
        if result is None:
            record.outcome, record.summary = "skipped", {"reason": "busy"}
        else:
            record.rows = result.get("rows")
            record.summary = _plain(result.get("summary"))
            record.outcome = result.get("outcome", "ok")
    except Exception:  # noqa: BLE001 - every failure is recorded, none stops the scheduler
        record.outcome = "error"
        record.error = traceback_tail(traceback.format_exc())
        log.exception("job %s (%s) failed", record.job, record.period)
    record.duration_ms = int((time.perf_counter() - started) * 1000)
    try:
        _finish(engine, record, utcnow())
    except Exception:  # noqa: BLE001
        log.exception("job %s (%s): could not record the result", record.job, record.period)
    return record


def _execute(spec: JobSpec, record: RunRecord, engine: Engine, now: datetime, cfg: dict[str, Any]
             ) -> dict[str, Any] | None:
    func = _resolve(spec.func)
    if spec.own_transactions:
        with _SessionLock(engine, spec.name) as got:
            if not got:
                return None
            with session_scope(engine) as session:
                ctx = JobContext(spec.name, engine, session, now, record.period, _trigger(record), cfg)
                result = func(ctx) or {}
            for callback in ctx.after_commit:
                callback()
            return result
    with session_scope(engine) as session:
        if not _lock_in_transaction(session, spec, record.run_id):
            return None
        ctx = JobContext(spec.name, engine, session, now, record.period, _trigger(record), cfg)
        result = func(ctx) or {}
    for callback in ctx.after_commit:
        callback()
    return result


def _trigger(record: RunRecord) -> str:
    return "manual" if record.period.startswith("manual:") else "schedule"


def run_job(name: str, *, engine: Engine | None = None, now: datetime | None = None, period: str | None = None,
            trigger: str = "manual", scheduled_at: datetime | None = None,
            settings: Mapping[str, Any] | None = None, registry: Mapping[str, JobSpec] | None = None
            ) -> RunRecord:
    """Run job ``name`` once, synchronously: claim, lock, work, record. Never raises for a failing
    job (the record says ``error``); raises ``UnknownJob`` for a name that is not a job.
    ``now`` is the moment the job computes for (default: the wall clock)."""
    record = claim_run(name, engine=engine, period=period, trigger=trigger, scheduled_at=scheduled_at,
                       registry=registry)
    if not record.claimed:
        log.info("job %s (%s): already claimed by another runner", name, record.period)
        return record
    return execute_claimed(record, engine=engine, now=now, settings=settings, registry=registry)


# -- small jobs ----------------------------------------------------------------------------------
def inbox_job(ctx: JobContext) -> dict[str, Any]:
    """Akimat lists dropped in the inbox folder: ``data.imports.inbox.process_inbox`` (it commits
    per file by itself, hence ``own_transactions``)."""
    from data.imports.inbox import process_inbox  # imported when run: the web never needs it

    inbox_dir = Path(ctx.settings["inbox_dir"])
    inbox_dir.mkdir(parents=True, exist_ok=True)
    result = process_inbox(ctx.engine, inbox_dir, ctx.now)
    items = list(getattr(result, "items", []) or [])
    summary = {
        "inbox": str(inbox_dir),
        "processed": sum(1 for i in items if getattr(i, "outcome", None) == "processed"),
        "failed": sum(1 for i in items if getattr(i, "outcome", None) == "failed"),
        "skipped": len(getattr(result, "skipped", []) or []),
        "items": [_plain(i) for i in items[:50]],
    }
    return {"rows": len(items), "summary": summary}


def _plain(value: Any) -> Any:
    """Something JSON can hold (summaries are stored as JSON)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value[:200]]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in list(value.items())[:50]}
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__}
    return str(value)[:500]


def recompute_job(ctx: JobContext) -> dict[str, Any]:
    """Recompute every open clock from its events, then refresh their states."""
    from data.clocks import load_context, recompute_open
    from jobs.overdue import update_clock_states

    deadline_ctx = load_context(ctx.session)
    result = recompute_open(ctx.session, deadline_ctx)
    states = update_clock_states(ctx.session, ctx.today, deadline_ctx)
    return {"rows": result.moved, "summary": {"checked": result.checked, "moved": result.moved,
                                              "states": states.summary()}}


def prune_job(ctx: JobContext) -> dict[str, Any]:
    """Delete run history older than ``history_days`` (the latest run of every job stays)."""
    cutoff = ctx.now - timedelta(days=int(ctx.settings["history_days"]))
    latest = select(func.max(JobRun.id)).group_by(JobRun.job)
    result = ctx.session.execute(
        delete(JobRun).where(JobRun.started_at < cutoff, JobRun.outcome != "running", JobRun.id.not_in(latest)),
        execution_options={"synchronize_session": False},
    )
    return {"rows": result.rowcount or 0, "summary": {"before": cutoff.isoformat()}}


# -- the scheduler ----------------------------------------------------------------------------------
@dataclass
class Runtime:
    engine: Engine
    settings: dict[str, Any]
    registry: dict[str, JobSpec]
    triggers: dict[str, BaseTrigger]


_RUNTIME: Runtime | None = None
_RUNTIME_LOCK = threading.Lock()


def _runtime(engine: Engine | None = None, settings: Mapping[str, Any] | None = None,
             registry: Mapping[str, JobSpec] | None = None) -> Runtime:
    registry = dict(registry or JOBS)
    cfg = job_settings(settings, registry)
    triggers = {}
    for name in registry:
        trigger = build_trigger(cfg["schedules"].get(name))
        if trigger is not None:
            triggers[name] = trigger
    return Runtime(engine or get_engine(), cfg, registry, triggers)


def fire(name: str) -> None:
    """What APScheduler calls (stored in the job store as ``jobs.runner:fire`` with the name)."""
    global _RUNTIME
    with _RUNTIME_LOCK:
        if _RUNTIME is None:
            _RUNTIME = _runtime()
        runtime = _RUNTIME
    trigger = runtime.triggers.get(name)
    if name not in runtime.registry or trigger is None:
        log.warning("job %s is not scheduled in this process; ignored", name)
        return
    fire_time = last_fire_time(trigger, utcnow())
    if fire_time is None:
        return
    record = run_job(name, engine=runtime.engine, period=period_of(fire_time), trigger="schedule",
                     scheduled_at=fire_time, settings=runtime.settings, registry=runtime.registry)
    if record.claimed:
        log.info("job %s (%s): %s, %s rows, %s ms", name, record.period, record.outcome, record.rows,
                 record.duration_ms)


class Scheduler(BackgroundScheduler):
    """APScheduler's BackgroundScheduler, except that it processes no jobs once stopped.

    APScheduler 3.11 wakes its loop on ``shutdown`` and runs ``_process_jobs`` once more with
    the executors already shut down: a job due at that moment fails to submit and yet has its
    next run time advanced in the store, so the run is lost instead of caught up on restart.
    """

    def _process_jobs(self):
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()


class DisabledScheduler:
    """Returned by ``start_scheduler`` when KTK_RUN_SCHEDULER=0 (jobs run in ``python -m jobs``)."""

    running = False

    def shutdown(self, wait: bool = True) -> None:
        pass

    def get_jobs(self) -> list:
        return []


def _jobstore_engine(engine: Engine) -> Engine:
    # APScheduler disposes its store's engine on shutdown: give it one of its own.
    return make_engine(engine.url.render_as_string(hide_password=False))


def build_scheduler(engine: Engine | None = None, settings: Mapping[str, Any] | None = None,
                    registry: Mapping[str, JobSpec] | None = None) -> BackgroundScheduler:
    """A scheduler over the persistent job store; jobs are installed by ``start_scheduler``."""
    global _RUNTIME
    runtime = _runtime(engine, settings, registry)
    with _RUNTIME_LOCK:
        _RUNTIME = runtime
    workers = runtime.settings.get("max_workers") or (1 if runtime.engine.dialect.name == "sqlite" else 4)
    store = SQLAlchemyJobStore(engine=_jobstore_engine(runtime.engine), tablename=runtime.settings["jobstore_table"])
    scheduler = Scheduler(
        jobstores={"default": store},
        executors={"default": ThreadPoolExecutor(max_workers=workers)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone=LOCAL_TZ,
    )
    scheduler.ktk_runtime = runtime  # type: ignore[attr-defined]
    return scheduler


def install_jobs(scheduler: BackgroundScheduler, runtime: Runtime) -> list[str]:
    """Add (replace) every scheduled job under its own id, keeping the stored next run time of a
    job whose trigger did not change so a run missed while nothing was running is caught up;
    a job new to the store with ``run_on_install`` runs at once (for the current period);
    remove stored jobs that are no longer scheduled. Returns the installed ids."""
    installed = []
    wanted = set(runtime.triggers)
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            scheduler.remove_job(job.id)
    for name, trigger in runtime.triggers.items():
        spec = runtime.registry[name]
        try:
            existing = scheduler.get_job(name)
        except Exception:  # noqa: BLE001 - an unreadable stored job is simply replaced
            existing = None
        extra: dict[str, Any] = {}
        if existing is not None and existing.next_run_time is not None and repr(existing.trigger) == repr(trigger):
            extra["next_run_time"] = existing.next_run_time
        elif existing is None and spec.run_on_install:
            extra["next_run_time"] = datetime.now(LOCAL_TZ)  # covers the current period at once
        scheduler.add_job("jobs.runner:fire", trigger=trigger, args=[name], id=name, name=name,
                          replace_existing=True, coalesce=True, max_instances=1,
                          misfire_grace_time=spec.misfire_grace, **extra)
        installed.append(name)
    return installed


def start_scheduler(engine: Engine | None = None, settings: Mapping[str, Any] | None = None,
                    registry: Mapping[str, JobSpec] | None = None, *, force: bool = False):
    """Start the scheduler in this process and return it (``.shutdown(wait=False)`` stops it).

    Called by ``python app.py`` and ``python -m jobs`` (``force``) only. With KTK_RUN_SCHEDULER=0
    (and not ``force``) nothing starts and a stand-in with ``shutdown`` is returned.
    """
    if not force and not job_settings(settings, registry)["enabled"]:
        log.info("scheduler not started in this process (KTK_RUN_SCHEDULER=0)")
        return DisabledScheduler()
    scheduler = build_scheduler(engine, settings, registry)
    scheduler.start(paused=True)
    installed = install_jobs(scheduler, scheduler.ktk_runtime)
    scheduler.resume()
    log.info("scheduler started: %s", ", ".join(installed))
    return scheduler
