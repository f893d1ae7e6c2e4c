"""The report files as files: the register extract in .xlsx (real dates and numbers, masking per
role, sheets split at a row limit) and .csv (BOM, ";" option, formula cells neutralized, read
back equal to the workbook), a summary report as CSV, the one-page PDF (read back with
pdftotext), native Excel charts, one audit entry per export, progress.

Runs on the demo world of tests/test_reports_engine.py."""
from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import zipfile
from datetime import datetime

import openpyxl
import pytest
from sqlalchemy import func, select

from data.access import PERMISSIONS
from data.models.audit import AuditEntry
from data.reports import ReportFilters
from tests.test_reports_engine import (  # noqa: F401 - fixtures
    AWKWARD,
    PERIOD,
    TODAY,
    World,
    db,
    figures,
    reports_engine,
    reports_url,
    run,
    sla_expected,
    world,
)

ASTANA_OPEN = ReportFilters(registry={"state": "open", "akimat": "710000000", "sort": "due_date"})


def masked(iin: str) -> str:
    return iin[:2] + "********" + iin[-2:]


def sheet_rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def read_csv(path, delimiter=",") -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8")[1:], newline=""), delimiter=delimiter))


def expected_astana_open(world: World) -> list:
    astana = world.subtree("710000000")
    return [a for a in world.apps.values() if a.is_open and a.akimat_id in astana]


def test_register_workbook_has_every_row_typed_and_the_filter_printed(db, world, tmp_path):
    result = run(db, tmp_path, "register", "xlsx", ASTANA_OPEN, user=world.user("manager01"))
    assert result.filename == "register_2026-11-20.xlsx"
    wb = openpyxl.load_workbook(result.path)
    assert wb.sheetnames == ["Жиынтық", "Тізілім"]
    rows = sheet_rows(wb["Тізілім"])
    assert rows[1][:3] == ["ID", "Тіркеу нөмірі", "Тіркеу күні"] and len(rows[1]) == 14
    data = rows[2:]
    expected = expected_astana_open(world)
    assert sorted(r[0] for r in data) == sorted(a.id for a in expected) and len(expected) > 10
    assert result.rows == len(expected)
    dues = [r[9] for r in data if r[9] is not None]
    assert dues == sorted(dues) and all(isinstance(d, datetime) for d in dues)  # sorted by due date, real dates
    by_id = {a.id: a for a in expected}
    for r in data:
        app = by_id[r[0]]
        assert isinstance(r[0], int)
        assert (r[2].date() if r[2] else None) == app.registration_date
        # text as text: "=HYPERLINK(...)" is not a formula in a workbook (a CR is stored as _x000D_)
        assert r[4].replace("_x000D_", "\r") == app.applicant_name
        if app.applicant_iin:
            assert r[5] == app.applicant_iin  # a manager sees IINs in full
        assert r[11] is None or isinstance(r[11], int)
    assert figures(wb)["Үзіндідегі өтінімдер"] == len(expected)
    summary = [c for row in sheet_rows(wb["Жиынтық"]) for c in row if isinstance(c, str)]
    assert "akimat=710000000; state=open; sort=due_date" in summary
    ws = wb["Тізілім"]
    assert ws.freeze_panes == "A3" and ws.auto_filter.ref == f"A2:N{len(data) + 2}"
    assert all(ws.cell(row=3, column=c).data_type != "f" for c in range(1, 15))


@pytest.mark.parametrize("who, full", [(None, False), ("manager01", True), ("admin", False),
                                       ("reviewer01", True), ("reviewer01-no-iin", False)])
def test_iins_are_masked_unless_the_role_may_see_them(db, world, tmp_path, monkeypatch, who, full):
    user = None
    if who == "reviewer01-no-iin":
        monkeypatch.setitem(PERMISSIONS, "reviewer", PERMISSIONS["reviewer"] - {"iin.read"})
        user = world.user("reviewer01")
    elif who:
        user = world.user(who)
    filters = ReportFilters(registry={"kind": "rent_to_own", "akimat": "710000000"})
    rows = sheet_rows(openpyxl.load_workbook(run(db, tmp_path, "register", "xlsx", filters, user=user).path)
                      ["Тізілім"])[2:]
    iins = {a.id: a.applicant_iin for a in world.apps.values() if a.applicant_iin}
    checked = 0
    for r in rows:
        if r[0] in iins:
            assert r[5] == (iins[r[0]] if full else masked(iins[r[0]]))
            checked += 1
    assert checked > 5
    csv_rows = read_csv(run(db, tmp_path, "register", "csv", filters, user=user).path)
    assert {r[5] for r in csv_rows[1:]} == {r[5] for r in rows}


def test_register_csv_reads_back_as_the_workbook_with_formulas_neutralized(db, world, tmp_path):
    user = world.user("manager01")
    filters = ReportFilters(registry={"akimat": "710000000", "sort": "registration_date"}, csv_delimiter=";")
    xlsx = sheet_rows(openpyxl.load_workbook(run(db, tmp_path, "register", "xlsx", filters, user=user).path)
                      ["Тізілім"])
    result = run(db, tmp_path, "register", "csv", filters, user=user, lang="kk")
    assert result.filename == "register_2026-11-20.csv" and result.mime.startswith("text/csv")
    rows = read_csv(result.path, ";")
    assert rows[0] == xlsx[1]
    assert len(rows) - 1 == len(xlsx) - 2 == result.rows

    def as_text(value):
        if value is None:
            return ""
        if isinstance(value, datetime):
            return value.strftime("%d.%m.%Y")
        text = str(value).replace("_x000D_", "\r")  # how the file format stores a carriage return
        return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

    for got, want in zip(rows[1:], xlsx[2:]):
        assert got == [as_text(v) for v in want]
    cells = [c for row in rows for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    names = {r[4] for r in rows[1:]}
    for name, _contract in AWKWARD:
        assert "'" + name in names
    # the "," default
    plain = read_csv(run(db, tmp_path, "register", "csv", ReportFilters(registry={"akimat": "710000000"}),
                         user=user).path)
    assert plain[0] == rows[0] and len(plain) == len(rows)


def test_long_tables_continue_on_further_sheets(db, world, tmp_path):
    user = world.user("manager01")
    whole = sheet_rows(openpyxl.load_workbook(run(db, tmp_path, "register", "xlsx", ASTANA_OPEN,
                                                  user=user).path)["Тізілім"])
    result = run(db, tmp_path, "register", "xlsx", ASTANA_OPEN, user=user, max_rows=12)
    wb = openpyxl.load_workbook(result.path)
    parts = wb.sheetnames[1:]
    n = len(whole) - 2
    assert n > 10 and parts[:2] == ["Тізілім", "Тізілім (2)"] and len(parts) == -(-n // 10)
    joined = []
    for name in parts:
        rows = sheet_rows(wb[name])
        assert rows[1] == whole[1] and 1 <= len(rows) - 2 <= 10  # caption, header, at most 10 rows
        assert wb[name].freeze_panes == "A3"
        joined.extend(rows[2:])
    assert joined == whole[2:] and result.rows == n


def test_summary_workbook_has_native_charts_over_its_sheets(db, tmp_path):
    path = run(db, tmp_path, "sla").path
    with zipfile.ZipFile(path) as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        assert len(charts) == 3
        xml = z.read(charts[0]).decode()
        assert "'Өңірлер'!$A$3" in xml and "<c:barChart>" in xml
        drawing = z.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
        assert "drawing" in drawing


def test_summary_report_as_csv(db, world, tmp_path):
    result = run(db, tmp_path, "sla", "csv", lang="ru")
    rows = read_csv(result.path)
    assert rows[0] == ["Соблюдение сроков (SLA)"]
    assert ["Период", "01.06.2026 – 20.11.2026"] in rows
    assert ["Сформирован", "20.11.2026 15:30"] in rows
    groups, overdue = sla_expected(world)
    assert ["Сроков закрыто за период (КЖК)", str(groups["total"]["all"]["closed"])] in rows
    assert ["Открытых заявок с просрочкой сейчас", str(len(overdue))] in rows
    start = rows.index(["Открытые заявки с просрочкой (на сегодня)"])
    assert rows[start + 1][0] == "ID" and len(rows[start + 2:]) == len(overdue)
    semi = read_csv(run(db, tmp_path, "sla", "csv", ReportFilters(date_from=PERIOD.date_from, csv_delimiter=";"),
                        lang="ru").path, ";")
    assert semi[start + 1][0] == "ID"


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.parametrize("kind", ["sla", "backlog", "lists", "complaints", "register"])
@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_pdf_is_one_page_with_the_figures(db, world, tmp_path, kind, lang):
    from data.reports import preview

    result = run(db, tmp_path, kind, "pdf", lang=lang, user=world.user("manager01"))
    assert result.mime == "application/pdf" and result.path.read_bytes().startswith(b"%PDF")
    info = subprocess.run(["pdfinfo", str(result.path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M)
    text = " ".join(pdf_text(result.path).split())
    from data.i18n import t

    assert t(f"reports.kind.{kind}", lang) in text
    assert "20.11.2026 15:30" in text
    for label, value in preview(db, kind, PERIOD, user=world.user("manager01"), lang=lang, today=TODAY):
        assert " ".join(value.replace("\u00a0", " ").split()) in text
        assert label.split()[0] in text
    fonts = subprocess.run(["pdffonts", str(result.path)], capture_output=True, text=True, check=True).stdout
    lines = fonts.splitlines()[2:]
    assert lines and all("DejaVuSans" in line and " yes yes yes " in line for line in lines)  # embedded, only it


def test_every_export_is_audited(db, world, tmp_path):
    def count():
        return db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "export",
                                                                            AuditEntry.entity == "report"))

    before = count()
    manager = world.user("manager01")
    run(db, tmp_path, "backlog", "xlsx", user=manager)
    run(db, tmp_path, "register", "csv", ASTANA_OPEN)
    assert count() == before + 2
    entries = list(db.scalars(select(AuditEntry).where(AuditEntry.action == "export", AuditEntry.entity == "report")
                              .order_by(AuditEntry.id.desc()).limit(2)))
    system, by_manager = entries
    assert (by_manager.actor_id, by_manager.entity_id) == (manager.id, "backlog")
    detail = json.loads(by_manager.detail)
    assert detail["report"] == "backlog" and detail["format"] == "xlsx"
    assert detail["filter"]["date_from"] == "2026-06-01" and detail["rows"] > 0
    assert (system.actor_id, system.actor_name) == (None, "system")
    detail = json.loads(system.detail)
    assert detail["filter"]["registry"] == {"state": "open", "akimat": "710000000", "sort": "due_date"}
    assert detail["rows"] == len(expected_astana_open(world))


def test_progress_is_reported_up_to_one(db, tmp_path):
    seen: list[float] = []
    run(db, tmp_path, "register", "xlsx", ReportFilters(registry={}), progress=seen.append)
    assert seen[0] < seen[-1] == 1.0 and seen == sorted(seen)
