"""The Reports page in Chromium: a manager generates the SLA workbook in Kazakh, waits for it
in "my reports" and downloads it through the link (opened with openpyxl); the page in Russian
with the CSV separator; the registry's Excel export landing in "my reports"."""
from __future__ import annotations

import csv
import io
import socket
import sqlite3
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in


@pytest.fixture(scope="session")
def live_db(live_server, tmp_path_factory) -> Path:
    """The live server's SQLite file (its instance folder is the one whose log names its port)."""
    port = live_server.rsplit(":", 1)[1]
    for log in tmp_path_factory.getbasetemp().glob("instance*/server.log"):
        if f"127.0.0.1:{port}" in log.read_text(errors="ignore"):
            return log.parent / "ktk.sqlite3"
    raise AssertionError("the live server's instance folder was not found")


def _newest_row(page):
    return page.locator("tr.reports-run").first


def test_manager_generates_and_downloads_the_sla_workbook_in_kazakh(page, live_server, console_errors, tmp_path):
    sign_in(page, live_server, "manager01", lang="kk")
    page.goto(live_server + "/reports")
    expect(page.locator(".page-title")).to_have_text("Есептер")
    expect(page.locator("#reports-kind")).to_contain_text("Мерзімдердің сақталуы (SLA)")
    expect(page.locator("#reports-kind")).to_contain_text("Тізілімнен үзінді")
    expect(page.locator("#reports-kind input[value=sla]")).to_be_checked()
    expect(page.locator("#reports-format input[value=xlsx]")).to_be_checked()
    expect(page.locator("#reports-preview .kpi-card").first).to_be_visible(timeout=20000)
    expect(page.get_by_role("link", name="Есептер")).to_be_visible()  # the nav entry

    before = page.locator("tr.reports-run").count()
    page.click("#reports-generate")
    expect(page.locator("#reports-message")).to_contain_text("кезекке қойылды")
    expect(page.locator("tr.reports-run")).to_have_count(before + 1, timeout=20000)
    row = _newest_row(page)
    expect(row).to_contain_text("Мерзімдердің сақталуы (SLA)")
    expect(row.locator(".status-badge")).to_have_text("Дайын", timeout=60000)
    expect(row).to_contain_text("XLSX")
    screenshot(page, "reports-kk")

    with page.expect_download() as info:
        row.locator("a.reports-download").click()
    download = info.value
    assert download.suggested_filename.startswith("sla_") and download.suggested_filename.endswith(".xlsx")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    book = openpyxl.load_workbook(target, read_only=True)
    assert book.sheetnames
    book.close()
    # the same link without the session: refused
    anonymous = page.context.browser.new_context()
    try:
        href = row.locator("a.reports-download").get_attribute("href")
        assert anonymous.request.get(live_server + href).status == 401
    finally:
        anonymous.close()
    assert not console_errors


def test_the_page_in_russian_with_the_csv_separator(page, live_server, live_db, console_errors, tmp_path):
    # A run left "running" by a server process that no longer exists (pid far above any in use).
    conn = sqlite3.connect(live_db, timeout=30)
    try:
        with conn:
            user_id = conn.execute("SELECT id FROM users WHERE username = 'manager02'").fetchone()[0]
            conn.execute(
                "INSERT INTO report_runs (user_id, kind, format, filters, lang, status, progress, scheduled, worker,"
                " created_at, started_at, expires_at) VALUES (?, 'sla', 'pdf', '{}', 'ru', 'running', 0.4, 0, ?,"
                " datetime('now', '-1 hour'), datetime('now', '-1 hour'), datetime('now', '+13 days'))",
                (user_id, f"{socket.gethostname()[:100]}:{2 ** 22 + 12345}"))
    finally:
        conn.close()
    sign_in(page, live_server, "manager02", lang="ru")
    page.goto(live_server + "/reports")
    expect(page.locator(".page-title")).to_have_text("Отчёты")
    failed = page.locator("tr.reports-run-failed")
    expect(failed).to_have_count(1, timeout=20000)
    expect(failed.locator(".status-badge")).to_have_text("Ошибка")
    expect(failed).to_contain_text("Отчёт не завершён: серверный процесс, который его формировал, остановился.")
    expect(failed.locator("a.reports-download")).to_have_count(0)
    expect(page.locator("#reports-kind")).to_contain_text("Соблюдение сроков (SLA)")
    expect(page.locator("#reports-separator-wrap")).to_be_hidden()
    page.locator("#reports-kind").get_by_text("Остаток и поток", exact=True).click()
    page.locator("#reports-format").get_by_text("CSV", exact=True).click()
    expect(page.locator("#reports-separator-wrap")).to_be_visible()
    expect(page.locator("#reports-preview .kpi-card").first).to_be_visible(timeout=20000)
    page.click("#reports-generate")
    row = _newest_row(page)
    expect(row).to_contain_text("Остаток и поток", timeout=20000)
    expect(row.locator(".status-badge")).to_have_text("Готов", timeout=60000)
    screenshot(page, "reports-ru")
    with page.expect_download() as info:
        row.locator("a.reports-download").click()
    path = tmp_path / "backlog.csv"
    info.value.save_as(path)
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert max(len(r) for r in rows) > 2, "the semicolon is the separator"
    assert not console_errors


def test_a_bad_period_is_refused_with_a_message(page, live_server):
    sign_in(page, live_server, "manager01", lang="ru")
    page.goto(live_server + "/reports")
    expect(page.locator("#reports-preview .kpi-card").first).to_be_visible(timeout=20000)
    for ident, value in (("#reports-from", "20.03.2026"), ("#reports-to", "10.03.2026")):
        page.fill(ident, value)
        page.press(ident, "Enter")
        page.keyboard.press("Escape")
        expect(page.locator(".dash-datepicker-content")).to_have_count(0)
        expect(page.locator(ident)).to_have_value(value)
    expect(page.locator("#reports-preview")).to_contain_text("10.03.2026", timeout=20000)
    before = page.locator("tr.reports-run").count()
    page.click("#reports-generate")
    expect(page.locator("#reports-message .reports-refused")).to_be_visible()
    expect(page.locator("tr.reports-run")).to_have_count(before)


def test_registry_excel_export_lands_in_my_reports(page, live_server, console_errors):
    sign_in(page, live_server, "manager01", lang="kk")
    page.goto(live_server + "/registry?state=overdue")
    expect(page.locator(".ag-center-cols-container .ag-row").first).to_be_visible(timeout=20000)
    page.click(".registry-export .dropdown-toggle")
    expect(page.locator("#registry-export-xlsx")).to_have_text("Excel (xlsx) — «Есептер» бетінде")
    screenshot(page, "registry-export-menu-kk")
    page.click("#registry-export-xlsx")
    page.wait_for_url("**/reports?run=*")
    row = _newest_row(page)
    expect(row).to_contain_text("Тізілімнен үзінді", timeout=20000)
    expect(row.locator(".status-badge")).to_have_text("Дайын", timeout=60000)
    expect(row).to_contain_text("тізілімдегі сүзгі бойынша")
    with page.expect_download() as info:
        row.locator("a.reports-download").click()
    assert info.value.suggested_filename.endswith(".xlsx")
    screenshot(page, "reports-after-registry-export-kk")
    assert not console_errors
