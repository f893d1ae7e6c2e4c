"""The overdue job's set-based UPDATE equals an independent computation: plain Python over the
same rows through data.deadlines.clock_state / days_left and the working calendar."""
from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import func, insert, select

from data.clocks import load_calendar, load_context
from data.deadlines import OVERDUE, clock_state, days_left
from data.models import CalendarOverride, Clock, DeadlinePolicy
from data.models.jobs import JobState, WorkDay
from data.policies import CATALOGUE
from jobs.overdue import mark_clock_states, refresh_work_days, run_overdue, update_clock_states
from tests.conftest import local

# Around Nauryz (21-25.03.2026, two of them moved days off) and 1, 7 and 9 May 2026 (9 May, a
# Saturday, moved to Mon 11 May).
DAYS = (date(2026, 3, 20), date(2026, 3, 26), date(2026, 5, 8), date(2026, 5, 12))
N = 3000


def _make_clocks(session, n: int = N, seed: int = 7) -> tuple[int, int]:
    """``n`` clocks with due dates Feb-Jun 2026 across every policy, some paused, some stopped,
    a few without a due date, and a second ktk_review version with a wider warning window."""
    session.add(DeadlinePolicy(code="ktk_review", version=2, effective_from=date(2026, 1, 1), term=15, unit="cd",
                               start_rule="registration", roll_forward=True, pause_mode="resume",
                               pause_statuses=["needs_revision"], warn_wd=5, variants={}, seed_ref="test"))
    session.flush()
    rng = random.Random(seed)
    codes = [p.code for p in CATALOGUE]
    first = session.scalar(select(func.coalesce(func.max(Clock.id), 0))) + 1
    rows = []
    for i in range(n):
        code = rng.choice(codes)
        version = 2 if code == "ktk_review" and rng.random() < 0.5 else 1
        due = date(2026, 2, 1) + timedelta(days=rng.randint(0, 150)) if rng.random() > 0.02 else None
        paused = due - timedelta(days=rng.randint(0, 20)) if due and rng.random() < 0.12 else None
        stopped = rng.random() < 0.1
        rows.append({
            "id": first + i, "policy_code": code, "policy_version": version, "variant": None,
            "started_at": local(2026, 1, 10, 10, 0), "registered_on": date(2026, 1, 12), "due_date": due,
            "paused_since": paused, "stopped_at": local(2026, 3, 1, 12, 0) if stopped else None,
            "stopped_on": date(2026, 3, 1) if stopped else None, "state": "stopped" if stopped else None,
            "explanation": [],
        })
    session.execute(insert(Clock), rows)
    return first, first + n - 1


def _expected(session, first: int, last: int, today: date) -> dict[int, tuple]:
    """Plain Python through the deadline engine's own functions."""
    ctx = load_context(session)
    cal = load_calendar(session)
    out = {}
    for clock in session.execute(select(Clock.id, Clock.policy_code, Clock.policy_version, Clock.due_date,
                                        Clock.paused_since, Clock.stopped_at)
                                 .where(Clock.id.between(first, last))):
        if clock.stopped_at is not None:
            out[clock.id] = ("stopped", None, None)
            continue
        warn = ctx.policies.version(clock.policy_code, clock.policy_version).warn_wd
        state = clock_state(clock.due_date, today, cal, warn_wd=warn, paused=clock.paused_since is not None)
        if state == OVERDUE:
            left = days_left(clock.due_date, today, cal)
            out[clock.id] = (state, -left.calendar, -left.working)
        else:
            out[clock.id] = (state, 0, 0)
    return out


def _stored(session, first: int, last: int) -> dict[int, tuple]:
    session.expire_all()
    return {row.id: (row.state, row.days_overdue_cd, row.days_overdue_wd) for row in session.execute(
        select(Clock.id, Clock.state, Clock.days_overdue_cd, Clock.days_overdue_wd).where(Clock.id.between(first, last)))}


def test_states_and_days_overdue_equal_an_independent_computation(session):
    first, last = _make_clocks(session)
    seen_states = set()
    for today in DAYS:
        result = update_clock_states(session, today)
        expected = _expected(session, first, last, today)
        stored = _stored(session, first, last)
        mismatched = [(i, stored[i], expected[i]) for i in expected if stored[i] != expected[i]]
        assert not mismatched, (today, mismatched[:5])
        seen_states |= {v[0] for v in expected.values()}
        assert sum(result.counts.values()) >= sum(1 for v in expected.values() if v[0] != "stopped")
        # a second run the same day changes nothing
        assert mark_clock_states(session, today) == 0
    assert seen_states == {"on_track", "due_soon", "overdue", "paused", "stopped"}

    # A known case: due Fri 20.03.2026, seen Thu 26.03.2026: 21-25 March are days off in 2026,
    # so 26 March is the only working day after it: 6 calendar days, 1 working day overdue.
    cal = load_calendar(session)
    assert days_left(date(2026, 3, 20), date(2026, 3, 26), cal).working == -1
    probe = session.scalar(select(Clock).where(Clock.id.between(first, last), Clock.due_date == date(2026, 3, 20),
                                               Clock.stopped_at.is_(None), Clock.paused_since.is_(None)))
    update_clock_states(session, date(2026, 3, 26))
    session.refresh(probe)
    assert (probe.state, probe.days_overdue_cd, probe.days_overdue_wd) == ("overdue", 6, 1)


def test_an_override_rebuilds_the_working_day_table(session):
    first, last = _make_clocks(session, n=600, seed=11)
    today = date(2026, 5, 12)
    update_clock_states(session, today)
    before = session.scalar(select(WorkDay.wd_index).where(WorkDay.day == today))
    fingerprint = session.get(JobState, "work_days.fingerprint").value
    assert refresh_work_days(session, today=today) is False  # nothing changed

    # Admins declare Mon 04.05.2026 a day off: one working day fewer up to today.
    session.add(CalendarOverride(day=date(2026, 5, 4), kind="holiday", name="Decree"))
    session.flush()
    result = update_clock_states(session, today)
    assert result.work_days_rebuilt is True
    assert session.get(JobState, "work_days.fingerprint").value != fingerprint
    assert session.scalar(select(WorkDay.wd_index).where(WorkDay.day == today)) == before - 1
    assert session.scalar(select(WorkDay.working).where(WorkDay.day == date(2026, 5, 4))) is False
    assert _stored(session, first, last) == _expected(session, first, last, today)
    # the table spans 2024-2030 at least
    assert session.scalar(select(func.min(WorkDay.day))) <= date(2024, 1, 1)
    assert session.scalar(select(func.max(WorkDay.day))) >= date(2030, 12, 31)


def test_the_job_expires_recipients_whose_window_ended_once_a_day(session, tmp_path):
    """Real recipients notified by SMS (data.recipients): the 00:05 run of the first day after
    the 15-day window expires them and stops their clocks; later runs that day do not call it."""
    from data.models import Recipient
    from data.recipients import notify_recipients
    from tests.test_imports_recipients import load

    _, recipients = load(session, tmp_path, 3)
    notify_recipients(session, recipient_ids=[r.id for r in recipients[:2]], sent_at=local(2026, 3, 6, 12, 0))
    notify_recipients(session, recipient_ids=[recipients[2].id], sent_at=local(2026, 3, 20, 12, 0))
    ids = [r.id for r in recipients]

    def statuses():
        return [session.scalar(select(Recipient.status).where(Recipient.id == i)) for i in ids]

    due_day = run_overdue(session, date(2026, 3, 26))  # 06.03 + 15 days (past Nauryz) = 26.03: still in time
    assert due_day.expired_recipients == 0 and statuses() == ["notified"] * 3
    after = run_overdue(session, date(2026, 3, 27))
    assert after.expired_recipients == 2
    assert statuses() == ["expired", "expired", "notified"]
    stopped = session.scalars(select(Clock).where(Clock.recipient_id.in_(ids[:2]))).all()
    assert stopped and all(c.stopped_on == date(2026, 3, 27) for c in stopped)
    # The remaining recipient's clock got its state from the same run.
    [open_one] = session.scalars(select(Clock).where(Clock.recipient_id == ids[2])).all()
    assert open_one.stopped_at is None and open_one.due_date > date(2026, 4, 3)
    assert (open_one.state, open_one.days_overdue_cd, open_one.days_overdue_wd) == ("on_track", 0, 0)
    # Windows end at day boundaries: the 15-minute runs of the same day do not look again.
    assert run_overdue(session, date(2026, 3, 27)).expired_recipients is None


@pytest.mark.parametrize("today", DAYS)
def test_the_sql_threshold_matches_clock_state_on_the_boundary(session, today):
    """One clock per due date from today-3 to today+10: the boundary of due_soon and overdue."""
    first = session.scalar(select(func.coalesce(func.max(Clock.id), 0))) + 1
    rows = [{"id": first + i, "policy_code": "complaint_provider", "policy_version": 1,
             "started_at": local(2026, 1, 10, 10, 0), "due_date": today + timedelta(days=i - 3), "explanation": []}
            for i in range(14)]
    session.execute(insert(Clock), rows)
    update_clock_states(session, today)
    assert _stored(session, first, first + 13) == _expected(session, first, first + 13, today)
