"""GET /files/registry.csv: the rows of the current filter, BOM, the separator option, formula
cells neutralized, masking, refused for anonymous and akimat users, every export audited.

Runs on the registry tests' database (tests/test_registry.py builds it: demo data for a fixed
day plus rows whose text a spreadsheet would run as a formula)."""
from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.access import PERMISSIONS
from data.models import User
from data.models.audit import AuditEntry
from tests.signin import session_sign_in
from tests.test_registry import (  # noqa: F401 - fixtures
    AWKWARD,
    TODAY,
    python_order,
    registry_engine,
    registry_url,
    world,
)


@pytest.fixture
def client(registry_url, monkeypatch):
    import app as app_module
    import routes.registry_export as export

    monkeypatch.setenv("DATABASE_URL", registry_url)
    monkeypatch.setattr(export, "today_local", lambda: TODAY)
    return app_module.server.test_client()


def sign_in(client, world, username: str, lang: str = "kk") -> User:
    user = world.user(username)
    session_sign_in(client, user, lang)
    return user


def audit_count(engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "export"))


def last_audit(engine) -> AuditEntry:
    with Session(engine) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "export")
                          .order_by(AuditEntry.id.desc())).first()
        s.expunge(entry)
        return entry


def read_csv(body: bytes, delimiter: str = ",") -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8")[1:]
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def test_the_export_is_the_filtered_sorted_registry(client, world, registry_engine):
    user = sign_in(client, world, "manager01", "kk")
    before = audit_count(registry_engine)
    response = client.get("/files/registry.csv?state=open&akimat=710000000&sort=due_date")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="registry-20260319.csv"'
    rows = read_csv(response.data)
    assert rows[0][:3] == ["ID", "Тіркеу нөмірі", "Тіркеу күні"]
    params = {"state": "open", "akimat": "710000000"}
    expected = python_order(world.expected(params, user), "current_due_date", "asc")
    assert [int(row[0]) for row in rows[1:]] == expected and len(expected) > 10
    by_id = {a.id: a for a in world.apps}
    for row in rows[1:]:
        app = by_id[int(row[0])]
        assert row[2] == (app.registration_date.strftime("%d.%m.%Y") if app.registration_date else "")
        assert row[9] == (app.current_due_date.strftime("%d.%m.%Y") if app.current_due_date else "")
        assert row[10] in ("Мерзімі өткен", "Мерзімі жақын", "Мерзімінде", "ашық")
    assert audit_count(registry_engine) == before + 1
    entry = last_audit(registry_engine)
    assert (entry.actor_id, entry.entity) == (user.id, "registry")
    assert json.loads(entry.detail) == {"filter": {"state": "open", "akimat": "710000000", "sort": "due_date"},
                                        "rows": len(expected)}


def test_semicolons_russian_headers_and_column_filters(client, world, registry_engine):
    user = sign_in(client, world, "manager01", "ru")
    grid = json.dumps({"applicant_name": {"filterType": "text", "type": "startsWith", "filter": "ахмет"}})
    response = client.get("/files/registry.csv", query_string={"sep": "semicolon", "kind": "rent_to_own",
                                                                "grid": grid})
    assert response.status_code == 200
    rows = read_csv(response.data, ";")
    assert rows[0][1:3] == ["Рег. номер", "Дата рег."] and len(rows[0]) == 14
    expected = [a for a in world.expected({"kind": "rent_to_own"}, user)
                if any(a.applicant_name.startswith(v) for v in ("ахмет", "Ахмет", "АХМЕТ"))]
    assert sorted(int(r[0]) for r in rows[1:]) == sorted(a.id for a in expected) and expected
    assert all(r[3] == "Аренда с выкупом" for r in rows[1:])
    assert json.loads(last_audit(registry_engine).detail)["filter"]["grid"] == grid


def test_formula_cells_are_neutralized(client, world):
    sign_in(client, world, "manager01")
    rows = read_csv(client.get("/files/registry.csv?sort=contract_number").data)
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    contracts = {row[1]: row[13] for row in rows[1:]}
    assert contracts["%-2026-1"] == "'=HYPERLINK(\"http://x\")"
    assert contracts["_-2026-2"] == "'+77011234567"
    assert contracts["КР-2026-X'1"] == "'-5"
    assert contracts["кр-2026-lower"] == "'@SUM(A1)"
    assert contracts["ЖА-2026-ӘӘӘ"] == "'\tTAB"
    assert contracts["BS\\2026"] == "'\rCR"
    assert contracts["' OR 1=1 --"] == "Ш-1; DROP TABLE applications; --"
    assert contracts["EMO-😀"] == "ҮҚШ-😀/1"
    days = [row[11] for row in rows[1:] if row[11]]
    assert days and all(d.isdigit() for d in days)  # plain counts; the state column says left or overdue


def test_iins_are_masked_for_roles_that_may_not_read_them(client, world, monkeypatch):
    user = sign_in(client, world, "reviewer01")
    rows = read_csv(client.get("/files/registry.csv?q=800101300").data)
    assert {r[5] for r in rows[1:]} == {iin for _n, _num, _c, iin, _b in AWKWARD if iin}
    monkeypatch.setitem(PERMISSIONS, "reviewer", PERMISSIONS["reviewer"] - {"iin.read"})
    rows = read_csv(client.get("/files/registry.csv?akimat=710000000").data)
    visible = {a.id: a for a in world.apps if world.visible(a, user)}
    assert {int(r[0]) for r in rows[1:]} == {a.id for a in world.expected({"akimat": "710000000"}, user)}
    for row in rows[1:]:
        app = visible[int(row[0])]
        if app.applicant_iin:
            assert row[5] == app.applicant_iin[:2] + "********" + app.applicant_iin[-2:]


def test_anonymous_and_akimat_users_are_refused_and_nothing_is_logged(client, world, registry_engine):
    before = audit_count(registry_engine)
    assert client.get("/files/registry.csv").status_code == 401
    sign_in(client, world, "akimat_astana")
    assert client.get("/files/registry.csv").status_code == 403
    assert audit_count(registry_engine) == before


def test_a_bad_column_filter_is_refused_with_a_message(client, world, registry_engine):
    sign_in(client, world, "manager01", "kk")
    before = audit_count(registry_engine)
    for grid in ("{not json", json.dumps({"status": {"filterType": "text", "type": "equals", "filter": "x"}})):
        response = client.get("/files/registry.csv", query_string={"grid": grid})
        assert response.status_code == 400
        assert response.get_data(as_text=True) == "Экспорт мүмкін емес: сүзгі дұрыс емес."
    assert audit_count(registry_engine) == before
    # bad URL values are left out, as on the page
    response = client.get("/files/registry.csv?state=late&q=O%27Brien")
    rows = read_csv(response.data)
    assert [r[4] for r in rows[1:]] == ["O'Brien Patrick"]
