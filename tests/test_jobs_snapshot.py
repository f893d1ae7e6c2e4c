"""The daily snapshot equals plain counting over the same rows, and re-running a day replaces it."""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from data.clocks import load_calendar, load_context
from data.config import LOCAL_TZ
from data.models import Akimat, Application, Clock, Complaint
from data.models.jobs import DailySnapshot
from data.statuses import WORKFLOWS
from jobs.snapshot import take_snapshot
from tests.conftest import local
from tests.factories import user

DAY = date(2026, 3, 26)  # Thursday after Nauryz; "yesterday" is the last day off, 25.03
YESTERDAY = DAY - timedelta(days=1)
KEYS = ("open", "due_soon", "overdue", "closed_on_time", "closed_late")


def _build(session, seed: int = 5) -> None:
    rng = random.Random(seed)
    cal = load_calendar(session)
    reviewers = [user(session, f"snap_rev{i}") for i in range(3)] + [None]
    akimats = list(session.scalars(select(Akimat.id).limit(3))) + [None]
    boundaries = [  # closing moments around the local midnights of yesterday and today
        datetime.combine(YESTERDAY, time(0, 0, 30), LOCAL_TZ), datetime.combine(YESTERDAY, time(23, 59), LOCAL_TZ),
        datetime.combine(DAY, time(0, 1), LOCAL_TZ), datetime.combine(YESTERDAY - timedelta(days=1), time(23, 59),
                                                                      LOCAL_TZ),
        datetime.combine(YESTERDAY, time(12, 0), LOCAL_TZ),
    ]
    for i in range(400):
        kind = rng.choice(("correction", "rent_to_own"))
        workflow = WORKFLOWS[kind]
        is_open = rng.random() < 0.6
        status = rng.choice(workflow.open_codes() if is_open else workflow.final_codes())
        reviewer = rng.choice(reviewers)
        app = Application(kind=kind, status=status, is_open=is_open, applicant_name=f"Өтініш беруші {i}",
                          akimat_id=rng.choice(akimats), reviewer_id=reviewer.id if reviewer else None)
        if is_open and rng.random() < 0.85:
            app.current_due_date = cal.roll_forward(DAY + timedelta(days=rng.randint(-20, 20)))
            app.current_policy = "ktk_review" if kind == "rent_to_own" else rng.choice(("ktk_review", "applicant_revision"))
        if not is_open:
            app.closed_at = rng.choice(boundaries)
            app.closed_on_time = rng.choice((True, False, None))
        session.add(app)
    session.flush()
    apps = list(session.scalars(select(Application.id).limit(30)))
    for i in range(40):
        level = rng.choice(("provider", "quality_body"))
        is_open = rng.random() < 0.5
        responsible = rng.choice(reviewers)
        complaint = Complaint(complainant_name=f"Шағымданушы {i}", channel="paper", level=level, subject="с",
                              received_at=local(2026, 3, 2, 10, 0), registration_date=date(2026, 3, 2),
                              status=rng.choice(("registered", "under_review", "extended")) if is_open else "answered",
                              is_open=is_open, application_id=rng.choice(apps + [None]),
                              responsible_id=responsible.id if responsible else None,
                              current_due_date=cal.roll_forward(DAY + timedelta(days=rng.randint(-10, 10)))
                              if is_open else None)
        session.add(complaint)
        session.flush()
        code = "complaint_quality_body" if level == "quality_body" else "complaint_provider"
        due = cal.roll_forward(DAY + timedelta(days=rng.randint(-5, 5)))
        stopped_on = None if is_open else rng.choice((YESTERDAY, YESTERDAY - timedelta(days=3), DAY))
        session.add(Clock(complaint_id=complaint.id, policy_code=code, policy_version=1, started_at=local(2026, 3, 2, 10),
                          due_date=due, stopped_on=stopped_on,
                          stopped_at=datetime.combine(stopped_on, time(12), LOCAL_TZ) if stopped_on else None))
    session.flush()


def _expected(session) -> Counter:
    ctx = load_context(session)
    cal = ctx.calendar
    since = datetime.combine(YESTERDAY, time(0), LOCAL_TZ)
    until = datetime.combine(DAY, time(0), LOCAL_TZ)
    out: Counter = Counter()

    def soon(due, policy):
        if due is None or policy is None or due < DAY:
            return False
        return cal.working_days_between(DAY, due) <= ctx.policies.in_force(policy, DAY).warn_wd

    for a in session.scalars(select(Application)):
        key = (a.kind, a.status, a.akimat_id, a.reviewer_id)
        if a.is_open:
            out[key + ("open",)] += 1
            out[key + ("due_soon",)] += soon(a.current_due_date, a.current_policy)
            out[key + ("overdue",)] += a.current_due_date is not None and a.current_due_date < DAY
        elif a.closed_at is not None and since <= a.closed_at < until and a.closed_on_time is not None:
            out[key + ("closed_on_time" if a.closed_on_time else "closed_late",)] += 1
    for c in session.scalars(select(Complaint)):
        akimat = session.get(Application, c.application_id).akimat_id if c.application_id else None
        key = ("complaint", c.status, akimat, c.responsible_id)
        policy = "complaint_quality_body" if c.level == "quality_body" else "complaint_provider"
        if c.is_open:
            out[key + ("open",)] += 1
            out[key + ("due_soon",)] += soon(c.current_due_date, policy)
            out[key + ("overdue",)] += c.current_due_date is not None and c.current_due_date < DAY
            continue
        for clock in session.scalars(select(Clock).where(Clock.complaint_id == c.id, Clock.policy_code == policy)):
            if clock.stopped_on == YESTERDAY:
                out[key + ("closed_on_time" if clock.stopped_on <= clock.due_date else "closed_late",)] += 1
    return +out


def _stored(session) -> tuple[Counter, list[tuple]]:
    out: Counter = Counter()
    rows = []
    for s in session.scalars(select(DailySnapshot).where(DailySnapshot.day == DAY)):
        key = (s.kind, s.status, s.akimat_id, s.reviewer_id)
        rows.append(key + tuple(getattr(s, k) for k in KEYS))
        for k in KEYS:
            out[key + (k,)] += getattr(s, k)
    return +out, sorted(rows, key=repr)


def test_snapshot_equals_plain_counting_and_is_idempotent(session):
    _build(session)
    first = take_snapshot(session, DAY)
    counts, rows = _stored(session)
    expected = _expected(session)
    assert counts == expected
    assert first.rows == len(rows) and first.deleted == 0
    assert all(any(r[4:]) for r in rows)  # no row of zeros
    for k in KEYS:
        assert first.totals[k] == sum(v for key, v in expected.items() if key[-1] == k)
        assert first.totals[k] > 0, k  # the data exercises every count
    assert {r[0] for r in rows} == {"correction", "rent_to_own", "complaint"}

    again = take_snapshot(session, DAY)
    assert again.deleted == first.rows and again.rows == first.rows
    assert _stored(session) == (counts, rows)
    # other days are kept
    take_snapshot(session, DAY - timedelta(days=1))
    assert _stored(session) == (counts, rows)
    assert session.scalar(select(DailySnapshot.id).where(DailySnapshot.day == YESTERDAY).limit(1)) is not None
