"""What every command shares: the engine, the migrated-database check, error output."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from data.db import get_engine, session_scope
from data.errors import DomainError
from data.migrate import require_migrated

LANG_OPTION = click.option("--lang", type=click.Choice(["kk", "ru"]), default="kk", show_default=True,
                           help="Language of messages and explanations.")


def fail(message: str, code: int = 2) -> None:
    click.echo(message, err=True)
    sys.exit(code)


@contextmanager
def migrated_session(lang: str = "kk") -> Iterator[Session]:
    """A unit of work on the migrated database; domain errors become clear exit messages."""
    engine = get_engine()
    try:
        require_migrated(engine)
    except DomainError as exc:
        fail(exc.message(lang))
    except (OperationalError, ProgrammingError) as exc:
        fail(f"{engine.url.render_as_string(hide_password=True)}: {exc.orig}")
    try:
        with session_scope(engine) as session:
            yield session
    except DomainError as exc:
        fail(exc.message(lang))
