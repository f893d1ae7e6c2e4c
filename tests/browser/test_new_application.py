"""The New application form in Chromium: the live preview, a bad IIN, the duplicate warning,
registering and landing on the application's page."""
from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import expect

from data.iin import make_iin
from tests.browser.conftest import screenshot, sign_in

TIMEOUT = 15_000


def fresh_iin(serial: int) -> str:
    """A valid IIN of this test module's own range (no clash with demo data or other tests)."""
    while True:
        number = make_iin(date(1987, 11, 23), 4, serial=serial)
        if number:
            return number
        serial += 1


def use_lang(page, base_url: str, lang: str) -> None:
    page.goto(f"{base_url}/lang/{lang}")


def pick_date(page, selector: str, text: str) -> None:
    """Type dd.mm.yyyy into a date picker, confirm it and close its calendar (which holds the focus)."""
    page.fill(selector, text)
    page.press(selector, "Enter")
    page.keyboard.press("Escape")
    expect(page.locator(".dash-datepicker-content")).to_have_count(0)
    expect(page.locator(selector)).to_have_value(text)


def fill_rent_to_own(page, iin: str, name: str, received: str = "06.03.2026", at: str = "20:00") -> None:
    page.wait_for_selector("#newapp-id-number")
    page.fill("#newapp-id-number", iin)
    page.press("#newapp-id-number", "Tab")
    page.fill("#newapp-name", name)
    page.click("#newapp-akimat")
    expect(page.locator("[role=option]").first).to_be_visible()  # the menu is open before typing into it
    page.keyboard.type("Астан")
    page.locator("[role=option]").filter(has_text=re.compile("Астана|Астаны")).first.click()
    pick_date(page, "#newapp-received-date", received)
    page.fill("#newapp-received-time", at)
    page.press("#newapp-received-time", "Tab")
    page.select_option("#newapp-category", "budget_employee")
    page.fill("#newapp-family-size", "3")
    page.check("#newapp-consent")


def register_through_form(page, base_url: str, iin: str, name: str) -> int:
    """Register a rent-to-own application through the form; returns its id (we land on its page)."""
    page.goto(base_url + "/applications/new")
    fill_rent_to_own(page, iin, name)
    expect(page.locator("#newapp-preview")).to_contain_text("26.03.2026", timeout=TIMEOUT)
    page.click("#newapp-save")
    page.wait_for_url(re.compile(r"/applications/\d+$"), timeout=TIMEOUT)
    return int(page.url.rsplit("/", 1)[1])


def test_register_a_paper_application_and_land_on_its_page(page, live_server, console_errors):
    sign_in(page, live_server, "reviewer02")
    use_lang(page, live_server, "kk")
    page.goto(live_server + "/applications/new")
    expect(page.locator(".page-title")).to_have_text("Жаңа өтінімді тіркеу")
    expect(page.get_by_role("link", name="Жаңа өтінім")).to_be_visible()

    # A mistyped IIN is named precisely, at once.
    iin = fresh_iin(101)
    page.fill("#newapp-id-number", iin[:11] + str((int(iin[11]) + 1) % 10))
    page.press("#newapp-id-number", "Tab")
    expect(page.locator("#newapp-id-feedback")).to_contain_text("ЖСН бақылау цифры сәйкес келмейді", timeout=TIMEOUT)

    fill_rent_to_own(page, iin, "Сейітова Әйгерім Болатқызы")
    expect(page.locator("#newapp-id-feedback")).to_contain_text("ЖСН дұрыс")
    # The registration day and the due date, live, before saving: Friday 20:00 -> Tuesday 10.03, due 26.03.
    preview = page.locator("#newapp-preview")
    expect(preview).to_contain_text("10.03.2026", timeout=TIMEOUT)
    expect(preview).to_contain_text("26.03.2026")
    expect(preview).to_contain_text("жұмыс уақыты аяқталғаннан кейін түсті")
    page.get_by_label("Жалақы туралы анықтама").check()
    screenshot(page, "new-application-kk")

    page.click("#newapp-save")
    page.wait_for_url(re.compile(r"/applications/\d+$"), timeout=TIMEOUT)
    expect(page.locator(".apppage-header")).to_contain_text("Сатып алу құқығымен жалдау", timeout=TIMEOUT)
    expect(page.locator(".apppage-due")).to_contain_text("26.03.2026 дейін")
    expect(page.locator(".apppage-details")).to_contain_text(iin)
    expect(page.locator(".apppage-details")).to_contain_text("Сейітова Әйгерім Болатқызы")
    expect(page.locator(".timeline")).to_contain_text("Өтінім енгізілді")
    assert console_errors == []


def test_duplicate_is_warned_and_registered_only_on_purpose(page, live_server, console_errors):
    sign_in(page, live_server, "reviewer03")
    use_lang(page, live_server, "ru")
    iin = fresh_iin(202)
    first = register_through_form(page, live_server, iin, "Ким Сергей Петрович")

    page.goto(live_server + "/applications/new")
    expect(page.locator(".page-title")).to_have_text("Регистрация новой заявки")
    fill_rent_to_own(page, iin, "Ким Сергей Петрович", at="10:30")
    expect(page.locator("#newapp-duplicates")).to_contain_text("Возможный дубликат", timeout=TIMEOUT)
    expect(page.locator("#newapp-duplicates")).to_contain_text("открытая заявка по этому ИИН")
    page.click("#newapp-save")
    expect(page.locator("#newapp-message")).to_contain_text("найден возможный дубликат", timeout=TIMEOUT)
    assert page.url.endswith("/applications/new")
    expect(page.locator("#newapp-name")).to_have_value("Ким Сергей Петрович")  # nothing typed is lost
    screenshot(page, "new-application-ru")

    page.check("#newapp-override")
    page.click("#newapp-save")
    page.wait_for_url(re.compile(r"/applications/\d+$"), timeout=TIMEOUT)
    assert int(page.url.rsplit("/", 1)[1]) != first
    expect(page.locator(".apppage-header")).to_contain_text("Заявка подана", timeout=TIMEOUT)
    use_lang(page, live_server, "kk")
    assert console_errors == []


def test_incomplete_form_lists_what_to_fix(page, live_server):
    sign_in(page, live_server, "reviewer04")
    use_lang(page, live_server, "ru")
    page.goto(live_server + "/applications/new")
    page.wait_for_selector("#newapp-save")
    page.click("#newapp-save")
    message = page.locator("#newapp-message")
    expect(message).to_contain_text("Заявка не сохранена", timeout=TIMEOUT)
    expect(message).to_contain_text("Укажите ИИН заявителя")
    expect(message).to_contain_text("Заполните поле «Акимат»")
    expect(page.locator(".is-invalid-field").first).to_be_visible()
    use_lang(page, live_server, "kk")
