"""GET /files/reports/<run_id>: 401 for anonymous requests, 404 for another user's run, the
owner's file byte for byte with its name, scheduled runs for managers and admins, 410 once
expired, every download in the audit trail. Runs on the database of tests/test_report_runs.py."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import report_runs
from data.models import User
from data.models.audit import AuditEntry
from data.models.report_run import ReportRun
from tests.signin import session_sign_in
from tests.test_report_runs import (  # noqa: F401 - fixtures
    NOW,
    folder,
    get,
    rengine,
    reports_url,
    submit,
    user,
)


@pytest.fixture
def client(reports_url, folder, monkeypatch):
    import app as app_module

    monkeypatch.setenv("DATABASE_URL", reports_url)
    return app_module.server.test_client()


def sign_in(client, engine, username: str, lang: str = "kk") -> User:
    found = user(engine, username)
    session_sign_in(client, found, lang)
    return found


@pytest.fixture
def done_run(rengine, folder) -> int:
    run_id = submit(rengine, "reviewer01", "backlog", "xlsx", {}, now=datetime.now(timezone.utc))
    assert report_runs.run(run_id, engine=rengine, now=NOW) == "done"
    return run_id


def test_anonymous_requests_are_refused_with_401(client, done_run):
    response = client.get(f"/files/reports/{done_run}")
    assert response.status_code == 401
    assert b"PK" not in response.data


def test_the_owner_gets_the_file_with_its_name_and_the_download_is_logged(client, rengine, done_run):
    owner = sign_in(client, rengine, "reviewer01")
    row = get(rengine, done_run)
    response = client.get(f"/files/reports/{done_run}")
    assert response.status_code == 200
    assert response.data == report_runs.resolve_path(row.file_path).read_bytes()
    assert response.data[:2] == b"PK"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and row.filename in disposition
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Cache-Control"] == "no-store"
    with Session(rengine) as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "report.download")
                         .order_by(AuditEntry.id.desc()))
        assert entry.actor_id == owner.id and entry.entity_id == str(done_run)
        detail = json.loads(entry.detail)
        assert detail["rows"] == row.rows and detail["kind"] == "backlog" and detail["file"] == row.filename


@pytest.mark.parametrize("username", ["reviewer02", "manager01", "admin"])
def test_another_users_run_is_not_found(client, rengine, done_run, username):
    sign_in(client, rengine, username, lang="ru")
    response = client.get(f"/files/reports/{done_run}")
    assert response.status_code == 404
    assert response.get_data(as_text=True) == "Такого отчёта нет."


def test_a_user_without_reports_is_forbidden(client, rengine, done_run):
    sign_in(client, rengine, "akimat_astana")
    assert client.get(f"/files/reports/{done_run}").status_code == 403


def test_an_unknown_run_is_not_found(client, rengine, done_run):
    sign_in(client, rengine, "reviewer01")
    response = client.get(f"/files/reports/{done_run + 999}")
    assert response.status_code == 404
    assert response.get_data(as_text=True) == "Мұндай есеп жоқ."


def test_an_expired_run_is_gone(client, rengine, done_run):
    table = ReportRun.__table__
    with rengine.begin() as conn:
        conn.execute(table.update().where(table.c.id == done_run)
                     .values(expires_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
    sign_in(client, rengine, "reviewer01", lang="ru")
    response = client.get(f"/files/reports/{done_run}")
    assert response.status_code == 410
    assert "Срок хранения этого отчёта истёк" in response.get_data(as_text=True)


def test_a_run_without_a_file_yet_says_so(client, rengine, folder):
    run_id = submit(rengine, "reviewer01", "backlog", "xlsx", {}, now=datetime.now(timezone.utc))
    sign_in(client, rengine, "reviewer01")
    response = client.get(f"/files/reports/{run_id}")
    assert response.status_code == 409
    assert "әлі жасалуда" in response.get_data(as_text=True)


def test_scheduled_runs_are_for_managers_and_admins(client, rengine, folder):
    with Session(rengine) as s:
        run_id = report_runs.create_system_run(s, "backlog", "csv", {}).id
        s.commit()
    assert report_runs.run(run_id, engine=rengine, now=NOW) == "done"
    expected = report_runs.resolve_path(get(rengine, run_id).file_path).read_bytes()
    for username in ("manager01", "manager02", "admin"):
        sign_in(client, rengine, username)
        response = client.get(f"/files/reports/{run_id}")
        assert response.status_code == 200 and response.data == expected, username
    sign_in(client, rengine, "reviewer01")
    assert client.get(f"/files/reports/{run_id}").status_code == 404
