"""flask --app app db upgrade"""
from __future__ import annotations

import click
from flask import Flask

from data.db import get_engine
from data.migrate import current_revision, upgrade_database


@click.group("db", help="Database schema.")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Create or migrate the database named by DATABASE_URL to the latest schema.")
def upgrade_command() -> None:
    engine = get_engine()
    upgrade_database(engine)
    click.echo(f"{engine.url.render_as_string(hide_password=True)}: schema {current_revision(engine)}")


def register(server: Flask) -> None:
    server.cli.add_command(db_group)
