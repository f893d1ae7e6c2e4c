"""The demo-data generator (data/demo.py): deterministic, consistent with the workflows and the
deadline engine, realistic.

Generated into fresh databases of their own (a SQLite file, or a scratch PostgreSQL schema when
DATABASE_URL names PostgreSQL, as conftest does): the session-wide ``engine`` fixture must stay
free of demo data for the other tests.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session, selectinload

from data.clocks import load_context, recompute
from data.config import LOCAL_TZ, database_url
from data.db import make_engine
from data.deadlines import Event, compute_due
from data.demo import TABLES, generate_demo
from data.iin import is_valid_bin, is_valid_iin
from data.migrate import upgrade_database
from data.models import Application, Clock, Complaint, Recipient, StatusEvent, User
from data.statuses import PAUSE, RESUME, START, START_SET, STOP, WORKFLOWS

TODAY = date(2026, 11, 20)  # a Friday
NOW = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=LOCAL_TZ)
N = 400
EVENT_MOMENT_FIELDS = ("received_at", "payment_confirmed_at", "sent_at")


@pytest.fixture(scope="module")
def fresh_engine(tmp_path_factory):
    """Factory of empty migrated databases, dropped at the end of the module."""
    made = []
    base = database_url() if os.environ.get("DATABASE_URL") else ""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw")

    def make(name: str):
        if base.startswith("postgresql"):
            schema = f"ktk_demo_{os.getpid()}_{worker}_{name}"
            admin = create_engine(base)
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            sep = "&" if "?" in base else "?"
            eng = make_engine(f"{base}{sep}options=-csearch_path%3D{schema}")
            made.append((eng, admin, schema))
        else:
            path = tmp_path_factory.mktemp("demo") / f"{name}.sqlite3"
            eng = make_engine(f"sqlite:///{path}")
            made.append((eng, None, None))
        upgrade_database(eng)
        return eng

    yield make
    for eng, admin, schema in made:
        eng.dispose()
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()


@pytest.fixture(scope="module")
def demo(fresh_engine):
    eng = fresh_engine("main")
    summary = generate_demo(eng, N, seed=42, today=TODAY, chunk_size=150)
    return eng, summary


def _rows_hash(eng) -> str:
    digest = hashlib.sha256()
    with eng.connect() as conn:
        for name, model in TABLES:
            table = model.__table__
            for row in conn.execute(select(table).order_by(table.c.id)):
                digest.update(json.dumps([name, *row], default=str, sort_keys=True).encode())
    return digest.hexdigest()


# -- determinism, idempotence -------------------------------------------------------------------
def test_same_seed_same_rows(fresh_engine):
    first, second, other = fresh_engine("det_a"), fresh_engine("det_b"), fresh_engine("det_c")
    generate_demo(first, 120, seed=7, today=TODAY)
    generate_demo(second, 120, seed=7, today=TODAY, chunk_size=37)  # chunking does not matter
    generate_demo(other, 120, seed=8, today=TODAY)
    assert _rows_hash(first) == _rows_hash(second)
    assert _rows_hash(first) != _rows_hash(other)


def test_second_run_is_skipped(demo):
    eng, summary = demo
    assert not summary.skipped
    again = generate_demo(eng, 50, seed=1, today=TODAY)
    assert again.skipped and again.counts == {}
    with eng.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Application)).scalar() == N


def test_counts_and_orm_still_inserts(demo):
    """The summary counts what is in the tables; the id sequences moved past the demo rows
    (PostgreSQL: setval), so ordinary ORM inserts still work."""
    eng, summary = demo
    with Session(eng) as session:
        assert summary.counts["applications"] == N
        for name in ("status_events", "clocks", "clock_events", "recipients", "complaints", "list_batches"):
            model = dict(TABLES)[name]
            assert session.scalar(select(func.count()).select_from(model)) == summary.counts[name] > 0
        extra = Application(kind="correction", status="sent", applicant_name="x")
        session.add(extra)
        session.flush()
        assert extra.id > N
        session.rollback()


# -- statuses and histories ---------------------------------------------------------------------
def test_every_status_of_both_workflows(demo):
    eng, _summary = demo
    with eng.connect() as conn:
        present = set(conn.execute(select(Application.kind, Application.status).distinct()).all())
        complaints = set(conn.execute(select(Complaint.status).distinct()).scalars())
        levels = set(conn.execute(select(Complaint.level).distinct()).scalars())
        recipients = set(conn.execute(select(Recipient.status).distinct()).scalars())
    for kind in ("correction", "rent_to_own"):
        missing = {s.code for s in WORKFLOWS[kind].statuses} - {s for k, s in present if k == kind}
        assert not missing, f"{kind}: {missing}"
    assert complaints == {s.code for s in WORKFLOWS["complaint"].statuses}
    assert levels == {"provider", "quality_body"}
    assert recipients == {s.code for s in WORKFLOWS["recipient"].statuses}


def _histories(session, column):
    events = defaultdict(list)
    rows = session.scalars(
        select(StatusEvent).where(getattr(StatusEvent, column).is_not(None)).order_by(StatusEvent.id)
    )
    for event in rows:
        events[getattr(event, column)].append(event)
    return events


def _check_history(kind, item, events, initial):
    workflow = WORKFLOWS[kind]
    transitions = [e for e in events if e.kind == "transition"]
    assert transitions[0].from_status is None and transitions[0].to_status in initial, item.id
    previous = transitions[0].to_status
    moments = [e.at for e in events]
    assert moments == sorted(moments), item.id
    assert all(moment < NOW for moment in moments), item.id
    for event in transitions[1:]:
        assert event.from_status == previous, (item.id, event.from_status, previous)
        rule = workflow.find(event.from_status, event.to_status)
        assert rule is not None, (kind, item.id, event.from_status, event.to_status)
        for name in rule.requires:
            assert event.payload.get(name) not in (None, ""), (item.id, rule, name)
        previous = event.to_status
    assert previous == item.status, item.id
    return transitions


def test_histories_follow_the_workflows(demo):
    eng, _summary = demo
    with Session(eng) as session:
        apps = {a.id: a for a in session.scalars(select(Application).options(selectinload(Application.guarantors)))}
        reasons = set(session.execute(text(
            "SELECT code FROM reference_items WHERE list_name = 'refusal_reason'")).scalars())
        for app_id, events in _histories(session, "application_id").items():
            app = apps.pop(app_id)
            initial = {"creating", "sent"} if app.kind == "correction" else {"submitted"}
            transitions = _check_history(app.kind, app, events, initial)
            for event in transitions[1:]:
                rule = WORKFLOWS[app.kind].find(event.from_status, event.to_status)
                if rule.guard == "consent":
                    assert app.consent_personal_data is True
                if rule.guard == "has_guarantors":
                    assert app.guarantors
                if rule.guard == "no_guarantors":
                    assert not app.guarantors
                if event.to_status == "rejected":
                    assert event.payload["refusal_reason"] in reasons
                    if event.payload["refusal_reason"] == "other":
                        assert event.payload.get("refusal_text")
                if event.to_status == "needs_revision":
                    assert date.fromisoformat(event.payload["revision_due"]) > event.at.astimezone(LOCAL_TZ).date()
                if event.to_status in ("approved", "approved_sa_preparing", "under_review") and event.actor_id:
                    assert session.get(User, event.actor_id).role == "reviewer"
            final = WORKFLOWS[app.kind].status(app.status).final
            assert app.is_open is (not final)
            assert (app.closed_at == transitions[-1].at) if final else app.closed_at is None
            if app.consent_personal_data is False:
                assert app.status == "rejected" and app.refusal_reason == "no_consent"
            if app.status == "sa_signed":
                assert app.agreement_number and app.agreement_date
            if app.status == "contract_signed":
                assert app.contract_number and app.contract_date
        assert not apps, "applications without history"

        recipients = {r.id: r for r in session.scalars(select(Recipient))}
        for rid, events in _histories(session, "recipient_id").items():
            _check_history("recipient", recipients.pop(rid), events, {"listed"})
        assert not recipients
        complaints = {c.id: c for c in session.scalars(select(Complaint))}
        for cid, events in _histories(session, "complaint_id").items():
            _check_history("complaint", complaints.pop(cid), events, {"registered"})
        assert not complaints


# -- clocks -------------------------------------------------------------------------------------
def test_every_clock_equals_its_recomputation(demo):
    eng, _summary = demo
    with Session(eng) as session:
        ctx = load_context(session)
        clocks = session.scalars(select(Clock).options(selectinload(Clock.events)).order_by(Clock.id)).all()
        assert clocks
        for clock in clocks:
            stored = (clock.registered_on, clock.due_date, clock.paused_since, clock.stopped_at, clock.stopped_on,
                      clock.explanation)
            # the same through compute_due directly
            policy = ctx.policies.version(clock.policy_code, clock.policy_version)
            direct = compute_due(policy, [Event(e.kind, e.at, e.days, e.due) for e in clock.events], ctx.calendar)
            assert (direct.registered, direct.due, direct.paused_since, direct.stopped_at) == stored[:4], clock.id
            recompute(ctx, clock)
            assert (clock.registered_on, clock.due_date, clock.paused_since, clock.stopped_at, clock.stopped_on,
                    clock.explanation) == stored, clock.id
        session.rollback()


def _expected_clock_events(kind, transitions, start_clock=None):
    """Replay the transitions' clock actions (data.statuses) as data.workflows applies them:
    [(policy, [(event kind, at, due), ...]), ...] in creation order."""
    workflow = WORKFLOWS[kind]
    clocks = []
    if start_clock:
        clocks.append([start_clock[0], [("start", start_clock[1], None)], False])
    for event in transitions[1:]:
        rule = workflow.find(event.from_status, event.to_status)
        moment = event.at
        for name in EVENT_MOMENT_FIELDS:
            if name in event.payload:
                moment = datetime.fromisoformat(event.payload[name])
                break
        for action, code in rule.clocks:
            if action == START:
                clocks.append([code, [("start", moment, None)], False])
            elif action == START_SET:
                clocks.append([code, [("start", event.at, date.fromisoformat(event.payload["revision_due"]))], False])
            else:
                open_ = [c for c in clocks if c[0] == code and not c[2]]
                if not open_:
                    continue
                target = open_[-1]
                target[1].append((action, moment if action == RESUME else event.at, None))
                if action == STOP:
                    target[2] = True
    return [(code, events) for code, events, _stopped in clocks]


def test_clocks_are_what_the_transitions_imply(demo):
    eng, _summary = demo
    with Session(eng) as session:
        apps = {a.id: a for a in session.scalars(select(Application))}
        stored = defaultdict(list)
        for clock in session.scalars(select(Clock).where(Clock.application_id.is_not(None))
                                     .options(selectinload(Clock.events)).order_by(Clock.id)):
            stored[clock.application_id].append(
                (clock.policy_code, [(e.kind, e.at, e.due) for e in clock.events]))
        for app_id, events in _histories(session, "application_id").items():
            app = apps[app_id]
            transitions = [e for e in events if e.kind == "transition"]
            start = ("ktk_review", app.received_at) if app.kind == "rent_to_own" else None
            assert stored.get(app_id, []) == _expected_clock_events(app.kind, transitions, start), app_id
        recipient_clocks = defaultdict(list)
        for clock in session.scalars(select(Clock).where(Clock.recipient_id.is_not(None))
                                     .options(selectinload(Clock.events)).order_by(Clock.id)):
            recipient_clocks[clock.recipient_id].append(
                (clock.policy_code, [(e.kind, e.at, e.due) for e in clock.events]))
        for rid, events in _histories(session, "recipient_id").items():
            assert recipient_clocks.get(rid, []) == _expected_clock_events("recipient", events), rid


def test_application_mirrors_its_running_clock(demo):
    eng, _summary = demo
    with Session(eng) as session:
        clocks = defaultdict(list)
        for clock in session.scalars(select(Clock).where(Clock.application_id.is_not(None)).order_by(Clock.id)):
            clocks[clock.application_id].append(clock)
        for app in session.scalars(select(Application)):
            running = [c for c in clocks[app.id] if c.stopped_at is None and c.paused_since is None]
            running.sort(key=lambda c: (c.due_date, c.id))
            assert app.current_due_date == (running[0].due_date if running else None), app.id
            assert app.current_policy == (running[0].policy_code if running else None), app.id
            ktk = [c for c in clocks[app.id] if c.policy_code == "ktk_review"]
            if ktk:
                assert app.registration_date == ktk[0].registered_on
                assert app.received_at == ktk[0].started_at
                if ktk[0].stopped_at is not None:
                    assert app.closed_on_time is (ktk[0].stopped_on <= ktk[0].due_date)
                else:
                    assert app.closed_on_time is None
            for clock in clocks[app.id]:
                if clock.stopped_at is not None:
                    assert clock.state == "stopped"
                elif clock.paused_since is not None:
                    assert (clock.state, clock.days_overdue_cd) == ("paused", 0)
                elif clock.due_date < TODAY:
                    assert clock.state == "overdue" and clock.days_overdue_cd == (TODAY - clock.due_date).days > 0
                    assert 0 < clock.days_overdue_wd <= clock.days_overdue_cd
                else:
                    assert clock.state in ("due_soon", "on_track") and clock.days_overdue_wd == 0


def test_states_match_the_overdue_job(demo):
    """The stored clock states and days overdue are what the overdue job computes for ``today``:
    running it changes no row."""
    overdue = pytest.importorskip("jobs.overdue")
    eng, _summary = demo
    with Session(eng) as session:
        result = overdue.update_clock_states(session, TODAY)
        assert result.touched == 0
        assert result.counts.get("overdue") and result.counts.get("due_soon") and result.counts.get("paused")
        session.rollback()


def test_registration_shifts_happen(demo):
    """After-hours and day-off arrivals are registered on a later working day."""
    eng, _summary = demo
    with Session(eng) as session:
        reasons = Counter()
        for clock in session.scalars(select(Clock).where(Clock.policy_code == "ktk_review")):
            reasons[clock.explanation[0]["reason"]] += 1
    assert reasons["in_hours"] > reasons["after_hours"] > 0
    assert reasons["non_working_day"] > 0 and reasons["before_opening"] > 0


def test_some_open_items_overdue_and_some_due_soon(demo):
    eng, _summary = demo
    ctx_today = TODAY
    with Session(eng) as session:
        cal = load_context(session).calendar
        open_apps = session.scalars(select(Application).where(Application.is_open.is_(True))).all()
        overdue = [a for a in open_apps if a.current_due_date and a.current_due_date < ctx_today]
        soon = [a for a in open_apps if a.current_due_date and a.current_due_date >= ctx_today
                and cal.working_days_between(ctx_today, a.current_due_date) <= 2]
        assert 0.05 * len(open_apps) <= len(overdue) <= 0.3 * len(open_apps)
        assert soon
        received = [a.received_at for a in session.scalars(select(Application)) if a.received_at]
        assert min(received).date() >= date(2024, 12, 1) and max(received) < NOW
        months = {r.astimezone(LOCAL_TZ).strftime("%Y-%m") for r in received}
        assert {"2025-03", "2025-09", "2026-03", "2026-10"} <= months


# -- people and numbers -------------------------------------------------------------------------
def test_iins_and_bins_are_valid(demo):
    eng, _summary = demo
    with eng.connect() as conn:
        iins = [r for r in conn.execute(select(Application.applicant_iin).where(
            Application.applicant_iin.is_not(None))).scalars()]
        bins = [r for r in conn.execute(select(Application.applicant_bin).where(
            Application.applicant_bin.is_not(None))).scalars()]
        guarantors = list(conn.execute(text("SELECT iin FROM guarantors")).scalars())
        recipients = list(conn.execute(select(Recipient.iin)).scalars())
        complainants = list(conn.execute(select(Complaint.complainant_id_number)).scalars())
        kinds = dict(conn.execute(select(Application.id, Application.kind)).all())
    assert iins and bins and guarantors and recipients and complainants
    assert all(is_valid_iin(i) for i in iins + guarantors + recipients)
    assert all(is_valid_bin(b) for b in bins)
    assert all(is_valid_iin(c) for c in complainants)  # same check digit for IIN and BIN
    assert any(i.startswith("0") for i in iins), "some applicants born 2000-2009"
    assert len(set(recipients)) == len(recipients)
    assert len(kinds) == N


def test_realistic_fields(demo):
    eng, _summary = demo
    with Session(eng) as session:
        apps = session.scalars(select(Application).options(
            selectinload(Application.documents), selectinload(Application.guarantors))).all()
        rent = [a for a in apps if a.kind == "rent_to_own"]
        corr = [a for a in apps if a.kind == "correction"]
        assert all(a.applicant_iin and not a.applicant_bin and a.family_size and a.category for a in rent)
        assert all(len(a.documents) == 6 for a in rent)
        assert any(a.guarantors for a in rent) and any(not a.guarantors for a in rent)
        assert all(a.applicant_bin and ("ЖШС" in a.applicant_name or "ТОО" in a.applicant_name) for a in corr)
        assert all(a.correction_category and a.contract_number and a.contract_date for a in corr)
        assert any(a.correction_other for a in corr if a.correction_category == "other") or \
            not any(a.correction_category == "other" for a in corr)
        names = [a.applicant_name for a in rent]
        assert any(n.endswith(("ұлы", "қызы")) for n in names) and any(n.endswith(("ович", "овна")) for n in names)
        users = {u.username: u for u in session.scalars(select(User))}
        assert {"admin", "manager01", "manager02", "reviewer01", "reviewer12", "akimat_astana"} <= set(users)
        assert all(u.password_hash is None for u in users.values())
        assert users["akimat_astana"].akimat_id is not None
        districts = session.execute(text("SELECT kato, parent_id FROM akimats WHERE level = 'district'")).all()
        assert 10 <= len(districts) <= 20 and all(len(k) == 9 and p for k, p in districts)
        batches = session.execute(text(
            "SELECT rows_total, rows_loaded, rows_invalid, rows_duplicate, rows_already_listed, status, "
            "(SELECT count(*) FROM recipients WHERE batch_id = list_batches.id), "
            "(SELECT count(*) FROM list_row_errors WHERE batch_id = list_batches.id) FROM list_batches")).all()
        assert batches
        for total, loaded, invalid, duplicate, already, status, recipients, errors in batches:
            assert status == "loaded" and loaded == recipients
            assert total == loaded + invalid + duplicate + already
            assert errors == invalid + duplicate + already
        codes = set(session.execute(text("SELECT code FROM list_row_errors")).scalars())
        assert codes and codes <= {"iin_checksum", "iin_format", "phone_invalid", "category_unknown",
                                   "name_missing", "iin_duplicate", "already_listed"}
        upload = session.execute(text(
            "SELECT c.registered_on, c.due_date, c.stopped_on, b.registration_date, b.loaded_at "
            "FROM clocks c JOIN list_batches b ON b.id = c.batch_id")).all()
        assert len(upload) == len(batches)
        assert all(reg == batch_reg and stopped is not None for reg, _due, stopped, batch_reg, _l in upload)


def test_complaint_extensions(demo):
    eng, _summary = demo
    with Session(eng) as session:
        ctx = load_context(session)
        extended = 0
        for complaint in session.scalars(select(Complaint)):
            assert complaint.extension_days <= 10
            clocks = session.scalars(select(Clock).where(Clock.complaint_id == complaint.id)
                                     .options(selectinload(Clock.events)).order_by(Clock.id)).all()
            main = clocks[0]
            assert main.policy_code == ("complaint_quality_body" if complaint.level == "quality_body"
                                        else "complaint_provider")
            assert main.registered_on == complaint.registration_date
            extends = [e for e in main.events if e.kind == "extend"]
            assert sum(e.days for e in extends) == complaint.extension_days
            policy = ctx.policies.version(main.policy_code, main.policy_version)
            for ext in extends:
                before = [Event(e.kind, e.at, e.days, e.due) for e in main.events if e.at < ext.at]
                due_before = compute_due(policy, before, ctx.calendar).due
                assert ext.at.astimezone(LOCAL_TZ).date() <= due_before
            notices = [c for c in clocks if c.policy_code == "complaint_extension_notice"]
            assert len(notices) == len(extends)
            for notice, ext in zip(notices, extends):
                assert notice.started_at == ext.at
                assert notice.due_date == ctx.calendar.add_working_days(ext.at.astimezone(LOCAL_TZ).date(), 3)
            if complaint.status == "extended":
                extended += 1
                assert extends
            if complaint.status == "answered":
                assert not complaint.is_open and complaint.outcome and complaint.answer_date
                assert all(c.stopped_at is not None for c in clocks)
                assert complaint.closed_on_time is (main.stopped_on <= main.due_date)
            if complaint.notice_sent_on:
                assert any(c.stopped_at is not None for c in notices)
        assert extended


# -- command line -------------------------------------------------------------------------------
def test_cli_seed_demo(tmp_path, monkeypatch):
    from flask import Flask

    from cli import demo as demo_cli
    from data.db import get_engine

    path = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    try:
        upgrade_database(get_engine())
        app = Flask(__name__)
        demo_cli.register(app)
        runner = app.test_cli_runner()
        result = runner.invoke(args=["seed-demo", "--applications", "60", "--seed", "3", "--today", "2026-11-20"])
        assert result.exit_code == 0, result.output
        assert "applications" in result.output and "60" in result.output
        assert "reviewer01" in result.output and "admin" in result.output
        again = runner.invoke(args=["seed-demo", "--applications", "60"])
        assert again.exit_code == 0
        assert "60" in again.output  # says what is there, writes nothing
        with get_engine().connect() as conn:
            assert conn.execute(select(func.count()).select_from(Application)).scalar() == 60
    finally:
        get_engine().dispose()
