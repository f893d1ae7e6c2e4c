"""The registry in Chromium: Kazakh and Russian, filters (form and URL) against SQL run on the
live server's own database, a row click opening the application, the export link."""
from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from data.config import LOCAL_TZ
from tests.browser.conftest import screenshot, sign_in


@pytest.fixture(scope="session")
def live_db(live_server, tmp_path_factory) -> Path:
    """The live server's SQLite file: <instance>/ktk.sqlite3 of the instance whose log names its port."""
    port = live_server.rsplit(":", 1)[1]
    for log in tmp_path_factory.getbasetemp().glob("instance*/server.log"):
        if f"127.0.0.1:{port}" in log.read_text(errors="ignore"):
            path = log.parent / "ktk.sqlite3"
            assert path.exists()
            return path
    raise AssertionError("the live server's instance directory was not found")


def sql(path: Path, query: str, *params) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(query, params).fetchone()[0]
    finally:
        conn.close()


def today() -> str:
    return datetime.now(LOCAL_TZ).date().isoformat()


def count_text(lang: str, n: int) -> str:
    return ("Найдено: " if lang == "ru" else "Табылды: ") + f"{n:,}".replace(",", "\u00a0")


def test_registry_filters_in_kazakh_match_sql(page, live_server, live_db, console_errors):
    sign_in(page, live_server, "manager01", lang="kk")
    page.goto(live_server + "/registry")
    expect(page.locator(".page-title")).to_have_text("Өтінімдер тізілімі")
    total = sql(live_db, "SELECT count(*) FROM applications")
    expect(page.locator(".registry-count")).to_have_text(count_text("kk", total))
    expect(page.locator(".ag-header-cell-text").first).to_have_text("Тіркеу нөмірі")
    expect(page.locator(".ag-center-cols-container .ag-row").first).to_be_visible()

    page.click("#registry-status")
    page.get_by_role("option", name="Өтінім қарауда").click()
    page.get_by_role("option", name="Өтінім қаралды, пысықтау қажет").click()
    page.keyboard.press("Escape")
    statuses = ("under_review", "needs_revision")
    n = sql(live_db, "SELECT count(*) FROM applications WHERE status IN (?, ?)", *statuses)
    expect(page.locator(".registry-count")).to_have_text(count_text("kk", n))
    page.get_by_text("Мерзімі өткен", exact=True).click()
    n = sql(live_db, "SELECT count(*) FROM applications WHERE status IN (?, ?) AND is_open = 1 "
                     "AND current_due_date < ?", *statuses, today())
    assert n > 0
    expect(page.locator(".registry-count")).to_have_text(count_text("kk", n))
    expect(page).to_have_url(re.compile(r"/registry\?status=under_review%2Cneeds_revision&state=overdue$"))
    expect(page.locator(".ag-center-cols-container .ag-row")).to_have_count(n)
    expect(page.locator(".registry-days-overdue").first).to_be_visible()
    href = page.locator("#registry-export-semicolon").get_attribute("href")
    assert parse_qs(urlsplit(href).query) == {"status": ["under_review,needs_revision"], "state": ["overdue"],
                                              "sep": ["semicolon"]}
    screenshot(page, "registry-kk")

    first = page.locator(".ag-center-cols-container .ag-row").first
    row_id = first.get_attribute("row-id")
    first.locator(".ag-cell").nth(2).click()
    expect(page).to_have_url(re.compile(rf"/applications/{row_id}$"))
    assert console_errors == []


def test_registry_in_russian_from_a_link_with_a_search(page, live_server, live_db, console_errors):
    sign_in(page, live_server, "manager02", lang="ru")
    page.goto(live_server + "/lang/ru")
    page.goto(live_server + "/registry?state=open&akimat=710000000")
    expect(page.locator(".page-title")).to_have_text("Реестр заявок")
    astana = sql(live_db, "SELECT id FROM akimats WHERE kato = '710000000'")
    n = sql(live_db, "SELECT count(*) FROM applications WHERE is_open = 1 AND akimat_id IN "
                     "(SELECT id FROM akimats WHERE id = ? OR parent_id = ?)", astana, astana)
    expect(page.locator(".registry-count")).to_have_text(count_text("ru", n))
    expect(page.locator("#registry-state .active")).to_have_text("Открытые")
    expect(page.locator(".ag-header-cell-text").nth(1)).to_have_text("Дата рег.")
    expect(page.locator(".ag-center-cols-container .status-badge").first).to_be_visible()
    screenshot(page, "registry-ru")

    page.fill("#registry-q", "кр-")
    page.keyboard.press("Enter")
    n = sql(live_db, "SELECT count(*) FROM applications WHERE is_open = 1 AND akimat_id IN "
                     "(SELECT id FROM akimats WHERE id = ? OR parent_id = ?) AND (registration_number LIKE 'КР-%' "
                     "OR registration_number LIKE 'кр-%' OR registration_number LIKE 'Кр-%')", astana, astana)
    assert n > 0
    expect(page.locator(".registry-count")).to_have_text(count_text("ru", n))
    expect(page).to_have_url(re.compile(r"q=%D0%BA%D1%80-"))

    page.fill("#registry-from", "31.02.2026")
    page.keyboard.press("Enter")
    expect(page.locator("#registry-from-feedback")).to_contain_text("«31.02.2026» — не дата")
    expect(page.locator(".registry-count")).to_have_text(count_text("ru", n))  # the rest still applies
    page.get_by_role("button", name="Сбросить").click()
    total = sql(live_db, "SELECT count(*) FROM applications")
    expect(page.locator(".registry-count")).to_have_text(count_text("ru", total))
    expect(page.locator("#registry-from")).to_have_value("")
    assert console_errors == []


def test_a_reviewer_sees_their_scope_and_their_queue(page, live_server, live_db, console_errors):
    sign_in(page, live_server, "reviewer02", lang="kk")
    page.goto(live_server + "/lang/kk")
    page.goto(live_server + "/registry")
    me = sql(live_db, "SELECT id FROM users WHERE username = 'reviewer02'")
    scope = ("(reviewer_id IS NULL OR reviewer_id IN (SELECT id FROM users WHERE department = "
             "(SELECT department FROM users WHERE id = ?)))")
    n = sql(live_db, f"SELECT count(*) FROM applications WHERE {scope}", me)
    expect(page.locator(".registry-count")).to_have_text(count_text("kk", n))
    page.get_by_text("Менің кезегім").click()
    mine = sql(live_db, "SELECT count(*) FROM applications WHERE reviewer_id = ?", me)
    assert mine > 0
    expect(page.locator(".registry-count")).to_have_text(count_text("kk", mine))
    expect(page).to_have_url(re.compile(r"reviewer=me"))
    assert console_errors == []


def test_the_registry_refuses_akimat_users(page, live_server):
    sign_in(page, live_server, "akimat_astana", lang="kk")
    page.goto(live_server + "/registry")
    expect(page.locator(".alert-warning")).to_be_visible()
    expect(page.locator(".ag-root")).to_have_count(0)
    response = page.request.get(live_server + "/files/registry.csv")
    assert response.status == 403
