"""``python -m jobs``: the scheduler as a process of its own (production: the web runs under
gunicorn, which starts no scheduler). It always starts its scheduler: ``KTK_RUN_SCHEDULER``
only concerns ``python app.py``. ``python -m jobs --run NAME`` runs one job once and exits
(exit code 1 when it failed)."""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from data.db import get_engine
from data.errors import DomainError
from data.migrate import require_migrated


def main(argv: list[str] | None = None) -> int:
    from jobs.runner import JOBS, run_job, start_scheduler

    parser = argparse.ArgumentParser(prog="python -m jobs", description=__doc__)
    parser.add_argument("--run", metavar="NAME", choices=sorted(JOBS), help="run one job once and exit")
    args = parser.parse_args(argv)
    from data.logging_setup import configure_logging

    configure_logging()  # JSON lines in production (KTK_ENV=production or KTK_LOG_JSON=1)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    engine = get_engine()
    try:
        require_migrated(engine)
    except DomainError as exc:
        print(exc.message("ru"), file=sys.stderr)
        return 2
    if args.run:
        record = run_job(args.run, engine=engine)
        print(f"{record.job}: {record.outcome}, rows={record.rows}, {record.duration_ms} ms")
        if record.error:
            print(record.error, file=sys.stderr)
        return 1 if record.outcome == "error" else 0

    stop = threading.Event()

    def _stop(signum, _frame) -> None:
        logging.getLogger("ktk.jobs").info("signal %s: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    scheduler = start_scheduler(engine, force=True)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        scheduler.shutdown(wait=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
