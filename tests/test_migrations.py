"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from data.db import make_engine
from data.migrate import current_revisions, head_revisions, require_migrated, upgrade_database
from data.models import Base


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent_and_reaches_every_head(scratch_db_url):
    engine = make_engine(scratch_db_url)
    try:
        upgrade_database(engine)
        upgrade_database(engine)
        assert current_revisions(engine) == head_revisions()
        require_migrated(engine)
    finally:
        engine.dispose()


def test_postgresql_sessions_run_without_jit_and_keep_the_url_options(engine):
    """make_engine adds ``-c jit=off`` to a PostgreSQL URL's options, next to what the URL has
    (here the test schema's search_path); SQLite has no such setting."""
    from sqlalchemy import text

    with engine.connect() as conn:
        if engine.dialect.name != "postgresql":
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            return
        assert conn.execute(text("SHOW jit")).scalar() == "off"
        schema = engine.url.query["options"].split("search_path=")[1].split()[0]
        assert conn.execute(text("SELECT current_schema()")).scalar() == schema


def test_clocks_leave_room_on_each_page_for_heap_only_updates(engine):
    """PostgreSQL: fillfactor 70 on clocks (migration 0009), so the overdue job's updates of
    unindexed columns stay on their page."""
    from sqlalchemy import text

    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        options = conn.execute(text("SELECT reloptions FROM pg_class WHERE oid = 'clocks'::regclass")).scalar()
    assert options == ["fillfactor=70"]
