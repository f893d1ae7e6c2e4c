"""Fuzzing what users type and upload (hypothesis): the akimat list importer with random bytes
and with real .xlsx / .csv files full of random cells, and the validators of the new
application form, the complaint registration form, the status-change fields and the IIN/BIN
checks.

The promise: never an unhandled exception — only a DomainError with a message in both
languages, or the importer's result naming the file error — and a refusal writes nothing
(counted before any rollback, so the code under test is what keeps the tables clean).
Example counts are modest so the file runs in well under a minute.
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

from data import config
from data.errors import DomainError
from data.iin import is_valid_bin, is_valid_iin
from data.imports import ImportFileError, import_list
from data.imports.errors import file_error_message
from data.models import Application, Complaint, ListBatch, Recipient, StatusEvent
from data.models.audit import AuditEntry
from tests.conftest import local
from tests.factories import user
from tests.test_imports_support import KK_HEADERS, RU_HEADERS, akimat, new_iin

NOW = local(2026, 3, 11, 10, 0)
FUZZ = settings(max_examples=40, deadline=None, derandomize=False,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
FEW = settings(FUZZ, max_examples=20)

# Cells a person (or a broken export) could put in a list: text of every kind, numbers, dates.
texts = st.text(max_size=40)
odd_texts = st.sampled_from(["", " ", "\x00", "' OR 1=1 --", "=1+1", "@SUM(A1)", "ЖСН", "ИИН", "Ә" * 300,
                             "😀", "1e309", "NaN", "-0", "  900101300126 ", "90010130012", "9001013001260",
                             "31.02.2020", "2020-02-30", "05.01.2020", "+7 701 123 45 67", "8 (701) 1234567"])
cells = st.one_of(st.none(), texts, odd_texts, st.integers(-10**15, 10**15),
                  st.floats(allow_nan=False, allow_infinity=False, width=32), st.booleans(),
                  st.dates(date(1900, 1, 1), date(2100, 12, 31)),
                  st.builds(lambda: new_iin()))


def _counts(session) -> dict[str, int]:
    return {name: session.scalar(select(func.count()).select_from(model)) for name, model in
            (("recipients", Recipient), ("batches", ListBatch), ("applications", Application),
             ("complaints", Complaint), ("events", StatusEvent))}


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / "instance")
    return tmp_path


# -- the importer ------------------------------------------------------------------------------------
def _check_import(session, area, content: bytes, file_name: str) -> None:
    before = _counts(session)
    try:
        result = import_list(session, content, akimat=area.kato, file_name=file_name, received_at=NOW, now=NOW)
    except ImportFileError as error:  # only for an unknown akimat or path: not the case here
        raise AssertionError(f"unexpected file error {error.code}") from error
    after = _counts(session)
    added = after["recipients"] - before["recipients"]
    assert result.status in ("loaded", "rejected", "validated"), result.status
    assert added == result.rows_loaded
    assert after["batches"] - before["batches"] == 1  # the file is on record, loaded or refused
    assert after["applications"] == before["applications"] and after["complaints"] == before["complaints"]
    if result.status == "rejected":
        assert added == 0 and result.error_code
        for lang in ("kk", "ru"):
            message = file_error_message(result.error_code, result.error_params, lang)
            assert message and message != result.error_code
        batch = session.get(ListBatch, result.batch_id)
        assert batch.status == "rejected"
    for issue in result.issues:  # every row problem has its words in both languages
        assert issue.code


@FUZZ
@given(content=st.one_of(st.binary(max_size=4096),
                         st.sampled_from([b"PK\x03\x04", b"PK\x03\x04" + b"\x00" * 100,
                                          b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, b"\xef\xbb\xbf",
                                          b"\xff\xfe", "ЖСН;Аты\r\n".encode(), b"IIN\n\x00\x00",
                                          "ИИН,ФИО\n900101300126,Асель\n".encode("cp1251")])),
       name=st.sampled_from(["list.xlsx", "list.xls", "list.csv", "тізім.xlsx", "../../etc/passwd", "a" * 300,
                             "con.csv", "list", ".xlsx", "x\x00y.csv"]))
def test_random_bytes_as_a_list_file_are_refused_cleanly(session, instance, content, name):
    area = akimat(session)
    _check_import(session, area, content, name)


def _xlsx(rows: list[list], headers: list[str]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    sheet = book.add_worksheet("Тізім")
    datefmt = book.add_format({"num_format": "dd.mm.yyyy"})
    for c, text in enumerate(headers):
        sheet.write_string(0, c, text)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, (int, float)):
                sheet.write_number(r, c, value)
            elif isinstance(value, date):
                sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), datefmt)
            else:
                sheet.write_string(r, c, value)
    book.close()
    return buffer.getvalue()


def _csv(rows: list[list], headers: list[str], delimiter: str, encoding: str) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(headers)
    for values in rows:
        writer.writerow(["" if v is None else (v.strftime("%d.%m.%Y") if isinstance(v, date) else v) for v in values])
    text = buffer.getvalue()
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _rows(headers: list[str]):
    return st.lists(st.lists(cells, min_size=len(headers), max_size=len(headers)), max_size=12)


@FEW
@given(data=st.data(), headers=st.sampled_from([KK_HEADERS, RU_HEADERS]))
def test_random_cells_in_a_real_xlsx_file(session, instance, data, headers):
    rows = data.draw(_rows(headers))
    area = akimat(session)
    _check_import(session, area, _xlsx(rows, headers), "тізім.xlsx")


@FEW
@given(data=st.data(), headers=st.sampled_from([KK_HEADERS, RU_HEADERS]),
       delimiter=st.sampled_from([";", ",", "\t"]), encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1251"]))
def test_random_cells_in_a_real_csv_file(session, instance, data, headers, delimiter, encoding):
    rows = data.draw(_rows(headers))
    area = akimat(session)
    _check_import(session, area, _csv(rows, headers, delimiter, encoding), "list.csv")


# -- form validators --------------------------------------------------------------------------------
values = st.one_of(st.none(), texts, odd_texts, st.integers(-10**6, 10**13), st.booleans(),
                   st.lists(texts, max_size=3), st.floats(allow_nan=True, allow_infinity=True))
date_texts = st.one_of(values, st.dates(date(1990, 1, 1), date(2030, 12, 31)).map(lambda d: d.strftime("%d.%m.%Y")),
                       st.dates(date(1990, 1, 1), date(2030, 12, 31)).map(date.isoformat))
time_texts = st.one_of(values, st.sampled_from(["10:00", "09:29", "19:00", "23:59", "24:00", "7", "10:60", "ab:cd"]))


def _message_ok(error: DomainError) -> None:
    for lang in ("kk", "ru"):
        text = error.message(lang)
        assert isinstance(text, str) and text.strip()


@FUZZ
@given(raw=st.fixed_dictionaries({
    "kind": st.one_of(st.sampled_from(["rent_to_own", "correction"]), values),
    "id_number": st.one_of(values, st.builds(lambda: new_iin())),
    "applicant_name": values, "phone": st.one_of(values, st.sampled_from(["+77011234567", "87011234567"])),
    "akimat_id": st.one_of(values, st.integers(1, 5).map(str)), "received_date": date_texts,
    "received_time": time_texts, "registration_number": values, "internal_number": values,
    "contract_number": values, "contract_date": date_texts, "correction_category": values,
    "correction_other": values, "category": values, "family_size": values, "consent": values,
    "documents": values, "guarantors": st.one_of(values, st.lists(st.tuples(values, values), max_size=3)),
}), override=st.booleans())
def test_the_new_application_form_never_crashes_and_refusals_write_nothing(session, raw, override):
    from data import application_service as service

    reviewer = user(session, "fuzz.reviewer")
    check = service.check_new_application(session, raw, now=NOW)  # never raises: problems are listed
    for problem in check.problems:
        for lang in ("kk", "ru"):
            assert problem.message(lang).strip() and problem.key not in problem.message(lang)
    before = _counts(session)
    audits = session.scalar(select(func.count()).select_from(AuditEntry))
    nested = session.begin_nested()
    try:
        application = service.register_new_application(session, reviewer, raw, override_duplicates=override, now=NOW)
    except DomainError as error:
        _message_ok(error)
        assert _counts(session) == before  # refused before anything was written
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == audits
        nested.rollback()
        return
    assert _counts(session)["applications"] == before["applications"] + 1
    assert application.applicant_name and len(application.applicant_name) <= 300
    assert "\x00" not in application.applicant_name
    nested.rollback()


@FUZZ
@given(raw=st.fixed_dictionaries({
    "about": st.one_of(st.sampled_from(["application", "recipient", "batch", "none"]), values),
    "ref": st.one_of(values, st.integers(1, 3).map(lambda i: f"#{i}")),
    "complainant_id_number": values, "complainant_name": values, "complainant_contact": values,
    "subject": values, "channel": st.one_of(values, st.sampled_from(["paper", "email", "egov"])),
    "level": st.one_of(values, st.sampled_from(["provider", "quality_body"])),
    "responsible_id": values, "received_date": date_texts, "received_time": time_texts,
}))
def test_the_complaint_form_never_crashes_and_refusals_write_nothing(session, raw):
    from data import complaints as service

    reviewer = user(session, "fuzz.cmp")
    check = service.check_registration(session, reviewer, raw, now=NOW)
    for problem in check.problems:
        for lang in ("kk", "ru"):
            assert problem.message(lang).strip() and problem.key not in problem.message(lang)
    before = _counts(session)
    nested = session.begin_nested()
    try:
        complaint = service.register(session, reviewer, raw, now=NOW)
    except DomainError as error:
        _message_ok(error)
        assert _counts(session) == before
        nested.rollback()
        return
    assert _counts(session)["complaints"] == before["complaints"] + 1
    assert complaint.complainant_name and "\x00" not in complaint.complainant_name
    nested.rollback()


def _transitions():
    from data.statuses import WORKFLOWS

    return [(kind, rule) for kind, flow in sorted(WORKFLOWS.items()) for rule in flow.transitions
            if rule.requires or rule.optional]


@FEW
@given(choice=st.sampled_from(_transitions()), data=st.data())
def test_status_fields_are_cleaned_or_refused_with_a_message(session, choice, data):
    from data.workflows import clean_fields

    kind, rule = choice
    raw = {name: data.draw(st.one_of(values, date_texts), label=name) for name in rule.requires + rule.optional}
    try:
        cleaned = clean_fields(session, kind, rule, raw, date(2026, 3, 11))
    except DomainError as error:
        _message_ok(error)
        return
    assert set(cleaned) <= set(rule.requires + rule.optional)
    assert set(rule.requires) <= set(cleaned)


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(values, st.text(alphabet="0123456789 ", max_size=14), st.binary(max_size=14),
                       st.dictionaries(texts, texts, max_size=2)))
def test_iin_and_bin_checks_answer_yes_or_no_for_anything(value):
    from data.application_service import check_id_number

    assert is_valid_iin(value) in (True, False)
    assert is_valid_bin(value) in (True, False)
    for kind in ("rent_to_own", "correction", None):
        number, problem = check_id_number(value, kind)
        assert (number is None) or (problem is None)
        if number is not None:
            assert len(number) == 12 and number.isdigit()


# -- one field of a valid form at a time -------------------------------------------------------------
# Random forms are almost always refused early; these start from a form that is accepted and
# change one field, so every value reaches the code that stores it.
def _valid_forms(session):
    from datetime import datetime as dt

    from data.iin import make_bin, make_iin
    from data.models import Akimat

    astana = session.scalar(select(Akimat.id).where(Akimat.kato == "710000000"))
    iin = make_iin(date(1988, 7, 15), 4, serial=4321) or make_iin(date(1988, 7, 15), 4, serial=4322)
    guarantor = make_iin(date(1979, 2, 3), 3, serial=1717) or make_iin(date(1979, 2, 3), 3, serial=1718)
    bin_ = make_bin(dt(2015, 4, 1).date(), 4, 0, serial=12345) or make_bin(dt(2015, 4, 1).date(), 4, 0, serial=12346)
    rent = {"kind": "rent_to_own", "id_number": iin, "applicant_name": "Әлиев Нұрлан Серікұлы",
            "phone": "8 701 234 56 78", "akimat_id": astana, "received_date": "2026-03-06", "received_time": "10:00",
            "registration_number": "", "internal_number": None, "contract_number": None, "contract_date": None,
            "correction_category": "", "correction_other": None, "category": "budget_employee", "family_size": "4",
            "consent": True, "documents": ["salary_certificate"], "guarantors": [(guarantor, "Кепілгер Асқар")]}
    correction = {**rent, "kind": "correction", "id_number": bin_, "applicant_name": "«Астана Құрылыс» ЖШС",
                  "akimat_id": None, "registration_number": "КЖК-2026-777", "internal_number": "ІН-5",
                  "contract_number": "ҮҚШ-2024/15", "contract_date": "2024-05-14",
                  "correction_category": "area_change", "category": "", "family_size": "", "consent": False,
                  "documents": [], "guarantors": []}
    return {"rent_to_own": rent, "correction": correction}


FIELDS = ["id_number", "applicant_name", "phone", "akimat_id", "received_date", "received_time",
          "registration_number", "internal_number", "contract_number", "contract_date", "correction_category",
          "correction_other", "category", "family_size", "consent", "documents", "guarantors"]
nasty_text = st.one_of(texts, odd_texts, st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=5),
                       st.text(min_size=290, max_size=320))


@FUZZ
@given(kind=st.sampled_from(["rent_to_own", "correction"]), field=st.sampled_from(FIELDS),
       value=st.one_of(values, nasty_text, st.lists(st.tuples(nasty_text, nasty_text), max_size=2)))
def test_one_bad_field_in_a_valid_application_form(session, kind, field, value):
    from data import application_service as service

    reviewer = user(session, "fuzz.one")
    raw = {**_valid_forms(session)[kind], field: value}
    before = _counts(session)
    nested = session.begin_nested()
    try:
        application = service.register_new_application(session, reviewer, raw, override_duplicates=True, now=NOW)
        session.flush()
    except DomainError as error:
        _message_ok(error)
        assert _counts(session) == before
        nested.rollback()
        return
    stored = session.scalars(select(Application).where(Application.id == application.id)).one()
    for column in ("applicant_name", "registration_number", "contract_number", "applicant_phone"):
        value_ = getattr(stored, column, None)
        assert value_ is None or "\x00" not in value_
    nested.rollback()


@FUZZ
@given(field=st.sampled_from(["complainant_id_number", "complainant_name", "complainant_contact", "subject",
                              "channel", "level", "responsible_id", "received_date", "received_time", "ref"]),
       value=st.one_of(values, nasty_text))
def test_one_bad_field_in_a_valid_complaint_form(session, field, value):
    from data import complaints as service
    from tests.factories import new_item

    reviewer = user(session, "fuzz.cmp.one")
    application = new_item(session, "rent_to_own")
    raw = {"about": "application", "ref": f"#{application.id}", "complainant_id_number": "900101300126",
           "complainant_name": "Сәрсенова Айгүл", "complainant_contact": "+77011234567",
           "received_date": "06.05.2026", "received_time": "10:00", "channel": "paper", "level": "provider",
           "subject": "Өтінім мерзімі бұзылды", "responsible_id": None, field: value}
    before = _counts(session)
    nested = session.begin_nested()
    try:
        complaint = service.register(session, reviewer, raw, now=local(2026, 5, 6, 12, 0))
        session.flush()
    except DomainError as error:
        _message_ok(error)
        assert _counts(session) == before
        nested.rollback()
        return
    for column in ("complainant_name", "complainant_contact", "subject"):
        assert "\x00" not in (getattr(complaint, column) or "")
    nested.rollback()
