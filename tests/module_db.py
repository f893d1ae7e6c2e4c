"""A database of a test module's own: an SQLite file, or a PostgreSQL schema when DATABASE_URL
names one (dropped afterwards), migrated; and sessions on it whose changes are rolled back.

Modules that build a demo world once (overview, registry, deadlines board, calendar page, ...)
use these instead of each writing the set-up again.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from data.config import database_url
from data.db import make_engine
from data.demo import generate_demo
from data.migrate import upgrade_database


@contextmanager
def module_database(tmp_path_factory, name: str) -> Iterator[str]:
    """The URL of a migrated, empty database named after ``name``; gone after the block."""
    base = database_url() if os.environ.get("DATABASE_URL") else ""
    admin = schema = None
    if base.startswith("postgresql"):
        schema = f"ktk_{name}_{os.getpid()}_{os.environ.get('PYTEST_XDIST_WORKER', 'gw')}"
        admin = create_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in base else "?"
        url = f"{base}{sep}options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp(name) / f'{name}.sqlite3'}"
    engine = make_engine(url)
    upgrade_database(engine)
    engine.dispose()
    try:
        yield url
    finally:
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()


def load_demo(url: str, applications: int, *, seed: int, today: date, chunk_size: int = 300) -> None:
    engine = make_engine(url)
    try:
        generate_demo(engine, applications, seed=seed, today=today, chunk_size=chunk_size)
    finally:
        engine.dispose()


@contextmanager
def engine_of(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def rolled_back_session(engine: Engine) -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back at the end of the block."""
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
