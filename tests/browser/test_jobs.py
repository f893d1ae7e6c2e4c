"""The Jobs page in Chromium: the runs the app made at start, "run now" adding a run that ends ok
(and audited), "run now" refused while the job runs, a failing job marked failing (here and on
the overview), the error tail on click; Russian; a manager refused. And the bell: a digest
notification reaches its reader."""
from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine, func, select

from data.db import make_engine, session_scope
from data.models import User
from data.models.audit import AuditEntry
from data.models.base import utcnow
from data.models.jobs import JobRun, Notification
from tests.browser.conftest import screenshot, sign_in


@pytest.fixture(scope="session")
def live_db(live_server, tmp_path_factory) -> Path:
    """The live server's SQLite file: <instance>/ktk.sqlite3 of the instance whose log names its port."""
    port = live_server.rsplit(":", 1)[1]
    for log in tmp_path_factory.getbasetemp().glob("instance*/server.log"):
        if log.parent.is_symlink():  # "instancecurrent" points to whichever was made last
            continue
        if f"127.0.0.1:{port}" in log.read_text(errors="ignore"):
            path = log.parent.resolve() / "ktk.sqlite3"
            assert path.exists()
            return path
    raise AssertionError("the live server's instance directory was not found")


@pytest.fixture
def live(live_db) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{live_db}")
    yield engine
    engine.dispose()


def _runs(engine: Engine, job: str) -> list[JobRun]:
    with session_scope(engine) as s:
        return list(s.scalars(select(JobRun).where(JobRun.job == job).order_by(JobRun.id)))


def _wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return predicate()


def _add_run(engine: Engine, job: str, outcome: str, **values) -> int:
    now = utcnow()
    with session_scope(engine) as s:
        run = JobRun(job=job, period=f"test:{now.isoformat()}", trigger="schedule", started_at=now,
                     outcome=outcome, **values)
        s.add(run)
        s.flush()
        return run.id


def test_jobs_page_history_run_now_failing_in_kazakh(page, live_server, live, console_errors):
    # The app ran overdue and daily_snapshot when it started (new to its job store).
    assert _wait_for(lambda: all(r and r[-1].outcome == "ok" for r in (_runs(live, "overdue"),
                                                                          _runs(live, "daily_snapshot"))))
    first = _runs(live, "overdue")[0]
    assert first.trigger == "schedule"

    sign_in(page, live_server, "admin", lang="kk")
    page.locator("#shell-admin-menu .dropdown-toggle").click()  # the administration menu of the navbar
    expect(page.locator("#shell-nav").get_by_role("link", name="Тапсырмалар")).to_be_visible()
    page.goto(live_server + "/jobs")
    expect(page.locator(".page-title")).to_have_text("Жоспарлы тапсырмалар")
    overdue_row = page.locator('tr.jobs-row[data-job="overdue"]')
    expect(overdue_row).to_contain_text("Мерзімі өткендер")
    expect(overdue_row).to_contain_text("әр 15 минут сайын; күн сайын 00:05")
    expect(overdue_row).to_contain_text("*/15 * * * *; 5 0 * * *")
    expect(overdue_row.locator(".jobs-outcome").first).to_have_text("сәтті")
    expect(page.locator('tr.jobs-row[data-job="digest"]')).to_contain_text("тек жұмыс күндері")
    expect(page.locator('tr.jobs-row[data-job="recompute_deadlines"]')).to_contain_text("сұраныс бойынша")
    # The history shows the start-up runs.
    expect(page.locator(f'tr.jobs-run-row[data-run="{first.id}"]')).to_contain_text("кесте")

    # Run now: a new manual run appears and ends ok (the page refreshes itself while it runs).
    before = {r.id for r in _runs(live, "overdue")}
    overdue_row.get_by_role("button", name="Қазір іске қосу").click()
    expect(page.locator(".jobs-started")).to_contain_text("«Мерзімі өткендер» іске қосылды")
    assert _wait_for(lambda: {r.id for r in _runs(live, "overdue")} - before, 20)
    [new] = [r for r in _runs(live, "overdue") if r.id not in before]
    assert new.trigger == "manual"
    new_row = page.locator(f'tr.jobs-run-row[data-run="{new.id}"]')
    expect(new_row).to_contain_text("қолмен")
    expect(new_row.locator(".jobs-outcome")).to_have_attribute("data-outcome", "ok", timeout=30000)
    with session_scope(live) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "jobs.run_now")
                          .order_by(AuditEntry.id.desc())).first()
        assert (entry.actor_name, entry.entity_id, entry.after["run_id"]) == ("admin", "overdue", new.id)
    screenshot(page, "jobs-kk")

    # Refused while the job runs (a scheduler's run of daily_snapshot in progress).
    busy = _add_run(live, "daily_snapshot", "running")
    try:
        page.reload()
        snap_row = page.locator('tr.jobs-row[data-job="daily_snapshot"]')
        expect(snap_row.locator(".jobs-state-running")).to_have_text("Орындалуда")
        count = len(_runs(live, "daily_snapshot"))
        snap_row.get_by_role("button", name="Қазір іске қосу").click()
        expect(page.locator(".jobs-refused")).to_contain_text(f"«Күнделікті көрсеткіштер» қазір орындалып жатыр")
        expect(page.locator(".jobs-refused")).to_contain_text(f"№{busy}")
        assert len(_runs(live, "daily_snapshot")) == count
        screenshot(page, "jobs-kk-refused")
    finally:
        with session_scope(live) as s:
            run = s.get(JobRun, busy)
            run.outcome, run.finished_at, run.duration_ms = "ok", utcnow(), 5

    # A failing job: marked failing here and on the overview; its error tail opens on click.
    failed = _add_run(live, "prune_history", "error", finished_at=utcnow(), duration_ms=12,
                      error='Traceback (most recent call last):\n  File "jobs/runner.py", line 1\n'
                            "OSError: [Errno 28] No space left on device")
    try:
        page.reload()
        prune_row = page.locator('tr.jobs-row[data-job="prune_history"]')
        expect(prune_row).to_have_class(re.compile(r"jobs-row-failing"))
        expect(prune_row.locator(".jobs-state-failing")).to_contain_text("Істен шықты")
        page.locator("#jobs-filter").click()
        page.get_by_role("option", name="Тарихты тазалау").click()
        expect(page.locator("tr.jobs-run-row")).to_have_count(1)
        failed_row = page.locator(f'tr.jobs-run-row[data-run="{failed}"]')
        expect(failed_row.locator(".jobs-error")).not_to_be_visible()
        failed_row.get_by_text("Қатені көрсету").click()
        expect(failed_row.locator(".jobs-error")).to_be_visible()
        expect(failed_row.locator(".jobs-error")).to_contain_text("No space left on device")
        screenshot(page, "jobs-kk-failing")
        page.goto(live_server + "/")
        expect(page.get_by_role("alert").filter(has_text="Тарихты тазалау")).to_contain_text("сәтсіз", timeout=30000)
    finally:  # a later good run ends the failure for the other tests
        _add_run(live, "prune_history", "ok", finished_at=utcnow(), duration_ms=3, rows=0)
    page.goto(live_server + "/jobs")
    expect(page.locator('tr.jobs-row[data-job="prune_history"]')).not_to_have_class(re.compile(r"jobs-row-failing"))
    assert not console_errors, console_errors


def test_jobs_page_in_russian(page, live_server, live, console_errors):
    sign_in(page, live_server, "admin", lang="ru")
    page.goto(live_server + "/jobs")
    expect(page.locator(".page-title")).to_have_text("Плановые задания")
    row = page.locator('tr.jobs-row[data-job="overdue"]')
    expect(row).to_contain_text("Просрочки")
    expect(row).to_contain_text("каждые 15 минут; ежедневно в 00:05")
    expect(row.get_by_role("button", name="Запустить сейчас")).to_be_visible()
    expect(page.locator("tr.jobs-run-row").first).to_be_visible()
    expect(page.locator(".jobs-history-table")).to_contain_text("успешно")
    screenshot(page, "jobs-ru")
    assert not console_errors, console_errors


def test_a_manager_is_refused_the_jobs_page(page, live_server):
    sign_in(page, live_server, "manager01", lang="ru")
    expect(page.locator("#shell-nav").get_by_role("link", name="Задания")).to_have_count(0)
    page.goto(live_server + "/jobs")
    expect(page.locator(".alert-warning")).to_be_visible()
    expect(page.locator(".jobs-table")).to_have_count(0)
    expect(page.get_by_role("button", name="Запустить сейчас")).to_have_count(0)


def test_the_bell_shows_the_digest_to_its_reader(page, live_server, live, console_errors):
    with session_scope(live) as s:
        reviewer = s.scalar(select(User).where(User.username == "reviewer01"))
        unread = s.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == reviewer.id, Notification.read_at.is_(None)))
        s.add(Notification(user_id=reviewer.id, kind="digest", dedup_key=f"test:{utcnow().isoformat()}",
                           title="20.03.2026 шолуы: бүгін мерзімі — 1, мерзімі өткен — 2",
                           body="Құрметті Тест!\n• ЖА-2026-1 — Иванов (Түзету), мерзімі 20.03.2026",
                           payload={"items": [{"type": "application", "id": 1, "due": "2026-03-20"}]}))
    sign_in(page, live_server, "reviewer01", lang="kk")
    bell = page.locator("#notifications-bell")
    expect(bell.locator(".shell-bell-count")).to_have_text(str(unread + 1))
    bell.click()
    expect(page).to_have_url(re.compile(r"/notifications$"))
    expect(page.locator(".page-title")).to_have_text("Хабарламалар")
    item = page.locator(".notify-item").first
    expect(item).to_contain_text("20.03.2026 шолуы: бүгін мерзімі — 1, мерзімі өткен — 2")
    expect(item).to_contain_text("ЖА-2026-1 — Иванов")
    expect(item).to_have_class(re.compile(r"notify-unread"))
    expect(item.locator("a.notify-link")).to_have_attribute("href", "/applications/1")
    screenshot(page, "notifications-kk")
    page.get_by_role("button", name="Бәрін оқылды деп белгілеу").click()
    expect(page.locator(".alert-success")).to_contain_text(f"{unread + 1} хабарлама оқылды деп белгіленді")
    expect(page.locator(".notify-unread")).to_have_count(0)
    page.reload()
    expect(page.locator("#notifications-bell .shell-bell-count")).to_have_count(0)
    page.goto(live_server + "/lang/ru")
    page.goto(live_server + "/notifications")
    expect(page.locator(".page-title")).to_have_text("Уведомления")
    screenshot(page, "notifications-ru")
    assert not console_errors, console_errors
