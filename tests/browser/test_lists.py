"""Akimat lists in Chromium, Kazakh and Russian: an akimat user uploads a messy real .xlsx through
the page (file input) and a CSV by a drop event, sees the counts and the progress, downloads the
error report and reads it back; sees only their own akimat's batches and recipients (another
akimat's batch and its files read as missing); a reviewer marks a batch "SMS sent" and sees the
15-day window due dates. Every page is screenshotted in both languages."""
from __future__ import annotations

import base64
import io
import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

from data.config import LOCAL_TZ
from data.working_calendar import WorkingCalendar
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_registry import live_db  # noqa: F401 - fixture
from tests.test_imports_support import (
    RU_HEADERS,
    bad_check_digit,
    kk_row,
    new_iin,
    person,
    ru_row,
    write_csv,
    write_xlsx,
)


def no_favicon(context) -> None:
    """The browser asks for /favicon.ico while the sign-in form is open; the sign-in gate answers
    that with the sign-in page, whose new form token would make the form's own token stale (400).
    These tests are about lists, so the icon is answered here with a plain 404."""
    context.route("**/favicon.ico", lambda route: route.fulfill(status=404, body=""))


@pytest.fixture(autouse=True)
def _quiet_favicon(page):
    no_favicon(page.context)


def rows_of(db: Path, query: str, *params) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


def messy_xlsx(path: Path) -> Path:
    """Title rows above the header, good rows, a wrong check digit, a bad phone, an unknown
    category and an IIN written twice."""
    twice = person(last_name="Қайталанған")
    rows = [kk_row(person(last_name=f"Дұрыс{i}"), i) for i in range(1, 4)]
    rows += [kk_row(person(iin=bad_check_digit(new_iin())), 4), kk_row(person(phone="12-34"), 5),
             kk_row(person(category="зейнеткер"), 6), kk_row(twice, 7), kk_row(twice, 8)]
    return write_xlsx(path, rows, title_rows=2)


def counts(page) -> dict[str, str]:
    return {key: page.locator(f".lists-result [data-count={key}]").inner_text()
            for key in ("total", "loaded", "invalid", "already", "duplicates")}


def upload_by_input(page, path: Path) -> None:
    page.wait_for_function("document.getElementById('lists-file') !== null")
    page.set_input_files("#lists-file", str(path))
    expect(page.locator(".lists-result")).to_be_visible(timeout=30_000)


def test_akimat_user_uploads_sees_counts_and_downloads_the_report(page, live_server, live_db, tmp_path,
                                                                   console_errors):
    sign_in(page, live_server, "akimat_astana", lang="kk")
    page.goto(live_server + "/lists")
    expect(page.locator(".page-title")).to_have_text("Әкімдік тізімдері")
    picker = page.locator("#lists-akimat")
    expect(picker).to_be_disabled()
    (astana_id, astana_kk), = rows_of(live_db, "SELECT id, name_kk FROM akimats WHERE kato = '710000000'")
    expect(picker).to_have_value(str(astana_id))
    screenshot(page, "lists-akimat-kk")

    upload_by_input(page, messy_xlsx(tmp_path / "Астана тізімі.xlsx"))
    assert counts(page) == {"total": "8", "loaded": "4", "invalid": "3", "already": "0", "duplicates": "1"}
    expect(page.locator(".lists-result .status-badge")).to_have_text("Жүктелді")
    screenshot(page, "lists-upload-result-kk")
    batch_href = page.locator(".lists-result .lists-open").get_attribute("href")
    batch_id = int(batch_href.rsplit("/", 1)[1])
    (status, akimat_id, loaded, source), = rows_of(
        live_db, "SELECT status, akimat_id, rows_loaded, source FROM list_batches WHERE id = ?", batch_id)
    assert (status, akimat_id, loaded, source) == ("loaded", astana_id, 4, "upload")
    # the new batch is at the top of the list, and the list holds only this akimat's batches
    expect(page.locator(".lists-table .lists-row").first).to_have_attribute("data-batch", str(batch_id))
    own = {r[0] for r in rows_of(live_db, "SELECT id FROM list_batches WHERE akimat_id = ?", astana_id)}
    shown = {int(x) for x in page.locator(".lists-table .lists-row").evaluate_all(
        "rows => rows.map(r => r.dataset.batch)")}
    assert shown == own
    expect(page.locator(".lists-table .lists-akimat")).to_have_count(0)  # one akimat: no akimat column
    assert astana_kk  # the picker names it instead
    expect(picker).to_contain_text(astana_kk)

    with page.expect_download() as download:
        page.locator(".lists-result .lists-report").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    sheet = book.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][1] == "ЖСН" and rows[0][-2] == "Қателер" and rows[0][-1] == "Файлдағы жол"
    errors = {r[-1]: r[-2] for r in rows[1:] if r[-1]}
    assert sorted(errors) == [8, 9, 10, 12]  # 2 title rows, an empty row, the header: data from row 5
    assert "бақылау" in errors[8] and "ұялы телефон" in errors[9].lower() and "Санаты" in errors[10]
    assert "ЖСН" in errors[12]

    page.goto(live_server + batch_href)
    expect(page.locator(".lists-batch-page .page-title")).to_have_text(f"№{batch_id} топтама")
    expect(page.locator(".lists-errors tbody tr")).to_have_count(4)
    expect(page.locator(".lists-recipients tbody tr")).to_have_count(4)
    expect(page.locator("#listbatch-notify")).to_have_count(0)  # akimat users do not mark SMS
    screenshot(page, "lists-batch-akimat-kk")

    page.goto(live_server + "/recipients")
    expect(page.locator(".ag-center-cols-container .ag-row").first).to_be_visible(timeout=20_000)
    n = rows_of(live_db, "SELECT count(*) FROM recipients WHERE akimat_id = ?", astana_id)[0][0]
    expect(page.locator("#recipients-count")).to_have_text(f"{n} алушы")
    expect(page.locator(".ag-header-cell[col-id=akimat]")).to_have_count(0)
    screenshot(page, "recipients-akimat-kk")
    assert console_errors == []


def test_other_akimats_lists_are_invisible_and_a_dropped_csv_loads(page, live_server, live_db, tmp_path,
                                                                     console_errors):
    russian = {"first_name": "Иван", "patronymic": "Петрович", "category": "Работники бюджетных организаций"}
    rows = [ru_row(person(last_name="Смирнов", **russian)), ru_row(person(last_name="Орлова", **russian)),
            ru_row(person(iin="", **russian))]
    content = write_csv(tmp_path / "алматы.csv", rows, headers=RU_HEADERS, encoding="cp1251").read_bytes()
    sign_in(page, live_server, "akimat_almaty", lang="ru")
    page.goto(live_server + "/lists")
    expect(page.locator(".page-title")).to_have_text("Списки акиматов")
    page.evaluate("""([name, data]) => {
        const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name, {type: "text/csv"}));
        const zone = document.getElementById("lists-drop");
        zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true, cancelable: true}));
        zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
    }""", ["алматы.csv", base64.b64encode(content).decode()])
    expect(page.locator(".lists-result")).to_be_visible(timeout=30_000)
    assert counts(page) == {"total": "3", "loaded": "2", "invalid": "1", "already": "0", "duplicates": "0"}
    expect(page.locator(".lists-result .status-badge")).to_have_text("Загружен")
    screenshot(page, "lists-upload-result-ru")
    almaty_batch = int(page.locator(".lists-result .lists-open").get_attribute("href").rsplit("/", 1)[1])

    # the same file again: recognized, the earlier batch named
    page.evaluate("""([name, data]) => {
        const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name, {type: "text/csv"}));
        document.getElementById("lists-drop").dispatchEvent(
            new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
    }""", ["алматы (2).csv", base64.b64encode(content).decode()])
    expect(page.locator(".lists-result .lists-result-error")).to_contain_text(f"пакет №{almaty_batch}",
                                                                              timeout=30_000)
    screenshot(page, "lists-duplicate-ru")

    # a file that is not a spreadsheet: one clear message, nothing loaded
    junk = tmp_path / "письмо.xlsx"
    junk.write_bytes(b"%PDF-1.4\n" + b"x" * 2000)
    page.set_input_files("#lists-file", str(junk))
    expect(page.locator(".lists-result .lists-result-error")).to_have_text(
        "Файл не является электронной таблицей. Отправьте список в формате Excel (.xlsx, .xls) или CSV.",
        timeout=30_000)
    expect(page.locator(".lists-result [data-count]")).to_have_count(0)

    # Astana's batches do not exist for Almaty
    astana = rows_of(live_db, "SELECT b.id FROM list_batches b JOIN akimats a ON a.id = b.akimat_id "
                              "WHERE a.kato = '710000000' ORDER BY b.id LIMIT 1")[0][0]
    page.goto(f"{live_server}/lists/{astana}")
    expect(page.locator(".lists-not-found")).to_have_text("Такого пакета нет, или у вас нет доступа к нему.")
    for path in (f"/files/lists/{astana}/errors.xlsx", f"/files/lists/{astana}/original"):
        assert page.request.get(live_server + path).status == 404
    assert page.request.get(f"{live_server}/files/lists/{almaty_batch}/original").body() == content
    page.goto(live_server + "/recipients")
    expect(page.locator(".ag-center-cols-container .ag-row").first).to_be_visible(timeout=20_000)
    (almaty_id,), = rows_of(live_db, "SELECT id FROM akimats WHERE kato = '750000000'")
    n = rows_of(live_db, "SELECT count(*) FROM recipients WHERE akimat_id = ?", almaty_id)[0][0]
    expect(page.locator("#recipients-count")).to_have_text(f"Получателей: {n}")
    page.fill("#recipients-batch", str(astana))
    page.keyboard.press("Enter")
    expect(page.locator("#recipients-count")).to_have_text("Нет получателей по фильтру")
    screenshot(page, "recipients-akimat-ru")
    # the resend (409) and the unreadable file (422) are answered with those statuses, which
    # Chromium logs as failed resources; nothing else may have gone wrong
    expected = ("status of 409 (CONFLICT)", "status of 422 (UNPROCESSABLE ENTITY)")
    assert sorted(e[-len(x):] for e in console_errors for x in expected if e.endswith(x)) == sorted(expected)
    assert [e for e in console_errors if not e.endswith(expected)] == []


def expected_window_due(db: Path, sent: datetime):
    overrides = {d: (k, n) for d, k, n in rows_of(db, "SELECT day, kind, name FROM calendar_overrides")}
    cal = WorkingCalendar({datetime.fromisoformat(d).date() if isinstance(d, str) else d: v
                           for d, v in overrides.items()})
    day = sent.date() + timedelta(days=15)
    while not cal.is_working_day(day):
        day += timedelta(days=1)
    return day


def test_reviewer_marks_a_batch_notified(browser, browser_context_args, live_server, live_db, tmp_path):
    # the list comes from an akimat user (a context of its own) ...
    uploader = browser.new_context(**browser_context_args)
    no_favicon(uploader)
    upage = uploader.new_page()
    sign_in(upage, live_server, "akimat_shymkent", lang="kk")
    upage.goto(live_server + "/lists")
    upload_by_input(upage, write_xlsx(tmp_path / "шымкент.xlsx", [kk_row(person(), i) for i in range(1, 4)]))
    href = upage.locator(".lists-result .lists-open").get_attribute("href")
    uploader.close()

    # ... and a reviewer marks it "SMS sent", in Russian
    context = browser.new_context(**browser_context_args)
    no_favicon(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server, "reviewer01", lang="ru")
    page.goto(live_server + href)
    expect(page.locator(".lists-notify")).to_be_visible()
    expect(page.locator(".lists-recipients tbody tr")).to_have_count(3)
    expect(page.locator(".lists-window-due").first).to_have_text("")
    default = page.input_value("#listbatch-sent-at")  # the page's "now"
    sent = datetime.strptime(default, "%d.%m.%Y %H:%M").replace(tzinfo=LOCAL_TZ)
    assert abs(datetime.now(LOCAL_TZ) - sent) < timedelta(minutes=3)
    page.fill("#listbatch-sent-at", "32.13.2026 10:00")
    page.click("#listbatch-notify")
    expect(page.locator(".lists-notify-error")).to_have_text(
        "«32.13.2026 10:00» — не время. Образец: 05.03.2026 14:30.")
    page.fill("#listbatch-sent-at", default)
    page.click("#listbatch-notify")
    due = expected_window_due(live_db, sent).strftime("%d.%m.%Y")
    expect(page.locator(".lists-notify-done")).to_have_text(
        f"Получателей переведено в «СМС отправлено»: 3; срок подачи заявки до {due}.")
    expect(page.locator(".lists-window-due")).to_have_text([due, due, due])
    expect(page.locator(".lists-recipients tbody .status-badge")).to_have_text(["СМС отправлено"] * 3)
    screenshot(page, "lists-batch-notified-ru")
    batch_id = int(href.rsplit("/", 1)[1])
    statuses = rows_of(live_db, "SELECT status, count(*) FROM recipients WHERE batch_id = ? GROUP BY status", batch_id)
    assert statuses == [("notified", 3)]
    expect(page.locator("#listbatch-notify")).to_be_disabled()
    page.reload()  # a second "SMS sent" for the same batch: nobody is left to notify
    expect(page.locator("#listbatch-notify")).to_be_disabled()

    page.goto(f"{live_server}/recipients?batch={batch_id}")
    expect(page.locator("#recipients-count")).to_have_text("Получателей: 3", timeout=20_000)
    expect(page.locator(".ag-center-cols-container .ag-row")).to_have_count(3)
    cells = page.locator(".ag-center-cols-container .ag-cell[col-id=window_due]").all_inner_texts()
    assert cells == [due] * 3
    screenshot(page, "recipients-reviewer-ru")
    assert errors == []
    context.close()


def test_pages_in_both_languages_for_staff(page, live_server, live_db, console_errors):
    batch_id = rows_of(live_db, "SELECT max(id) FROM list_batches")[0][0]
    for lang, title in (("kk", "Әкімдік тізімдері"), ("ru", "Списки акиматов")):
        sign_in(page, live_server, "admin", lang=lang)
        page.goto(live_server + "/lists")
        expect(page.locator(".page-title")).to_have_text(title)
        expect(page.locator("#lists-akimat")).to_be_enabled()
        # rejected batches exist once the drop test ran (a resend, an unreadable file); else loaded ones
        status = "rejected" if rows_of(live_db, "SELECT count(*) FROM list_batches WHERE status = 'rejected'")[0][0] \
            else "loaded"
        n = rows_of(live_db, "SELECT count(*) FROM list_batches WHERE status = ?", status)[0][0]
        page.select_option("#lists-filter-status", status)
        expect(page.locator("#lists-count")).to_have_text(f"Всего: {n}" if lang == "ru" else f"Барлығы: {n}")
        expect(page.locator(".lists-table .lists-row")).to_have_count(n)
        badge = "status-red" if status == "rejected" else "status-green"
        expect(page.locator(f".lists-table .lists-status .status-badge.{badge}")).to_have_count(n)
        screenshot(page, f"lists-staff-{lang}")
        page.goto(f"{live_server}/lists/{batch_id}")
        expect(page.locator(".lists-batch-page")).to_be_visible()
        screenshot(page, f"lists-batch-staff-{lang}")
        page.goto(live_server + "/recipients")
        expect(page.locator(".ag-center-cols-container .ag-row").first).to_be_visible(timeout=20_000)
        screenshot(page, f"recipients-staff-{lang}")
        page.goto(live_server + "/logout")
    # a manager reads the lists but does not upload: no upload area, the filters still work
    sign_in(page, live_server, "manager01", lang="kk")
    page.goto(live_server + "/lists")
    expect(page.locator(".lists-table .lists-row").first).to_be_visible()
    expect(page.locator(".lists-upload")).to_have_count(0)
    (almaty,), = rows_of(live_db, "SELECT id FROM akimats WHERE kato = '750000000'")
    n = rows_of(live_db, "SELECT count(*) FROM list_batches WHERE akimat_id = ?", almaty)[0][0]
    page.select_option("#lists-filter-akimat", str(almaty))
    expect(page.locator("#lists-count")).to_have_text(f"Барлығы: {n}")
    expect(page.locator(".lists-table .lists-row")).to_have_count(n)
    assert console_errors == []


def test_upload_progress_is_shown(page, live_server, tmp_path):
    """On a slow line (Chromium's network emulation) the bar shows the upload's progress, then
    the result replaces it."""
    sign_in(page, live_server, "akimat_karaganda", lang="ru")
    page.goto(live_server + "/lists")
    page.wait_for_function("document.getElementById('lists-file') !== null")
    path = write_xlsx(tmp_path / "большой.xlsx", [kk_row(person(note="x" * 40), i) for i in range(1, 6001)])
    assert path.stat().st_size > 200_000
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 20, "downloadThroughput": -1,
                                                  "uploadThroughput": 50 * 1024})
    page.set_input_files("#lists-file", str(path))
    bar = page.locator("#lists-progress-bar")
    expect(page.locator("#lists-progress")).to_be_visible()
    expect(page.locator("#lists-upload-status")).to_contain_text("Отправка: большой.xlsx")
    page.wait_for_function("() => { const v = +document.getElementById('lists-progress-bar')"
                           ".getAttribute('aria-valuenow'); return v > 0 && v < 100; }", timeout=20_000)
    assert 0 < int(bar.get_attribute("aria-valuenow")) <= 100
    expect(page.locator("#lists-upload-status")).to_have_text(re.compile(r"^Отправка: большой\.xlsx — \d{1,3}%$"))
    screenshot(page, "lists-progress-ru")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    expect(page.locator(".lists-result [data-count=loaded]")).to_have_text("6\u00a0000", timeout=60_000)
    expect(page.locator("#lists-progress")).to_be_hidden()
