"""Complaints in Chromium: a reviewer registers a complaint, takes it, extends it, records the
notice and answers it (in Kazakh), then opens the pages in Russian; no console errors."""
from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta

from playwright.sync_api import expect

from data.config import LOCAL_TZ
from tests.browser.conftest import screenshot, sign_in


def _application_in_every_reviewers_scope(tmp_path_factory) -> int:
    """An unassigned, registered application of the live server's demo database (read only)."""
    base = tmp_path_factory.getbasetemp()
    files = sorted(base.glob("instance*/ktk.sqlite3"))
    assert files, f"no live-server database under {base}"
    with sqlite3.connect(f"file:{files[-1]}?mode=ro", uri=True) as con:
        row = con.execute("SELECT id FROM applications WHERE reviewer_id IS NULL AND is_open = 1 "
                          "AND registration_date IS NOT NULL AND applicant_name IS NOT NULL ORDER BY id LIMIT 1").fetchone()
    assert row, "the demo has no unassigned open application"
    return row[0]


def test_register_extend_notify_answer_in_kazakh_then_russian(page, live_server, console_errors, tmp_path_factory):
    app_id = _application_in_every_reviewers_scope(tmp_path_factory)
    sign_in(page, live_server, "reviewer01", lang="kk")

    # -- register, from an application (?application=<id>) ----------------------------------
    page.goto(f"{live_server}/complaints/new?application={app_id}")
    expect(page.locator(".page-title")).to_have_text("Шағымды тіркеу")
    expect(page.locator("#newcmp-ref-feedback")).to_contain_text("Табылды")
    expect(page.locator("#newcmp-id-feedback")).to_contain_text("ЖСН/БСН дұрыс")  # prefilled from the applicant
    yesterday = (datetime.now(LOCAL_TZ) - timedelta(days=1)).strftime("%d.%m.%Y")
    page.fill("#newcmp-received-date", yesterday)
    page.fill("#newcmp-received-time", "18:30")
    page.locator("#newcmp-received-time").press("Tab")
    expect(page.locator("[data-preview=registered]")).to_have_text(re.compile(r"^\d\d\.\d\d\.\d{4}$"))
    expect(page.locator("#newcmp-preview")).to_contain_text("жұмыс күні")
    # saving without the channel and the subject: both named, nothing lost
    page.click("#newcmp-save")
    expect(page.locator("#newcmp-message")).to_contain_text("Шағым сақталмады")
    expect(page.locator("#newcmp-message")).to_contain_text("«Берілу тәсілі» өрісін толтырыңыз")
    expect(page.locator("#newcmp-received-time")).to_have_value("18:30")
    page.get_by_text("Қағаз түрінде", exact=True).click()
    page.fill("#newcmp-subject", "Өтінімді қарау мерзімі бұзылды, жауап берілмеді.")
    screenshot(page, "complaint-new-kk")
    page.click("#newcmp-save")
    page.wait_for_url(re.compile(r"/complaints/\d+$"))
    complaint_url = page.url
    expect(page.locator(".cmp-title-row .status-badge")).to_have_text("Шағым тіркелді")
    expect(page.locator("[data-policy=complaint_provider]")).to_contain_text("Шағымды қарау")

    # -- take into review, extend ------------------------------------------------------------
    page.click("#cpage-review-submit")
    expect(page.locator("#cpage-flash")).to_contain_text("Шағым қарауға алынды")
    expect(page.locator(".cmp-title-row .status-badge")).to_have_text("Шағым қарауда")
    expect(page.locator("#cpage-ext-card")).to_be_visible()
    page.select_option("#cpage-ext-reason", "site_inspection")
    page.fill("#cpage-ext-days", "3")
    page.locator("#cpage-ext-days").press("Tab")
    expect(page.locator("#cpage-ext-preview")).to_contain_text("Жаңа жауап мерзімі")
    page.click("#cpage-ext-submit")
    expect(page.locator("#cpage-flash")).to_contain_text("ұзартылды")
    expect(page.locator(".cmp-title-row .status-badge")).to_have_text("Қарау мерзімі ұзартылды")
    expect(page.locator("[data-policy=complaint_extension_notice]")).to_contain_text("хабарлау")
    # more than 10 working days in total is refused, in Kazakh
    page.select_option("#cpage-ext-reason", "additional_information")
    page.fill("#cpage-ext-days", "8")
    page.click("#cpage-ext-submit")
    expect(page.locator("#cpage-ext-msg")).to_contain_text("10 жұмыс күнінен аспауы тиіс")
    expect(page.locator("#cpage-ext-days")).to_have_value("8")  # kept
    screenshot(page, "complaint-extended-kk")

    # -- the notice (on paper, as the complaint came) and the answer ---------------------------
    page.click("#cpage-notice-submit")
    expect(page.locator("#cpage-flash")).to_contain_text("Хабарлама тіркелді")
    expect(page.locator("#cpage-notice-card")).to_be_hidden()
    page.select_option("#cpage-answer-outcome", "partly_upheld")
    page.fill("#cpage-answer-text", "Шағым ішінара қанағаттандырылды: өтінім қайта қаралады.")
    page.click("#cpage-answer-submit")
    expect(page.locator("#cpage-flash")).to_contain_text("Жауап сақталды")
    expect(page.locator(".cmp-title-row .status-badge")).to_have_text("Жауап берілді")
    expect(page.locator("[data-due=closed]")).to_contain_text("мерзімінде")
    expect(page.locator(".cmp-answer")).to_contain_text("Ішінара қанағаттандырылды")
    screenshot(page, "complaint-answered-kk")

    # -- the same pages in Russian ---------------------------------------------------------------
    page.get_by_role("link", name="Русский").click()
    page.goto(complaint_url)
    expect(page.locator(".cmp-title-row .status-badge")).to_have_text("Ответ дан")
    expect(page.locator(".cmp-timeline")).to_contain_text("Заявитель уведомлён о продлении")
    expect(page.locator(".cmp-timeline")).to_contain_text("Проверка с выездом на место")
    screenshot(page, "complaint-answered-ru")
    page.goto(f"{live_server}/complaints")
    expect(page.locator(".page-title")).to_have_text("Жалобы")
    expect(page.locator("[data-kpi=on_time]")).to_contain_text("Отвечено в срок")
    expect(page.locator(".ag-header")).to_contain_text("Срок ответа")
    expect(page.locator(".ag-row").first).to_be_visible()
    page.get_by_text("Просроченные", exact=True).click()
    expect(page).to_have_url(re.compile(r"state=overdue"))
    screenshot(page, "complaints-ru")
    page.goto(f"{live_server}/complaints/new")
    expect(page.locator(".page-title")).to_have_text("Регистрация жалобы")
    expect(page.locator("#newcmp-preview")).to_contain_text("Введите дату и время поступления")
    screenshot(page, "complaint-new-ru")
    assert console_errors == []


def test_registry_in_kazakh_opens_a_complaint_and_managers_cannot_register(page, live_server, console_errors):
    sign_in(page, live_server, "manager01", lang="kk")
    page.goto(f"{live_server}/complaints")
    expect(page.locator(".page-title")).to_have_text("Шағымдар")
    expect(page.locator("#complaints-count")).to_contain_text("Табылды")
    expect(page.locator("#complaints-new")).to_have_count(0)  # managers read and reassign, not register
    screenshot(page, "complaints-kk")
    page.locator(".ag-center-cols-container .ag-row").first.click()
    page.wait_for_url(re.compile(r"/complaints/\d+$"))
    expect(page.locator(".cmp-title-row")).to_contain_text("Шағым №")
    page.goto(f"{live_server}/complaints/new")
    expect(page.locator(".alert-warning")).to_be_visible()
    assert console_errors == []
