"""Shared benchmark plumbing: scratch databases on SQLite and PostgreSQL, timing, peak memory."""
from __future__ import annotations

import os
import sys
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from data.db import make_engine
from data.migrate import upgrade_database

PG_URL = os.environ.get("KTK_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BENCH_DIR = Path(os.environ.get("KTK_BENCH_DIR", Path(tempfile.gettempdir()) / "ktk-bench"))


@contextmanager
def scratch_engine(backend: str, name: str, keep: bool = False) -> Iterator[Engine]:
    """A migrated, empty database: a SQLite file, or a PostgreSQL schema named ``bench_<name>``.

    With ``keep`` the database survives (reused by later runs when it already has data).
    """
    if backend == "sqlite":
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        path = BENCH_DIR / f"{name}.sqlite3"
        if not keep and path.exists():
            path.unlink()
        engine = make_engine(f"sqlite:///{path}")
        upgrade_database(engine)
        try:
            yield engine
        finally:
            engine.dispose()
            if not keep:
                path.unlink(missing_ok=True)
        return
    schema = f"bench_{name}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        if not keep:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    engine = make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
    upgrade_database(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        if not keep:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def median_ms(fn: Callable[[], object], repeat: int = 15) -> float:
    samples = []
    for _ in range(repeat):
        seconds, _ = timed(fn)
        samples.append(seconds * 1000)
    return statistics.median(samples)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def copy_sqlite_to_postgresql(source, engine: Engine, skip: frozenset[str] = frozenset(), chunk: int = 20000) -> int:
    """Copy the tables of a SQLite demo database (all but ``skip``) into an empty migrated
    PostgreSQL schema with COPY (values as SQLite stores them: ISO text dates, 0/1, JSON text),
    then move the id sequences past the copied ids. Returns the rows copied.

    The demo generator is deterministic (seed 42), so this gives PostgreSQL the very rows it would
    generate, in minutes rather than hours."""
    import sqlite3

    from data.models import Base

    skip = set(skip) | {"alembic_version"}
    lite = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
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


@contextmanager
def demo_engine(backend: str, applications: int = 1_000_000) -> Iterator[Engine]:
    """The shared demo database of ``applications`` rows (generated once, then reused; the
    PostgreSQL one is a copy of the SQLite one).

    Several benchmarks read it; a file lock makes sure only one process generates it.
    Read-only use only: a benchmark that changes data uses its own ``scratch_engine``.
    """
    import fcntl

    from sqlalchemy import func, select

    from data.models import Application

    name = f"demo_{applications}"
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    with open(BENCH_DIR / f"{name}.{backend}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with scratch_engine(backend, name, keep=True) as engine:
            with engine.connect() as conn:
                have = conn.execute(select(func.count(Application.id))).scalar_one()
            if have != applications:
                if have:
                    raise RuntimeError(f"{name} on {backend} has {have} applications; delete it to regenerate")
                if backend == "sqlite":
                    from data.demo import generate_demo

                    print(f"generating {applications:,} demo applications on sqlite …", file=sys.stderr, flush=True)
                    generate_demo(engine, applications=applications, seed=42)
                    with engine.begin() as conn:
                        conn.execute(text("ANALYZE"))
                else:
                    # PostgreSQL gets the SQLite demo's rows (made first if missing): the same data,
                    # and COPY is many times faster than generating through the ORM again.
                    with demo_engine("sqlite", applications) as lite:
                        source = lite.url.database
                    print(f"copying {applications:,} demo applications from sqlite to postgresql …",
                          file=sys.stderr, flush=True)
                    started = time.perf_counter()
                    rows = copy_sqlite_to_postgresql(source, engine)
                    print(f"copied {rows:,} rows in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
                    # What autovacuum does to a live database: the visibility map (index-only scans)
                    # and the statistics. Freshly bulk-loaded tables have neither.
                    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                        conn.execute(text("VACUUM (ANALYZE)"))
            fcntl.flock(lock, fcntl.LOCK_UN)
            yield engine
