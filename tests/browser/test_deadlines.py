"""The deadlines board in Chromium, in Kazakh and Russian: counts against SQL on the live
server's database, scopes, an item opening its page."""
from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from data.config import LOCAL_TZ
from tests.browser.conftest import screenshot, sign_in


@pytest.fixture(scope="session")
def board_db(live_server, tmp_path_factory) -> Path:
    port = live_server.rsplit(":", 1)[1]
    for log in tmp_path_factory.getbasetemp().glob("instance*/server.log"):
        if f"127.0.0.1:{port}" in log.read_text(errors="ignore"):
            return log.parent / "ktk.sqlite3"
    raise AssertionError("the live server's instance directory was not found")


def overdue_open_clocks(path: Path) -> int:
    """Every running clock due before today (all of them are in a manager's "all" scope)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        today = datetime.now(LOCAL_TZ).date().isoformat()
        return conn.execute("SELECT count(*) FROM clocks WHERE stopped_at IS NULL AND paused_since IS NULL "
                            "AND due_date < ?", (today,)).fetchone()[0]
    finally:
        conn.close()


def test_the_board_in_kazakh_and_russian(page, live_server, board_db, console_errors):
    sign_in(page, live_server, "manager01", lang="kk")
    page.goto(live_server + "/lang/kk")
    page.goto(live_server + "/deadlines")
    expect(page.locator(".page-title")).to_have_text("Мерзімдер тақтасы")
    expect(page.locator("#deadlines-scope .active")).to_have_text("Барлығы")
    expect(page.locator(".kpi-card")).to_have_count(4)
    expect(page.locator(".kpi-label").first).to_have_text("Мерзімі өткен")
    n = overdue_open_clocks(board_db)
    expect(page.locator(".kpi-value").first).to_have_text(f"{n:,}".replace(",", "\u00a0"))
    expect(page.locator(".deadlines-group")).to_have_count(6)
    expect(page.locator(".deadlines-group-title").first).to_have_text("Өтінімдерді қарау")
    screenshot(page, "deadlines-kk")

    page.get_by_role("link", name="Русский").click()
    expect(page.locator(".page-title")).to_have_text("Доска сроков")
    expect(page.locator(".kpi-label").first).to_have_text("Просрочено")
    expect(page.locator(".deadlines-group-title").first).to_have_text("Рассмотрение заявок")
    page.locator("#deadlines-bucket").get_by_text("Просрочено", exact=True).click()
    expect(page.locator("#deadlines-bucket .active")).to_have_text("Просрочено")
    expect(page.locator(".kpi-value")).to_have_text([f"{n:,}".replace(",", "\u00a0"), "0", "0", "0"])
    expect(page.locator(".deadlines-chip.bucket-week")).to_have_count(0)
    screenshot(page, "deadlines-ru")

    link = page.locator(".group-reviews .deadlines-link").first
    target = link.get_attribute("href")
    assert re.fullmatch(r"/applications/\d+", target)
    link.click()
    expect(page).to_have_url(re.compile(re.escape(target) + "$"))
    assert console_errors == []


def test_a_reviewer_starts_with_their_own_deadlines(page, live_server, console_errors):
    sign_in(page, live_server, "reviewer03", lang="kk")
    page.goto(live_server + "/lang/kk")
    page.goto(live_server + "/deadlines")
    expect(page.locator("#deadlines-scope .active")).to_have_text("Маған")
    expect(page.locator(".deadlines-group, .empty-state").first).to_be_visible()
    page.get_by_text("Менің бөлімім", exact=True).click()
    expect(page.locator("#deadlines-scope .active")).to_have_text("Менің бөлімім")
    expect(page.locator(".deadlines-group, .empty-state").first).to_be_visible()
    assert console_errors == []

