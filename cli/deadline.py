"""flask --app app deadline POLICY_CODE START [--variant V] [--json]"""
from __future__ import annotations

import json

import click
from flask import Flask

from cli.common import LANG_OPTION, fail, migrated_session
from data.clocks import load_context
from data.deadlines import Event, compute_due
from data.errors import DomainError
from data.explain import render
from data.i18n import t
from data.workflows import parse_datetime


@click.command("deadline", help="Due date of POLICY_CODE for an event at START (ISO date or date-time, "
               "local time). A date alone means the start of that working day.")
@click.argument("policy_code")
@click.argument("start")
@click.option("--variant", default=None, help="Policy variant, e.g. emergency for otbasy_queue_registration.")
@click.option("--due", "set_due", default=None, help="The date set by a person (applicant_revision).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@LANG_OPTION
def deadline_command(policy_code: str, start: str, variant: str | None, set_due: str | None,
                     as_json: bool, lang: str) -> None:
    try:
        at = parse_datetime(start)
    except DomainError as exc:
        fail(exc.message(lang))
    with migrated_session(lang) as session:
        ctx = load_context(session)
        policy = ctx.policies.in_force(policy_code, ctx.calendar.to_local(at).date())
        if variant and variant not in policy.variants:
            fail(t("cli.unknown_variant", lang, variant=variant, code=policy_code,
                   known=", ".join(policy.variants) or "—"))
        due_value = None
        if policy.start_rule == "set_date":
            if not set_due:
                fail(t("cli.needs_due", lang, code=policy_code))
            try:
                due_value = parse_datetime(set_due).date()
            except DomainError as exc:
                fail(exc.message(lang))
        result = compute_due(policy, [Event("start", at, due=due_value)], ctx.calendar, variant)
    explanation = render(result.steps, lang)
    if as_json:
        click.echo(json.dumps({
            "policy": policy.code,
            "policy_version": policy.version,
            "variant": variant,
            "start": at.isoformat(),
            "registered": result.registered.isoformat() if result.registered else None,
            "due": result.due.isoformat() if result.due else None,
            "explanation": explanation,
            "steps": result.steps,
        }, ensure_ascii=False, indent=2))
    else:
        click.echo(result.due.isoformat() if result.due else "")
        click.echo(explanation)


def register(server: Flask) -> None:
    server.cli.add_command(deadline_command)
