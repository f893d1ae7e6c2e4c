"""`flask --app app report ...` run as operators run it (a subprocess) on the reports' demo
world: files written where asked, --json output, the audit entry, masking as the system or as a
user, and clear messages with exit code 2 for bad input."""
from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models.audit import AuditEntry
from tests.test_cli import flask
from tests.test_reports_engine import (  # noqa: F401 - fixtures
    reports_engine,
    reports_url,
    world,
)


def last_export(engine) -> AuditEntry:
    with Session(engine) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "export", AuditEntry.entity == "report")
                          .order_by(AuditEntry.id.desc())).first()
        s.expunge(entry)
        return entry


def test_report_to_a_file_with_json_output(reports_url, reports_engine, tmp_path):
    out = tmp_path / "sla-nov.xlsx"
    result = flask(reports_url, "report", "sla", "--format", "xlsx", "--out", str(out), "--from", "2026-06-01",
                   "--to", "20.11.2026", "--akimat", "710000000", "--kind", "rent_to_own", "--lang", "ru", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["path"] == str(out) and data["filename"] == "sla_" + data["filename"][4:14] + ".xlsx"
    assert data["filter"]["date_from"] == "2026-06-01" and data["filter"]["date_to"] == "2026-11-20"
    assert data["filter"]["akimat_kato"] == "710000000" and data["rows"] > 0
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "Сводка"
    entry = last_export(reports_engine)
    assert entry.actor_name == "system" and entry.entity_id == "sla"
    assert json.loads(entry.detail)["filter"]["kind"] == "rent_to_own"
    assert [p.name for p in tmp_path.iterdir()] == ["sla-nov.xlsx"]  # no work files left behind


def test_report_into_a_directory_as_a_user_with_semicolons(reports_url, world, tmp_path):
    result = flask(reports_url, "report", "register", "--format", "csv", "--out", str(tmp_path), "--delimiter", ";",
                   "--as", "manager01")
    assert result.returncode == 0, result.stderr
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].name.startswith("register_") and files[0].suffix == ".csv"
    assert str(files[0]) in result.stdout and "жол" in result.stdout
    rows = list(csv.reader(io.StringIO(files[0].read_bytes().decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0][0] == "ID" and len(rows) - 1 == len(world.apps)
    full = {a.applicant_iin for a in world.apps.values() if a.applicant_iin}
    assert {r[5] for r in rows[1:]} & full  # a manager's file has IINs in full
    # the system's file masks them
    system = flask(reports_url, "report", "register", "--format", "csv", "--out", str(tmp_path / "s.csv"))
    assert system.returncode == 0, system.stderr
    rows = list(csv.reader(io.StringIO((tmp_path / "s.csv").read_text("utf-8-sig"), newline="")))
    assert not ({r[5] for r in rows[1:]} & full)


@pytest.mark.parametrize("args, message", [
    (["nope", "--format", "xlsx"], "Такого отчёта нет: «nope»"),
    (["sla", "--format", "xlsx", "--from", "2026-13-01"], "Неверная дата: «2026-13-01»"),
    (["sla", "--format", "xlsx", "--from", "2026-11-10", "--to", "2026-11-01"],
     "Начало периода (10.11.2026) позже его конца (01.11.2026)."),
    (["sla", "--format", "xlsx", "--as", "nobody"], "Такого пользователя нет или он заблокирован: nobody"),
    (["lists", "--format", "xlsx", "--as", "akimat_astana"], "У вас нет права формировать этот отчёт."),
])
# (every other refusal of the engine is checked without a subprocess in tests/test_reports_engine.py)
def test_bad_input_gets_a_message_and_exit_code_2(reports_url, tmp_path, args, message):
    result = flask(reports_url, "report", *args, "--out", str(tmp_path), "--lang", "ru")
    assert result.returncode == 2
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_out_path_must_fit_the_format(reports_url, tmp_path):
    result = flask(reports_url, "report", "sla", "--format", "pdf", "--out", str(tmp_path / "x.xlsx"))
    assert result.returncode == 2 and "күтілгені .pdf" in result.stderr
    result = flask(reports_url, "report", "sla", "--format", "pdf", "--out", str(tmp_path / "no" / "x.pdf"))
    assert result.returncode == 2 and "бума жоқ" in result.stderr
