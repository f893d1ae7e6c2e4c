"""Overview page data at 1,000,000 applications (target: every KPI and chart < 500 ms in total).

Times the data functions the overview callback calls (``data.queries.overview``) over the shared
demo database (``bench.common.demo_engine``), on SQLite and PostgreSQL, as a manager (everything),
with a kind + region filter, and as a reviewer (scoped). "all" is ``overview()``: what one page
load costs on the server; the parts are timed alone for the notes.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bench import Result
from bench.common import demo_engine, median_ms

TARGET_MS = 500.0
STATEMENT_TIMEOUT_MS = 20_000
FULL = 1_000_000


def _today(session) -> date:
    """The demo's own "today" (the data was generated for the day it was generated): the day
    after the newest registration, so due-soon / overdue / trend look as on a real day."""
    from data.models import Application

    newest = session.scalar(select(func.max(Application.registration_date)))
    return newest + timedelta(days=1)


def run(backends, scale: float = 1.0) -> list[Result]:
    from data.clocks import load_context
    from data.models import User
    from data.queries import overview as q

    applications = max(10_000, int(FULL * scale))
    results: list[Result] = []
    for backend in backends:
        with demo_engine(backend, applications) as engine, Session(engine) as session:
            today = _today(session)
            ctx = load_context(session)
            manager = session.scalar(select(User).where(User.role == "manager").order_by(User.id))
            reviewer = session.scalar(select(User).where(User.role == "reviewer").order_by(User.id))
            session.expunge_all()
            scenarios = {
                "manager": (q.OverviewFilter(), manager),
                "manager rent_to_own + Almaty": (q.OverviewFilter(kind="rent_to_own", akimat="750000000"), manager),
                "manager 52 weeks": (q.OverviewFilter(period_days=365), manager),
                "reviewer (scoped)": (q.OverviewFilter(), reviewer),
            }
            for label, (flt, user) in scenarios.items():
                if backend == "postgresql":  # a plan gone wrong must not hang the whole run
                    session.execute(text(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}"))
                try:
                    data = q.overview(session, today, ctx, flt, user, concurrent=True)
                except OperationalError as exc:
                    session.rollback()
                    slow = str(exc.statement or "").split("FROM", 2)[1].split()[0] if exc.statement else "?"
                    results.append(Result(f"overview all KPIs+charts: {label}", backend, STATEMENT_TIMEOUT_MS, "ms",
                                          TARGET_MS, f"TIMED OUT after {STATEMENT_TIMEOUT_MS} ms in a query on {slow}"))
                    print(f"  {backend:10s} {label:30s} timed out ({slow})", flush=True)
                    continue
                ms = median_ms(lambda: q.overview(session, today, ctx, flt, user, concurrent=True), repeat=5)
                parts = {
                    "open": median_ms(lambda: q.open_summary(session, today, ctx, flt, user), repeat=3),
                    "on_time": median_ms(lambda: q.on_time(session, today, flt, user), repeat=3),
                    "trend": median_ms(lambda: q.trend(session, today, flt, user), repeat=3),
                    "lists+complaints": median_ms(lambda: (q.lists_waiting(session, today, flt, user),
                                                           q.open_complaints(session, today, flt, user)), repeat=3),
                }
                note = (f"open {data.summary.open:,}, overdue {data.summary.overdue:,}; "
                        + ", ".join(f"{k} {v:.0f}" for k, v in parts.items()) + " ms")
                results.append(Result(f"overview all KPIs+charts: {label}", backend, ms, "ms", TARGET_MS, note))
                print(f"  {backend:10s} {label:30s} {ms:8.1f} ms  {note}", flush=True)
    return results
