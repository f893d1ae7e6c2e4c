"""Report generation on the shared demo database (1,000,000 applications at scale 1).

- register extract to .xlsx: the registry filter "registered on or after day D", D chosen so the
  extract has 100,000 rows (times the scale); target under 15 s and the process's peak memory
  under 500 MB. Each run is a fresh subprocess (``python -m bench.reports --child …``), so the
  peak resident memory it reports (``ru_maxrss``) is that of the report alone, not of whatever
  ran before in the benchmark process.
- SLA compliance workbook over the whole database: the default 30-day period and a full year;
  target under 30 s.

``python -m bench reports [--backend sqlite|postgresql] [--scale F]`` prints the table.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from bench import Result

FULL = 1_000_000
REGISTER_ROWS = 100_000
REGISTER_SECONDS = 15.0
REGISTER_MB = 500.0
SLA_SECONDS = 30.0
ROOT = Path(__file__).resolve().parent.parent


def _child(backend: str, size: int, what: str, arg: str) -> dict:
    """Run one report in this (fresh) process; return the figures as a dict."""
    import resource

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from bench.common import demo_engine
    from data.config import LOCAL_TZ
    from data.models import Application
    from data.reports import ReportFilters, generate

    with demo_engine(backend, size) as engine, Session(engine) as session, \
            tempfile.TemporaryDirectory(prefix="ktk-report-bench-") as out:
        now = datetime.now(LOCAL_TZ)
        if what == "register":
            want = int(arg)
            day = session.scalar(select(Application.registration_date).where(Application.registration_date.is_not(None))
                                 .order_by(Application.registration_date.desc()).offset(want - 1).limit(1))
            filters = ReportFilters(registry={"from": day.isoformat()})
        else:
            days = int(arg)
            filters = ReportFilters(date_from=now.date() - timedelta(days=days - 1), date_to=now.date())
        base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        result = generate(session, what, "xlsx", filters, user=None, lang="kk", out_dir=Path(out), now=now)
        seconds = time.perf_counter() - started
        size_mb = result.path.stat().st_size / 1e6
        session.rollback()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "rows": result.rows, "base_mb": base_mb, "peak_mb": peak_mb, "file_mb": size_mb}


def _spawn(backend: str, size: int, what: str, arg: int) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.reports", "--child", backend, str(size), what, str(arg)],
                          cwd=ROOT, capture_output=True, text=True, env=dict(os.environ), timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(backends, scale: float) -> list[Result]:
    size = max(1000, int(FULL * scale))
    rows = max(100, int(REGISTER_ROWS * scale))
    results: list[Result] = []
    for backend in backends:
        from bench.common import demo_engine

        with demo_engine(backend, size):  # generated here if missing, so a child only measures its report
            pass
        got = _spawn(backend, size, "register", rows)
        results.append(Result(f"reports: register extract {got['rows']:,} rows → xlsx", backend, got["seconds"], "s",
                              REGISTER_SECONDS, f"file {got['file_mb']:.1f} MB; {size:,} applications"))
        results.append(Result("reports: register extract, peak memory (fresh process)", backend, got["peak_mb"],
                              "MB", REGISTER_MB, f"{got['rows']:,} rows; {got['base_mb']:.0f} MB before the report"))
        for days in (30, 365):
            got = _spawn(backend, size, "sla", days)
            results.append(Result(f"reports: SLA workbook, {days}-day period", backend, got["seconds"], "s",
                                  SLA_SECONDS, f"{size:,} applications; {got['rows']:,} rows in sheets; "
                                               f"peak {got['peak_mb']:.0f} MB"))
    return results


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        print(json.dumps(_child(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])))
    else:
        from bench.__main__ import main

        sys.exit(main(["reports", *sys.argv[1:]]))
