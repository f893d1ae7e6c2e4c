"""The import pipeline on the database: batch record, every row error code, resends, already
listed IINs, atomicity, the stored row errors and the error report in both languages."""
from __future__ import annotations

import hashlib
import io
from datetime import date, datetime, timezone

import openpyxl
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from data import config
from data.clocks import clocks_of
from data.imports import ImportFileError, Limits, build_report, import_list, issue_message, load_batch
from data.imports import loader
from data.imports.report import batch_issues
from data.models import Base, ListBatch, Recipient, StatusEvent
from data.models.list_errors import ListRowError
from tests.conftest import local
from tests.factories import user
from tests.test_imports_support import (
    KK_HEADERS,
    akimat,
    bad_check_digit,
    kk_row,
    new_iin,
    new_iin_2000s,
    person,
    write_xlsx,
)
from tests.test_imports_reading import CASES, unreadable_files

FRIDAY_EVENING = local(2026, 3, 6, 20, 0)  # after hours; 8-9 March are days off -> registered Tue 10.03
LOADED_AT = local(2026, 3, 11, 10, 0)


@pytest.fixture(autouse=True)
def instance_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / "instance")
    return tmp_path / "instance"


def recipients_of(session, akimat_row) -> list[Recipient]:
    return list(session.scalars(select(Recipient).where(Recipient.akimat_id == akimat_row.id).order_by(Recipient.id)))


def run(session, path, akimat_row, **kwargs):
    kwargs.setdefault("received_at", FRIDAY_EVENING)
    kwargs.setdefault("now", LOADED_AT)
    return import_list(session, path, akimat=akimat_row.kato, **kwargs)


# -- the batch record -------------------------------------------------------------------------
def test_batch_record_clock_archive_and_recipients(session, tmp_path, instance_dir):
    area = akimat(session)
    uploader = user(session, "akimat_uploader", role="akimat")
    people = [person(), person(iin=int(new_iin_2000s()), category="2", phone=87771234567, queue_date=date(2019, 5, 6))]
    path = write_xlsx(tmp_path / "source.xlsx", [kk_row(p, i) for i, p in enumerate(people, 1)], title_rows=2)
    content = path.read_bytes()
    result = import_list(session, content, akimat=area.kato, file_name="../../etc/Тізім: наурыз?.xlsx",
                         received_at=FRIDAY_EVENING, now=LOADED_AT, uploaded_by=uploader)

    batch = session.get(ListBatch, result.batch_id)
    assert batch.status == "loaded" and result.status == "loaded"
    assert batch.file_name == "Тізім_ наурыз_.xlsx"
    assert batch.size_bytes == len(content)
    assert batch.sha256 == hashlib.sha256(content).hexdigest() == result.sha256
    assert batch.received_at == FRIDAY_EVENING
    assert batch.registration_date == date(2026, 3, 10)
    assert batch.loaded_at == LOADED_AT
    assert batch.uploaded_by_id == uploader.id
    assert batch.file_format == "xlsx" and batch.header_row == 4
    assert batch.headers == KK_HEADERS and batch.ignored_columns == ["№"]
    assert (batch.rows_total, batch.rows_loaded, batch.rows_invalid, batch.rows_already_listed,
            batch.rows_duplicate) == (2, 2, 0, 0, 0)

    (clock,) = clocks_of(session, batch)
    assert clock.policy_code == "list_upload"
    assert clock.started_at == FRIDAY_EVENING
    assert clock.registered_on == date(2026, 3, 10)
    assert clock.due_date == date(2026, 3, 12) == result.list_upload_due  # 2 working days
    assert clock.stopped_at == LOADED_AT and clock.stopped_on == date(2026, 3, 11)

    archived = instance_dir / "lists" / str(batch.id) / "Тізім_ наурыз_.xlsx"
    assert archived.read_bytes() == content
    assert result.archive_path == str(archived)

    first, second = recipients_of(session, area)
    assert (first.iin, first.full_name, first.category, first.phone, first.status) == (
        people[0]["iin"], "Ахметов Бекзат Серікұлы", "socially_vulnerable", "+77011234567", "listed")
    assert (first.queue_number, first.queue_date, first.batch_id) == ("15", date(2020, 1, 5), batch.id)
    assert second.iin == str(people[1]["iin"]).zfill(12) and second.iin.startswith("0")
    assert (second.category, second.phone, second.queue_date) == ("budget_employee", "+77771234567", date(2019, 5, 6))
    history = session.scalars(select(StatusEvent).where(StatusEvent.recipient_id == first.id)).all()
    assert [(e.from_status, e.to_status, e.payload, e.actor_id) for e in history] == [
        (None, "listed", {"batch_id": batch.id}, uploader.id)]


def test_every_row_error_code(session, tmp_path):
    area = akimat(session)
    earlier = person()
    run(session, write_xlsx(tmp_path / "earlier.xlsx", [kk_row(earlier)]), area)
    good = person()
    rows = [
        kk_row(good, 1),                                                        # row 2: loads
        kk_row(person(iin=""), 2),                                              # 3 iin_missing
        kk_row(person(iin="12345"), 3),                                         # 4 iin_format
        kk_row(person(iin=bad_check_digit(new_iin())), 4),                      # 5 iin_checksum
        kk_row(person(iin=good["iin"]), 5),                                     # 6 iin_duplicate
        kk_row(person(iin=earlier["iin"]), 6),                                  # 7 already_listed
        kk_row(person(last_name="", first_name="", patronymic=""), 7),          # 8 name_missing
        kk_row(person(category=""), 8),                                         # 9 category_missing
        kk_row(person(category="зейнеткер"), 9),                                # 10 category_unknown
        kk_row(person(phone=""), 10),                                           # 11 phone_missing
        kk_row(person(phone="8 (727) 250-12-34"), 11),                          # 12 phone_invalid
        kk_row(person(queue_date="30.02.2020"), 12),                            # 13 date_invalid
        kk_row(person(queue_date="01.01.2027"), 13),                            # 14 date_in_future
        kk_row(person(queue_number="N" * 41), 14),                              # 15 too_long
    ]
    result = run(session, write_xlsx(tmp_path / "all.xlsx", rows), area)
    assert result.status == "loaded"
    assert [(i.row, i.code) for i in result.issues] == [
        (3, "iin_missing"), (4, "iin_format"), (5, "iin_checksum"), (6, "iin_duplicate"), (7, "already_listed"),
        (8, "name_missing"), (9, "category_missing"), (10, "category_unknown"), (11, "phone_missing"),
        (12, "phone_invalid"), (13, "date_invalid"), (14, "date_in_future"), (15, "too_long"),
    ]
    assert (result.rows_total, result.rows_loaded, result.rows_invalid, result.rows_duplicate,
            result.rows_already_listed) == (14, 1, 11, 1, 1)
    by_code = {i.code: i for i in result.issues}
    assert by_code["iin_duplicate"].params == {"first_row": 2, "value": good["iin"]}
    earlier_batch = session.scalar(select(Recipient.batch_id).where(Recipient.iin == earlier["iin"]))
    assert by_code["already_listed"].params == {"value": earlier["iin"], "batch_id": earlier_batch,
                                                "other_akimat": False}
    assert by_code["phone_invalid"].column == "Ұялы телефон" and by_code["phone_invalid"].field == "phone"
    assert by_code["name_missing"].column == "Тегі"

    messages = {code: (issue_message(code, i.params, "kk"), issue_message(code, i.params, "ru"))
                for code, i in by_code.items()}
    assert messages["iin_format"] == ("ЖСН 12 цифрдан тұруы керек: «12345»", "ИИН должен состоять из 12 цифр: «12345»")
    assert messages["iin_duplicate"][1] == (f"Этот ИИН ({good['iin']}) уже есть в файле в строке 2; "
                                            "загружается только первая строка")
    assert f"пакет №{earlier_batch}" in messages["already_listed"][1]
    assert f"№{earlier_batch} топтама" in messages["already_listed"][0]
    assert messages["date_invalid"][1] == "Неверная дата: «30.02.2020» (укажите в формате ДД.ММ.ГГГГ)"
    assert messages["too_long"] == ("Мәтін тым ұзын (ең көбі 40 таңба)", "Слишком длинный текст (не более 40 символов)")
    for kk, ru in messages.values():
        assert kk != ru and not kk.startswith("import.") and not ru.startswith("import.")

    stored = batch_issues(session, result.batch_id)
    assert [(i.row, i.code, i.column) for i in stored] == [(i.row, i.code, i.column) for i in result.issues]
    values = session.scalar(select(ListRowError.row_values).where(ListRowError.batch_id == result.batch_id,
                                                                  ListRowError.row == 4))
    assert values[:3] == [3, "12345", "Ахметов"] and len(values) == len(KK_HEADERS)
    assert [r.iin for r in recipients_of(session, area)] == [earlier["iin"], good["iin"]]


def test_already_listed_by_another_akimat_and_manual_recipients(session, tmp_path):
    first_area, second_area = akimat(session), akimat(session)
    shared = person()
    run(session, write_xlsx(tmp_path / "a.xlsx", [kk_row(shared)]), first_area)
    manual = Recipient(iin=new_iin(), full_name="Қолмен енгізілген", category="budget_employee",
                       akimat_id=second_area.id)
    session.add(manual)
    session.flush()
    result = run(session, write_xlsx(tmp_path / "b.xlsx", [kk_row(shared), kk_row(person(iin=manual.iin), 2)]),
                 second_area)
    assert [i.code for i in result.issues] == ["already_listed", "already_listed"]
    other, by_hand = result.issues
    assert other.params["other_akimat"] is True
    assert "другого акимата" in issue_message(other.code, other.params, "ru")
    assert by_hand.params == {"value": manual.iin, "batch_id": None, "other_akimat": False}
    assert issue_message(by_hand.code, by_hand.params, "kk") == f"Бұл ЖСН ({manual.iin}) тізімде бұрыннан бар; қайта құрылмады"
    assert result.rows_loaded == 0 and result.rows_already_listed == 2 and result.status == "loaded"


def test_the_same_file_twice_is_recognized(session, tmp_path):
    area, other_area = akimat(session), akimat(session)
    path = write_xlsx(tmp_path / "l.xlsx", [kk_row(person()), kk_row(person(), 2)])
    first = run(session, path, area)
    again = run(session, path, area, received_at=local(2026, 3, 12, 11, 0), now=local(2026, 3, 12, 11, 0))
    assert first.status == "loaded" and first.duplicate_of_batch is None
    assert again.status == "rejected" and again.error_code == "duplicate_file"
    assert again.duplicate_of_batch == first.batch_id and again.batch_id != first.batch_id
    assert again.readable  # the file was read fine: the CLI exits 0
    assert again.error_message("ru") == (f"Этот файл уже присылали: точно такое же содержимое есть в пакете "
                                         f"№{first.batch_id} (06.03.2026 20:00). Повторно не загружен.")
    batch = session.get(ListBatch, again.batch_id)
    assert batch.duplicate_of_id == first.batch_id and batch.error_code == "duplicate_file"
    assert clocks_of(session, batch) == []
    assert len(recipients_of(session, area)) == 2
    # Another akimat sending the same bytes is not a resend; its rows are already listed.
    elsewhere = run(session, path, other_area)
    assert elsewhere.status == "loaded" and elsewhere.duplicate_of_batch is None
    assert elsewhere.rows_already_listed == 2


@pytest.mark.parametrize("case", CASES)
def test_an_unreadable_file_is_rejected_and_loads_nothing(session, tmp_path, case):
    area = akimat(session)
    content, code = unreadable_files(tmp_path)[case]
    result = run(session, content, area, file_name=f"{case}.xlsx")
    assert result.status == "rejected" and result.error_code == code
    assert not result.readable
    batch = session.get(ListBatch, result.batch_id)
    assert batch.status == "rejected" and batch.error_code == code
    assert batch.error_message == result.error_message("kk") != result.error_message("ru")
    assert recipients_of(session, area) == []
    assert session.scalar(select(func.count()).select_from(ListRowError)
                          .where(ListRowError.batch_id == batch.id)) == 0
    assert clocks_of(session, batch) == []


def test_encrypted_file_message(session, tmp_path):
    content, _ = unreadable_files(tmp_path)["encrypted"]
    result = run(session, content, akimat(session))
    assert result.error_message("ru") == "Файл защищён паролем (зашифрован). Снимите пароль и отправьте файл ещё раз."
    assert result.error_message("kk") == ("Файл құпиясөзбен қорғалған (шифрланған). Құпиясөзді алып тастап, файлды "
                                          "қайта жіберіңіз.")


def test_limits_in_the_pipeline(session, tmp_path):
    area = akimat(session)
    path = write_xlsx(tmp_path / "l.xlsx", [kk_row(person(), i) for i in range(4)])
    result = run(session, path, area, limits=Limits(max_rows=3))
    assert result.error_code == "too_many_rows" and recipients_of(session, area) == []
    result = run(session, path, area, limits=Limits(max_bytes=1000))
    assert result.error_code == "file_too_large" and result.size_bytes == path.stat().st_size
    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert "МБ" in result.error_message("ru")
    assert recipients_of(session, area) == []


def test_unknown_akimat_is_an_error_without_a_batch(session, tmp_path):
    path = write_xlsx(tmp_path / "l.xlsx", [kk_row(person())])
    before = session.scalar(select(func.count()).select_from(ListBatch))
    with pytest.raises(ImportFileError) as caught:
        import_list(session, path, akimat="123456789")
    assert caught.value.code == "unknown_akimat"
    assert caught.value.message("ru") == "Акимата с кодом КАТО «123456789» нет в справочнике."
    assert session.scalar(select(func.count()).select_from(ListBatch)) == before


def test_a_failure_while_loading_leaves_nothing_half_loaded(session, tmp_path, monkeypatch):
    area = akimat(session)
    path = write_xlsx(tmp_path / "l.xlsx", [kk_row(person()), kk_row(person(phone=""), 2)])

    def broken_stop(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(loader, "add_event", broken_stop)  # after the recipients were inserted
    result = run(session, path, area)
    assert result.status == "rejected" and result.error_code == "load_failed"
    assert recipients_of(session, area) == []
    batch = session.get(ListBatch, result.batch_id)
    assert session.scalar(select(func.count()).select_from(ListRowError).where(ListRowError.batch_id == batch.id)) == 0
    assert clocks_of(session, batch) == []
    assert batch.error_message.startswith("Тізімді жүктеу кезінде қате шықты")


def test_an_iin_listed_meanwhile_by_another_import_is_retried(session, tmp_path, monkeypatch):
    area = akimat(session)
    taken = person()
    session.add(Recipient(iin=taken["iin"], full_name="Басқа жүктеу", category="budget_employee", akimat_id=area.id))
    session.flush()
    real_lookup = loader._lookup
    calls = []

    def blind_first(session_, akimat_id):
        lookup = real_lookup(session_, akimat_id)

        def maybe_blind(iins):
            calls.append(len(iins))
            return {} if len(calls) == 1 else lookup(iins)  # the first look misses the concurrent insert

        return maybe_blind

    monkeypatch.setattr(loader, "_lookup", blind_first)
    result = run(session, write_xlsx(tmp_path / "l.xlsx", [kk_row(person()), kk_row(taken, 2)]), area)
    assert len(calls) == 2
    assert result.status == "loaded" and result.rows_loaded == 1 and result.rows_already_listed == 1
    assert [i.code for i in result.issues] == ["already_listed"]
    assert len(recipients_of(session, area)) == 2


def test_validate_only_then_load(session, tmp_path):
    area = akimat(session)
    path = write_xlsx(tmp_path / "l.xlsx", [kk_row(person()), kk_row(person(category="?"), 2)])
    checked = run(session, path, area, validate_only=True)
    assert checked.status == "validated" and checked.rows_invalid == 1 and recipients_of(session, area) == []
    batch = session.get(ListBatch, checked.batch_id)
    (clock,) = clocks_of(session, batch)
    assert clock.stopped_at is None and clock.due_date == date(2026, 3, 12)
    loaded = load_batch(session, checked.batch_id, now=LOADED_AT)
    assert loaded.status == "loaded" and loaded.rows_loaded == 1 and len(recipients_of(session, area)) == 1
    assert [i.code for i in batch_issues(session, checked.batch_id)] == ["category_unknown"]
    (clock,) = clocks_of(session, batch)
    assert clock.stopped_at == LOADED_AT
    # Sending the same file again is recognized even though the first was only validated then.
    assert run(session, path, area).duplicate_of_batch == checked.batch_id


def test_chunk_boundaries_with_a_large_list(session, tmp_path):
    area = akimat(session)
    earlier = [person() for _ in range(5)]
    run(session, write_xlsx(tmp_path / "e.xlsx", [kk_row(p) for p in earlier]), area)
    people = [person() for _ in range(12_000)]
    for index, p in zip((10, 2500, 4100, 9999, 11_999), earlier):
        people[index] = dict(people[index], iin=p["iin"])
    result = run(session, write_xlsx(tmp_path / "big.xlsx", [kk_row(p, i) for i, p in enumerate(people)]), area)
    assert (result.rows_total, result.rows_loaded, result.rows_already_listed) == (12_000, 11_995, 5)
    assert [i.row for i in result.issues] == [12, 2502, 4102, 10_001, 12_001]
    assert len(recipients_of(session, area)) == 12_000
    events = session.scalar(select(func.count()).select_from(StatusEvent).join(
        Recipient, Recipient.id == StatusEvent.recipient_id).where(Recipient.batch_id == result.batch_id))
    assert events == 11_995


# -- the error report ---------------------------------------------------------------------------
def _report_rows(content: bytes):
    book = openpyxl.load_workbook(io.BytesIO(content))
    errors, summary = book.worksheets
    return errors, summary, [list(r) for r in errors.iter_rows(values_only=True)]


def test_error_report_in_both_languages_and_resend_after_fixing(session, tmp_path):
    area = akimat(session)
    young = new_iin_2000s()
    good = person()
    rows = [
        kk_row(good, 1),
        kk_row(person(iin=int(young), phone="8 (727) 250-12-34", queue_date=date(2018, 4, 2)), 2),
        kk_row(person(iin="12345", category="зейнеткер"), 3),
        kk_row(person(iin=good["iin"]), 4),
    ]
    result = run(session, write_xlsx(tmp_path / "l.xlsx", rows, title_rows=1), area)
    assert result.rows_loaded == 1

    errors, summary, table = _report_rows(build_report(session, result.batch_id, "kk"))
    assert errors.title == "Қателер"
    assert table[0] == KK_HEADERS + ["Қателер", "Файлдағы жол"]
    assert [r[-1] for r in table[1:]] == [5, 6, 7]  # title, empty row, header on row 3
    phone_row = table[1]
    assert phone_row[1] == int(young)  # the original value: a number, as it was sent
    assert phone_row[6] == "8 (727) 250-12-34"
    assert phone_row[8] == datetime(2018, 4, 2)
    assert phone_row[10] == "Ұялы телефон: Қазақстанның ұялы телефон нөмірі емес: «8 (727) 250-12-34» (мысалы, +7 701 123 45 67)"
    assert table[2][10].split("\n") == [
        "ЖСН 12 цифрдан тұруы керек: «12345»",
        "Санаты белгісіз: «зейнеткер». Мүмкін мәндер: әлеуметтік осал топтар (1), бюджеттік ұйымдардың "
        "қызметкерлері (2), қала құраушы заңды тұлғалардың қызметкерлері (3)",
    ]
    assert errors.cell(row=2, column=7).fill.fgColor.rgb.endswith("F8D7DA")  # the phone cell is marked
    assert errors.cell(row=2, column=2).fill.fgColor.rgb in (None, "00000000")
    summary_rows = {r[0]: r[1] for r in summary.iter_rows(values_only=True) if r[0]}
    assert summary_rows["Топтама"] == result.batch_id and summary_rows["Жүктелді"] == 1
    assert summary_rows["Мәртебе"] == "Жүктелді"

    _, summary_ru, table_ru = _report_rows(build_report(session, result.batch_id, "ru"))
    assert table_ru[0][-2:] == ["Ошибки", "Строка в файле"]
    assert table_ru[0][:-2] == KK_HEADERS  # the akimat's own headers stay as they were
    assert table_ru[3][10] == (f"ЖСН: Этот ИИН ({good['iin']}) уже есть в файле в строке 4; "
                               "загружается только первая строка")
    assert {r[0]: r[1] for r in summary_ru.iter_rows(values_only=True) if r[0]}["Загружено"] == 1

    # The akimat fixes the report in place and sends it back: the added columns are ignored.
    fixed = openpyxl.load_workbook(io.BytesIO(build_report(session, result.batch_id, "ru")))
    sheet = fixed.worksheets[0]
    sheet.cell(row=2, column=7).value = "+7 702 555 44 33"
    sheet.cell(row=3, column=2).value = new_iin()
    sheet.cell(row=3, column=6).value = "Бюджеттік ұйым қызметкері"
    path = tmp_path / "fixed.xlsx"
    fixed.save(path)
    resent = run(session, path, area, received_at=local(2026, 3, 12, 10, 0), now=local(2026, 3, 12, 10, 5))
    assert resent.status == "loaded"
    assert resent.ignored_columns == ["№", "Ошибки", "Строка в файле"]
    assert (resent.rows_loaded, resent.rows_duplicate, resent.rows_already_listed) == (2, 0, 1)
    assert [i.code for i in resent.issues] == ["already_listed"]
    assert {r.iin for r in recipients_of(session, area)} >= {young, good["iin"]}


def test_report_of_a_rejected_batch_names_the_file_error(session, tmp_path):
    result = run(session, b"%PDF-1.7 not a list", akimat(session), file_name="list.pdf")
    errors, summary, table = _report_rows(build_report(session, result.batch_id, "ru"))
    assert table == [["Ошибки", "Строка в файле"]]
    values = {r[0]: r[1] for r in summary.iter_rows(values_only=True) if r[0]}
    assert values["Статус"] == "Отклонён"
    assert values["Ошибка файла"].startswith("Файл не является электронной таблицей")


# -- schema ------------------------------------------------------------------------------------
def test_migration_matches_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)

    def mine(diff) -> bool:
        text = repr(diff)
        return "list_row_errors" in text or "list_batches" in text

    assert [d for d in diffs if mine(d)] == []


def test_received_time_defaults_to_now_and_naive_is_local(session, tmp_path):
    area = akimat(session)
    now = datetime(2026, 4, 1, 4, 0, tzinfo=timezone.utc)  # 09:00 local, before opening on a Wednesday
    result = import_list(session, write_xlsx(tmp_path / "l.xlsx", [kk_row(person())]), akimat=area.kato, now=now)
    assert result.received_at == now and result.registration_date == date(2026, 4, 1)
    naive = import_list(session, write_xlsx(tmp_path / "m.xlsx", [kk_row(person())]), akimat=area.kato,
                        received_at=datetime(2026, 4, 1, 19, 0), now=now)
    assert naive.registration_date == date(2026, 4, 2)  # 19:00 local is after hours


def test_awkward_text_is_stored_exactly(session, tmp_path):
    """Backslashes, quotes and COPY's own markers survive (PostgreSQL loads with COPY)."""
    area = akimat(session)
    p = person(last_name="O'Нил\\", first_name="\\N", patronymic="", queue_number="\\.", note="a\tb\\c\r\nd")
    run(session, write_xlsx(tmp_path / "l.xlsx", [kk_row(p)]), area)
    (recipient,) = recipients_of(session, area)
    assert (recipient.full_name, recipient.queue_number, recipient.note) == ("O'Нил\\ \\N", "\\.", "a b\\c d")
