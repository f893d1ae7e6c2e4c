"""Shared fixtures: a migrated test database (SQLite, or PostgreSQL when DATABASE_URL names
one) and a per-test session whose changes are rolled back.

On PostgreSQL every test run works in a schema of its own (``ktk_test_<pid>``) that is dropped
at the end, so the suite never touches the data of the database it is pointed at.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session

from data.config import LOCAL_TZ, database_url
from data.db import make_engine
from data.migrate import upgrade_database


def _test_url(tmp_path_factory) -> tuple[str, str | None]:
    url = database_url() if os.environ.get("DATABASE_URL") else ""
    if url.startswith("postgresql"):
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw")
        return url, f"ktk_test_{os.getpid()}_{worker}"
    path = tmp_path_factory.mktemp("db") / "test.sqlite3"
    return f"sqlite:///{path}", None


@pytest.fixture(scope="session")
def db_url(tmp_path_factory) -> Iterator[str]:
    url, schema = _test_url(tmp_path_factory)
    if schema is None:
        yield url
        return
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    sep = "&" if "?" in url else "?"
    yield f"{url}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def scratch_db_url(tmp_path) -> Iterator[str]:
    """An empty database of its own (SQLite file, or a fresh PostgreSQL schema), not migrated."""
    url = database_url() if os.environ.get("DATABASE_URL") else ""
    if not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    schema = f"ktk_scratch_{os.getpid()}_{abs(hash(str(tmp_path))) % 10**8}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    yield f"{url}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(autouse=True)
def _instance_dir(tmp_path_factory, monkeypatch) -> Path:
    """Runtime files (archived lists, inbox, outbox, uploads, reports) of every test go to a
    temporary folder, never to the repository's instance/: for this process (``data.config``)
    and for the subprocesses it starts (``KTK_INSTANCE_DIR``)."""
    from data import config

    path = tmp_path_factory.mktemp("runtime")  # not "instance*": the browser tests look for the live server's
    monkeypatch.setenv("KTK_INSTANCE_DIR", str(path))
    monkeypatch.setattr(config, "INSTANCE_DIR", path)
    return path


@pytest.fixture(scope="session")
def engine(db_url) -> Iterator[Engine]:
    eng = make_engine(db_url)
    upgrade_database(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    sess = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield sess
    finally:
        sess.close()
        if outer.is_active:
            outer.rollback()
        connection.close()


def local(*args: int) -> datetime:
    """A local (Asia/Almaty) aware datetime: local(2026, 3, 6, 20, 0)."""
    return datetime(*args, tzinfo=LOCAL_TZ)
