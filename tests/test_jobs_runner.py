"""The job runner: (job, period) claims, two schedulers on one database, catch-up after downtime,
failures recorded while the scheduler goes on, the job-store backed data functions.

Runs commit, so they use a database of their own (a SQLite file, or a scratch PostgreSQL schema
when DATABASE_URL names PostgreSQL), dropped at the end of the module.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import create_engine, delete, func, inspect, select, text

from data.config import LOCAL_TZ, database_url
from data.db import make_engine, session_scope
from data.job_history import failing_jobs, list_jobs, next_runs, recent_runs, run_now
from data.migrate import upgrade_database
from data.models.base import utcnow
from data.models.jobs import JobRun
from jobs import runner
from jobs.runner import (
    JobSpec,
    build_scheduler,
    build_trigger,
    install_jobs,
    last_fire_time,
    period_of,
    run_job,
    scheduler_enabled,
    start_scheduler,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    base = database_url() if os.environ.get("DATABASE_URL") else ""
    if base.startswith("postgresql"):
        schema = f"ktk_jobs_{os.getpid()}_{os.environ.get('PYTEST_XDIST_WORKER', 'gw')}"
        admin = create_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in base else "?"
        eng = make_engine(f"{base}{sep}options=-csearch_path%3D{schema}")
    else:
        admin = schema = None
        eng = make_engine(f"sqlite:///{tmp_path_factory.mktemp('jobs') / 'jobs.sqlite3'}")
    upgrade_database(eng)
    yield eng
    eng.dispose()
    if admin is not None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(autouse=True)
def _restore_runtime():
    saved = runner._RUNTIME
    yield
    runner._RUNTIME = saved


def _runs(engine, job: str) -> list[JobRun]:
    with session_scope(engine) as s:
        return list(s.scalars(select(JobRun).where(JobRun.job == job).order_by(JobRun.id)))


def _wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


# -- periods ---------------------------------------------------------------------------------------
def test_period_is_the_latest_scheduled_fire_time():
    trigger = build_trigger("*/15 * * * *; 5 0 * * *")
    at = lambda *a: datetime(*a, tzinfo=LOCAL_TZ)  # noqa: E731
    assert last_fire_time(trigger, at(2026, 3, 20, 10, 14, 59)) == at(2026, 3, 20, 10, 0)
    assert last_fire_time(trigger, at(2026, 3, 20, 10, 15, 0)) == at(2026, 3, 20, 10, 15)
    assert last_fire_time(trigger, at(2026, 3, 20, 0, 7)) == at(2026, 3, 20, 0, 5)  # the 00:05 run
    assert period_of(at(2026, 3, 20, 0, 5)) == "2026-03-20T00:05:00"
    daily = build_trigger("10 0 * * *")
    assert last_fire_time(daily, at(2026, 3, 20, 0, 9)) == at(2026, 3, 19, 0, 10)
    assert build_trigger("off") is None and build_trigger(None) is None


def test_schedules_come_from_the_environment_and_settings(monkeypatch):
    monkeypatch.setenv("KTK_JOB_SCHEDULE_INBOX", "off")
    monkeypatch.setenv("KTK_JOB_SCHEDULE_OVERDUE", "*/5 * * * *")
    cfg = runner.job_settings({"schedules": {"digest": "45 8 * * mon-fri"}})
    assert cfg["schedules"]["inbox"] == "off"
    assert cfg["schedules"]["overdue"] == "*/5 * * * *"
    assert cfg["schedules"]["digest"] == "45 8 * * mon-fri"
    assert cfg["schedules"]["recompute_deadlines"] is None
    # Every scheduled job of the catalogue (jobs added later included) but the one switched off.
    scheduled = {name for name, spec in runner.JOBS.items() if spec.schedule} - {"inbox"}
    assert {"overdue", "daily_snapshot", "digest", "prune_history"} <= scheduled
    assert runner._runtime(None, None).triggers.keys() == scheduled


# -- claims and locks ---------------------------------------------------------------------------------
def test_the_same_period_runs_once_among_concurrent_runners(db):
    done = []
    registry = {"claim_probe": JobSpec("claim_probe", lambda ctx: done.append(ctx.period) or {"rows": 1}, None)}
    barrier = threading.Barrier(6)
    records = []

    def worker():
        barrier.wait()
        records.append(run_job("claim_probe", engine=db, period="2026-03-20T10:15:00", trigger="schedule",
                               registry=registry))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert done == ["2026-03-20T10:15:00"]
    assert Counter(r.outcome for r in records) == {"ok": 1, "duplicate": 5}
    [run] = _runs(db, "claim_probe")
    assert (run.outcome, run.rows, run.trigger) == ("ok", 1, "schedule")
    assert run.finished_at >= run.started_at and run.duration_ms >= 0 and run.locked_at is not None


def test_an_abandoned_claim_is_taken_over(db):
    done = []
    registry = {"stale_probe": JobSpec("stale_probe", lambda ctx: done.append(1) or {"rows": 2}, None, stale_after=60)}
    with session_scope(db) as s:
        s.add(JobRun(job="stale_probe", period="p1", trigger="schedule", outcome="running",
                     started_at=utcnow() - timedelta(hours=1)))
        s.add(JobRun(job="stale_probe", period="p2", trigger="schedule", outcome="running", started_at=utcnow()))
    assert run_job("stale_probe", engine=db, period="p1", registry=registry).outcome == "ok"
    assert run_job("stale_probe", engine=db, period="p2", registry=registry).outcome == "duplicate"
    assert done == [1]


def test_a_second_run_of_a_job_waits_for_or_skips_the_running_one(db):
    """Manual and scheduled runs of one job never interleave: PostgreSQL skips the second
    (advisory lock busy), SQLite makes it wait for the database write lock."""
    inside, release, order = threading.Event(), threading.Event(), []

    def slow(ctx):
        order.append("slow-start")
        inside.set()
        release.wait(5)
        order.append("slow-end")
        return {"rows": 1}

    registry = {"lock_probe": JobSpec("lock_probe", lambda ctx: order.append("second") or {"rows": 1}, None)}
    slow_registry = {"lock_probe": JobSpec("lock_probe", slow, None)}
    first = threading.Thread(target=run_job, args=("lock_probe",), kwargs={"engine": db, "registry": slow_registry})
    first.start()
    assert inside.wait(5)
    threading.Timer(0.4, release.set).start()
    second = run_job("lock_probe", engine=db, registry=registry)
    first.join()
    if db.dialect.name == "postgresql":
        assert (second.outcome, second.summary) == ("skipped", {"reason": "busy"})
        assert order == ["slow-start", "slow-end"]
    else:
        assert second.outcome == "ok"
        assert order == ["slow-start", "slow-end", "second"]


# -- schedulers -------------------------------------------------------------------------------------------
def test_two_schedulers_on_one_database_do_each_period_once(db):
    """Two schedulers started by mistake (each with a job store of its own, so both fire every
    second): every period's work happens exactly once."""
    done, lock = [], threading.Lock()

    def probe(ctx):
        with lock:
            done.append(ctx.period)
        time.sleep(0.05)
        return {"rows": 1}

    registry = {"twin_probe": JobSpec("twin_probe", probe, None)}
    lost = []
    original = runner.run_job

    def counting(*args, **kwargs):
        record = original(*args, **kwargs)
        if not record.claimed:
            lost.append(record.period)
        return record

    runner.run_job = counting
    try:
        schedulers = [start_scheduler(db, {"schedules": {"twin_probe": {"second": "*"}}, "jobstore_table": table},
                                      registry, force=True) for table in ("aps_twin_a", "aps_twin_b")]
        time.sleep(2.6)
        for scheduler in schedulers:
            scheduler.shutdown(wait=True)
    finally:
        runner.run_job = original
    periods = [r.period for r in _runs(db, "twin_probe")]
    assert len(done) >= 2
    assert sorted(done) == sorted(set(done)) == sorted(periods)
    assert lost and set(lost) <= set(done)  # the other scheduler tried and was refused


def test_downtime_gives_exactly_one_catch_up_run(db):
    """The store says the job should have run yesterday (and today): one coalesced run on start."""
    done = []
    registry = {"catch_probe": JobSpec("catch_probe", lambda ctx: done.append(ctx.period) or {"rows": 1}, None,
                                       misfire_grace=2 * 86400)}
    settings = {"schedules": {"catch_probe": "10 0 * * *"}, "jobstore_table": "aps_catch"}
    # A scheduler ran before: it stored the job, then stopped "yesterday".
    scheduler = build_scheduler(db, settings, registry)
    scheduler.start(paused=True)
    install_jobs(scheduler, scheduler.ktk_runtime)
    yesterday = datetime.now(LOCAL_TZ).replace(hour=0, minute=10, second=0, microsecond=0) - timedelta(days=1)
    scheduler.modify_job("catch_probe", next_run_time=yesterday)
    scheduler.shutdown(wait=False)
    assert not done

    scheduler = start_scheduler(db, settings, registry, force=True)
    try:
        assert _wait_for(lambda: len(done) >= 1)
        time.sleep(0.6)
        expected = last_fire_time(CronTrigger(hour=0, minute=10, timezone=LOCAL_TZ), datetime.now(LOCAL_TZ))
        assert done == [period_of(expected)]
        job = scheduler.get_job("catch_probe")
        assert job.next_run_time > datetime.now(LOCAL_TZ)
        with session_scope(db) as s:
            assert next_runs(s, "aps_catch")["catch_probe"] == job.next_run_time
    finally:
        scheduler.shutdown(wait=True)
    # A restart without downtime keeps the stored next run: no second run.
    scheduler = start_scheduler(db, settings, registry, force=True)
    time.sleep(0.5)
    scheduler.shutdown(wait=True)
    assert len(done) == 1
    [run] = _runs(db, "catch_probe")
    assert run.scheduled_at == expected


def test_a_failing_job_is_recorded_and_the_others_go_on(db):
    done = []

    def boom(ctx):
        raise ValueError("the inbox folder is on fire")

    registry = {"boom_probe": JobSpec("boom_probe", boom, None),
                "fine_probe": JobSpec("fine_probe", lambda ctx: done.append(ctx.period) or {"rows": 1}, None)}
    scheduler = start_scheduler(db, {"schedules": {"boom_probe": {"second": "*"}, "fine_probe": {"second": "*"}},
                                     "jobstore_table": "aps_boom", "max_workers": 1}, registry, force=True)
    try:
        assert _wait_for(lambda: len(done) >= 3 and len(_runs(db, "boom_probe")) >= 2)
        assert scheduler.running
    finally:
        scheduler.shutdown(wait=True)
    failed = _runs(db, "boom_probe")
    assert {r.outcome for r in failed} == {"error"}
    assert "ValueError: the inbox folder is on fire" in failed[-1].error
    assert "Traceback" not in failed[-1].error.splitlines()[-1]
    assert all(r.outcome == "ok" for r in _runs(db, "fine_probe"))
    with session_scope(db) as s:
        failing = {f.name: f for f in failing_jobs(s)}
        assert "boom_probe" in failing and "fine_probe" not in failing
        assert failing["boom_probe"].failures == len(failed)
        assert failing["boom_probe"].last_error.endswith("ValueError: the inbox folder is on fire")
    # one good run and it is no longer failing
    run_job("boom_probe", engine=db, registry={"boom_probe": JobSpec("boom_probe", lambda ctx: {"rows": 0}, None)})
    with session_scope(db) as s:
        assert "boom_probe" not in {f.name for f in failing_jobs(s)}


def test_the_web_process_entry_point(db, monkeypatch, tmp_path):
    """app.py main() calls start_scheduler() with no arguments and shuts it down with wait=False;
    KTK_RUN_SCHEDULER=0 keeps the scheduler out of the web process."""
    monkeypatch.delenv("KTK_RUN_SCHEDULER", raising=False)
    monkeypatch.delenv("KTK_SCHEDULER", raising=False)
    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    monkeypatch.setenv("KTK_JOBSTORE_TABLE", "aps_web")
    monkeypatch.setenv("KTK_INBOX_DIR", str(tmp_path / "inbox"))
    monkeypatch.setenv("KTK_OUTBOX_DIR", str(tmp_path / "outbox"))
    scheduler = start_scheduler()
    try:
        assert scheduler.running
        assert {j.id for j in scheduler.get_jobs()} == {n for n, spec in runner.JOBS.items() if spec.schedule}
        assert {"overdue", "daily_snapshot", "inbox", "digest", "prune_history"} <= {j.id for j in scheduler.get_jobs()}
        # New to this job store: the overdue states and today's snapshot are computed at once,
        # for the current scheduled period.
        assert _wait_for(lambda: all(r.outcome == "ok" for job in ("overdue", "daily_snapshot")
                                     for r in _runs(db, job)[-1:]) and len(_runs(db, "overdue")) == 1
                         and len(_runs(db, "daily_snapshot")) == 1)
        [first] = _runs(db, "overdue")
        assert first.trigger == "schedule" and not first.period.startswith("manual")
    finally:
        scheduler.shutdown(wait=False)
    monkeypatch.setenv("KTK_RUN_SCHEDULER", "0")
    disabled = start_scheduler()
    assert not disabled.running
    disabled.shutdown(wait=False)


def test_which_setting_starts_the_scheduler_in_the_web_process():
    assert scheduler_enabled({}) is True  # python app.py: on by default
    assert scheduler_enabled({"KTK_RUN_SCHEDULER": "1"}) is True
    assert scheduler_enabled({"KTK_RUN_SCHEDULER": "0"}) is False
    assert scheduler_enabled({"KTK_SCHEDULER": "off"}) is False  # the older spelling
    assert scheduler_enabled({"KTK_SCHEDULER": "off", "KTK_RUN_SCHEDULER": "1"}) is True  # the new name wins
    assert scheduler_enabled({"KTK_SCHEDULER": "on", "KTK_RUN_SCHEDULER": "0"}) is False


def test_importing_the_app_as_gunicorn_does_starts_no_scheduler(scratch_db_url, tmp_path):
    """gunicorn imports ``app:app`` in every worker and never calls main(): no scheduler thread,
    nothing written to the job store, even with KTK_RUN_SCHEDULER=1."""
    engine = make_engine(scratch_db_url)
    upgrade_database(engine)
    probe = ("import threading, time, app\n"
             "assert app.app.name\n"
             "time.sleep(1.5)\n"
             "print(sorted(t.name for t in threading.enumerate()))\n")
    env = dict(os.environ, DATABASE_URL=scratch_db_url, KTK_RUN_SCHEDULER="1", KTK_INSTANCE_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    try:
        assert done.returncode == 0, done.stderr
        assert "APScheduler" not in done.stdout, done.stdout
        assert not inspect(engine).has_table("apscheduler_jobs")
        with session_scope(engine) as s:
            assert s.scalar(select(func.count()).select_from(JobRun)) == 0
    finally:
        engine.dispose()


# -- the data functions of the Jobs page ------------------------------------------------------------
def test_jobs_page_data_and_run_now(db, tmp_path, monkeypatch):
    monkeypatch.setenv("KTK_OUTBOX_DIR", str(tmp_path))
    record = run_now("overdue", engine=db, wait=True)
    assert record.outcome == "ok" and record.period.startswith("manual:")
    background = run_now("daily_snapshot", engine=db)
    assert background.claimed and background.run_id is not None
    assert _wait_for(lambda: _runs(db, "daily_snapshot")[-1].outcome == "ok")
    with session_scope(db) as s:
        jobs = {j.name: j for j in list_jobs(s, "ru")}
        assert jobs["overdue"].title == "Просрочки"
        assert jobs["overdue"].schedule == "*/15 * * * *; 5 0 * * *"
        assert jobs["overdue"].last_run.outcome == "ok" and jobs["overdue"].last_ok_at is not None
        assert jobs["recompute_deadlines"].schedule == "" and jobs["recompute_deadlines"].last_run is None
        history = recent_runs(s, "overdue")
        assert history[0].id == record.run_id and history[0].summary["touched"] == 0
    with pytest.raises(runner.UnknownJob):
        run_now("no_such_job", engine=db)
    with session_scope(db) as s:
        s.execute(delete(JobRun).where(JobRun.job.in_(("overdue", "daily_snapshot"))))
