"""flask --app app create-user | set-password | deactivate-user"""
from __future__ import annotations

import click
from flask import Flask

from cli.common import LANG_OPTION, migrated_session
from data.auth import create_user, deactivate_user, set_password
from data.models.user import ROLES


@click.command("create-user", help="Create a staff or akimat account (password asked when not given).")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name.")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--akimat", "akimat_kato", default=None, help="KATO code (role akimat).")
@click.option("--department", default=None)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@LANG_OPTION
def create_user_command(username, full_name, role, akimat_kato, department, password, lang):
    with migrated_session(lang) as session:
        user = create_user(session, username, full_name, role, password, akimat_kato=akimat_kato,
                           department=department, lang=lang)
        click.echo(f"{user.username} ({user.role}) #{user.id}")


@click.command("set-password", help="Set a user's password and lift a lockout.")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@LANG_OPTION
def set_password_command(username, password, lang):
    with migrated_session(lang) as session:
        user = set_password(session, username, password)
        click.echo(f"{user.username}: ok")


@click.command("deactivate-user", help="Deactivate an account (it can no longer sign in).")
@click.argument("username")
@LANG_OPTION
def deactivate_user_command(username, lang):
    with migrated_session(lang) as session:
        user = deactivate_user(session, username)
        click.echo(f"{user.username}: deactivated")


def register(server: Flask) -> None:
    for command in (create_user_command, set_password_command, deactivate_user_command):
        server.cli.add_command(command)
