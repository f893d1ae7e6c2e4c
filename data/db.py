"""Engine and session handling for SQLite (embedded default) and PostgreSQL."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from data.config import INSTANCE_DIR, database_url


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and ":memory:" not in url:
            INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(_without_jit(url), pool_pre_ping=True, pool_size=10, max_overflow=10)


def _without_jit(url: str):
    """The PostgreSQL URL with ``-c jit=off`` added to the connection's ``options`` (kept with any
    options the URL already has, e.g. a search_path). The app's queries are index reads and
    grouped counts of well under a second; PostgreSQL's JIT judges them by their row estimates
    and spent 100+ ms compiling each of the overview's bigger ones, several times what it saved."""
    parsed = make_url(url)
    options = parsed.query.get("options", "")
    if isinstance(options, tuple):
        options = " ".join(options)
    if "jit=" in options.replace(" ", ""):
        return parsed  # set explicitly: respected
    return parsed.update_query_dict({"options": f"{options} -c jit=off".strip()})


def get_engine(url: str | None = None) -> Engine:
    """The shared engine of ``url`` (default: DATABASE_URL, read now, not at import)."""
    return _shared_engine(url or database_url())


@lru_cache(maxsize=8)
def _shared_engine(url: str) -> Engine:
    return make_engine(url)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
