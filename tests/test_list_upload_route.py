"""POST /files/lists/upload and the batch file routes through the Flask test client, on the test
database (SQLite or PostgreSQL): real .xlsx and Windows-1251 CSV files, the size limit (413), a
file that is not a spreadsheet, the same-origin rule, anonymous and wrong-akimat requests, the
error report in the user's language and akimat scoping (404)."""
from __future__ import annotations

import io
import itertools
import os
from urllib.parse import quote

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data import config
from data.models import ListBatch, Recipient, User
from tests.signin import session_sign_in as sign_in
from tests.test_imports_support import (
    RU_HEADERS,
    akimat,
    bad_check_digit,
    kk_row,
    new_iin,
    person,
    ru_row,
    write_csv,
    write_xlsx,
)

ORIGIN = "http://localhost"
_names = itertools.count()


@pytest.fixture
def client(db_url, engine, tmp_path, monkeypatch):
    import app as app_module

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / "instance")
    monkeypatch.delenv("KTK_IMPORT_MAX_BYTES", raising=False)
    return app_module.server.test_client()


@pytest.fixture
def people(engine):
    """Two akimats (committed: the routes use their own sessions) and their users and staff."""
    with Session(engine, expire_on_commit=False) as s:
        a, b = akimat(s), akimat(s)
        tag = f"{os.getpid()}_{next(_names)}"
        users = {
            "akimat_a": User(username=f"ru_ak_a_{tag}", full_name="Әкімдік А", role="akimat", akimat_id=a.id),
            "akimat_b": User(username=f"ru_ak_b_{tag}", full_name="Әкімдік Б", role="akimat", akimat_id=b.id),
            "reviewer": User(username=f"ru_rev_{tag}", full_name="Тексеруші", role="reviewer"),
            "admin": User(username=f"ru_adm_{tag}", full_name="Әкімші", role="admin"),
        }
        s.add_all(users.values())
        s.commit()
    return type("People", (), {"a": a, "b": b, **users})


def post_file(client, content: bytes, name: str, akimat_id=None, origin: str | None = ORIGIN, **headers):
    query = f"?akimat={akimat_id}" if akimat_id is not None else ""
    if origin:
        headers.setdefault("Origin", origin)
    headers["X-File-Name"] = quote(name)
    return client.post(f"/files/lists/upload{query}", data=content, content_type="application/octet-stream",
                       headers=headers)


def batch_count(engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(ListBatch))


def recipients_of_batch(engine, batch_id: int) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(Recipient).where(Recipient.batch_id == batch_id))


def messy_xlsx(tmp_path, good: int = 3):
    rows = [kk_row(person(), i) for i in range(1, good + 1)]
    dup = person()
    rows += [kk_row(person(iin=bad_check_digit(new_iin())), good + 1), kk_row(person(phone="555"), good + 2),
             kk_row(dup, good + 3), kk_row(dup, good + 4)]
    return write_xlsx(tmp_path / "тізім наурыз.xlsx", rows, title_rows=2).read_bytes()


def test_an_akimat_user_uploads_a_real_xlsx(client, people, engine, tmp_path):
    sign_in(client, people.akimat_a, "kk")
    content = messy_xlsx(tmp_path)
    response = post_file(client, content, "C:\\Users\\me\\тізім наурыз.xlsx")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["status"], body["rows_total"], body["rows_loaded"], body["rows_invalid"], body["duplicates"],
            body["already_listed"]) == ("loaded", 7, 4, 2, 1, 0)
    assert body["file_name"] == "тізім наурыз.xlsx" and body["akimat"] == people.a.kato
    assert body["url"] == f"/lists/{body['batch_id']}"
    assert body["report_url"] == f"/files/lists/{body['batch_id']}/errors.xlsx"
    assert body["errors_total"] == 3 and {e["code"] for e in body["errors"]} == {"iin_checksum", "phone_invalid",
                                                                                 "iin_duplicate"}
    assert "бақылау" in next(e["message"] for e in body["errors"] if e["code"] == "iin_checksum")
    assert "4" in body["message"] and "топтама" in body["message"]
    with Session(engine) as s:
        batch = s.get(ListBatch, body["batch_id"])
        assert (batch.akimat_id, batch.uploaded_by_id, batch.source, batch.file_format, batch.size_bytes) == \
            (people.a.id, people.akimat_a.id, "upload", "xlsx", len(content))
    assert recipients_of_batch(engine, body["batch_id"]) == 4
    assert list((config.INSTANCE_DIR / "uploads").iterdir()) == []  # the temporary file is gone

    again = post_file(client, content, "copy.xlsx")
    assert again.status_code == 409
    repeat = again.get_json()
    assert repeat["duplicate_of_batch"] == body["batch_id"] and repeat["rows_loaded"] == 0
    assert f"№{body['batch_id']}" in repeat["message"] or str(body["batch_id"]) in repeat["message"]

    original = client.get(f"/files/lists/{body['batch_id']}/original")
    assert original.status_code == 200 and original.data == content


def test_staff_upload_a_cp1251_csv_for_an_akimat(client, people, engine, tmp_path):
    sign_in(client, people.admin, "ru")
    russian = {"first_name": "Иван", "patronymic": "Петрович", "category": "Социально уязвимые слои населения"}
    rows = [ru_row(person(last_name="Иванов", **russian)),
            ru_row(person(last_name="Сидорова", **{**russian, "category": "2"})),
            ru_row(person(iin="", **russian))]
    content = write_csv(tmp_path / "список.csv", rows, headers=RU_HEADERS, encoding="cp1251").read_bytes()
    assert "Иванов".encode("cp1251") in content
    missing = post_file(client, content, "список.csv")
    assert missing.status_code == 400 and missing.get_json()["error"] == "Выберите акимат."
    response = post_file(client, content, "список.csv", akimat_id=people.b.id)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["file_format"], body["rows_total"], body["rows_loaded"], body["rows_invalid"]) == ("csv", 3, 2, 1)
    assert body["errors"][0]["message"] == "ИИН не заполнен"
    with Session(engine) as s:
        names = set(s.scalars(select(Recipient.full_name).where(Recipient.batch_id == body["batch_id"])))
        assert {n.split()[0] for n in names} == {"Иванов", "Сидорова"}
        assert s.get(ListBatch, body["batch_id"]).akimat_id == people.b.id


def test_multipart_upload_is_accepted_too(client, people, tmp_path):
    sign_in(client, people.akimat_b)
    content = write_xlsx(tmp_path / "m.xlsx", [kk_row(person(), 1)]).read_bytes()
    response = client.post("/files/lists/upload", data={"file": (io.BytesIO(content), "m.xlsx")},
                           content_type="multipart/form-data", headers={"Origin": ORIGIN})
    assert response.status_code == 200 and response.get_json()["rows_loaded"] == 1


def test_too_big_is_refused_with_413_and_nothing_recorded(client, people, engine, tmp_path, monkeypatch):
    monkeypatch.setenv("KTK_IMPORT_MAX_BYTES", "4096")
    sign_in(client, people.akimat_a, "ru")
    before = batch_count(engine)
    content = write_xlsx(tmp_path / "big.xlsx", [kk_row(person(), i) for i in range(1, 400)]).read_bytes()
    assert len(content) > 4096
    response = post_file(client, content, "big.xlsx")
    assert response.status_code == 413
    assert response.get_json()["error"].startswith("Файл слишком большой")
    assert response.get_json()["error_code"] == "file_too_large"
    assert batch_count(engine) == before
    # a body without a declared length is counted while it streams
    streamed = client.post("/files/lists/upload", input_stream=io.BytesIO(content),
                           content_type="application/octet-stream",
                           headers={"Origin": ORIGIN, "X-File-Name": "big.xlsx", "Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})
    assert streamed.status_code == 413 and streamed.get_json()["error"].startswith("Файл слишком большой")
    assert batch_count(engine) == before
    assert list((config.INSTANCE_DIR / "uploads").iterdir()) == []  # the partial copy is removed


def test_not_a_spreadsheet_gets_a_clear_error_and_loads_nothing(client, people, engine):
    sign_in(client, people.akimat_a, "ru")
    response = post_file(client, b"%PDF-1.7\n" + b"0" * 3000, "list.xlsx")
    assert response.status_code == 422
    body = response.get_json()
    assert body["status"] == "rejected" and body["error_code"] == "not_a_spreadsheet"
    assert body["message"] == body["error"] == ("Файл не является электронной таблицей. Отправьте список в "
                                                "формате Excel (.xlsx, .xls) или CSV.")
    assert recipients_of_batch(engine, body["batch_id"]) == 0
    sign_in(client, people.akimat_a, "kk")
    empty = post_file(client, b"", "empty.csv")
    assert empty.status_code == 400
    assert empty.get_json()["error"] == "Файл бос: онда деректер жоқ. Толтырылған тізімді жіберіңіз."


def test_anonymous_cross_site_and_wrong_akimat_are_refused(client, people, engine, tmp_path):
    content = write_xlsx(tmp_path / "x.xlsx", [kk_row(person(), 1)]).read_bytes()
    before = batch_count(engine)
    assert post_file(client, content, "x.xlsx").status_code == 401
    sign_in(client, people.akimat_a, "kk")
    other = post_file(client, content, "x.xlsx", akimat_id=people.b.id)
    assert other.status_code == 403 and other.get_json()["error"] == "Тізімді тек өз әкімдігіңіз үшін жіберуге болады."
    assert post_file(client, content, "x.xlsx", origin="http://evil.example").status_code == 403
    assert post_file(client, content, "x.xlsx", origin=None).status_code == 403
    same_site_referer = post_file(client, content, "x.xlsx", origin=None, Referer=f"{ORIGIN}/lists")
    assert same_site_referer.status_code == 200
    sign_in(client, people.reviewer, "kk")
    assert post_file(client, content, "x.xlsx", akimat_id=people.a.id).status_code == 403
    assert batch_count(engine) == before + 1


def read_report(data: bytes):
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_error_report_in_the_users_language_and_scoped(client, people, tmp_path):
    sign_in(client, people.akimat_a, "kk")
    body = post_file(client, messy_xlsx(tmp_path, good=1), "r.xlsx").get_json()
    batch_id = body["batch_id"]
    for lang, errors_header, checksum_word in (("kk", "Қателер", "бақылау"), ("ru", "Ошибки", "контрольн")):
        sign_in(client, people.akimat_a, lang)
        response = client.get(f"/files/lists/{batch_id}/errors.xlsx")
        assert response.status_code == 200
        assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert "attachment" in response.headers["Content-Disposition"]
        rows = read_report(response.data)
        header = rows[0]
        assert header[:3] == ["№", "ЖСН", "Тегі"] and header[-2] == errors_header
        data = [r for r in rows[1:] if any(v not in (None, "") for v in r)]
        assert len(data) == 3  # the bad IIN, the bad phone, the second copy of a duplicated IIN
        added = [r[-2] for r in data]
        assert any(checksum_word in text.lower() for text in added), added
        assert all(text for text in added)
    sign_in(client, people.akimat_b, "ru")
    for path in (f"/files/lists/{batch_id}/errors.xlsx", f"/files/lists/{batch_id}/original",
                 "/files/lists/999999999/errors.xlsx"):
        refused = client.get(path)
        assert refused.status_code == 404 and refused.data.decode() == "Такого пакета нет."
    sign_in(client, people.reviewer, "kk")
    assert client.get(f"/files/lists/{batch_id}/errors.xlsx").status_code == 200
