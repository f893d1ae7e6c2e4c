"""The Calendar admin page in Chromium: the year in both languages, picking a day, adding a
holiday (open due dates move and the page says how many), removing it again; admins only."""
from __future__ import annotations

import re
import sqlite3
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from data.working_calendar import WorkingCalendar
from tests.browser.conftest import screenshot, sign_in


@pytest.fixture(scope="module")
def live_db(live_server, tmp_path_factory) -> Path:
    """The live server's SQLite file (its instance directory's log names the server's URL)."""
    base = tmp_path_factory.getbasetemp()
    for log in base.glob("instance*/server.log"):
        if live_server in log.read_text(errors="replace"):
            return log.parent / "ktk.sqlite3"
    raise AssertionError("the live server's database was not found")


def _open_due_dates(path: Path) -> dict[int, str]:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT id, due_date FROM clocks WHERE stopped_at IS NULL").fetchall())


def open_calendar(page, base: str, username: str, lang: str = "kk", query: str = "") -> None:
    sign_in(page, base, username)
    page.context.add_cookies([{"name": "lang", "value": lang, "url": base}])
    page.goto(base + "/calendar" + query)


def _busiest_future_working_day(path: Path) -> date:
    """The working day after today on which most open deadlines fall."""
    cal, today = WorkingCalendar(), date.today()
    due = Counter(date.fromisoformat(d) for d in _open_due_dates(path).values() if d)
    return next(d for d, _n in due.most_common() if d > today and cal.is_working_day(d))


def test_calendar_in_both_languages(page, live_server, console_errors):
    open_calendar(page, live_server, "admin")
    expect(page.locator(".page-title")).to_have_text("Жұмыс күнтізбесі")
    expect(page.locator(".cal-month")).to_have_count(12, timeout=30_000)
    year = date.today().year
    expect(page.locator(".cal-summary")).to_contain_text(f"{year} жыл:")
    expect(page.locator(".cal-month").first).to_contain_text("Қаңтар")
    expect(page.locator(f'button.cal-day[title^="01.01.{year}"]')).to_have_class(re.compile(r"cal-holiday"))
    expect(page.locator(".cal-list")).to_contain_text("Жаңа жыл")
    page.locator("#shell-admin-menu .dropdown-toggle").click()  # the administration menu of the navbar
    expect(page.get_by_role("link", name="Күнтізбе")).to_be_visible()
    page.keyboard.press("Escape")
    screenshot(page, "calendar-kk")

    page.context.add_cookies([{"name": "lang", "value": "ru", "url": live_server}])
    page.reload()
    expect(page.locator(".page-title")).to_have_text("Рабочий календарь")
    expect(page.locator(".cal-month").nth(2)).to_contain_text("Март", timeout=30_000)
    expect(page.locator(".cal-list")).to_contain_text("Новый год")
    expect(page.locator(".cal-list")).to_contain_text("Национальный календарь")
    # another year from the selector
    page.locator("#calendar-year").click()
    page.get_by_role("option", name="2025").click()
    expect(page.locator(".cal-summary")).to_contain_text("2025 год: рабочих дней — 246", timeout=30_000)
    expect(page.locator('button.cal-day[title^="05.01.2025"]')).to_have_class(re.compile(r"cal-working_weekend"))
    screenshot(page, "calendar-ru")
    assert console_errors == []


def test_adding_and_removing_a_holiday_moves_deadlines(page, live_server, live_db, console_errors):
    day = _busiest_future_working_day(live_db)
    typed = day.strftime("%d.%m.%Y")
    due_on_day = sum(1 for d in _open_due_dates(live_db).values() if d == day.isoformat())
    before = _open_due_dates(live_db)
    open_calendar(page, live_server, "admin", "kk", f"?year={day.year}")
    expect(page.locator(".cal-month")).to_have_count(12, timeout=30_000)
    # a click on the day puts it into the form
    page.locator(f'button.cal-day[title^="{typed}"]').click()
    expect(page.locator("#calendar-date")).to_have_value(typed)
    expect(page.locator(".cal-picked")).to_contain_text(typed)
    page.fill("#calendar-name", "Үкімет қаулысы № 1")
    page.get_by_role("button", name="Сақтау").click()
    message = page.locator(".cal-message")
    expect(message).to_contain_text(f"{typed} демалыс күні болып белгіленді (Үкімет қаулысы № 1)", timeout=60_000)
    moved = int(re.search(r"жылжығаны: (\d+)", message.inner_text()).group(1))
    assert moved >= due_on_day >= 1
    after = _open_due_dates(live_db)
    assert sum(1 for k in before if before[k] != after.get(k)) == moved
    expect(page.locator(f'button.cal-day[title^="{typed}"]')).to_have_class(re.compile(r"cal-override_holiday"),
                                                                              timeout=30_000)
    expect(page.locator(".cal-list")).to_contain_text("Үкімет қаулысы № 1")
    screenshot(page, "calendar-override-kk")

    # bad input: a clear message, the typed text stays
    page.fill("#calendar-date", "31.02.2026")
    page.get_by_role("button", name="Сақтау").click()
    expect(message).to_contain_text("«31.02.2026» күні дұрыс емес")
    expect(page.locator("#calendar-date")).to_have_value("31.02.2026")

    # remove it from the list: everything moves back
    page.locator(f'tr[data-day="{day.isoformat()}"]').get_by_role("button", name="Түзетуді алып тастау").click()
    expect(message).to_contain_text(f"{typed} күнінің түзетуі алынып тасталды", timeout=60_000)
    expect(message).to_contain_text(f"жылжығаны: {moved}.")
    assert _open_due_dates(live_db) == before
    expect(page.locator(f'button.cal-day[title^="{typed}"]')).not_to_have_class(re.compile(r"cal-override"),
                                                                                  timeout=30_000)
    assert console_errors == []


def test_managers_have_no_calendar(page, live_server, console_errors):
    open_calendar(page, live_server, "manager02", "kk")
    expect(page.get_by_text("Бұл бетті ашуға рұқсатыңыз жоқ")).to_be_visible(timeout=30_000)
    expect(page.locator(".cal-month")).to_have_count(0)
    expect(page.get_by_role("link", name="Күнтізбе")).to_have_count(0)
    assert console_errors == []
