"""flask --app app seed-demo [--applications N] [--seed S] [--today YYYY-MM-DD]"""
from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import func, select

from cli.common import LANG_OPTION, fail, migrated_session
from data.demo import generate_demo
from data.errors import DomainError
from data.models import Application
from data.workflows import parse_date

ROLE_ORDER = {"admin": 0, "manager": 1, "reviewer": 2, "akimat": 3}

MESSAGES = {
    "present": {
        "kk": "Дерекқорда өтінімдер бар ({count}): демо деректер қосылмады.",
        "ru": "В базе уже есть заявки ({count}): демо-данные не добавлены.",
    },
    "done": {
        "kk": "Демо деректер жасалды: {seconds:.1f} с (seed {seed}, бүгін {today}).",
        "ru": "Демо-данные созданы за {seconds:.1f} с (seed {seed}, сегодня {today}).",
    },
    "progress": {"kk": "  … {done} / {total} өтінім", "ru": "  … {done} / {total} заявок"},
    "sign_ins": {
        "kk": "Демо кіру аттары (құпиясөздер бөлек орнатылады):",
        "ru": "Демо-учётные записи (пароли задаются отдельно):",
    },
    "no_new_users": {
        "kk": "Жаңа пайдаланушылар жасалмады (бұрыннан бар).",
        "ru": "Новые пользователи не созданы (уже есть).",
    },
}


def _msg(key: str, lang: str, **params) -> str:
    return MESSAGES[key][lang].format(**params)


@click.command("seed-demo", help="Fill an empty database with deterministic demo data (akimats, staff, "
               "applications with histories and deadlines, complaints, akimat lists).")
@click.option("--applications", "count", type=click.IntRange(0, 5_000_000), default=2000, show_default=True,
              help="How many applications to generate.")
@click.option("--seed", type=int, default=42, show_default=True, help="Random seed: same seed, same data.")
@click.option("--today", default=None, help="Pretend today is this date (YYYY-MM-DD); default: today in Almaty.")
@LANG_OPTION
def seed_demo(count: int, seed: int, today: str | None, lang: str) -> None:
    day = None
    if today:
        try:
            day = parse_date(today)
        except DomainError as exc:
            fail(exc.message(lang))
    with migrated_session(lang) as session:
        engine = session.get_bind()
        present = session.scalar(select(func.count()).select_from(Application)) or 0
    if present:
        click.echo(_msg("present", lang, count=present))
        return

    step = max(1, count // 10)

    def progress(done: int, total: int) -> None:
        if total >= 20_000 and (done % step < 5000 or done == total):
            click.echo(_msg("progress", lang, done=done, total=total), err=True)

    summary = generate_demo(engine, count, seed=seed, today=day, progress=progress)
    if summary.skipped:  # someone filled it in the meantime
        click.echo(_msg("present", lang, count="…"))
        return
    click.echo(_msg("done", lang, seconds=summary.seconds, seed=seed, today=summary.today.isoformat()))
    width = max(len(name) for name in summary.counts)
    for name, value in summary.counts.items():
        click.echo(f"  {name:<{width}}  {value:>10,}".replace(",", " "))
    if summary.users:
        click.echo(_msg("sign_ins", lang))
        for username, role, full_name in sorted(summary.users, key=lambda u: (ROLE_ORDER.get(u[1], 9), u[0])):
            click.echo(f"  {username:<24} {role:<9} {full_name}")
    else:
        click.echo(_msg("no_new_users", lang))


def register(server: Flask) -> None:
    server.cli.add_command(seed_demo)
