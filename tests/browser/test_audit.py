"""The audit trail in Chromium: an admin finds their own sign-in and someone else's failed one,
filters by action, opens an entry's details (kk, then ru); reveals a masked IIN on an
application and finds the reveal in the trail; a manager is refused."""
from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_new_application import TIMEOUT, use_lang

GRID = "#audit-grid"


def rows(page):
    return page.locator(f"{GRID} .ag-center-cols-container .ag-row")


def pick_action(page, label: str) -> None:
    page.click("#audit-action")
    page.get_by_role("option", name=label, exact=True).click()
    page.keyboard.press("Escape")


def test_admin_searches_the_trail_in_kazakh_and_russian(page, browser, live_server, console_errors):
    # someone else mistypes their password just before, from another browser
    other = browser.new_context(locale="kk-KZ", timezone_id="Asia/Almaty")
    stranger = other.new_page()
    stranger.goto(f"{live_server}/lang/kk")  # as the sign_in helper: the second /login load keeps its token
    stranger.goto(f"{live_server}/login")
    stranger.wait_for_load_state("networkidle")
    stranger.fill("#username", "reviewer03")
    stranger.fill("#password", "Not-The-Password-1!")
    stranger.click("button[type=submit]")
    expect(stranger.locator(".alert")).to_be_visible()
    other.close()

    sign_in(page, live_server, "admin", lang="kk")
    page.locator("#shell-admin-menu .dropdown-toggle").click()  # the administration menu of the navbar
    page.get_by_role("link", name="Аудит", exact=True).click()
    page.wait_for_url(re.compile(r"/audit$"))
    expect(page.locator("h1")).to_have_text("Аудит журналы")
    expect(page.locator("#audit-count")).to_contain_text("Жазбалар:", timeout=TIMEOUT)
    grid = page.locator(GRID)
    expect(grid).to_contain_text("Жүйеге кірді", timeout=TIMEOUT)  # the admin's own sign-in
    expect(grid).to_contain_text("Сәтсіз кіру әрекеті")
    expect(grid).to_contain_text("reviewer03")
    first_time = rows(page).first.locator("[col-id=at]").inner_text()
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", first_time)

    pick_action(page, "Сәтсіз кіру әрекеті")
    expect(page.locator("#audit-count")).to_have_text(re.compile(r"Жазбалар: \d+"), timeout=TIMEOUT)
    expect(rows(page).first).to_contain_text("Сәтсіз кіру әрекеті", timeout=TIMEOUT)
    for i in range(rows(page).count()):
        expect(rows(page).nth(i).locator("[col-id=action]")).to_have_text("Сәтсіз кіру әрекеті")
    target = rows(page).filter(has_text="reviewer03").first
    target.locator("[col-id=action]").click()
    details = page.locator("#audit-details")
    expect(details).to_contain_text("Жазба №", timeout=TIMEOUT)
    expect(details).to_contain_text("reviewer03")
    expect(details).to_contain_text("Құпиясөз қате (1-әрекет)")  # the detail in the reader's language
    screenshot(page, "audit-kk")

    page.get_by_role("link", name="Русский").click()
    page.wait_for_url(re.compile(r"/audit"))
    expect(page.locator("h1")).to_have_text("Журнал аудита")
    expect(page.locator(GRID)).to_contain_text("Вход в систему", timeout=TIMEOUT)
    page.fill("#audit-date-from", "31.02.2026")
    page.keyboard.press("Enter")
    expect(page.locator("#audit-problems")).to_contain_text("«31.02.2026» — не дата", timeout=TIMEOUT)
    page.fill("#audit-date-from", "")
    page.keyboard.press("Enter")
    expect(page.locator("#audit-problems")).to_be_empty(timeout=TIMEOUT)
    rows(page).filter(has_text="Вход в систему").first.locator("[col-id=action]").click()
    expect(page.locator("#audit-details")).to_contain_text("Запись №", timeout=TIMEOUT)
    expect(page.locator("#audit-details")).to_contain_text("(admin)")
    export = page.locator("#audit-export")
    assert export.get_attribute("href").startswith("/files/audit.csv")
    screenshot(page, "audit-ru")
    assert console_errors == []


def test_admin_reveals_a_masked_iin_and_it_is_in_the_trail(page, live_server, console_errors):
    sign_in(page, live_server, "admin")
    use_lang(page, live_server, "kk")
    page.goto(f"{live_server}/applications/3")
    value = page.locator("[id*='iin-reveal-value']").first
    expect(value).to_have_text(re.compile(r"^\d\d\*{8}\d\d$"), timeout=TIMEOUT)
    masked = value.inner_text()
    button = page.get_by_role("button", name="Көрсету")
    expect(button).to_be_visible()
    screenshot(page, "iin-reveal-masked-kk")
    button.click()
    expect(value).to_have_text(re.compile(r"^\d{12}$"), timeout=TIMEOUT)
    full = value.inner_text()
    assert full[:2] == masked[:2] and full[-2:] == masked[-2:]
    expect(page.locator("[id*='iin-reveal-msg']").first).to_contain_text("журналға жазылды")
    expect(button).to_be_hidden()
    screenshot(page, "iin-reveal-shown-kk")

    page.goto(f"{live_server}/audit?action=iin_reveal")
    grid = page.locator(GRID)
    expect(grid).to_contain_text("ЖСН/БСН ашылды", timeout=TIMEOUT)
    row = rows(page).first
    expect(row).to_contain_text("Өтінім №3")
    expect(row.locator("[col-id=entity] a")).to_have_attribute("href", "/applications/3")
    row.locator("[col-id=action]").click()
    expect(page.locator("#audit-details")).to_contain_text(masked)
    screenshot(page, "audit-reveal-kk")
    assert full not in page.content()  # the trail names the item, not the number
    assert console_errors == []


def test_a_manager_is_refused_the_audit(page, live_server):
    sign_in(page, live_server, "manager01", lang="ru")
    expect(page.get_by_role("link", name="Аудит", exact=True)).to_have_count(0)
    page.goto(f"{live_server}/audit")
    expect(page.locator(".alert-warning")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(GRID)).to_have_count(0)
    response = page.request.get(f"{live_server}/files/audit.csv")
    assert response.status == 403
    screenshot(page, "audit-refused-ru")


def test_a_failed_callback_shows_the_servers_message_with_the_incident(page, live_server, console_errors):
    """The server's 500 answer to a callback (its shape is checked in tests/test_error_pages.py) is
    shown in the page by assets/30_errors.js instead of leaving the page silently unchanged."""
    sign_in(page, live_server, "admin", lang="ru")
    page.goto(f"{live_server}/audit")
    expect(page.locator("#audit-count")).to_contain_text("Записей:", timeout=TIMEOUT)
    message = "Ошибка сервера. Номер инцидента: 0a1b2c3d4e5f. Повторите или обратитесь к администратору."

    def fail(route):
        route.fulfill(status=500, content_type="application/json",
                      body=json.dumps({"error": message, "incident": "0a1b2c3d4e5f"}, ensure_ascii=False))

    page.route("**/_dash-update-component*", fail)
    page.fill("#audit-q", "что-нибудь")
    banner = page.locator("#ktk-error-banner")
    expect(banner).to_have_text(message, timeout=TIMEOUT)
    screenshot(page, "callback-error-ru")
    banner.locator(".btn-close").click()
    expect(banner).to_have_count(0)
    page.unroute("**/_dash-update-component*")
    # the only console errors are the failed request and Dash's own note of it (with the id, no trace)
    assert console_errors and all("500" in e or "0a1b2c3d4e5f" in e for e in console_errors)
    assert not any("Traceback" in e for e in console_errors)
