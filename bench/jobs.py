"""Scheduled jobs over 1,000,000 demo applications (``scale`` 1.0): the overdue job against the one
hand-written SQL statement that computes the same counts, and the daily snapshot.

At full scale the data is the shared 1,000,000-application demo (``bench.common.demo_engine``,
seed 42), which other benchmarks read: the jobs write (clock states, snapshot rows, run history),
so they never run on it. Its SQLite file is copied once (SQLite's online backup) to a scratch
database of this benchmark (``scratch_engine(backend, "jobs_1m", keep=True)``), and PostgreSQL
gets a COPY of that file's rows of the tables the jobs read (not the histories), so both backends
hold the same items and clocks; later runs reuse both copies. The day computed for is the day the
demo was generated (its ``today``: the latest application received). Smaller scales generate a
demo of their own (seed 42, today 20.03.2026). Figures:

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
from bench.common import BENCH_DIR, peak_rss_mb, scratch_engine, timed
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
                rows = copy_sqlite_to_postgresql(source, engine)
                _say(f"{backend}: copied {rows:,} rows from {source.name} in {time.perf_counter() - started:.0f} s")
            return
    with scratch_engine(backend, name, keep=True) as engine:
        started = time.perf_counter()
        last = [0.0]

        def progress(done: int, total: int) -> None:
            if time.perf_counter() - last[0] > 30 or done == total:
                last[0] = time.perf_counter()
                _say(f"{backend}: demo {done:,}/{total:,} ({time.perf_counter() - started:.0f} s)")

        summary = generate_demo(engine, n, seed=42, today=TODAY, progress=progress)
        if backend == "sqlite":
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        _say(f"{backend}: generated {summary.counts} in {summary.seconds:.0f} s")


def _copy_shared_demo(name: str, n: int) -> None:
    """The scratch SQLite database ``name``: a copy of the shared demo (made once)."""
    import sqlite3

    from bench.common import demo_engine

    target = BENCH_DIR / f"{name}.sqlite3"
    if target.exists():
        with scratch_engine("sqlite", name, keep=True) as engine:
            if _count_apps(engine) >= n:
                _say(f"sqlite: reusing the copy of the shared demo in {target.name}")
                return
        target.unlink()
    with demo_engine("sqlite", n) as demo:  # waits while the shared demo is being generated
        source = demo.url.database
        started = time.perf_counter()
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=60)
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst, pages=65536)
        finally:
            dst.close()
            src.close()
    _say(f"sqlite: copied the shared demo to {target.name} in {time.perf_counter() - started:.0f} s")


def _demo_today(engine: Engine) -> date:
    """The ``today`` the demo was generated for: the local day of the latest application received."""
    with engine.connect() as conn:
        latest = conn.execute(select(func.max(Application.received_at))).scalar_one()
    if latest is None:
        return TODAY
    if isinstance(latest, str):
        latest = datetime.fromisoformat(latest)
    if latest.tzinfo is None:
        from datetime import timezone

        latest = latest.replace(tzinfo=timezone.utc)
    return latest.astimezone(LOCAL_TZ).date()


def copy_sqlite_to_postgresql(source, engine: Engine, chunk: int = 20000) -> int:
    """Copy the tables the jobs read (items, clocks, users, reference data; not the histories)
    of a SQLite demo database into an empty migrated PostgreSQL schema with COPY (values as
    SQLite stores them: ISO text dates, 0/1, JSON text), then move the id sequences past the
    copied ids and ANALYZE."""
    import sqlite3

    from data.models import Base

    skip = {"alembic_version", "job_runs", "job_state", "work_days", "daily_snapshots", "notifications",
            # history and detail rows the jobs never read (about 20 of the 25 million rows)
            "status_events", "clock_events", "application_documents", "guarantors", "list_row_errors",
            "audit_log"}
    lite = sqlite3.connect(str(source))
    total = 0
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        existing = {r[0] for r in lite.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        tables = [t for t in Base.metadata.sorted_tables if t.name in existing and t.name not in skip]
        for table in reversed(tables):  # reference rows the migration seeded are replaced by the copy
            cur.execute(f'DELETE FROM "{table.name}"')
        for table in tables:
            names = [c.name for c in table.columns]
            cols = ", ".join(f'"{c}"' for c in names)
            rows = lite.execute(f'SELECT {cols} FROM "{table.name}"')
            with cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
                while batch := rows.fetchmany(chunk):
                    for row in batch:
                        copy.write_row(row)
                    total += len(batch)
            if "id" in names and table.c.id.autoincrement is not False and table.c.id.primary_key:
                cur.execute(f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                            f'COALESCE((SELECT max(id) FROM "{table.name}"), 0) + 1, false)')
        raw.commit()
        for table in tables:
            cur.execute(f'ANALYZE "{table.name}"')
        raw.commit()
    finally:
        raw.close()
        lite.close()
    return total


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
    name = "jobs_1m" if n == FULL else f"jobs_{n}"
    results: list[Result] = []
    for backend in backends:
        if n == FULL:
            _copy_shared_demo(name, n)  # PostgreSQL copies it in turn (_demo)
        if backend != "sqlite" or n != FULL:
            _demo(backend, name, n)
        with scratch_engine(backend, name, keep=True) as engine:
            today = _demo_today(engine) if n == FULL else TODAY
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
