"""Faults: the database goes away in the middle of a session and comes back.

Two ways of losing it, through the real app (Flask test client, signed in through /login):

- the app is pointed at a port where nothing listens (on SQLite and PostgreSQL runs alike);
- PostgreSQL is reached through a TCP relay in this test that is cut off — open pooled
  connections die mid-session — and started again on the same port: the same engine recovers.

Every page, callback and /healthz answers 503 with a clear message in the user's language (no
stack trace), and the same signed-in client is served normally once the database is back. A job
that fails is recorded and the scheduler goes on: tests/test_jobs_runner.py
(test_a_failing_job_is_recorded_and_the_others_go_on) covers that part.
"""
from __future__ import annotations

import json
import os
import secrets
import socket
import threading
import time

import pytest
from sqlalchemy import create_engine, make_url, text

import app as ktk
from data.auth import create_user
from data.config import database_url
from data.db import get_engine, make_engine, session_scope
from data.i18n import t
from data.migrate import upgrade_database
from tests.test_access_matrix import APP_CALLBACKS, payload, post, sign_in

PASSWORD = "Fault-Pass1!"
USERNAME = "fault.manager"


def _dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/ktk?connect_timeout=2"


def _prepare(url: str) -> None:
    engine = make_engine(url)
    upgrade_database(engine)
    with session_scope(engine) as s:
        create_user(s, USERNAME, "Ақаулық Тексеруші", "manager", PASSWORD, department="ops")
    engine.dispose()


def _registry_rows():
    cb = next(cb for cb in APP_CALLBACKS if cb.label == "callbacks.registry.load_rows")
    return payload(cb, True)


def _assert_unavailable_page(response, lang: str) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert t("hardening.db_down.title", lang) in page and t("hardening.db_down.text", lang) in page
    assert f'lang="{lang}"' in page
    for leak in ("Traceback", "OperationalError", "psycopg", "sqlite3", "127.0.0.1"):
        assert leak not in page
    assert response.headers["X-Request-Id"] in page  # what the user can quote to IT


def _assert_unavailable_json(response, lang: str) -> None:
    assert response.status_code == 503
    body = response.get_json()
    assert body["error"] == "database_unavailable"
    assert body["message"] == t("hardening.db_down.text", lang)
    assert "Traceback" not in json.dumps(body) and "OperationalError" not in json.dumps(body)


def _assert_served(client) -> None:
    assert client.get("/registry", headers={"Accept": "text/html"}).status_code == 200
    response = post(client, _registry_rows())
    assert response.status_code == 200
    assert response.get_json()["response"]["registry-grid"]["getRowsResponse"]["rowCount"] == 0
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_the_database_on_a_dead_port_gives_clear_503s_and_the_app_recovers(scratch_db_url, monkeypatch):
    _prepare(scratch_db_url)
    monkeypatch.setenv("DATABASE_URL", scratch_db_url)
    client = ktk.server.test_client()
    assert sign_in(client, USERNAME, PASSWORD, lang="kk").status_code == 302
    _assert_served(client)
    try:
        monkeypatch.setenv("DATABASE_URL", _dead_url())  # the database is gone
        started = time.monotonic()
        _assert_unavailable_page(client.get("/registry", headers={"Accept": "text/html"}), "kk")
        _assert_unavailable_json(post(client, _registry_rows()), "kk")
        client.set_cookie("lang", "ru")
        _assert_unavailable_page(client.get("/complaints?state=open", headers={"Accept": "text/html"}), "ru")
        _assert_unavailable_json(post(client, _registry_rows()), "ru")
        health = client.get("/healthz")
        assert health.status_code == 503 and health.get_json()["database"] == "unreachable"
        # Signing in needs the database too: a clear answer, not a crash.
        other = ktk.server.test_client()
        other.set_cookie("lang", "ru")
        from tests.test_access_matrix import csrf_of

        token = csrf_of(other.get("/login").get_data(as_text=True))  # the form itself needs no database
        response = other.post("/login", data={"csrf": token, "username": USERNAME, "password": PASSWORD},
                              headers={"Accept": "text/html"})
        _assert_unavailable_page(response, "ru")
        assert time.monotonic() - started < 30  # refused connections fail fast
    finally:
        monkeypatch.setenv("DATABASE_URL", scratch_db_url)  # ...and back
    client.set_cookie("lang", "kk")
    _assert_served(client)  # the same session goes on


# -- a relay that can be cut --------------------------------------------------------------------
class Relay:
    """127.0.0.1:<port> → the PostgreSQL server, byte for byte; ``cut()`` drops every open
    connection and stops listening, ``Relay(target, port)`` listens again on the same port."""

    def __init__(self, target: tuple[str, int], port: int = 0) -> None:
        self.target = target
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(32)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.running = True
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.running:
            try:
                client, _ = self.listener.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            with self.lock:
                self.sockets += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        self.running = False
        self.listener.close()
        with self.lock:
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self.sockets.clear()
        time.sleep(0.3)


def _pg_base() -> str | None:
    url = database_url() if os.environ.get("DATABASE_URL") else ""
    if url.startswith("postgresql"):
        return url
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    except OSError:
        return None


def test_postgresql_cut_off_mid_session_gives_503_and_the_same_engine_recovers(monkeypatch):
    base = _pg_base()
    if base is None:
        pytest.skip("no PostgreSQL server reachable")
    parsed = make_url(base)
    schema = f"ktk_fault_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    relay = Relay((parsed.host or "127.0.0.1", parsed.port or 5432))
    try:
        through = parsed.set(host="127.0.0.1", port=relay.port, query={**parsed.query, "connect_timeout": "3",
                                                                       "options": f"-csearch_path={schema}"})
        url = through.render_as_string(hide_password=False)
        _prepare(url)
        monkeypatch.setenv("DATABASE_URL", url)
        client = ktk.server.test_client()
        assert sign_in(client, USERNAME, PASSWORD, lang="ru").status_code == 302
        _assert_served(client)
        engine = get_engine()
        assert engine.pool.checkedin() >= 1  # pooled connections through the relay

        relay.cut()  # the database goes away: open connections die, new ones are refused
        _assert_unavailable_page(client.get("/registry", headers={"Accept": "text/html"}), "ru")
        _assert_unavailable_json(post(client, _registry_rows()), "ru")
        assert client.get("/healthz").status_code == 503

        relay = Relay(relay.target, relay.port)  # ...and comes back on the same address
        _assert_served(client)
        assert get_engine() is engine  # recovered by the pool's pre-ping, no restart
    finally:
        relay.cut()
        try:
            get_engine().dispose()
        except Exception:  # noqa: BLE001 - only cleaning up
            pass
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
