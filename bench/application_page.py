"""Application page: the data one page view loads (data.queries.application.application_page:
the application with its names, guarantors and checklist, full history, every clock with its
events, linked complaints, plus the deadline context) for random applications of the shared
1,000,000-application demo database, as a manager (reads everything) and as a reviewer (scoped
reads). Target: median < 150 ms server time. A third figure adds building the page's components
(callbacks.application.render_*) to the manager's read, i.e. the whole callback minus HTTP.

Each sample opens its own session, as the callback does; a warm-up view (the holidays package
loading its years) is excluded.
"""
from __future__ import annotations

import random
import statistics
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench import Result
from bench.common import demo_engine
from data.access import scope_applications
from data.models import Application, User
from data.queries.application import application_page

FULL = 1_000_000
TARGET_MS = 150.0
SAMPLES = 60
SEED = 20260306


def _ids_in_scope(engine, user: User, max_id: int, rng: random.Random, count: int) -> list[int]:
    chosen: list[int] = []
    with Session(engine) as session:
        while len(chosen) < count:
            batch = [rng.randint(1, max_id) for _ in range(count * 2)]
            visible = set(session.scalars(scope_applications(select(Application.id)
                                                            .where(Application.id.in_(batch)), user)))
            chosen.extend(i for i in batch if i in visible and i not in chosen)
    return chosen[:count]


def _views(engine, user: User, ids: list[int], today, render: bool) -> list[float]:
    from callbacks import application as page

    samples = []
    for index in [ids[0]] + ids:  # the first one warms up and is dropped
        started = time.perf_counter()
        with Session(engine) as session:
            view = application_page(session, index, user, today)
        if render and view is not None:
            page.render_header(view, "kk")
            page.render_due(view, "kk")
            page.render_details(view, "kk")
            page.render_clocks(view, "kk")
            page.render_history(view, "kk")
            page.render_complaints(view, "kk")
            page.target_options(view, "kk")
        samples.append((time.perf_counter() - started) * 1000)
        assert view is not None, f"application {index} not visible to {user.username}"
    return samples[1:]


def _figures(backend: str, engine, n: int) -> list[Result]:
    from callbacks.context import today_local

    rng = random.Random(SEED)
    with Session(engine) as session:
        max_id = session.scalar(select(func.max(Application.id)))
        manager = session.scalars(select(User).where(User.role == "manager").order_by(User.id)).first()
        reviewer = session.scalars(select(User).where(User.role == "reviewer").order_by(User.id)).first()
        session.expunge_all()
    today = today_local()
    results = []
    for label, user, render in (("manager", manager, False), ("reviewer", reviewer, False),
                                ("manager + render", manager, True)):
        ids = _ids_in_scope(engine, user, max_id, rng, SAMPLES)
        samples = _views(engine, user, ids, today, render)
        samples.sort()
        p95 = samples[int(len(samples) * 0.95) - 1]
        results.append(Result(f"application_page ({label})", backend, statistics.median(samples), "ms", TARGET_MS,
                              f"p95 {p95:.1f} ms, max {samples[-1]:.1f} ms; {SAMPLES} random of {n:,}"))
    return results


def run(backends, scale: float) -> list[Result]:
    n = max(1_000, int(round(FULL * scale)))
    results: list[Result] = []
    for backend in backends:
        with demo_engine(backend, applications=n) as engine:
            results.extend(_figures(backend, engine, n))
    return results
