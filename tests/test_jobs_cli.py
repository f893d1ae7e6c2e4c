"""`flask --app app jobs list | run NAME` and `python -m jobs`, run as operators run them."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select, text

from cli.jobs import jobs_group

from data.config import LOCAL_TZ
from data.db import get_engine, make_engine, session_scope
from data.migrate import upgrade_database
from data.models import Application, User
from data.models.jobs import JobRun, Notification
from jobs.runner import JOBS, run_job

ROOT = Path(__file__).resolve().parent.parent


def _env(url: str, **extra: str) -> dict:
    env = dict(os.environ, DATABASE_URL=url, **extra)
    env.pop("KTK_SCHEDULER", None)
    env.pop("KTK_RUN_SCHEDULER", None)
    return env


def flask(url: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=_env(url, **env),
                          capture_output=True, text=True, timeout=120)


def test_jobs_list_and_run(scratch_db_url, tmp_path, monkeypatch):
    engine = make_engine(scratch_db_url)
    upgrade_database(engine)
    try:
        # Through the app, as operators run it.
        run = flask(scratch_db_url, "jobs", "run", "overdue", "--lang", "ru")
        assert run.returncode == 0, run.stderr
        assert run.stdout.startswith("overdue: успешно, строк: 0,")
        assert '"touched": 0' in run.stdout

        # The same group in-process for the rest (the app import is the slow part of a subprocess).
        monkeypatch.setenv("DATABASE_URL", scratch_db_url)
        cli = CliRunner()
        listing = cli.invoke(jobs_group, ["list", "--lang", "ru"])
        assert listing.exit_code == 0, listing.output
        lines = {line.split("\t")[0]: line.split("\t") for line in listing.stdout.splitlines()[1:]}
        assert set(lines) == set(JOBS)  # every job of the catalogue, these among them:
        assert {"overdue", "daily_snapshot", "inbox", "digest", "prune_history", "recompute_deadlines"} <= set(lines)
        assert lines["overdue"][1:2] == ["*/15 * * * *; 5 0 * * *"] and lines["overdue"][3] == "успешно"
        assert lines["recompute_deadlines"][1:3] == ["по запросу", "ещё не было"]
        monkeypatch.setenv("KTK_JOB_SCHEDULE_INBOX", "off")
        off = cli.invoke(jobs_group, ["list", "--lang", "ru"])
        assert "inbox\tотключено\t" in off.stdout
        monkeypatch.delenv("KTK_JOB_SCHEDULE_INBOX")

        unknown = cli.invoke(jobs_group, ["run", "nope", "--lang", "ru"])
        assert unknown.exit_code == 2 and "Задания «nope» нет" in unknown.stderr

        # A job that fails: exit code 1, the traceback's tail on stderr, the failure recorded.
        blocked = tmp_path / "not-a-dir"
        blocked.write_text("")
        monkeypatch.setenv("KTK_INBOX_DIR", str(blocked / "inbox"))
        failed = cli.invoke(jobs_group, ["run", "inbox"])
        assert failed.exit_code == 1
        assert "Error" in failed.stderr.strip().splitlines()[-1]
        with session_scope(engine) as s:
            outcomes = dict(s.execute(select(JobRun.job, JobRun.outcome)).all())
        assert outcomes == {"overdue": "ok", "inbox": "error"}
    finally:
        get_engine(scratch_db_url).dispose()
        engine.dispose()


def test_digest_job_writes_one_email_per_person_per_day(scratch_db_url, tmp_path):
    outbox = tmp_path / "outbox"
    engine = make_engine(scratch_db_url)
    upgrade_database(engine)
    try:
        with session_scope(engine) as s:
            reviewer = User(username="mail_rev", full_name="Омарова Жадыра", role="reviewer", lang="ru")
            s.add(reviewer)
            s.flush()
            s.add(Application(kind="correction", status="under_review", applicant_name="«Нұр Құрылыс» ЖШС",
                              reviewer_id=reviewer.id, current_due_date=date(2026, 3, 20), current_policy="ktk_review"))
        settings = {"outbox_dir": outbox}
        # Caught up after downtime in the evening, or the night before: outside working hours, nothing.
        for late in (datetime(2026, 3, 20, 19, 0, tzinfo=LOCAL_TZ), datetime(2026, 3, 20, 7, 59, tzinfo=LOCAL_TZ)):
            skipped = run_job("digest", engine=engine, now=late, settings=settings)
            assert (skipped.outcome, skipped.rows, skipped.summary["reason"]) == ("skipped", 0, "outside_working_hours")
        assert not outbox.exists()
        friday = datetime(2026, 3, 20, 8, 30, tzinfo=LOCAL_TZ)
        first = run_job("digest", engine=engine, now=friday, settings=settings)
        assert (first.outcome, first.rows) == ("ok", 1)
        [eml] = outbox.iterdir()
        assert eml.name == "20260320-digest-mail_rev.eml" and first.summary["emails"] == [str(eml)]
        assert "Subject: =?utf-8?" in eml.read_text() and "mail_rev@ktk.kz" in eml.read_text()
        again = run_job("digest", engine=engine, now=friday.replace(hour=18, minute=59), settings=settings)
        assert (again.outcome, again.rows, again.summary["already"]) == ("ok", 0, 1)
        saturday = run_job("digest", engine=engine, now=datetime(2026, 3, 21, 8, 30, tzinfo=LOCAL_TZ),
                           settings=settings)
        assert (saturday.outcome, saturday.summary["reason"]) == ("skipped", "not_working_day")
        assert len(list(outbox.iterdir())) == 1
        with session_scope(engine) as s:
            assert s.scalar(select(Notification.title)) == "Сводка на 20.03.2026: срок сегодня — 1, просрочено — 0"
    finally:
        engine.dispose()


def test_inbox_job_hands_the_folder_to_the_importer(scratch_db_url, tmp_path, monkeypatch):
    engine = make_engine(scratch_db_url)
    upgrade_database(engine)
    monkeypatch.setenv("KTK_INBOX_SETTLE_SECONDS", "0")
    inbox = tmp_path / "inbox"
    (inbox / "710000000").mkdir(parents=True)
    (inbox / "710000000" / "list.csv").write_text("ЖСН;ТАӘ;Санаты;Телефон\n", encoding="utf-8")
    try:
        record = run_job("inbox", engine=engine, settings={"inbox_dir": inbox})
        assert (record.outcome, record.rows) == ("ok", 1), record.error
        assert record.summary["processed"] + record.summary["failed"] == 1
        assert record.summary["items"][0]["name"] == "list.csv"
        again = run_job("inbox", engine=engine, settings={"inbox_dir": inbox})
        assert (again.outcome, again.rows) == ("ok", 0)  # the file was moved on: handled once
    finally:
        engine.dispose()


def test_python_m_jobs_runs_the_scheduler_until_terminated(scratch_db_url, tmp_path):
    engine = make_engine(scratch_db_url)
    upgrade_database(engine)
    env = _env(scratch_db_url, KTK_INBOX_DIR=str(tmp_path / "inbox"), KTK_OUTBOX_DIR=str(tmp_path / "outbox"))
    proc = subprocess.Popen([sys.executable, "-m", "jobs"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        stored = []
        deadline = time.monotonic() + 20
        scheduled = sorted(name for name, spec in JOBS.items() if spec.schedule)
        while time.monotonic() < deadline and len(stored) < len(scheduled):
            time.sleep(0.2)
            with engine.connect() as conn:
                try:
                    stored = [r[0] for r in conn.execute(text("SELECT id FROM apscheduler_jobs"))]
                except Exception:  # noqa: BLE001 - the table appears when the scheduler starts
                    conn.rollback()
        assert sorted(stored) == scheduled
        assert {"daily_snapshot", "digest", "inbox", "overdue", "prune_history"} <= set(stored)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0, out
        assert "scheduler started" in out and "stopping" in out
    finally:
        if proc.poll() is None:
            proc.kill()
        engine.dispose()
