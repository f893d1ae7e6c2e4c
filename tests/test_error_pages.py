"""No stack trace reaches a user: an unhandled exception is logged with a short incident id and
the user sees only that id (HTML for pages, JSON for callbacks and file routes), in Kazakh or
Russian; unknown paths get a kk/ru 404; HTTP errors and the database-unavailable 503 keep their
own answers. Real requests through Flask's test client on a migrated database of this module."""
from __future__ import annotations

import json
import logging
import re
import time

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import app as app_module
import callbacks.audit as audit_callbacks
import routes.audit_export as audit_export
import routes.auth as auth_routes
from callbacks.ids import AuditPage as ids
from data import auth
from data.db import make_engine
from tests.module_db import engine_of, module_database
from tests.signin import session_sign_in as signed_in


PASSWORD = "Error-Pages-2026!"
INCIDENT = re.compile(r"[0-9a-f]{12}")


@pytest.fixture(scope="module")
def error_db(tmp_path_factory):
    with module_database(tmp_path_factory, "errors") as url, engine_of(url) as engine:
        with Session(engine) as s:
            admin = auth.create_user(s, "err.admin", "Әкімші Қате", "admin", PASSWORD)
            s.commit()
            admin_id = admin.id
        yield url, admin_id


@pytest.fixture
def client(error_db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", error_db[0])
    return app_module.server.test_client()


def grid_request() -> dict:
    """What the browser posts when the audit grid asks for its first block."""
    return {
        "output": f"..{ids.GRID}.getRowsResponse...{ids.COUNT}.children..",
        "outputs": [{"id": ids.GRID, "property": "getRowsResponse"}, {"id": ids.COUNT, "property": "children"}],
        "inputs": [{"id": ids.GRID, "property": "getRowsRequest",
                    "value": {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}}}],
        "state": [{"id": ids.FILTERS, "property": "data", "value": {}}],
        "changedPropIds": [f"{ids.GRID}.getRowsRequest"],
    }


def post_callback(client):
    return client.post("/_dash-update-component", data=json.dumps(grid_request()),
                       content_type="application/json")


def assert_no_internals(body: str) -> None:
    assert "Traceback" not in body and 'File "' not in body and ".py" not in body
    assert "/work/" not in body and "site-packages" not in body and "RuntimeError" not in body


# -- callbacks ----------------------------------------------------------------------------------------
def test_a_callback_works_and_when_it_raises_the_user_gets_only_an_incident_id(client, error_db, monkeypatch,
                                                                               caplog):
    signed_in(client, error_db[1], "ru")
    ok = post_callback(client)
    assert ok.status_code == 200 and "rowData" in ok.get_data(as_text=True)

    def broken(*_args, **_kwargs):
        raise RuntimeError("secret internals: /work/main/data/queries/audit.py line 1")

    monkeypatch.setattr(audit_callbacks, "fetch_block", broken)
    with caplog.at_level(logging.ERROR, logger="ktk.errors"):
        response = post_callback(client)
    assert response.status_code == 500 and response.is_json
    body = response.get_json()
    incident = body["incident"]
    assert INCIDENT.fullmatch(incident)
    assert body["error"] == f"Ошибка сервера. Номер инцидента: {incident}. Повторите или обратитесь к администратору."
    assert_no_internals(response.get_data(as_text=True))
    record, = [r for r in caplog.records if r.name == "ktk.errors"]
    assert incident in record.getMessage() and "/_dash-update-component" in record.getMessage()
    assert record.exc_info and record.exc_info[0] is RuntimeError
    assert "secret internals" in caplog.text and "Traceback" in caplog.text  # the log has it all

    # each failure its own id, in the user's language
    signed_in(client, error_db[1], "kk")
    with caplog.at_level(logging.ERROR, logger="ktk.errors"):
        again = post_callback(client).get_json()
    assert again["incident"] != incident and again["error"].startswith("Сервер қатесі. Оқиға нөмірі:")


def test_the_database_unavailable_handler_keeps_its_503(client, error_db, monkeypatch):
    """Flask picks the most specific handler: OperationalError is answered by routes/db_errors.py."""
    signed_in(client, error_db[1], "ru")

    def unavailable(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(audit_callbacks, "fetch_block", unavailable)
    response = post_callback(client)
    assert response.status_code == 503
    assert "incident" not in response.get_json()
    assert_no_internals(response.get_data(as_text=True))


def test_the_dash_app_runs_without_debug(monkeypatch):
    """With debug on, Dash would send tracebacks to the browser; the run entry point turns it off."""
    import data.bootstrap
    import jobs.runner

    seen = {}

    class Scheduler:
        def shutdown(self, wait=True):
            seen["shutdown"] = True

    monkeypatch.setattr(data.bootstrap, "prepare_embedded", lambda: [])
    monkeypatch.setattr(jobs.runner, "start_scheduler", lambda: Scheduler())
    monkeypatch.setattr(app_module.dash_app, "run", lambda **kwargs: seen.update(kwargs))
    app_module.main()
    assert seen["debug"] is False and seen["shutdown"] is True


# -- routes ---------------------------------------------------------------------------------------------
def test_a_file_route_that_raises_answers_json_with_the_id(client, error_db, monkeypatch, caplog):
    signed_in(client, error_db[1], "kk")

    def broken(*_args, **_kwargs):
        raise ValueError("boom in the count")

    monkeypatch.setattr(audit_export, "count", broken)
    with caplog.at_level(logging.ERROR, logger="ktk.errors"):
        response = client.get("/files/audit.csv")
    assert response.status_code == 500 and response.is_json
    incident = response.get_json()["incident"]
    assert incident in response.get_json()["error"]
    assert_no_internals(response.get_data(as_text=True))
    assert any(incident in r.getMessage() and r.exc_info for r in caplog.records)


def test_a_page_that_raises_answers_a_calm_html_page_with_the_id(client, monkeypatch, caplog):
    def broken(*_args, **_kwargs):
        raise KeyError("template state")

    monkeypatch.setattr(auth_routes, "render_template", broken)
    client.set_cookie("lang", "ru")
    with caplog.at_level(logging.ERROR, logger="ktk.errors"):
        response = client.get("/login")
    assert response.status_code == 500 and response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    incident = INCIDENT.search(body.split("incident")[-1]).group(0)
    assert "Произошла ошибка" in body and "Номер инцидента" in body and f">{incident}<" in body
    assert '<html lang="ru">' in body and 'href="/"' in body and "/assets/00_bootstrap.min.css" in body
    assert_no_internals(body)
    assert any(incident in r.getMessage() for r in caplog.records)
    client.set_cookie("lang", "kk")
    body = client.get("/login").get_data(as_text=True)
    assert "Қате орын алды" in body and "Оқиға нөмірі" in body


def test_http_errors_keep_their_own_answers(client, error_db):
    assert client.get("/files/audit.csv").status_code == 401  # not signed in: the gate's JSON
    assert client.post("/_dash-update-component", data="{}", content_type="application/json").status_code == 401
    with Session(make_engine(error_db[0])) as s:
        manager = auth.create_user(s, f"err.man{int(time.time() * 1000) % 10**8}", "Басшы", "manager", PASSWORD)
        s.commit()
        manager_id = manager.id
    signed_in(client, manager_id, "ru")
    assert client.get("/files/audit.csv").status_code == 403


# -- not found --------------------------------------------------------------------------------------------
def test_unknown_assets_get_a_kk_ru_404(client, error_db):
    """Every other path is a Dash page path (below); files under /assets/ are not."""
    signed_in(client, error_db[1], "ru")
    page = client.get("/assets/no-such-style.css", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.mimetype == "text/html"
    body = page.get_data(as_text=True)
    assert "Страница не найдена" in body and 'href="/"' in body
    client.set_cookie("lang", "kk")
    assert "Бет табылмады" in client.get("/assets/no-such-style.css", headers={"Accept": "text/html"}).get_data(
        as_text=True)
    asked_json = client.get("/assets/no-such-script.js", headers={"Accept": "application/json"})
    assert asked_json.status_code == 404 and asked_json.get_json() == {"error": "Табылмады",
                                                                      "path": "/assets/no-such-script.js"}


def test_an_unknown_dash_page_shows_the_not_found_layout(client, error_db):
    import dash

    signed_in(client, error_db[1], "ru")
    assert client.get("/no-such-page").status_code == 200  # Dash Pages answers every page path itself
    page = next(p for p in dash.page_registry.values() if p["module"].endswith("not_found_404"))
    for lang, title, home in (("kk", "Бет табылмады", "Басты бетке"), ("ru", "Страница не найдена", "На главную")):
        with app_module.server.test_request_context("/no-such-page", headers={"Cookie": f"lang={lang}"}):
            text_ = str(page["layout"]())
        assert title in text_ and home in text_ and "href='/'" in text_



