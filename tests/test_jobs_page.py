"""The Jobs page's data functions ("run now" refused while running, audited; schedules in words)
and the in-app notification list behind the navbar's bell."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from data.audit import search
from data.db import session_scope
from data.job_history import request_run, running_run, schedule_in_words
from data.models.base import utcnow
from data.models.jobs import JobRun, Notification
from data.notifications import list_notifications, mark_all_read, unread_count
from jobs.runner import UnknownJob
from tests import factories


@pytest.fixture
def committed(engine):
    """Runs commit through their own connections: clean the rows this test made afterwards (the
    audit trail is append-only and stays)."""
    yield engine
    with session_scope(engine) as s:
        s.execute(delete(JobRun))
        s.execute(delete(Notification))


def _admin(engine, username: str):
    with session_scope(engine) as s:
        existing = s.scalar(select(factories.User).where(factories.User.username == username))
        return existing or factories.user(s, username, "admin")


def _outcome(engine, run_id: int) -> str:
    with session_scope(engine) as s:
        return s.get(JobRun, run_id).outcome


def test_run_now_is_refused_while_the_job_runs_and_audited(committed):
    engine = committed
    admin = _admin(engine, "jobadmin1")
    # A run of overdue in progress (claimed by a scheduler a minute ago).
    with session_scope(engine) as s:
        busy = JobRun(job="overdue", period="2026-03-20T10:15:00", trigger="schedule", outcome="running",
                      started_at=utcnow() - timedelta(minutes=1))
        s.add(busy)
        s.flush()
        busy_id = busy.id
    refused = request_run("overdue", admin, engine=engine, ip="10.0.0.7")
    assert (refused.status, refused.run_id) == ("running", busy_id)
    with session_scope(engine) as s:
        assert s.scalar(select(JobRun.id).where(JobRun.job == "overdue").order_by(JobRun.id.desc())) == busy_id
        assert running_run(s, "overdue").id == busy_id
        # Abandoned long ago: no longer "running" for the page (the claim can be taken over).
        s.get(JobRun, busy_id).started_at = utcnow() - timedelta(hours=5)
    with session_scope(engine) as s:
        assert running_run(s, "overdue") is None

    started = request_run("overdue", admin, engine=engine, ip="10.0.0.7")
    assert started.status == "started" and started.run_id != busy_id
    deadline = time.monotonic() + 30
    while _outcome(engine, started.run_id) == "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _outcome(engine, started.run_id) == "ok"
    with session_scope(engine) as s:
        run = s.get(JobRun, started.run_id)
        assert run.trigger == "manual" and run.period.startswith("manual:")
        [entry] = [e for e in search(s, action="jobs.run_now") if e.actor_name == "jobadmin1"]
        assert (entry.actor_name, entry.entity, entry.entity_id, entry.ip) == ("jobadmin1", "job", "overdue", "10.0.0.7")
        assert entry.after["run_id"] == started.run_id and entry.after["status"] == "started"
    with pytest.raises(UnknownJob):
        request_run("nope", admin, engine=engine)


def test_schedules_in_words():
    assert schedule_in_words("*/15 * * * *; 5 0 * * *", "kk") == "әр 15 минут сайын; күн сайын 00:05"
    assert schedule_in_words("*/15 * * * *; 5 0 * * *", "ru") == "каждые 15 минут; ежедневно в 00:05"
    assert schedule_in_words("* * * * *", "ru") == "каждую минуту"
    assert schedule_in_words("0 8 * * mon", "ru") == "понедельник, в 08:00"
    assert schedule_in_words("30 8 * * mon-fri", "kk") == "дүйсенбі–жұма, 08:30"
    assert schedule_in_words("0 9 1 * *", "ru") == "0 9 1 * *"  # not simple: shown as it is
    assert schedule_in_words("", "ru") == ""


def test_notifications_are_per_user(session):
    me, other = factories.user(session, "notif_me"), factories.user(session, "notif_other")
    for day in ("2026-03-19", "2026-03-20"):
        session.add(Notification(user_id=me.id, kind="digest", dedup_key=f"digest:{day}", title=f"Сводка {day}",
                                 body="…", payload={}))
    session.add(Notification(user_id=other.id, kind="digest", dedup_key="digest:2026-03-20", title="чужое",
                             body="…", payload={}))
    session.flush()
    assert unread_count(session, me.id) == 2
    assert [n.title for n in list_notifications(session, me.id)] == ["Сводка 2026-03-20", "Сводка 2026-03-19"]
    assert mark_all_read(session, me.id) == 2
    assert unread_count(session, me.id) == 0 and unread_count(session, other.id) == 1
    assert mark_all_read(session, me.id) == 0
