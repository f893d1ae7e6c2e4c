"""The Application page in Chromium: both languages, a status change through the form, a refused
incomplete transition, and two people editing the same application at once."""
from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from callbacks.context import today_local
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_new_application import TIMEOUT, fresh_iin, pick_date, register_through_form, use_lang


def wait_for_targets(page, *codes: str) -> None:
    for code in codes:
        page.wait_for_selector(f"#apppage-target option[value={code}]", state="attached", timeout=TIMEOUT)


def test_an_application_in_kazakh_and_russian(page, live_server, console_errors):
    sign_in(page, live_server, "reviewer05")
    use_lang(page, live_server, "kk")
    app_id = register_through_form(page, live_server, fresh_iin(303), "Омаров Дәурен Ерланұлы")
    due = page.locator(".apppage-due")
    expect(due).to_contain_text("26.03.2026 дейін", timeout=TIMEOUT)
    expect(due).to_contain_text(
        "06.03.2026 20:00 (жұма) жұмыс уақыты аяқталғаннан кейін түсті, келесі жұмыс күні 10.03.2026 тіркелді.")
    expect(due).to_contain_text("25.03.2026 — жұмыс емес күн")
    expect(due).to_contain_text("Мерзімі өтті")
    expect(page.locator(".clock-item")).to_contain_text("ҚТК-ның қарауы (15 к.к.)")
    expect(page.locator(".apppage-docs li")).to_have_count(6)

    page.get_by_role("link", name="Русский").click()
    page.wait_for_url(re.compile(rf"/applications/{app_id}$"))
    due = page.locator(".apppage-due")
    expect(due).to_contain_text("до 26.03.2026", timeout=TIMEOUT)
    expect(due).to_contain_text(
        "Поступило 06.03.2026 20:00 (пятница) после окончания рабочего времени, зарегистрировано в следующий "
        "рабочий день 10.03.2026.")
    expect(due).to_contain_text("срок перенесён на 26.03.2026")
    expect(page.locator(".apppage-header")).to_contain_text("Заявка подана")
    expect(page.locator("#apppage-target option[value=under_review]")).to_have_text("Заявка на рассмотрении")

    # A demo application with a longer life, for the screenshots in both languages.
    page.goto(live_server + "/lang/kk")
    for candidate in range(1, 60):
        page.goto(f"{live_server}/applications/{candidate}")
        expect(page.locator(".apppage-header")).not_to_be_empty(timeout=TIMEOUT)
        if page.locator(".timeline-item").count() >= 4:
            break
    expect(page.locator(".apppage-explanation").first).not_to_be_empty()
    screenshot(page, "application-kk")
    page.get_by_role("link", name="Русский").click()
    expect(page.locator(".apppage-due")).to_contain_text("Текущий срок", timeout=TIMEOUT)
    screenshot(page, "application-ru")
    page.get_by_role("link", name="Қазақша").click()
    expect(page.locator(".apppage-due")).to_contain_text("Ағымдағы мерзім", timeout=TIMEOUT)
    assert console_errors == []


def test_status_change_through_the_form_and_a_refused_incomplete_one(page, live_server, console_errors):
    sign_in(page, live_server, "reviewer06")
    use_lang(page, live_server, "kk")
    register_through_form(page, live_server, fresh_iin(404), "Нұрланова Мадина Асқарқызы")
    wait_for_targets(page, "under_review", "rejected")
    assert page.locator("#apppage-target option:not([disabled])").count() == 2

    page.select_option("#apppage-target", "under_review")
    reviewer = page.locator("select[id*='reviewer_id']")
    expect(reviewer).to_be_visible(timeout=TIMEOUT)
    assert "reviewer06" in reviewer.locator("option:checked").inner_text()  # takes it by default
    page.click("#apppage-submit")
    expect(page.locator("#apppage-status-msg")).to_contain_text("Мәртебе өзгертілді: «Өтінім қарауда»",
                                                                timeout=TIMEOUT)
    expect(page.locator(".apppage-header .status-badge")).to_have_text("Өтінім қарауда", timeout=TIMEOUT)
    first = page.locator(".timeline-item").first
    expect(first).to_contain_text("Өтінім берілді")
    expect(first).to_contain_text("Өтінім қарауда")

    # Incomplete: the message names both missing inputs and nothing changes.
    wait_for_targets(page, "needs_revision", "approved", "rejected")
    page.select_option("#apppage-target", "needs_revision")
    expect(page.locator("textarea[id*='remarks']")).to_be_visible(timeout=TIMEOUT)
    page.click("#apppage-submit")
    message = page.locator("#apppage-status-msg")
    expect(message).to_contain_text("«Өтінім қаралды, пысықтау қажет» мәртебесіне өту үшін толтырыңыз",
                                    timeout=TIMEOUT)
    expect(message).to_contain_text("«Ескертулер», «Пысықтау мерзімі»")
    expect(page.locator(".is-invalid-field")).to_have_count(2)
    expect(page.locator(".apppage-header .status-badge")).to_have_text("Өтінім қарауда")

    page.fill("textarea[id*='remarks']", "Жалақы туралы анықтаманы қайта беріңіз")
    due = today_local() + timedelta(days=10)
    pick_date(page, "input[id*='revision_due']", due.strftime("%d.%m.%Y"))
    page.click("#apppage-submit")
    expect(message).to_contain_text("Мәртебе өзгертілді", timeout=TIMEOUT)
    expect(page.locator(".apppage-header .status-badge")).to_have_text("Өтінім қаралды, пысықтау қажет",
                                                                       timeout=TIMEOUT)
    newest = page.locator(".timeline-item").first
    expect(newest).to_contain_text("Жалақы туралы анықтаманы қайта беріңіз")
    expect(newest).to_contain_text(f"Пысықтау мерзімі: {due:%d.%m.%Y}")
    expect(page.locator(".apppage-due")).to_contain_text(f"{due:%d.%m.%Y} дейін")
    assert console_errors == []


def test_two_people_edit_the_same_application(browser, browser_context_args, live_server):
    reviewer_context = browser.new_context(**browser_context_args)
    manager_context = browser.new_context(**browser_context_args)
    reviewer, manager = reviewer_context.new_page(), manager_context.new_page()
    errors: list[str] = []
    for p in (reviewer, manager):
        p.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    sign_in(reviewer, live_server, "reviewer07")
    use_lang(reviewer, live_server, "kk")
    sign_in(manager, live_server, "manager01")
    use_lang(manager, live_server, "kk")
    app_id = register_through_form(reviewer, live_server, fresh_iin(505), "Бекова Алия Серікқызы")
    manager.goto(f"{live_server}/applications/{app_id}")
    manager_name = manager.locator(".shell-user").get_attribute("data-full-name")

    # The reviewer starts a reasoned refusal...
    wait_for_targets(reviewer, "rejected")
    reviewer.select_option("#apppage-target", "rejected")
    reviewer.wait_for_selector("select[id*='refusal_reason']", timeout=TIMEOUT)
    reviewer.select_option("select[id*='refusal_reason']", "incomplete_documents")
    reviewer.fill("textarea[id*='refusal_text']", "Жұмыс орнынан анықтама жоқ")

    # ...while the manager assigns the application to that reviewer.
    manager.wait_for_selector("#apppage-assign-select option:not([disabled])", state="attached", timeout=TIMEOUT)
    values = manager.eval_on_selector_all("#apppage-assign-select option",
                                          "els => els.filter(e => e.text.includes('(reviewer07)')).map(e => e.value)")
    manager.select_option("#apppage-assign-select", values[0])
    manager.click("#apppage-assign-submit")
    expect(manager.locator("#apppage-assign-msg")).to_contain_text("Тағайындалды", timeout=TIMEOUT)

    # The reviewer's submit is told who changed it, keeps what was typed, and shows the fresh state.
    reviewer.click("#apppage-submit")
    message = reviewer.locator("#apppage-status-msg")
    expect(message).to_contain_text("басқа пайдаланушы өзгертті", timeout=TIMEOUT)
    expect(message).to_contain_text(manager_name)
    expect(reviewer.locator("textarea[id*='refusal_text']")).to_have_value("Жұмыс орнынан анықтама жоқ")
    expect(reviewer.locator("select[id*='refusal_reason']")).to_have_value("incomplete_documents")
    expect(reviewer.locator("#apppage-target")).to_have_value("rejected")
    expect(reviewer.locator(".timeline")).to_contain_text("Жауапты қараушы: тағайындалмаған →", timeout=TIMEOUT)
    screenshot(reviewer, "application-conflict-kk")

    # Resubmitting after seeing the fresh state saves it; the manager's assignment stays too.
    reviewer.click("#apppage-submit")
    expect(message).to_contain_text("Мәртебе өзгертілді: «Дәлелді бас тарту»", timeout=TIMEOUT)
    manager.reload()
    expect(manager.locator(".apppage-header .status-badge")).to_have_text("Дәлелді бас тарту", timeout=TIMEOUT)
    timeline = manager.locator(".timeline")
    expect(timeline).to_contain_text("Жұмыс орнынан анықтама жоқ")
    expect(timeline).to_contain_text("Жауапты қараушы: тағайындалмаған →")
    expect(timeline).to_contain_text("Құжаттар топтамасы толық емес")
    assert errors == []
    reviewer_context.close()
    manager_context.close()
