"""Complaints on the shared 1,000,000-application demo database (read only).

Times what the complaint callbacks call: ``data.queries.complaints.fetch_block`` (the registry
grid's first block of 100 rows with its exact count, and a later block), ``complaint_kpis`` (the
four numbers of the registry and the overview) and ``complaint_page`` (everything the complaint
page shows). Target: median under 150 ms per call.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench import Result
from bench.common import demo_engine, median_ms
from data.config import LOCAL_TZ
from data.models import Complaint, User

TARGET_MS = 150.0
FULL = 1_000_000


def run(backends, scale: float) -> list[Result]:
    from data.clocks import load_context
    from data.queries.complaints import complaint_kpis, complaint_page, fetch_block, parse_filters, query_context

    size = max(1000, int(FULL * scale))
    results: list[Result] = []

    def f(**params):
        return parse_filters(params)[0]

    for backend in backends:
        with demo_engine(backend, size) as engine:
            with Session(engine) as session:
                manager = session.scalar(select(User).where(User.username == "manager01"))
                reviewer = session.scalar(select(User).where(User.username == "reviewer01"))
                total = session.scalar(select(func.count()).select_from(Complaint))
                busiest = session.scalar(select(Complaint.id).where(Complaint.status == "extended")
                                         .order_by(Complaint.id.desc()).limit(1))
                session.expunge_all()
            today = datetime.now(LOCAL_TZ).date()
            due_asc = [{"colId": "answer_due", "sort": "asc"}]
            reg_desc = [{"colId": "registration_date", "sort": "desc"}]
            cases = [
                ("no filter, newest first", manager, f(), reg_desc, 0),
                ("open, by answer due", manager, f(state="open"), due_asc, 0),
                ("overdue", manager, f(state="overdue"), due_asc, 0),
                ("due soon", manager, f(state="due_soon"), due_asc, 0),
                ("quality body + extended", manager, f(level="quality_body", status="extended"), due_asc, 0),
                ("answer due in a month", manager, f(due_from=today.isoformat(),
                                                    due_to=today.replace(day=28).isoformat()), due_asc, 0),
                ("search: name prefix", manager, f(q="Ахмет"), reg_desc, 0),
                ("reviewer scope, open", reviewer, f(state="open"), due_asc, 0),
                ("no filter, block 20", manager, f(), reg_desc, 2000),
            ]
            for label, user, filters, sort_model, start in cases:
                with Session(engine) as session:
                    ctx = query_context(session, user, today)

                    def block(ctx=ctx, filters=filters, sort_model=sort_model, start=start):
                        return fetch_block(session, ctx, filters, start, start + 100, sort_model)

                    first = block()
                    ms = median_ms(block, repeat=11)
                    shown = first.count if first.count is not None else "-"
                    results.append(Result(f"complaints: {label}", backend, ms, "ms", TARGET_MS,
                                          f"{len(first.rows)} rows of {shown} ({total:,} complaints)"))
            for label, user in (("manager", manager), ("reviewer", reviewer)):
                with Session(engine) as session:
                    ctx = load_context(session)
                    kpis = complaint_kpis(session, user, today, ctx=ctx)
                    ms = median_ms(lambda: complaint_kpis(session, user, today, ctx=ctx), repeat=11)
                    results.append(Result(f"complaint KPIs: {label}", backend, ms, "ms", TARGET_MS,
                                          f"open {kpis.open}, soon {kpis.due_soon}, overdue {kpis.overdue}, "
                                          f"on time {kpis.on_time_percent} %"))
            if busiest:
                with Session(engine) as session:
                    ctx = load_context(session)
                    ms = median_ms(lambda: complaint_page(session, busiest, manager, today, ctx), repeat=11)
                    results.append(Result("complaint page (extended one)", backend, ms, "ms", TARGET_MS,
                                          f"complaint #{busiest}"))
    return results
