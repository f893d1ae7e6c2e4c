"""Registry blocks and the deadlines board on the shared 1,000,000-application demo database.

Times the data-layer functions the callbacks call, as the callbacks call them:
``data.queries.registry.fetch_block`` for the grid's first block of 100 rows (rows + the exact
count, which the first block carries) and a later block (rows only), with realistic filters;
``data.queries.deadlines.deadline_board`` for a manager and a reviewer. Target: median under
150 ms per call. ``KTK_BENCH_EXPLAIN=1`` prints the query plans of the registry cases.
"""
from __future__ import annotations

import os
import sys
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bench import Result
from bench.common import demo_engine, median_ms
from data.config import LOCAL_TZ
from data.models import Application, User

TARGET_MS = 150.0
FULL = 1_000_000


def _cases(manager: User, reviewer: User, name_prefix: str):
    from data.queries.registry import parse_filters

    def f(**params):
        return parse_filters(params)[0]

    due_asc = [{"colId": "due_date", "sort": "asc"}]
    reg_desc = [{"colId": "registration_date", "sort": "desc"}]
    return [
        ("status + sort by due date", manager, f(status="under_review,needs_revision"), due_asc, 0),
        ("akimat (region) + sort by reg. date desc", manager, f(akimat="710000000"), reg_desc, 0),
        ("search: name prefix", manager, f(q=name_prefix), reg_desc, 0),
        ("my queue (reviewer, open)", reviewer, f(reviewer="me", state="open"), due_asc, 0),
        ("overdue + sort by due date", manager, f(state="overdue"), due_asc, 0),
        ("status + overdue + akimat", manager, f(status="under_review", state="overdue", akimat="750000000"),
         due_asc, 0),
        ("no filter, default sort", manager, f(), reg_desc, 0),
        ("reviewer scope, no filter", reviewer, f(), reg_desc, 0),
        ("status + sort by due, block 50", manager, f(status="under_review,needs_revision"), due_asc, 5000),
        ("search: registration number", manager, f(q="КР-2026-00012"), reg_desc, 0),
        ("search: IIN prefix", manager, f(q="9001"), reg_desc, 0),
    ]


def _explain(session: Session, ctx, filters, sort_model, start: int) -> None:
    from data.queries import registry as r

    sort = r.sort_from_model(sort_model, None)
    column, nullable = r.SORT_COLUMN[sort[0]]
    where = r.conditions(session, ctx, filters)
    if nullable:
        where = where + [column.is_not(None)]
    stmt = r._ordered(r._base(ctx, [Application.id], where), column, sort[1]).offset(start).limit(100)
    dialect = session.get_bind().dialect
    sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN QUERY PLAN " if dialect.name == "sqlite" else "EXPLAIN "
    plan = session.execute(text(prefix + sql)).all()
    print("   ", sql.replace("\n", " ")[:400], file=sys.stderr)
    for row in plan:
        print("      ", row[-1], file=sys.stderr)


def run(backends, scale: float) -> list[Result]:
    from data.queries import registry as r
    from data.queries.deadlines import deadline_board

    size = max(1000, int(FULL * scale))
    explain = os.environ.get("KTK_BENCH_EXPLAIN") == "1"
    results: list[Result] = []
    for backend in backends:
        with demo_engine(backend, size) as engine:
            with Session(engine) as session:
                manager = session.scalar(select(User).where(User.username == "manager01"))
                reviewer = session.scalar(select(User).where(User.username == "reviewer01"))
                session.expunge_all()
            today = datetime.now(LOCAL_TZ).date()
            for label, user, filters, sort_model, start in _cases(manager, reviewer, "Ахмет"):
                with Session(engine) as session:
                    ctx = r.query_context(session, user, today)

                    def block(ctx=ctx, filters=filters, sort_model=sort_model, start=start):
                        return r.fetch_block(session, ctx, filters, start, start + 100, sort_model)

                    first = block()
                    ms = median_ms(block, repeat=11)
                    count_ms = median_ms(lambda: r.count_rows(session, ctx, filters), repeat=5)
                    if explain:
                        print(f"[{backend}] {label}", file=sys.stderr)
                        _explain(session, ctx, filters, sort_model, start)
                    total = first.count if first.count is not None else "-"
                    results.append(Result(f"registry: {label}", backend, ms, "ms", TARGET_MS,
                                          f"{len(first.rows)} rows of {total}; count alone {count_ms:.0f} ms"))
            board_cases: list[tuple[str, User, str]] = [("manager, all", manager, "all"),
                                                        ("reviewer, me", reviewer, "me"),
                                                        ("reviewer, team", reviewer, "team"),
                                                        ("reviewer, all", reviewer, "all")]
            for label, user, scope in board_cases:
                with Session(engine) as session:
                    cal = r.calendar(session)

                    def board(user=user, scope=scope, cal=cal) -> object:
                        return deadline_board(session, user, scope, today, cal)

                    got = board()
                    ms = median_ms(board, repeat=11)
                    shown = sum(got.group_total(g) for g in got.groups())
                    results.append(Result(f"deadlines board: {label}", backend, ms, "ms", TARGET_MS,
                                          f"{shown} deadlines in the window"))
    return results
