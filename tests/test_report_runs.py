"""Report delivery (data/report_runs.py, jobs/weekly_report.py) against the real report engine:
queueing, running to a file that only appears when complete, failures recorded with a message
in the user's language, who sees which runs, the purge, path safety, runs of dead processes,
the background pool and the Monday SLA workbook.

Runs on a database of its own (demo data for a fixed day), because runs commit in transactions
of their own, as they do in the web process."""
from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from data import report_runs
from data.config import LOCAL_TZ
from data.errors import DomainError
from data.models import User
from data.models.audit import AuditEntry
from data.models.jobs import JobRun
from data.models.report_run import ReportRun
from tests.module_db import engine_of, load_demo, module_database

TODAY = date(2026, 3, 19)  # Thursday
NOW = datetime(2026, 3, 19, 11, 0, tzinfo=LOCAL_TZ)
MONDAY_8 = datetime(2026, 3, 23, 8, 0, tzinfo=LOCAL_TZ)  # the Monday after
N = 300


@pytest.fixture(scope="module")
def reports_url(tmp_path_factory):
    with module_database(tmp_path_factory, "report_runs") as url:
        load_demo(url, N, seed=11, today=TODAY, chunk_size=300)
        yield url


@pytest.fixture(scope="module")
def rengine(reports_url):
    with engine_of(reports_url) as eng:
        yield eng


@pytest.fixture
def folder(tmp_path, monkeypatch, rengine) -> Path:
    """A reports folder of its own; the runs table emptied after the test."""
    path = tmp_path / "reports"
    monkeypatch.setenv("KTK_REPORTS_DIR", str(path))
    yield path
    with rengine.begin() as conn:
        conn.execute(delete(ReportRun.__table__))


def user(engine, username: str) -> User:
    with Session(engine, expire_on_commit=False) as s:
        found = s.scalar(select(User).where(User.username == username))
        s.expunge(found)
        return found


def submit(engine, username: str, kind: str = "sla", fmt: str = "xlsx", filters=None, lang="kk",
           now: datetime = NOW) -> int:
    with Session(engine, expire_on_commit=False) as s:
        run = report_runs.submit(s, s.scalar(select(User).where(User.username == username)), kind, fmt,
                                 filters or {}, lang=lang, now=now)
        s.commit()
        return run.id


def get(engine, run_id: int) -> ReportRun:
    with Session(engine, expire_on_commit=False) as s:
        return s.get(ReportRun, run_id)


def visible_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


# -- submit ---------------------------------------------------------------------------------------------
def test_submit_queues_a_run_with_its_filter_and_expiry(rengine, folder):
    run_id = submit(rengine, "manager01", "sla", "xlsx", {"date_from": "01.03.2026", "date_to": "2026-03-15",
                                                          "akimat_kato": "710000000"})
    row = get(rengine, run_id)
    assert (row.status, row.kind, row.format, row.lang, row.progress) == ("queued", "sla", "xlsx", "kk", 0.0)
    assert row.filters["date_from"] == "2026-03-01" and row.filters["date_to"] == "2026-03-15"
    assert row.filters["akimat_kato"] == "710000000"
    assert row.user_id == user(rengine, "manager01").id and not row.scheduled and row.audience is None
    assert row.expires_at - row.created_at == timedelta(days=14)
    assert row.file_path is None


def test_submit_refuses_without_permission_and_stores_nothing(rengine, folder):
    for username in ("akimat_astana",):
        with pytest.raises(DomainError) as refused:
            submit(rengine, username)
        assert refused.value.code == "report_run.forbidden"
        assert refused.value.message("kk") == "Есептерді құруға құқығыңыз жоқ."
        assert refused.value.message("ru") == "У вас нет права формировать отчёты."
    with Session(rengine) as s:
        assert s.scalar(select(ReportRun.id)) is None


@pytest.mark.parametrize("kind, fmt, filters, code", [
    ("sla", "xlsx", {"date_from": "2026-03-15", "date_to": "2026-03-01"}, "reports_date_order"),
    ("sla", "xlsx", {"date_from": "31.02.2026"}, "reports_bad_date"),
    ("nonsense", "xlsx", {}, "reports_unknown_kind"),
    ("sla", "docx", {}, "reports_unknown_format"),
    ("sla", "xlsx", {"akimat_kato": "999999999"}, "reports_unknown_akimat"),
    ("sla", "csv", {"csv_delimiter": "|"}, "reports_bad_delimiter"),
])
def test_submit_refuses_a_bad_request_with_a_message(rengine, folder, kind, fmt, filters, code):
    with pytest.raises(DomainError) as refused:
        submit(rengine, "manager01", kind, fmt, filters)
    assert refused.value.code == code
    for lang in ("kk", "ru"):
        message = refused.value.message(lang)
        assert message and not message.startswith("error.")
    with Session(rengine) as s:
        assert s.scalar(select(ReportRun.id)) is None


# -- run ----------------------------------------------------------------------------------------------------
def test_run_writes_the_workbook_and_records_the_run(rengine, folder):
    run_id = submit(rengine, "manager01", "sla", "xlsx", {"date_from": "2026-02-01", "date_to": "2026-03-19"})
    audit_before = audit_ids(rengine)
    assert report_runs.run(run_id, engine=rengine, now=NOW) == "done"
    row = get(rengine, run_id)
    assert row.status == "done" and row.progress == 1.0 and row.error_key is None
    assert row.started_at is not None and row.finished_at >= row.started_at
    assert row.filename == "sla_2026-03-19.xlsx"
    path = report_runs.resolve_path(row.file_path)
    assert path.parent == folder.resolve() and visible_files(folder) == [path.name]
    assert not list(folder.glob(".work-*")), "the work folder is removed"
    book = openpyxl.load_workbook(path, read_only=True)
    assert len(book.sheetnames) >= 1
    book.close()
    # the engine logged the export (who, what, filter, rows) in the same transaction
    new = [e for e in audit_entries(rengine) if e.id not in audit_before]
    exports = [e for e in new if e.action == "export" and e.entity == "report"]
    assert len(exports) == 1
    detail = json.loads(exports[0].detail)
    assert exports[0].actor_id == row.user_id
    assert detail["report"] == "sla" and detail["rows"] == row.rows and detail["format"] == "xlsx"
    assert detail["filter"]["date_from"] == "2026-02-01"
    # a second call does nothing: the run is no longer queued
    assert report_runs.run(run_id, engine=rengine, now=NOW) == "skipped"


def test_register_csv_keeps_the_separator_and_masks_iins_in_the_system_run_only(rengine, folder):
    import re

    run_id = submit(rengine, "manager01", "register", "csv", {"csv_delimiter": ";", "kind": "rent_to_own"},
                    lang="ru")
    with Session(rengine) as s:
        system_id = report_runs.create_system_run(s, "register", "csv", {"csv_delimiter": ";", "kind": "rent_to_own"},
                                                  lang="ru", now=NOW).id
        s.commit()
    contents = {}
    for rid in (run_id, system_id):
        assert report_runs.run(rid, engine=rengine, now=NOW) == "done"
        row = get(rengine, rid)
        contents[rid] = report_runs.resolve_path(row.file_path).read_text(encoding="utf-8-sig")
        lines = contents[rid].splitlines()
        assert ";" in lines[0] and row.rows == len(lines) - 1 > 0 and row.filename.endswith(".csv")
    assert re.search(r";\d{12};", contents[run_id]), "a manager's file has full IINs"
    assert not re.search(r";\d{12};", contents[system_id]) and re.search(r";\d\d\*{8}\d\d;", contents[system_id])


def test_a_report_that_fails_is_recorded_with_a_message_and_leaves_no_file(rengine, folder):
    # A run whose reviewer was removed after it was queued: the engine refuses it when run.
    run_id = submit(rengine, "manager01", "sla", "xlsx", {})
    with rengine.begin() as conn:
        conn.execute(ReportRun.__table__.update().where(ReportRun.__table__.c.id == run_id)
                     .values(filters={"reviewer_id": 987654}))
    assert report_runs.run(run_id, engine=rengine, now=NOW) == "failed"
    row = get(rengine, run_id)
    assert row.status == "failed" and row.file_path is None and row.finished_at is not None
    assert row.error_key == "error.reports_unknown_reviewer"
    error = DomainError(row.error_key[len("error."):], **row.error_params)
    assert "987654" in error.message("kk") and "987654" in error.message("ru")
    assert not folder.exists() or visible_files(folder) == []


def test_a_crash_after_the_file_was_written_leaves_nothing_visible(rengine, folder):
    from data.reports import generate as real_generate

    def generate_then_crash(*args, **kwargs):
        result = real_generate(*args, **kwargs)
        assert Path(result.path).is_file()
        raise OSError("disk full")

    run_id = submit(rengine, "manager01", "backlog", "xlsx", {})
    assert report_runs.run(run_id, engine=rengine, now=NOW, generate=generate_then_crash) == "failed"
    row = get(rengine, run_id)
    assert row.error_key == "report_page.error.internal" and "disk full" in row.error_detail
    from data.i18n import t
    assert str(run_id) in t(row.error_key, "ru", **row.error_params)
    assert visible_files(folder) == [] and not list(folder.glob(".work-*"))


# -- who sees what -----------------------------------------------------------------------------------------
def test_the_list_shows_own_runs_and_the_scheduled_ones_to_managers_and_admins(rengine, folder):
    mine = submit(rengine, "manager01")
    other_manager = submit(rengine, "manager02")
    reviewer = submit(rengine, "reviewer01")
    with Session(rengine) as s:
        weekly = report_runs.create_system_run(s, "sla", "xlsx", {}, now=NOW).id
        s.commit()
    with Session(rengine) as s:
        def ids_for(username):
            return {r.id for r in report_runs.list_for(s, s.scalar(select(User).where(User.username == username)))}
        assert ids_for("manager01") == {mine, weekly}
        assert ids_for("manager02") == {other_manager, weekly}
        assert ids_for("admin") == {weekly}
        assert ids_for("reviewer01") == {reviewer}
        assert ids_for("reviewer02") == set()
        assert ids_for("akimat_astana") == set()
        newest_first = report_runs.list_for(s, s.scalar(select(User).where(User.username == "manager01")))
        assert [r.id for r in newest_first] == sorted({mine, weekly}, reverse=True)


def test_download_lookup_refuses_other_users_and_expired_runs(rengine, folder):
    run_id = submit(rengine, "reviewer01", "backlog", "xlsx", {})
    report_runs.run(run_id, engine=rengine, now=NOW)
    with Session(rengine) as s:
        owner = s.scalar(select(User).where(User.username == "reviewer01"))
        found = report_runs.for_download(s, owner, run_id, now=NOW)
        assert found.path.is_file() and found.filename.endswith(".xlsx")
        for other in ("reviewer02", "manager01", "admin", "akimat_astana"):
            with pytest.raises(report_runs.NotFound):
                report_runs.for_download(s, s.scalar(select(User).where(User.username == other)), run_id, now=NOW)
        with pytest.raises(report_runs.NotFound):
            report_runs.for_download(s, owner, run_id + 1000, now=NOW)
        with pytest.raises(report_runs.Gone):
            report_runs.for_download(s, owner, run_id, now=NOW + timedelta(days=14))
        found.path.unlink()  # purged behind the row's back: gone, not an error
        with pytest.raises(report_runs.Gone):
            report_runs.for_download(s, owner, run_id, now=NOW)


# -- purge and paths ----------------------------------------------------------------------------------------
def test_purge_removes_expired_runs_and_their_files_only(rengine, folder):
    old = submit(rengine, "manager01", "backlog", "csv", {}, now=NOW - timedelta(days=20))
    fresh = submit(rengine, "manager01", "backlog", "csv", {})
    for run_id in (old, fresh):
        assert report_runs.run(run_id, engine=rengine) == "done"
    running = submit(rengine, "manager01", "backlog", "csv", {}, now=NOW - timedelta(days=20))
    with rengine.begin() as conn:
        conn.execute(ReportRun.__table__.update().where(ReportRun.__table__.c.id == running).values(status="running"))
    old_file = report_runs.resolve_path(get(rengine, old).file_path)
    fresh_file = report_runs.resolve_path(get(rengine, fresh).file_path)
    with Session(rengine) as s:
        assert report_runs.purge_expired(s, now=NOW + timedelta(days=1)) == 1
        s.commit()
    assert not old_file.exists() and fresh_file.exists()
    with Session(rengine) as s:
        assert set(s.scalars(select(ReportRun.id))) == {fresh, running}


def test_paths_never_leave_the_reports_folder(folder, tmp_path):
    folder.mkdir(parents=True)
    (folder / "12-ab.xlsx").write_bytes(b"x")
    assert report_runs.resolve_path("12-ab.xlsx") == (folder / "12-ab.xlsx").resolve()
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    (folder / "link.xlsx").symlink_to(outside)
    for bad in ("../secret.txt", str(outside), "/etc/passwd", "a/../../secret.txt", "link.xlsx", "", ".",
                "x\x00.xlsx"):
        with pytest.raises(ValueError):
            report_runs.resolve_path(bad)


def test_reports_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("KTK_REPORTS_DIR", raising=False)
    monkeypatch.setenv("KTK_INSTANCE_DIR", str(tmp_path))
    assert report_runs.reports_dir() == tmp_path / "reports"
    monkeypatch.setenv("KTK_REPORTS_DIR", str(tmp_path / "elsewhere"))
    assert report_runs.reports_dir() == tmp_path / "elsewhere"
    monkeypatch.setenv("KTK_REPORTS_KEEP_DAYS", "3")
    assert report_runs.keep_days() == 3


# -- runs of dead processes, the background pool --------------------------------------------------------------
def test_runs_left_by_a_dead_process_are_marked_failed(rengine, folder):
    dead_pid = max(int(p) for p in os.listdir("/proc") if p.isdigit()) + 100000
    dead = submit(rengine, "manager01")
    alive = submit(rengine, "manager01")
    elsewhere = submit(rengine, "manager01")
    table = ReportRun.__table__
    with rengine.begin() as conn:
        conn.execute(table.update().where(table.c.id == dead).values(
            status="running", worker=f"{report_runs.HOST}:{dead_pid}"))
        conn.execute(table.update().where(table.c.id == elsewhere).values(
            status="running", worker="other-host:1", started_at=datetime.now(timezone.utc) - timedelta(hours=7)))
    assert report_runs.recover_interrupted(rengine) == 2
    assert get(rengine, dead).status == "failed" and get(rengine, elsewhere).status == "failed"
    assert get(rengine, dead).error_key == "report_page.error.interrupted"
    assert get(rengine, alive).status == "queued"  # queued by this (living) process


def test_the_background_pool_runs_a_submitted_report(rengine, folder, reports_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", reports_url)
    run_id = submit(rengine, "manager01", "complaints", "pdf", {})
    assert report_runs.start_background(run_id).result(timeout=120) == "done"
    row = get(rengine, run_id)
    assert row.status == "done"
    assert report_runs.resolve_path(row.file_path).read_bytes().startswith(b"%PDF")


# -- the Monday workbook ----------------------------------------------------------------------------------------
def test_previous_week_is_monday_to_sunday_before_this_week():
    from jobs.weekly_report import previous_week

    assert previous_week(date(2026, 3, 23)) == (date(2026, 3, 16), date(2026, 3, 22))
    assert previous_week(date(2026, 3, 25)) == (date(2026, 3, 16), date(2026, 3, 22))
    assert previous_week(date(2026, 3, 22)) == (date(2026, 3, 9), date(2026, 3, 15))


def test_the_schedule_fires_on_monday_at_eight_local():
    from jobs.runner import JOBS, build_trigger

    trigger = build_trigger(JOBS["weekly_report"].schedule)
    fire = trigger.get_next_fire_time(None, datetime(2026, 3, 19, 12, 0, tzinfo=LOCAL_TZ))
    assert fire == MONDAY_8


def test_weekly_job_writes_the_sla_workbook_for_managers_and_admins(rengine, folder):
    from jobs.runner import period_of, run_job

    record = run_job("weekly_report", engine=rengine, now=MONDAY_8, period=period_of(MONDAY_8),
                     trigger="schedule", scheduled_at=MONDAY_8)
    assert record.outcome == "ok", record.error
    assert record.summary["from"] == "2026-03-16" and record.summary["to"] == "2026-03-22"
    with Session(rengine) as s:
        run = s.get(ReportRun, record.summary["run"])
        assert run.scheduled and run.audience == "managers" and run.user_id is None and run.status == "done"
        assert run.filters["date_from"] == "2026-03-16" and run.filters["date_to"] == "2026-03-22"
        assert (run.kind, run.format) == ("sla", "xlsx")
        path = report_runs.resolve_path(run.file_path)
        assert path.parent == folder.resolve()
        openpyxl.load_workbook(path, read_only=True).close()
        for username, sees in (("manager01", True), ("admin", True), ("reviewer01", False)):
            who = s.scalar(select(User).where(User.username == username))
            assert (run.id in {r.id for r in report_runs.list_for(s, who)}) is sees
        job_row = s.scalar(select(JobRun).where(JobRun.job == "weekly_report"))
        assert job_row.outcome == "ok" and job_row.rows == run.rows
        export = s.scalar(select(AuditEntry).where(AuditEntry.action == "export", AuditEntry.entity == "report")
                          .order_by(AuditEntry.id.desc()))
        assert export.actor_id is None and json.loads(export.detail)["filter"]["date_to"] == "2026-03-22"
    # the same Monday again (a second scheduler): claimed once only
    again = run_job("weekly_report", engine=rengine, now=MONDAY_8, period=period_of(MONDAY_8), trigger="schedule",
                    scheduled_at=MONDAY_8)
    assert again.outcome == "duplicate"


# -- helpers -------------------------------------------------------------------------------------------------------
def audit_ids(engine) -> set[int]:
    with Session(engine) as s:
        return set(s.scalars(select(AuditEntry.id)))


def audit_entries(engine) -> list[AuditEntry]:
    with Session(engine, expire_on_commit=False) as s:
        return list(s.scalars(select(AuditEntry)))


def test_the_filter_summary_says_what_a_run_covers():
    summary = report_runs.filter_summary
    assert summary({"date_from": "2026-03-16", "date_to": "2026-03-22"}, "kk") == "16.03.2026 – 22.03.2026"
    assert summary({}, "ru") == "последние 30 дней"
    assert summary({}, "ru", kind="register") == "все"
    assert summary({"registry": {"state": "overdue"}}, "ru", kind="register") == "по фильтру реестра"
    assert summary({"kind": "rent_to_own", "akimat_kato": "710000000", "reviewer_id": 5}, "ru",
                   akimat_name=lambda kato: {"710000000": "Астана"}[kato],
                   reviewer_name=lambda rid: "Иванов") == "последние 30 дней · " + \
        f"{t_short('rent_to_own', 'ru')} · Астана · Иванов"


def t_short(kind: str, lang: str) -> str:
    from data.i18n import t

    return t(f"kind.{kind}.short", lang)
