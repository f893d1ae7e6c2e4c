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
