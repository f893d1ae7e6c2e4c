"""Scheduled jobs over 1,000,000 demo applications (``scale`` 1.0), about a third of them open:
the overdue job against the one hand-written SQL statement that computes the same counts, and
the daily snapshot.

The data is a demo of this benchmark's own (seed 42, today 20.03.2026, ``backlog`` 0.33: a third
of the applications older than 90 days are still open, where the shared demo of the other
benchmarks keeps about one in ten open), because the jobs write (clock states, snapshot rows,
run history). It is generated once on SQLite (``scratch_engine(backend, "jobs_1000000_backlog", keep=True)``)
and PostgreSQL gets a COPY of that file's rows of the tables the jobs read (not the histories),
so both backends hold the same items and clocks; later runs reuse both. Figures:

- ``overdue full``: every open clock's state and day counts rewritten (the columns are reset
  first, untimed) - the worst case, the first run ever or after a schema change;
- ``overdue next day``: the 00:05 run of a new day (day counts move for every overdue clock);
- ``overdue steady``: the 15-minute run when nothing changed (the common case);
- ``hand-written SQL``: one SELECT computing the counts per state with the same rules;
- the ratio of each overdue run to the hand-written statement (target < 3x for the steady run,
  which reads the open clocks once, as the statement does, and writes nothing; the others add
  the UPDATE of the rows that changed);
- ``daily_snapshot``: the day's rows replaced.
The overdue runs go through ``jobs.runner.run_job`` (claim, lock, record) like scheduled runs.
"""
from __future__ import annotations

import statistics
import sys
import time
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, func, select, text, update

from bench import Result
from bench.common import BENCH_DIR, copy_sqlite_to_postgresql, peak_rss_mb, scratch_engine, timed
from data.clocks import load_context
from data.config import LOCAL_TZ
from data.db import session_scope
from data.models import Application, Clock
from jobs.overdue import soon_threshold
from jobs.runner import run_job

TODAY = date(2026, 3, 20)
FULL = 1_000_000
TARGET_S = 10.0
TARGET_RATIO = 3.0
BACKLOG = 0.33  # applications older than 90 days still open: about a third of all open, as the issue asks
# history and detail rows the jobs never read (about 20 of the 25 million rows)
JOBS_SKIP = frozenset({"job_runs", "job_state", "work_days", "daily_snapshots", "notifications", "status_events",
                       "clock_events", "application_documents", "guarantors", "list_row_errors", "audit_log"})


def _say(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def _count_apps(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Application)).scalar_one()


def _demo(backend: str, name: str, n: int) -> None:
    """Make sure the kept database holds the demo (generated once, then reused).

    PostgreSQL gets a copy of the SQLite one when that is complete: the same rows of the tables
    the jobs read (generating a million applications with their histories through psycopg took
    hours on the shared machine)."""
    from data.demo import generate_demo

    with scratch_engine(backend, name, keep=True) as engine:
        have = _count_apps(engine)
        if have >= n:
            _say(f"{backend}: reusing {have:,} applications in {name}")
            return
    if have:
        _say(f"{backend}: {name} holds {have:,} of {n:,} applications (interrupted?): regenerating")
        with scratch_engine(backend, name, keep=False):
            pass
    source = BENCH_DIR / f"{name}.sqlite3"
    if backend == "postgresql" and source.exists():
        with scratch_engine("sqlite", name, keep=True) as lite:
            complete = _count_apps(lite) >= n
        if complete:
            with scratch_engine(backend, name, keep=True) as engine:
                started = time.perf_counter()
                rows = copy_sqlite_to_postgresql(source, engine, skip=JOBS_SKIP)
                _say(f"{backend}: copied {rows:,} rows from {source.name} in {time.perf_counter() - started:.0f} s")
            return
    with scratch_engine(backend, name, keep=True) as engine:
        started = time.perf_counter()
        last = [0.0]

        def progress(done: int, total: int) -> None:
            if time.perf_counter() - last[0] > 30 or done == total:
                last[0] = time.perf_counter()
                _say(f"{backend}: demo {done:,}/{total:,} ({time.perf_counter() - started:.0f} s)")

        summary = generate_demo(engine, n, seed=42, today=TODAY, progress=progress, backlog=BACKLOG)
        if backend == "sqlite":
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        _say(f"{backend}: generated {summary.counts} in {summary.seconds:.0f} s")


def handwritten_counts(engine: Engine, today: date) -> dict[str, int]:
    """The same counts as the overdue job, by one hand-written SELECT."""
    with session_scope(engine) as session:
        ctx = load_context(session)
        soon = soon_threshold(ctx, today)  # a constant when all policies warn 2 working days ahead
        soon_sql = str(soon.compile(engine, compile_kwargs={"literal_binds": True}))
        sql = f"""
            SELECT
              SUM(CASE WHEN paused_since IS NOT NULL THEN 1 ELSE 0 END),
              SUM(CASE WHEN paused_since IS NULL AND due_date < :today THEN 1 ELSE 0 END),
              SUM(CASE WHEN paused_since IS NULL AND due_date >= :today AND due_date < {soon_sql} THEN 1 ELSE 0 END),
              SUM(CASE WHEN paused_since IS NULL AND (due_date IS NULL OR due_date >= {soon_sql}) THEN 1 ELSE 0 END)
            FROM clocks WHERE stopped_at IS NULL"""
        row = session.execute(text(sql), {"today": today}).one()
    return {state: int(n or 0) for state, n in zip(("paused", "overdue", "due_soon", "on_track"), row)}


def _overdue(engine: Engine, day: date) -> tuple[float, dict]:
    now = datetime.combine(day, datetime.min.time(), LOCAL_TZ) + timedelta(minutes=5)
    seconds, record = timed(lambda: run_job("overdue", engine=engine, now=now))
    if record.outcome != "ok":
        raise RuntimeError(f"overdue failed: {record.error}")
    return seconds, record.summary


def _reset(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.execute(update(Clock).where(Clock.stopped_at.is_(None))
                        .values(state=None, days_overdue_cd=None, days_overdue_wd=None),
                        execution_options={"synchronize_session": False})


def run(backends, scale: float) -> list[Result]:
    n = max(1000, int(FULL * scale))
    name = f"jobs_{n}_backlog"
    results: list[Result] = []
    for backend in backends:
        if backend == "postgresql":
            _demo("sqlite", name, n)  # PostgreSQL copies the SQLite one
        _demo(backend, name, n)
        with scratch_engine(backend, name, keep=True) as engine:
            today = TODAY
            with engine.connect() as conn:
                open_clocks = conn.execute(select(func.count()).select_from(Clock).where(
                    Clock.stopped_at.is_(None))).scalar_one()
                open_apps = conn.execute(select(func.count()).select_from(Application).where(
                    Application.is_open.is_(True))).scalar_one()
            size = f"{n:,} applications ({open_apps:,} open), {open_clocks:,} open clocks"
            _say(f"{backend}: {size}")

            _overdue(engine, today)  # warm up (also builds the working-day table)
            _reset(engine)
            full_s, summary = _overdue(engine, today)
            steady = [_overdue(engine, today) for _ in range(3)]
            steady_s = statistics.median(s for s, _ in steady)
            next_s, next_summary = _overdue(engine, today + timedelta(days=1))
            # Back to the day of the data (the next-day run may have expired a few recipients,
            # whose clocks stopped: compare with the counts of this run).
            _, back = _overdue(engine, today)

            samples = [timed(lambda: handwritten_counts(engine, today)) for _ in range(5)]
            hand_s = statistics.median(s for s, _ in samples)
            hand = samples[0][1]
            job_counts = {k: v for k, v in back["counts"].items() if k != "stopped"}
            if {k: v for k, v in job_counts.items() if v} != {k: v for k, v in hand.items() if v}:
                raise RuntimeError(f"overdue job counts {job_counts} differ from the hand-written SQL {hand}")

            snap_now = datetime.combine(today, datetime.min.time(), LOCAL_TZ) + timedelta(minutes=10)
            snap_s, snap = timed(lambda: run_job("daily_snapshot", engine=engine, now=snap_now))
            if snap.outcome != "ok":
                raise RuntimeError(f"daily_snapshot failed: {snap.error}")

            counts = ", ".join(f"{k} {v:,}" for k, v in sorted(hand.items()))
            results += [
                Result("jobs: overdue full (all open clocks rewritten)", backend, full_s, "s", TARGET_S,
                       f"{summary['touched']:,} rows; {size}"),
                Result("jobs: overdue next day (00:05 run)", backend, next_s, "s", TARGET_S,
                       f"{next_summary['touched']:,} rows"),
                Result("jobs: overdue steady (15-min run)", backend, steady_s, "s", TARGET_S,
                       f"{steady[0][1]['touched']:,} rows"),
                Result("jobs: hand-written count SQL", backend, hand_s, "s", None, counts),
                Result("jobs: ratio overdue steady / hand-written", backend, steady_s / hand_s, "x", TARGET_RATIO),
                Result("jobs: ratio overdue next day / hand-written", backend, next_s / hand_s, "x", None),
                Result("jobs: ratio overdue full / hand-written", backend, full_s / hand_s, "x", None),
                Result("jobs: daily_snapshot", backend, snap_s, "s", TARGET_S,
                       f"{snap.rows:,} rows; totals {snap.summary['totals']}"),
                Result("jobs: peak memory", backend, peak_rss_mb(), "MB", None),
            ]
    return results
