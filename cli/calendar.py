"""flask --app app calendar add-holiday | add-workday | remove | list"""
from __future__ import annotations

import click
from flask import Flask

from cli.common import LANG_OPTION, fail, migrated_session
from data.calendar_admin import list_overrides, remove_override, set_override
from data.errors import DomainError
from data.i18n import t
from data.workflows import parse_date


def _day(text: str, lang: str):
    try:
        return parse_date(text)
    except DomainError as exc:
        fail(exc.message(lang))


@click.group("calendar", help="Working-calendar overrides (they win over the national calendar).")
def calendar_group() -> None:
    pass


@calendar_group.command("add-holiday", help="Declare DATE a day off.")
@click.argument("day")
@click.option("--name", default=None, help="What the day is.")
@LANG_OPTION
def add_holiday(day: str, name: str | None, lang: str) -> None:
    with migrated_session(lang) as session:
        change = set_override(session, _day(day, lang), "holiday", name)
    click.echo(t("cli.override_saved", lang, day=change.override.day.isoformat(), kind="holiday",
                 moved=change.recomputed.moved, checked=change.recomputed.checked))


@calendar_group.command("add-workday", help="Declare DATE a working day.")
@click.argument("day")
@click.option("--name", default=None, help="Why (e.g. the decree).")
@LANG_OPTION
def add_workday(day: str, name: str | None, lang: str) -> None:
    with migrated_session(lang) as session:
        change = set_override(session, _day(day, lang), "workday", name)
    click.echo(t("cli.override_saved", lang, day=change.override.day.isoformat(), kind="workday",
                 moved=change.recomputed.moved, checked=change.recomputed.checked))


@calendar_group.command("remove", help="Remove the override of DATE (the national calendar applies again).")
@click.argument("day")
@LANG_OPTION
def remove(day: str, lang: str) -> None:
    parsed = _day(day, lang)
    with migrated_session(lang) as session:
        change = remove_override(session, parsed)
    click.echo(t("cli.override_removed", lang, day=parsed.isoformat(), moved=change.recomputed.moved,
                 checked=change.recomputed.checked))


@calendar_group.command("list", help="List the overrides.")
@click.option("--year", type=int, default=None)
@LANG_OPTION
def list_command(year: int | None, lang: str) -> None:
    with migrated_session(lang) as session:
        rows = list_overrides(session, year)
        for row in rows:
            click.echo(f"{row.day.isoformat()}\t{row.kind}\t{row.name or ''}")
    if not rows:
        click.echo(t("cli.no_overrides", lang))


def register(server: Flask) -> None:
    server.cli.add_command(calendar_group)
