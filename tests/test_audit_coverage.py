"""Every change lands in the audit trail: each mutating service, sign-in path, command and export
writes a row naming who (actor), what (entity type and id) and, where fields change, before → after.

The services run against the rolled-back test session; the sign-in, sign-out and export routes
through Flask's test client and the commands as operators run them (``flask --app app …`` in a
subprocess), each on a database of its own, because audit rows cannot be deleted afterwards.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from data import application_service, auth, calendar_admin
from data import complaints as complaint_service
from data.audit import parse_message
from data.db import make_engine
from data.imports import import_list, load_batch
from data.models import ListBatch, Recipient, User
from data.models.audit import AuditEntry
from data.queries import calendar as calendar_queries
from data.queries.lists import mark_notified
from data.recipients import expire_recipients, link_application
from data.workflows import create_application
from tests.conftest import local
from tests.factories import akimat as astana
from tests.factories import new_item
from tests.factories import user as make_user
from tests.module_db import engine_of, module_database
from tests.signin import form_sign_in
from tests.test_imports_support import akimat as new_akimat
from tests.test_imports_support import kk_row, person, write_xlsx

ROOT = Path(__file__).resolve().parent.parent
IIN = "900101300126"
PASSWORD = "Audit-Check-2026!"


def rows(session, action: str | None = None, **where) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    for name, value in where.items():
        query = query.where(getattr(AuditEntry, name) == value)
    return list(session.scalars(query))


def last(session, action: str, **where) -> AuditEntry:
    found = rows(session, action, **where)
    assert found, f"no audit row {action} {where}"
    return found[-1]


# -- applications ---------------------------------------------------------------------------------
def test_application_create_status_assign_note_are_audited(session):
    reviewer = make_user(session, "aud.rev1", "reviewer")
    manager = make_user(session, "aud.man1", "manager")
    akimat_id = astana(session).id
    raw = {"kind": "rent_to_own", "id_number": IIN, "applicant_name": "Әлиев Нұрлан", "phone": "+7 701 234 56 78",
           "akimat_id": akimat_id, "received_date": "06.03.2026", "received_time": "12:00",
           "category": "budget_employee", "family_size": "3", "consent": True}
    application = application_service.register_new_application(session, reviewer, raw, override_duplicates=True,
                                                                now=local(2026, 3, 6, 13, 0))
    created = last(session, "create", entity="application", entity_id=str(application.id))
    assert created.actor_id == reviewer.id and created.before is None
    assert created.after["status"] == "submitted" and created.after["kind"] == "rent_to_own"

    application_service.assign(session, manager, application.id, reviewer.id, expected_version=application.version)
    assigned = last(session, "assign", entity_id=str(application.id))
    assert assigned.actor_id == manager.id and assigned.entity == "application"
    assert assigned.before["reviewer_id"] is None and assigned.after["reviewer_id"] == reviewer.id

    application_service.change_status(session, reviewer, application.id, "under_review", {"reviewer_id": str(reviewer.id)},
                                      expected_version=application.version)
    change = last(session, "status_change", entity_id=str(application.id))
    assert change.actor_id == reviewer.id
    assert (change.before["status"], change.after["status"]) == ("submitted", "under_review")

    application_service.note(session, reviewer, application.id, "Қоңырау шалынды")
    note = last(session, "note", entity_id=str(application.id))
    assert note.actor_id == reviewer.id and note.after["note"] == "Қоңырау шалынды"


# -- complaints --------------------------------------------------------------------------------------
def test_every_complaint_action_is_audited_with_before_and_after(session):
    reviewer = make_user(session, "aud.crev", "reviewer")
    manager = make_user(session, "aud.cman", "manager")
    app = new_item(session, "rent_to_own")
    raw = {"about": "application", "ref": app.registration_number or str(app.id), "complainant_id_number": IIN,
           "complainant_name": "Сәрсенова Айгүл", "complainant_contact": "+77011234567",
           "received_date": "2026-05-06", "received_time": "10:00", "channel": "paper", "level": "provider",
           "subject": "Мерзім бұзылды"}
    complaint = complaint_service.register(session, reviewer, raw, now=local(2026, 5, 6, 18, 0))
    complaint_service.reassign(session, manager, complaint.id, reviewer.id, expected_version=complaint.version)
    complaint_service.take_into_review(session, reviewer, complaint.id, expected_version=complaint.version,
                                       at=local(2026, 5, 7, 10, 0))
    complaint_service.extend(session, reviewer, complaint.id, "site_inspection", "5",
                             expected_version=complaint.version, at=local(2026, 5, 8, 11, 0))
    complaint_service.record_notice(session, reviewer, complaint.id, "2026-05-11", "paper",
                                    expected_version=complaint.version, at=local(2026, 5, 11, 12, 0))
    complaint_service.answer(session, reviewer, complaint.id, "upheld", "Қанағаттандырылды", None,
                             expected_version=complaint.version, at=local(2026, 5, 12, 12, 0))
    child = complaint_service.escalate(session, reviewer, complaint.id,
                                       {"received_date": "2026-05-22", "received_time": "12:00", "channel": "paper"},
                                       now=local(2026, 5, 22, 13, 0))
    escalated = last(session, "complaint_escalate", entity_id=str(child.id))
    assert escalated.actor_id == reviewer.id and escalated.entity == "complaint"
    trail = rows(session, entity="complaint", entity_id=str(complaint.id))
    assert [r.action for r in trail] == ["complaint_register", "complaint_assign", "complaint_review",
                                         "complaint_extend", "complaint_notice", "complaint_answer"]
    assert trail[0].actor_id == reviewer.id and trail[1].actor_id == manager.id
    assert all(r.actor_id is not None for r in trail)
    for entry in trail[2:]:
        assert entry.before is not None and entry.after is not None
    assert trail[2].before["status"] == "registered" and trail[2].after["status"] == "under_review"
    assert trail[-1].before["status"] == "extended" and trail[-1].after["status"] == "answered"


# -- the working calendar (page and command line share data.calendar_admin) -------------------------------
def test_calendar_overrides_are_audited_on_every_path(session):
    admin = make_user(session, "aud.adm", "admin")
    calendar_admin.set_override(session, date(2031, 4, 16), "holiday", "Декрет", actor=admin)
    first = last(session, "calendar_override", entity_id="2031-04-16")
    assert first.actor_id == admin.id and first.entity == "calendar"
    assert first.before is None and first.after == {"day": "2031-04-16", "kind": "holiday", "name": "Декрет"}
    calendar_admin.set_override(session, date(2031, 4, 16), "workday", "Ауыстыру", actor=admin)
    second = last(session, "calendar_override", entity_id="2031-04-16")
    assert second.before["kind"] == "holiday" and second.after["kind"] == "workday"
    calendar_admin.remove_override(session, date(2031, 4, 16), actor=admin)
    removed = last(session, "calendar_override", entity_id="2031-04-16")
    assert removed.before["kind"] == "workday" and removed.after is None and removed.actor_id == admin.id
    key, params = parse_message(removed.detail)
    assert key == "audit.msg.calendar_override.removed" and params["day"] == "2031-04-16"
    assert params["moved"] >= 0 and params["checked"] >= params["moved"]
    # the page's service writes exactly one row per change (not one of its own and one of the service's)
    before = len(rows(session, "calendar_override"))
    calendar_queries.change_override(session, admin, "17.04.2031", "holiday", "Тест")
    assert len(rows(session, "calendar_override")) == before + 1


# -- akimat lists and recipients ------------------------------------------------------------------------
@pytest.fixture
def instance_dir(tmp_path, monkeypatch):
    from data import config

    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / "instance")


def test_list_import_load_notify_apply_expire_are_audited(session, tmp_path, instance_dir):
    area = new_akimat(session)
    uploader = User(username=f"aud.akim{area.kato}", full_name="Әкімдік", role="akimat", akimat_id=area.id)
    session.add(uploader)
    session.flush()
    people = [person() for _ in range(3)]
    path = write_xlsx(tmp_path / "l.xlsx", [kk_row(p, i) for i, p in enumerate(people)])
    result = import_list(session, path, akimat=area.kato, received_at=local(2026, 3, 2, 10, 0),
                         now=local(2026, 3, 2, 11, 0), uploaded_by=uploader, validate_only=True)
    imported = last(session, "list_import", entity_id=str(result.batch_id))
    assert imported.actor_id == uploader.id and imported.entity == "list_batch"
    assert imported.after["status"] == "validated" and imported.after["rows_total"] == 3

    load_batch(session, result.batch_id, now=local(2026, 3, 2, 12, 0), actor=uploader.id)
    loaded = last(session, "list_load", entity_id=str(result.batch_id))
    assert loaded.actor_id == uploader.id and loaded.after["status"] == "loaded" and loaded.after["rows_loaded"] == 3

    # the same file again: refused as a duplicate, and that is in the trail too
    again = import_list(session, path, akimat=area.kato, now=local(2026, 3, 2, 13, 0), uploaded_by=uploader.id)
    duplicate = last(session, "list_import", entity_id=str(again.batch_id))
    assert duplicate.after["duplicate_of_id"] == result.batch_id and duplicate.actor_id == uploader.id

    operator = make_user(session, "aud.sms", "reviewer")
    mark_notified(session, operator, result.batch_id, "06.03.2026 12:00", now=local(2026, 3, 6, 13, 0),
                  today=date(2026, 3, 6), ip="10.1.2.3")
    notified = last(session, "recipients_notified", entity_id=str(result.batch_id))
    assert notified.actor_id == operator.id and notified.ip == "10.1.2.3" 
    key, params = parse_message(notified.detail)
    assert key == "audit.msg.recipients_notified" and (params["notified"], params["skipped"]) == (3, 0)
    assert params["sent_at"].startswith("2026-03-06T12:00")

    recipients = list(session.scalars(select(Recipient).where(Recipient.batch_id == result.batch_id)
                                      .order_by(Recipient.id)))
    application = create_application(session, "rent_to_own", {"applicant_name": "Ахметов Бекзат",
                                                               "applicant_iin": recipients[0].iin,
                                                               "akimat_id": area.id},
                                     received_at=local(2026, 3, 10, 10, 0))
    link_application(session, application, actor=operator)
    applied = last(session, "status_change", entity="recipient", entity_id=str(recipients[0].id))
    assert applied.actor_id == operator.id
    assert applied.before == {"status": "notified"} and applied.after["status"] == "applied"

    assert expire_recipients(session, date(2026, 4, 30)) == 2
    expired = last(session, "recipients_expired")
    assert expired.before == {"status": "notified"} and expired.after == {"status": "expired", "count": 2}
    assert expired.actor_id is None  # a scheduled job: the system


# -- accounts and sign-in -----------------------------------------------------------------------------------
def test_accounts_and_sign_in_outcomes_are_audited(session):
    admin = make_user(session, "aud.admin2", "admin")
    user = auth.create_user(session, "aud.person", "Тексеру Адамы", "reviewer", PASSWORD, actor=admin)
    created = last(session, "user_created", entity_id=str(user.id))
    assert created.actor_id == admin.id and created.entity == "user" and created.after["role"] == "reviewer"

    assert auth.authenticate(session, "aud.person", PASSWORD, ip="10.0.0.5").user is not None
    signed = last(session, "sign_in", actor_id=user.id)
    assert signed.ip == "10.0.0.5"
    assert auth.authenticate(session, "aud.person", "wrong", ip="10.0.0.6").user is None
    failed = last(session, "sign_in_failed", actor_id=user.id)
    assert failed.ip == "10.0.0.6"
    assert parse_message(failed.detail) == ("audit.msg.sign_in.wrong_password", {"attempt": 1})
    assert auth.authenticate(session, "nobody.here", "x", ip="10.0.0.7").user is None
    unknown = last(session, "sign_in_failed", actor_name="nobody.here")
    assert unknown.actor_id is None and unknown.ip == "10.0.0.7"
    for _ in range(5):
        auth.authenticate(session, "aud.person", "wrong", ip="10.0.0.6")
    assert parse_message(last(session, "sign_in_failed", actor_id=user.id).detail) == ("audit.msg.sign_in.locked", {})

    auth.set_password(session, "aud.person", PASSWORD + "x", actor=admin)
    assert last(session, "password_set", entity_id=str(user.id)).actor_id == admin.id
    auth.deactivate_user(session, "aud.person", actor=admin)
    off = last(session, "user_deactivated", entity_id=str(user.id))
    assert off.before == {"is_active": True} and off.after == {"is_active": False}


# -- the audit trail itself is append-only -------------------------------------------------------------------
def test_audit_rows_cannot_be_changed_through_the_orm(session):
    entry = make_user(session, "aud.admin3", "admin")
    row = rows(session)[-1] if rows(session) else None
    if row is None:
        auth.set_password(session, "aud.admin3", PASSWORD, actor=entry)
        row = rows(session)[-1]
    with pytest.raises(DatabaseError):
        with session.begin_nested():
            row.detail = "changed"
            session.flush()
    session.expire_all()
    with pytest.raises(DatabaseError):
        with session.begin_nested():
            session.delete(session.get(AuditEntry, row.id))
            session.flush()


def test_no_code_path_updates_or_deletes_audit_rows():
    """The only writer is data.audit.record (INSERT); no module updates or deletes the table."""
    pattern = re.compile(r"(update|delete)\s*\(\s*AuditEntry|AuditEntry\)\s*\.\s*(update|delete)"
                         r"|(UPDATE|DELETE FROM)\s+audit_log", re.IGNORECASE)
    offenders = []
    for folder in ("data", "callbacks", "routes", "cli", "jobs", "pages"):
        for path in (ROOT / folder).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            if pattern.search(source):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


# -- routes: sign-in, sign-out, exports (a database of their own) ----------------------------------------------
@pytest.fixture(scope="module")
def web_db(tmp_path_factory):
    with module_database(tmp_path_factory, "auditcov") as url, engine_of(url) as engine:
        with Session(engine) as s:
            auth.create_user(s, "aud.webadmin", "Әкімші Тексеру", "admin", PASSWORD)
            auth.create_user(s, "aud.webman", "Басшы Тексеру", "manager", PASSWORD)
            s.commit()
        yield url, engine


@pytest.fixture
def client(web_db, monkeypatch):
    import app as app_module

    monkeypatch.setenv("DATABASE_URL", web_db[0])
    return app_module.server.test_client()


def sign_in(client, username: str, password: str = PASSWORD):
    return form_sign_in(client, username, password, remote_addr="10.9.8.7")


def web_rows(engine, action: str) -> list[AuditEntry]:
    with Session(engine) as s:
        found = rows(s, action)
        for row in found:
            s.expunge(row)
        return found


def test_sign_in_routes_and_exports_are_audited(client, web_db):
    _url, engine = web_db
    failed_before = len(web_rows(engine, "sign_in_failed"))
    assert sign_in(client, "aud.webman", "Wrong-1234!").status_code == 401
    failed = web_rows(engine, "sign_in_failed")
    assert len(failed) == failed_before + 1 and failed[-1].ip == "10.9.8.7"

    assert sign_in(client, "aud.webman").status_code == 302
    signed = web_rows(engine, "sign_in")[-1]
    assert signed.actor_name == "aud.webman" and signed.ip == "10.9.8.7"

    exports = len(web_rows(engine, "export"))
    response = client.get("/files/registry.csv?state=open")
    assert response.status_code == 200
    response.get_data()
    export = web_rows(engine, "export")[-1]
    assert len(web_rows(engine, "export")) == exports + 1
    assert export.entity == "registry" and export.actor_name == "aud.webman" and '"state": "open"' in export.detail

    # a manager may not export the audit trail (and that refusal writes nothing)
    assert client.get("/files/audit.csv").status_code == 403
    assert len(web_rows(engine, "export")) == exports + 1
    client.get("/logout")
    assert web_rows(engine, "sign_out")[-1].actor_name == "aud.webman"

    assert sign_in(client, "aud.webadmin").status_code == 302
    response = client.get("/files/audit.csv?action=sign_in_failed")
    assert response.status_code == 200
    body = response.get_data().decode("utf-8")
    assert body.startswith("\ufeff") and "Сәтсіз кіру әрекеті" in body and "10.9.8.7" in body
    audit_export = web_rows(engine, "export")[-1]
    assert audit_export.entity == "audit" and audit_export.actor_name == "aud.webadmin"
    assert '"action": "sign_in_failed"' in audit_export.detail and '"rows": ' in audit_export.detail
    # a bad filter is refused with a message, and exports nothing
    refused = client.get("/files/audit.csv?from=31.02.2026")
    assert refused.status_code == 400 and "Сүзгі дұрыс емес" in refused.get_data(as_text=True)


# -- the command line ---------------------------------------------------------------------------------------------
def flask_cli(url: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=url)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)


def test_commands_write_audit_rows(scratch_db_url, tmp_path):
    assert flask_cli(scratch_db_url, "db", "upgrade").returncode == 0
    steps = [
        ("create-user", "aud.cli", "--name", "Команда Жолы", "--role", "reviewer", "--password", PASSWORD),
        ("set-password", "aud.cli", "--password", PASSWORD + "y"),
        ("deactivate-user", "aud.cli"),
        ("calendar", "add-holiday", "2031-05-12", "--name", "Декрет"),
        ("calendar", "remove", "2031-05-12"),
    ]
    for step in steps:
        result = flask_cli(scratch_db_url, *step)
        assert result.returncode == 0, result.stderr
    people = [person() for _ in range(2)]
    path = write_xlsx(tmp_path / "cli.xlsx", [kk_row(p, i) for i, p in enumerate(people)])
    result = flask_cli(scratch_db_url, "import-list", str(path), "--akimat", "710000000", "--json")
    assert result.returncode == 0, result.stderr
    engine = make_engine(scratch_db_url)
    try:
        with Session(engine) as s:
            batch_id = s.scalar(select(ListBatch.id).order_by(ListBatch.id.desc()))
            result = flask_cli(scratch_db_url, "notify-recipients", "--batch", str(batch_id))
            assert result.returncode == 0, result.stderr
            s.expire_all()
            user_id = s.scalar(select(User.id).where(User.username == "aud.cli"))
            trail = [(r.action, r.entity, r.entity_id) for r in rows(s)]
            assert ("user_created", "user", str(user_id)) in trail
            assert ("password_set", "user", str(user_id)) in trail
            assert ("user_deactivated", "user", str(user_id)) in trail
            overrides = rows(s, "calendar_override", entity_id="2031-05-12")
            assert [o.after is None for o in overrides] == [False, True]
            assert overrides[0].after["kind"] == "holiday" and overrides[1].before["kind"] == "holiday"
            assert ("list_import", "list_batch", str(batch_id)) in trail
            notified = rows(s, "recipients_notified", entity_id=str(batch_id))
            assert len(notified) == 1
            key, params = parse_message(notified[0].detail)
            assert key == "audit.msg.recipients_notified.cli" and params["notified"] == 2
            # commands run as the system: no signed-in actor
            assert all(r.actor_id is None for r in rows(s) if r.action != "sign_in")
    finally:
        engine.dispose()


def test_every_action_written_has_a_label():
    """The actions the services write are the ones the audit page lists (with kk/ru labels)."""
    from data.i18n import t
    from data.queries.audit import ACTIONS

    written = set()
    for folder in ("data", "callbacks", "routes", "cli", "jobs"):
        for path in (ROOT / folder).rglob("*.py"):
            # audit.record(session, "…") and the same function imported as ``audit`` (job_history)
            for match in re.finditer(r'\baudit(?:\.record)?\(\s*\w+,\s*"([a-z_.]+)"', path.read_text(encoding="utf-8")):
                written.add(match.group(1))
    assert written, "no audit.record calls found"
    missing = sorted(a for a in written if a not in ACTIONS)
    assert missing == []
    for action in ACTIONS:
        assert t(f"audit.action.{action}", "kk") != f"audit.action.{action}"
        assert t(f"audit.action.{action}", "ru") != f"audit.action.{action}"



def test_every_entity_written_has_a_label():
    """The entity types the services write are in the audit page's filter, with kk/ru labels."""
    from data.i18n import t
    from data.queries.audit import ENTITIES

    written = set()
    for folder in ("data", "callbacks", "routes", "cli", "jobs"):
        for path in (ROOT / folder).rglob("*.py"):
            written.update(re.findall(r'\bentity="([a-z_]+)"', path.read_text(encoding="utf-8")))
    assert {"application", "job", "report"} <= written
    assert sorted(e for e in written if e not in ENTITIES) == []
    for entity in ENTITIES:
        assert t(f"audit.entity.{entity}", "kk") != f"audit.entity.{entity}"
        assert t(f"audit.entity.{entity}", "ru") != f"audit.entity.{entity}"
