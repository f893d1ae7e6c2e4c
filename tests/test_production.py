"""The production profile: settings refused at start, JSON-lines logs, gunicorn with several
workers serving the app with no scheduler in it, secure cookies and the proxy's headers.

The app is started for real (``python -c "import app"``, ``gunicorn -c gunicorn.conf.py
wsgi:app``) in subprocesses with the environment a production host would give it. Production
means PostgreSQL: those checks use DATABASE_URL when it names PostgreSQL, else the local
cluster the test run uses (``postgresql://postgres@127.0.0.1:5432/test``).
"""
from __future__ import annotations

import io
import json
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect as sa_inspect, text

from data import config
from data.config import ConfigError, database_url
from data.logging_setup import JsonFormatter, configure_logging, new_request_id

ROOT = Path(__file__).resolve().parents[1]
LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/test"
GOOD_SECRET = secrets.token_hex(32)


def _pg_base() -> str | None:
    url = database_url() if os.environ.get("DATABASE_URL") else ""
    if url.startswith("postgresql"):
        return url
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return "postgresql+psycopg://" + LOCAL_PG[len("postgresql://"):]
    except OSError:
        return None


@pytest.fixture
def pg_url():
    """A migrated PostgreSQL schema of its own (dropped afterwards)."""
    from data.db import make_engine
    from data.migrate import upgrade_database

    base = _pg_base()
    if base is None:
        pytest.skip("no PostgreSQL reachable for the production profile")
    schema = f"ktk_prod_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade_database(engine)
    engine.dispose()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def _env(**changes: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KTK_") and k != "DATABASE_URL"}
    env["PYTHONPATH"] = str(ROOT)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _run_python(code: str, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


# -- settings --------------------------------------------------------------------------------
@pytest.mark.parametrize("value,problem", [
    (None, "not set"),
    ("", "not set"),
    ("changeme", "well-known"),
    ("secret", "well-known"),
    ("a" * 64, "well-known"),          # trivial: one character repeated
    ("0123456789abcdef", "shorter than 32"),
    (GOOD_SECRET, None),
])
def test_the_secret_key_rule(value, problem, monkeypatch):
    monkeypatch.setenv("KTK_ENV", "production")
    if value is None:
        monkeypatch.delenv("KTK_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("KTK_SECRET_KEY", value)
    found = config.secret_key_problem(value)
    if problem is None:
        assert found is None and config.secret_key() == value
    else:
        assert problem in found
        with pytest.raises(ConfigError) as excinfo:
            config.secret_key()
        assert problem in str(excinfo.value) and "KTK_ENV=production" in str(excinfo.value)


def test_outside_production_a_missing_key_is_a_random_one(monkeypatch):
    monkeypatch.delenv("KTK_ENV", raising=False)
    monkeypatch.delenv("KTK_SECRET_KEY", raising=False)
    first, second = config.secret_key(), config.secret_key()
    assert len(first) == 64 and first != second
    monkeypatch.setenv("KTK_SECRET_KEY", "short-dev-key")
    assert config.secret_key() == "short-dev-key"  # a developer's own key is their business


def test_production_needs_postgresql_and_a_sane_proxy_setting(monkeypatch):
    monkeypatch.setenv("KTK_ENV", "production")
    monkeypatch.setenv("KTK_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///somewhere.sqlite3")
    with pytest.raises(ConfigError, match="PostgreSQL"):
        config.check_production_settings()
    monkeypatch.setenv("DATABASE_URL", "postgres://ktk:pw@db.internal:5432/ktk")
    config.check_production_settings()
    assert config.proxy_hops() == 1 and config.json_logging()
    monkeypatch.setenv("KTK_PROXY_HOPS", "two")
    with pytest.raises(ConfigError, match="KTK_PROXY_HOPS"):
        config.proxy_hops()
    monkeypatch.setenv("KTK_PROXY_HOPS", "0")
    assert config.proxy_hops() == 0
    monkeypatch.setenv("KTK_LOG_JSON", "0")
    assert not config.json_logging()


@pytest.mark.parametrize("secret,url,expected", [
    (None, "postgresql://ktk@db.internal/ktk", "KTK_SECRET_KEY is not set"),
    ("changeme", "postgresql://ktk@db.internal/ktk", "well-known"),
    ("x1y2z3w4" * 2, "postgresql://ktk@db.internal/ktk", "shorter than 32"),
    (GOOD_SECRET, "sqlite:///instance/ktk.sqlite3", "must name PostgreSQL"),
])
def test_the_app_refuses_to_start_in_production_with_bad_settings(secret, url, expected):
    env = _env(KTK_ENV="production", KTK_SECRET_KEY=secret, DATABASE_URL=url)
    done = _run_python("import app", env)
    assert done.returncode != 0
    assert "ConfigError" in done.stderr and expected in done.stderr
    if secret:
        assert secret not in done.stderr  # the refusal does not print the key


def test_the_app_starts_in_production_with_secure_cookies_and_the_proxy_fix():
    env = _env(KTK_ENV="production", KTK_SECRET_KEY=GOOD_SECRET, DATABASE_URL="postgresql://ktk@db.internal/ktk")
    code = ("import json, app\n"
            "c = app.server.config\n"
            "from werkzeug.middleware.proxy_fix import ProxyFix\n"
            "print(json.dumps({'secure': c['SESSION_COOKIE_SECURE'], 'remember': c['REMEMBER_COOKIE_SECURE'],"
            " 'httponly': c['SESSION_COOKIE_HTTPONLY'], 'samesite': c['SESSION_COOKIE_SAMESITE'],"
            " 'key': c['SECRET_KEY'] == %r, 'proxy': isinstance(app.server.wsgi_app, ProxyFix)}))\n" % GOOD_SECRET)
    done = _run_python(code, env)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out == {"secure": True, "remember": True, "httponly": True, "samesite": "Lax", "key": True,
                   "proxy": True}


# -- JSON lines ------------------------------------------------------------------------------
def test_log_lines_are_json_with_the_request_and_incident_ids(monkeypatch):
    import flask

    monkeypatch.setenv("KTK_LOG_JSON", "1")
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    try:
        assert configure_logging(stream=stream) is True
        log = logging.getLogger("ktk.test")
        log.info("plain message with %s", "арг", extra={"job": "overdue"})
        try:
            raise ValueError("boom ә")
        except ValueError:
            log.exception("it failed")
        web = flask.Flask("probe")
        with web.test_request_context("/x"):
            flask.g.request_id = "req-123"
            flask.g.incident_id = "inc-9"
            log.warning("inside a request")
    finally:
        configure_logging()  # takes our handler away again (KTK_LOG_JSON still 1: a new one)
        for handler in list(root.handlers):
            if getattr(handler, "_ktk_handler", False):
                root.removeHandler(handler)
        root.setLevel(level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 3
    first, failed, in_request = lines
    bad = json.loads(JsonFormatter().format(logging.LogRecord("x", logging.INFO, __file__, 1, "bad format %d",
                                                              ("not a number",), None)))
    assert first["message"] == "plain message with арг" and first["level"] == "INFO"
    assert first["logger"] == "ktk.test" and first["job"] == "overdue"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["time"])
    assert "request_id" not in first
    assert failed["level"] == "ERROR" and "ValueError: boom ә" in failed["exc"]
    assert in_request["request_id"] == "req-123" and in_request["incident_id"] == "inc-9"
    assert "not a number" in bad["message"]


def test_request_ids_are_taken_from_the_load_balancer_or_made(monkeypatch):
    assert new_request_id("abc-123_x.y:z") == "abc-123_x.y:z"
    made = new_request_id("evil\nheader injection")
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert re.fullmatch(r"[0-9a-f]{32}", new_request_id(None))
    assert re.fullmatch(r"[0-9a-f]{32}", new_request_id("x" * 65))


def test_gunicorn_access_records_become_structured_lines():
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(h)s", None, None)
    record.args = {"h": "10.0.0.7", "m": "POST", "U": "/_dash-update-component", "q": "", "s": "503",
                   "B": "312", "D": "15320", "a": "Mozilla/5.0", "f": "-", "{x-request-id}o": "rid-1"}
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "POST /_dash-update-component 503"
    assert line["status"] == 503 and line["bytes"] == 312 and line["duration_ms"] == 15.3
    assert line["remote_addr"] == "10.0.0.7" and line["request_id"] == "rid-1" and "referer" not in line


# -- gunicorn --------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def test_gunicorn_serves_the_app_with_two_workers_and_no_scheduler(pg_url, tmp_path):
    port = _free_port()
    env = _env(KTK_ENV="production", KTK_SECRET_KEY=GOOD_SECRET, DATABASE_URL=pg_url,
               KTK_BIND=f"127.0.0.1:{port}", KTK_WEB_WORKERS="2", KTK_INSTANCE_DIR=str(tmp_path),
               KTK_JOBSTORE_TABLE="aps_gunicorn_probe")
    out, err = open(tmp_path / "out.log", "w"), open(tmp_path / "err.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                            env=env, stdout=out, stderr=err, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        status = None
        while time.time() < deadline:
            assert proc.poll() is None, (tmp_path / "err.log").read_text()
            try:
                status, _headers, body = _get(base + "/healthz", {"X-Request-Id": "probe-1"})
                if status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        assert status == 200 and json.loads(body) == {"status": "ok"}
        workers = _children(proc.pid)
        assert len(workers) == 2
        # Several requests, spread over the workers: pages need a sign-in, the sign-in form's
        # cookie is Secure (HTTPS ends at the load balancer) and HttpOnly.
        for _ in range(6):
            assert _get(base + "/healthz")[0] == 200
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            opener.open(base + "/registry", timeout=10)
            raise AssertionError("an anonymous page request was served")
        except urllib.error.HTTPError as error:
            assert error.code == 302 and error.headers["Location"].startswith("/login")
        status, headers, body = _get(base + "/login", {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
        assert status == 200
        cookie = headers.get("Set-Cookie", "")
        assert "session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
        time.sleep(2)  # a scheduler, if one had started, would have created its job store by now
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        out.close()
        err.close()
    engine = create_engine(pg_url)
    try:
        tables = set(sa_inspect(engine).get_table_names())
        assert "aps_gunicorn_probe" not in tables and "apscheduler_jobs" not in tables
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM job_runs")).scalar_one() == 0
    finally:
        engine.dispose()
    error_lines = [json.loads(line) for line in (tmp_path / "err.log").read_text().splitlines() if line.strip()]
    access_lines = [json.loads(line) for line in (tmp_path / "out.log").read_text().splitlines() if line.strip()]
    assert any(line["message"].startswith("Booting worker") for line in error_lines)
    assert not any("scheduler started" in line["message"] for line in error_lines)
    assert not [line for line in error_lines if line["level"] in ("ERROR", "CRITICAL")]
    probe = next(line for line in access_lines if line.get("request_id") == "probe-1")
    assert probe["path"] == "/healthz" and probe["status"] == 200 and probe["method"] == "GET"
    login = next(line for line in access_lines if line.get("path") == "/login")
    assert login["remote_addr"] in ("127.0.0.1", "203.0.113.9")
    assert {line["pid"] for line in access_lines} <= set(workers)


def test_the_wsgi_module_starts_no_scheduler():
    import wsgi

    assert wsgi.app is wsgi.application
    import threading

    assert not [t for t in threading.enumerate() if "APScheduler" in t.name]
