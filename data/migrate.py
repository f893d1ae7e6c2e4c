"""Schema migrations (Alembic) run from code: upgrade, and the "is it migrated?" check."""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from data.config import PROJECT_ROOT
from data.errors import DomainError


def alembic_config(url: str | None = None) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if url:
        cfg.attributes["url"] = url
    return cfg


def upgrade(engine: Engine) -> None:
    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def current_revision(engine: Engine) -> str:
    return ",".join(sorted(current_revisions(engine))) or "∅"


def require_migrated(engine: Engine) -> None:
    """Raise a clear error when the database is not at the latest schema."""
    current = current_revisions(engine)
    heads = head_revisions()
    if current != heads:
        raise DomainError("database_not_migrated", current=",".join(sorted(current)) or "∅",
                          head=",".join(sorted(heads)))


def upgrade_database(engine: Engine) -> None:
    """Migrate to the latest schema and make sure the reference data is there."""
    from data.db import session_scope
    from data.reference_data import ensure_reference_data

    upgrade(engine)
    with session_scope(engine) as session:
        ensure_reference_data(session)
