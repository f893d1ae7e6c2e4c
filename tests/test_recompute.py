"""Calendar overrides recompute every open clock; stored results equal a fresh replay."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from data.calendar_admin import list_overrides, remove_override, set_override
from data.clocks import load_context, recompute
from data.models import Clock
from data.workflows import create_application, create_complaint, transition
from jobs.overdue import mark_clock_states
from tests.conftest import local
from tests.factories import user


def _rent(session, when):
    return create_application(session, "rent_to_own", {"applicant_name": "Сейітова Дана",
                                                       "consent_personal_data": True}, received_at=when)


def test_override_moves_open_clocks_and_mirrors_without_bumping_versions(session):
    # Registered Wed 01.04.2026 -> +15 cd = Thu 16.04.2026.
    app = _rent(session, local(2026, 4, 1, 11, 0))
    closed = _rent(session, local(2026, 4, 1, 12, 0))
    transition(session, closed, "rejected", fields={"refusal_reason": "not_eligible"}, at=local(2026, 4, 2, 10, 0))
    assert app.current_due_date == date(2026, 4, 16)
    version = app.version

    change = set_override(session, date(2026, 4, 16), "holiday", "Декрет")
    assert change.recomputed.moved >= 1
    session.refresh(app)
    assert app.current_due_date == date(2026, 4, 17)
    assert app.version == version  # a recomputation is not an edit
    review = session.scalar(select(Clock).where(Clock.application_id == app.id))
    assert review.due_date == date(2026, 4, 17)
    assert any(step["code"] == "rolled_forward" for step in review.explanation)
    stopped = session.scalar(select(Clock).where(Clock.application_id == closed.id))
    assert stopped.due_date == date(2026, 4, 16)  # closed clocks keep the due they had

    assert [o.day for o in list_overrides(session, 2026)] == [date(2026, 4, 16)]
    remove_override(session, date(2026, 4, 16))
    session.refresh(app)
    assert app.current_due_date == date(2026, 4, 16)


def test_stored_clocks_equal_a_fresh_replay(session):
    reviewer = user(session)
    app = _rent(session, local(2026, 3, 6, 20, 0))
    transition(session, app, "under_review", fields={"reviewer_id": reviewer.id}, at=local(2026, 3, 10, 10, 0))
    transition(session, app, "needs_revision", fields={"remarks": "x", "revision_due": date(2026, 3, 20)},
               at=local(2026, 3, 11, 10, 0))
    complaint = create_complaint(session, {"channel": "paper", "complainant_name": "Ә", "subject": "с"},
                                 level="quality_body", received_at=local(2026, 3, 19, 12, 0))
    session.flush()
    ctx = load_context(session)
    for clock in session.scalars(select(Clock).where(
            (Clock.application_id == app.id) | (Clock.complaint_id == complaint.id))):
        stored = (clock.due_date, clock.registered_on, clock.paused_since, clock.explanation)
        assert recompute(ctx, clock) is False
        assert (clock.due_date, clock.registered_on, clock.paused_since, clock.explanation) == stored
    assert complaint.current_due_date == date(2026, 4, 14)


def test_overdue_job_marks_states_in_one_update(session):
    # Review due Thu 16.04.2026.
    app = _rent(session, local(2026, 4, 1, 11, 0))
    clock = session.scalar(select(Clock).where(Clock.application_id == app.id))

    def state_on(day):
        mark_clock_states(session, day)
        session.refresh(clock)
        return clock.state

    assert state_on(date(2026, 4, 10)) == "on_track"   # Fri: 4 wd left
    assert state_on(date(2026, 4, 14)) == "due_soon"   # Tue: 2 wd left
    assert state_on(date(2026, 4, 16)) == "due_soon"   # the due day itself
    assert state_on(date(2026, 4, 17)) == "overdue"    # the first day after


def test_a_recompute_leaves_the_state_the_overdue_job_would_store(session):
    """State and days overdue are current right after a change, not only after the next job run."""
    from dataclasses import replace

    # Registered Wed 01.04.2026 -> +15 cd = Thu 16.04.2026 (ktk_review, warning window 2 wd).
    apps = {when: _rent(session, local(*when, 11, 0)) for when in ((2026, 4, 1), (2026, 3, 2))}
    session.flush()
    ctx = load_context(session)
    clocks = {when: session.scalar(select(Clock).where(Clock.application_id == app.id)) for when, app in apps.items()}
    expected = {
        date(2026, 4, 2): {(2026, 4, 1): ("on_track", 0, 0), (2026, 3, 2): ("overdue", 16, 9)},
        date(2026, 4, 14): {(2026, 4, 1): ("due_soon", 0, 0), (2026, 3, 2): ("overdue", 28, 17)},
        date(2026, 4, 20): {(2026, 4, 1): ("overdue", 4, 2), (2026, 3, 2): ("overdue", 34, 21)},
    }
    # 2 March 2026 -> due Tue 17.03.2026; 21-25 March are days off (Nauryz and the moved days).
    for today, wanted in expected.items():
        day_ctx = replace(ctx, today=today)
        for when, clock in clocks.items():
            recompute(day_ctx, clock)
            assert (clock.state, clock.days_overdue_cd, clock.days_overdue_wd) == wanted[when], (today, when)
        session.flush()
        mark_clock_states(session, today, day_ctx)  # the job agrees: nothing left to change
        for clock in clocks.values():
            session.refresh(clock)
            assert (clock.state, clock.days_overdue_cd, clock.days_overdue_wd) == wanted[
                next(w for w, c in clocks.items() if c is clock)]
