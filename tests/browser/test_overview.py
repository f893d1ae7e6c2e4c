"""The overview page in both languages, in Chromium: KPIs and charts, filters, and every number
leading to the registry with its filter in the URL."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from callbacks.ids import Registry
from tests.browser.conftest import screenshot, sign_in

KPIS = ("open", "due_soon", "overdue", "on_time", "lists", "complaints")


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def open_overview(page, base: str, username: str, lang: str = "kk", path: str = "/") -> None:
    """Signed in, in ``lang`` (a cookie of this browser only: the user's stored language is left
    alone), the overview loaded (generous wait: the first load of a fresh server is slow)."""
    sign_in(page, base, username)
    page.context.add_cookies([{"name": "lang", "value": lang, "url": base}])
    page.goto(base + path)
    expect(page.locator(".kpi-card")).to_have_count(len(KPIS), timeout=30_000)


def test_overview_in_kazakh_and_russian(page, live_server, console_errors):
    sign_in(page, live_server, "manager01", lang="kk")
    page.goto(live_server + "/")
    expect(page.locator(".page-title")).to_have_text("Жұмыс шолуы")
    expect(page.locator(".kpi-card")).to_have_count(len(KPIS), timeout=30_000)
    expect(page.locator(".kpi-value").first).to_have_text(re.compile(r"^\d[\d ]*$"))
    for key in KPIS:
        expect(page.locator(f"[data-kpi={key}] .kpi-value")).to_have_text(re.compile(r"^(\d[\d ]*( %)?|—)$"))
    expect(page.locator(".js-plotly-plot")).to_have_count(5)
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    expect(page.locator("#overview-trend-chart")).to_contain_text("Түскені (тіркелгені)")
    expect(page.locator("#overview-aging-chart")).to_contain_text("0–7 күн")
    expect(page.locator("[data-kpi=on_time]")).to_contain_text("ҚТК қарауы (15 к.к.)")
    screenshot(page, "overview-kk")

    page.get_by_role("link", name="Русский").click()
    expect(page.locator(".page-title")).to_have_text("Обзор работы")
    expect(page.get_by_text("Открытые заявки", exact=True)).to_be_visible()
    expect(page.locator(".js-plotly-plot").first).to_contain_text("Заявка на рассмотрении")
    expect(page.locator("#overview-regions-chart")).to_contain_text("Акимат города")
    expect(page.locator("#overview-trend-chart")).to_contain_text("Поступило (зарегистрировано)")
    expect(page.locator("[data-kpi=on_time]")).to_contain_text("сроки рассмотрения КЖК")
    expect(page.get_by_text("Последние 30 дней")).to_be_visible()
    page.wait_for_timeout(300)
    screenshot(page, "overview-ru")

    page.get_by_role("link", name="Қазақша").click()
    expect(page.locator(".page-title")).to_have_text("Жұмыс шолуы")
    assert console_errors == []


def test_a_kpi_opens_the_registry_with_its_filter(page, live_server, console_errors):
    open_overview(page, live_server, "manager02")
    overdue = page.locator("a[data-kpi=overdue]")
    expect(overdue).to_have_attribute("href", "/registry?state=overdue")
    shown = overdue.locator(".kpi-value").inner_text()
    overdue.click()
    page.wait_for_url(re.compile(r"/registry\?state=overdue$"))
    count = page.locator("#" + Registry.COUNT)
    expect(count).to_contain_text(re.compile(r"\d"))
    # the registry finds exactly as many rows as the card showed
    assert re.sub(r"\D", "", count.inner_text()) == re.sub(r"\D", "", shown)
    assert console_errors == []


def test_filters_narrow_every_link_and_a_bar_click_opens_the_registry(page, live_server, console_errors):
    open_overview(page, live_server, "manager01", path="/?kind=rent_to_own")
    expect(page.locator("a[data-kpi=open]")).to_have_attribute("href", "/registry?kind=rent_to_own&state=open")
    # choose a region in the akimat filter: links carry both filters
    page.locator("#overview-akimat").click()
    expect(page.locator("[role=option]").first).to_be_visible()  # the menu is open before typing into it
    page.keyboard.type("Алматы қаласының")
    # click the city itself once the search has narrowed the menu (Enter took whatever option was
    # first while the typing was still being applied)
    page.locator("[role=option]").filter(has_text=re.compile(r"^\s*Алматы қаласының әкімдігі\s*$")).first.click()
    expect(page.locator("a[data-kpi=due_soon]")).to_have_attribute(
        "href", "/registry?kind=rent_to_own&akimat=750000000&state=due_soon")
    page.goto(live_server + "/")
    expect(page.locator(".kpi-card")).to_have_count(len(KPIS), timeout=30_000)
    bar = page.locator("#overview-regions-chart .bars .point path").first
    expect(bar).to_be_visible()
    bar.click(force=True)
    page.wait_for_url(re.compile(r"/registry\?"))
    params = _query(page.url)
    assert params["state"] == ["overdue"] and re.fullmatch(r"\d{9}", params["akimat"][0])
    page.goto(live_server + "/")
    expect(page.locator(".kpi-card")).to_have_count(len(KPIS), timeout=30_000)
    page.locator("#overview-backlog-chart .bars .point path").first.click(force=True)
    page.wait_for_url(re.compile(r"/registry\?"))
    params = _query(page.url)
    assert set(params) == {"kind", "status"}
    assert console_errors == []


def test_a_reviewer_sees_the_scoped_overview(page, live_server, console_errors):
    open_overview(page, live_server, "reviewer03", "ru")
    expect(page.locator(".overview-scope")).to_have_text(
        "Показаны ваши заявки, заявки вашего отдела и ещё не назначенные.")
    assert console_errors == []


def test_akimat_users_get_no_overview(page, live_server, console_errors):
    sign_in(page, live_server, "akimat_astana")
    page.goto(live_server + "/")
    expect(page.get_by_role("alert")).to_be_visible(timeout=30_000)
    expect(page.locator(".kpi-card")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^(Шолу|Обзор)$"))).to_have_count(0)
    assert console_errors == []


def test_pages_and_callbacks_refuse_anonymous_requests(page, live_server):
    response = page.request.get(live_server + "/", max_redirects=0)
    assert response.status == 302 and "/login" in response.headers["location"]
    response = page.request.post(live_server + "/_dash-update-component", data="{}",
                                 headers={"Content-Type": "application/json"})
    assert response.status == 401
    assert page.request.get(live_server + "/healthz").json() == {"status": "ok"}


def test_wrong_password_is_refused_in_the_users_language(page, live_server):
    page.goto(live_server + "/lang/ru")
    page.goto(live_server + "/login")
    page.fill("#username", "manager02")
    page.fill("#password", "nope")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_have_text("Неверное имя пользователя или пароль")
