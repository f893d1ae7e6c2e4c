"""The list import command line, run as operators run it: `flask --app app ...` in a subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from tests.test_imports_support import kk_row, person, write_csv, write_xlsx

ROOT = Path(__file__).resolve().parent.parent


def flask(url: str, instance: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=url, KTK_INSTANCE_DIR=str(instance))
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def cli(scratch_db_url, tmp_path):
    instance = tmp_path / "instance"
    result = flask(scratch_db_url, instance, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    return lambda *args: flask(scratch_db_url, instance, *args)


def test_import_list_json_resend_notify_and_report(cli, tmp_path):
    good = person()
    rows = [kk_row(good), kk_row(person(iin="12345", phone=""), 2), kk_row(person(iin=good["iin"]), 3)]
    path = write_xlsx(tmp_path / "тізім.xlsx", rows, title_rows=1)
    result = cli("import-list", str(path), "--akimat", "710000000", "--received", "2026-03-06T20:00", "--json",
                 "--lang", "ru")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == "loaded" and data["duplicate_of_batch"] is None
    assert (data["rows_total"], data["rows_loaded"], data["rows_invalid"], data["already_listed"],
            data["duplicates"]) == (3, 1, 1, 0, 1)
    assert data["registration_date"] == "2026-03-10" and data["list_upload_due"] == "2026-03-12"
    assert data["file_name"] == "тізім.xlsx" and data["ignored_columns"] == ["№"]
    assert [(e["row"], e["column"], e["code"]) for e in data["errors"]] == [
        (5, "ЖСН", "iin_format"), (5, "Ұялы телефон", "phone_missing"), (6, "ЖСН", "iin_duplicate")]
    assert data["errors"][0]["message"] == "ИИН должен состоять из 12 цифр: «12345»"
    batch_id = data["batch_id"]
    assert (tmp_path / "instance" / "lists" / str(batch_id) / "тізім.xlsx").read_bytes() == path.read_bytes()

    again = cli("import-list", str(path), "--akimat", "710000000", "--json")
    assert again.returncode == 0, again.stderr
    data = json.loads(again.stdout)
    assert data["duplicate_of_batch"] == batch_id and data["status"] == "rejected"
    assert data["error"].startswith("Бұл файл бұрын жіберілген")

    notified = cli("notify-recipients", "--batch", str(batch_id), "--sent", "2026-03-06T12:00", "--lang", "ru")
    assert notified.returncode == 0, notified.stderr
    assert notified.stdout.strip() == "Отмечено как получившие СМС: 1; пропущено: 0"
    assert cli("expire-recipients", "--today", "2026-03-26").stdout.strip() == "Мерзімі өткен алушылар: 0"
    assert cli("expire-recipients", "--today", "2026-03-27").stdout.strip() == "Мерзімі өткен алушылар: 1"

    report = tmp_path / "errors.xlsx"
    written = cli("list-report", str(batch_id), str(report), "--lang", "ru")
    assert written.returncode == 0, written.stderr
    sheet = openpyxl.load_workbook(report).worksheets[0]
    assert [c.value for c in sheet[1]][-2:] == ["Ошибки", "Строка в файле"]
    assert [sheet.cell(row=r, column=12).value for r in (2, 3)] == [5, 6]


def test_text_output_report_option_and_errors_that_exit_non_zero(cli, tmp_path):
    path = write_csv(tmp_path / "l.csv", [kk_row(person()), kk_row(person(category="жоқ"), 2)], encoding="utf-8")
    report = tmp_path / "report.xlsx"
    result = cli("import-list", str(path), "--akimat", "750000000", "--report", str(report), "--lang", "ru")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Пакет №1: Загружен. Строк: всего 2, загружено 1, с ошибками 1")
    assert lines[1] == "Неиспользованные столбцы: №"
    assert lines[2].startswith("3 [Санаты]: Неизвестная категория: «жоқ»")
    assert lines[-1] == f"Отчёт об ошибках: {report}"
    assert openpyxl.load_workbook(report).worksheets[0].max_row == 2

    # A file that cannot be read, an unknown akimat, a missing file: non-zero, a clear message.
    bad = tmp_path / "scan.xlsx"
    bad.write_bytes(b"%PDF-1.5 scanned list")
    result = cli("import-list", str(bad), "--akimat", "710000000", "--json", "--lang", "ru")
    assert result.returncode == 1
    assert json.loads(result.stdout)["error_code"] == "not_a_spreadsheet"
    assert "Файл не является электронной таблицей" in result.stderr

    good = write_xlsx(tmp_path / "l.xlsx", [kk_row(person())])
    result = cli("import-list", str(good), "--akimat", "999999999", "--lang", "ru")
    assert result.returncode != 0 and result.stdout == ""
    assert "Акимата с кодом КАТО «999999999» нет в справочнике." in result.stderr

    result = cli("import-list", str(tmp_path / "missing.xlsx"), "--akimat", "710000000")
    assert result.returncode != 0 and "missing.xlsx" in result.stderr

    result = cli("notify-recipients", "--batch", "4242")
    assert result.returncode != 0 and "№4242 топтама жоқ" in result.stderr

    result = cli("import-list", str(good), "--akimat", "710000000", "--received", "ертең")
    assert result.returncode != 0 and "ертең" in result.stderr


def test_import_list_refuses_an_unmigrated_database(scratch_db_url, tmp_path):
    good = write_xlsx(tmp_path / "l.xlsx", [kk_row(person())])
    result = flask(scratch_db_url, tmp_path / "instance", "import-list", str(good), "--akimat", "710000000")
    assert result.returncode != 0 and "flask --app app db upgrade" in result.stderr
