"""Workflows: every allowed transition works and moves the right clocks; every forbidden one
is refused with a clear message and leaves the database unchanged."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from data.errors import ConflictError, DomainError
from data.models import Application, Clock, ClockEvent, Complaint, Recipient, StatusEvent
from data.statuses import WORKFLOWS
from data.workflows import (
    add_note,
    assign_reviewer,
    record_extension_notice,
    transition,
)
from tests.conftest import local
from tests.factories import START, item_in, user, valid_fields

ALL_TRANSITIONS = [
    pytest.param(kind, rule, id=f"{kind}:{rule.source}->{rule.target}")
    for kind, workflow in WORKFLOWS.items()
    for rule in workflow.transitions
]


def _needs_guarantors(rule) -> bool:
    return rule.guard == "has_guarantors" or rule.source == "contract_guarantor_signing"


def _snapshot(session, item):
    session.flush()
    counts = tuple(session.scalar(select(func.count()).select_from(m)) for m in (StatusEvent, Clock, ClockEvent))
    clocks = tuple(session.execute(select(Clock.id, Clock.due_date, Clock.stopped_at, Clock.paused_since)
                                   .order_by(Clock.id)).all())
    columns = {c.key: getattr(item, c.key) for c in type(item).__table__.columns}
    return counts, clocks, columns


@pytest.mark.parametrize("kind,rule", ALL_TRANSITIONS)
def test_every_allowed_transition_works(session, kind, rule):
    item = item_in(session, kind, rule.source, guarantors=_needs_guarantors(rule))
    at = START.replace(tzinfo=local(2026, 1, 1).tzinfo) + timedelta(days=1)
    fields = valid_fields(session, rule, at)
    events_before = session.scalar(select(func.count()).select_from(StatusEvent))
    event = transition(session, item, rule.target, fields=fields, at=at)
    assert item.status == rule.target
    assert event.from_status == rule.source and event.to_status == rule.target
    assert session.scalar(select(func.count()).select_from(StatusEvent)) == events_before + 1
    for action, policy in rule.clocks:
        clocks = [c for c in session.scalars(select(Clock).where(Clock.policy_code == policy)) if
                  getattr(c, {"correction": "application_id", "rent_to_own": "application_id",
                              "complaint": "complaint_id", "recipient": "recipient_id"}[kind]) == item.id]
        if action == "stop" and not clocks:
            continue  # a stop names every clock it may end (e.g. either complaint level)
        assert clocks, f"{action} {policy}: no clock"
        latest = max(clocks, key=lambda c: c.id)
        if action in ("start", "start_set"):
            assert latest.stopped_at is None and latest.due_date is not None
        elif action == "stop":
            assert latest.stopped_at is not None
        elif action == "pause":
            assert latest.paused_since is not None
        elif action == "resume":
            assert latest.paused_since is None and latest.stopped_at is None
    if WORKFLOWS[kind].status(rule.target).final and hasattr(item, "is_open"):
        assert item.is_open is False


FORBIDDEN = [
    pytest.param(kind, source, target, id=f"{kind}:{source}->{target}")
    for kind, workflow in WORKFLOWS.items()
    for source in [s.code for s in workflow.statuses]
    for target in [s.code for s in workflow.statuses]
    if workflow.find(source, target) is None
]


@pytest.mark.parametrize("kind,source,target", FORBIDDEN)
def test_every_forbidden_transition_is_refused_and_changes_nothing(session, kind, source, target):
    item = item_in(session, kind, source)
    before = _snapshot(session, item)
    with pytest.raises(DomainError) as excinfo:
        transition(session, item, target, fields={"comment": "x"}, at=local(2026, 3, 20, 10, 0))
    assert excinfo.value.code == "forbidden_transition"
    assert _snapshot(session, item) == before


def test_forbidden_message_names_both_statuses_and_the_allowed_ones(session):
    app = item_in(session, "rent_to_own", "submitted")
    with pytest.raises(DomainError) as excinfo:
        transition(session, app, "contract_signed", at=local(2026, 3, 3, 10, 0))
    ru = excinfo.value.message("ru")
    kk = excinfo.value.message("kk")
    assert "«Заявка подана»" in ru and "«Договор подписан»" in ru and "«Заявка на рассмотрении»" in ru
    assert "«Өтінім берілді»" in kk and "«Шартқа қол қойылды»" in kk


@pytest.mark.parametrize("kind,source,target,missing", [
    ("correction", "under_review", "needs_revision", "remarks"),
    ("correction", "under_review", "rejected", "refusal_reason"),
    ("correction", "sa_ktk_signing", "sa_signed", "agreement_number"),
    ("rent_to_own", "submitted", "under_review", "reviewer_id"),
    ("rent_to_own", "registration_payment", "registration_submitted", "payment_confirmed_at"),
    ("complaint", "under_review", "extended", "extension_reason"),
    ("complaint", "under_review", "answered", "outcome"),
])
def test_missing_required_field_is_refused_and_changes_nothing(session, kind, source, target, missing):
    item = item_in(session, kind, source)
    rule = WORKFLOWS[kind].find(source, target)
    at = local(2026, 3, 3, 11, 0)
    fields = valid_fields(session, rule, at)
    fields.pop(missing)
    before = _snapshot(session, item)
    with pytest.raises(DomainError) as excinfo:
        transition(session, item, target, fields=fields, at=at)
    assert excinfo.value.code == "missing_field" and excinfo.value.params["field"] == missing
    assert _snapshot(session, item) == before
    assert "«" in excinfo.value.message("ru")


def test_refusal_reason_must_come_from_the_configurable_list(session):
    app = item_in(session, "correction", "under_review")
    with pytest.raises(DomainError) as excinfo:
        transition(session, app, "rejected", fields={"refusal_reason": "because"}, at=local(2026, 3, 3, 11, 0))
    assert excinfo.value.code == "invalid_field"
    assert "тізімнен таңдаңыз" in excinfo.value.message("kk")
    with pytest.raises(DomainError) as excinfo:
        transition(session, app, "rejected", fields={"refusal_reason": "other"}, at=local(2026, 3, 3, 11, 0))
    assert excinfo.value.params["field"] == "refusal_text"
    assert app.status == "under_review"


def test_revision_due_must_be_in_the_future(session):
    app = item_in(session, "correction", "under_review")
    with pytest.raises(DomainError) as excinfo:
        transition(session, app, "needs_revision", fields={"remarks": "x", "revision_due": "03.03.2026"},
                   at=local(2026, 3, 3, 11, 0))
    assert excinfo.value.params["reason_key"] == "must_be_future"


def test_approval_needs_personal_data_consent(session):
    app = item_in(session, "rent_to_own", "under_review")
    app.consent_personal_data = False
    with pytest.raises(DomainError) as excinfo:
        transition(session, app, "approved", at=local(2026, 3, 3, 11, 0))
    assert excinfo.value.code == "no_consent"
    assert app.status == "under_review"


def test_guarantor_path_only_with_guarantors(session):
    without = item_in(session, "rent_to_own", "contract_applicant_signing")
    with pytest.raises(DomainError) as excinfo:
        transition(session, without, "contract_guarantor_signing", at=local(2026, 3, 3, 11, 0))
    assert excinfo.value.code == "guarantor_step_needs_guarantors"
    with_g = item_in(session, "rent_to_own", "contract_applicant_signing", guarantors=True)
    with pytest.raises(DomainError) as excinfo:
        transition(session, with_g, "contract_ktk_signing", at=local(2026, 3, 3, 11, 0))
    assert excinfo.value.code == "guarantors_must_sign"


def test_review_clock_pauses_for_revision_and_resumes_with_paused_days(session):
    # Submitted Fri 06.03.2026 20:00 -> registered Tue 10.03 -> due 26.03 (25.03 Nauryz moved day off).
    from data.workflows import create_application

    reviewer = user(session)
    app = create_application(session, "rent_to_own", {"applicant_name": "Иванова Анна", "consent_personal_data": True},
                             received_at=local(2026, 3, 6, 20, 0))
    assert app.registration_date == date(2026, 3, 10)
    assert app.current_due_date == date(2026, 3, 26) and app.current_policy == "ktk_review"
    transition(session, app, "under_review", fields={"reviewer_id": reviewer.id}, at=local(2026, 3, 11, 9, 0))
    transition(session, app, "needs_revision", at=local(2026, 3, 12, 15, 0),
               fields={"remarks": "Анықтаманы қосыңыз", "revision_due": date(2026, 3, 19)})
    # While paused the application follows the applicant's revision date.
    assert app.current_policy == "applicant_revision" and app.current_due_date == date(2026, 3, 19)
    # Resubmitted Mon 16.03 at 19:30 -> registered Tue 17.03: paused 12.03 -> 17.03 = 5 days; 25.03 + 5 = 30.03.
    transition(session, app, "under_review", fields={"received_at": local(2026, 3, 16, 19, 30)},
               at=local(2026, 3, 16, 19, 31))
    review = session.scalar(select(Clock).where(Clock.application_id == app.id, Clock.policy_code == "ktk_review"))
    assert review.paused_since is None
    assert review.due_date == date(2026, 3, 30)
    assert app.current_due_date == date(2026, 3, 30) and app.current_policy == "ktk_review"
    revision = session.scalar(select(Clock).where(Clock.application_id == app.id,
                                                  Clock.policy_code == "applicant_revision"))
    assert revision.stopped_on == date(2026, 3, 16)


def test_state_registration_clock_from_payment_confirmation(session):
    app = item_in(session, "rent_to_own", "registration_payment")
    # Payment confirmed Fri 08.05.2026 -> 1 wd: Sat, Sun, Mon 11.05 (Victory day moved) off -> Tue 12.05.
    transition(session, app, "registration_submitted", fields={"payment_confirmed_at": local(2026, 5, 8, 17, 0)},
               at=local(2026, 5, 8, 17, 5))
    assert app.current_policy == "state_registration" and app.current_due_date == date(2026, 5, 12)


def test_optimistic_lock_refuses_a_stale_edit(session):
    app = item_in(session, "correction", "under_review")
    seen_version = app.version
    add_note(session, app, "Алдымен мен қараймын")  # notes do not change the application row
    assert app.version == seen_version
    other = user(session, "rev2")
    assign_reviewer(session, app, other.id, expected_version=seen_version)  # first writer wins
    with pytest.raises(ConflictError) as excinfo:
        transition(session, app, "approved_sa_preparing", expected_version=seen_version,
                   at=local(2026, 3, 3, 12, 0))
    assert app.status == "under_review"
    assert "басқа пайдаланушы" in excinfo.value.message("kk")
    assert "другой пользователь" in excinfo.value.message("ru")


def test_concurrent_sessions_second_writer_gets_a_conflict(engine):
    """Two real sessions load the same row; the second commit is refused, the first kept."""
    from data.db import session_factory
    from data.workflows import create_application

    make = session_factory(engine)
    with make() as s:
        app = create_application(s, "rent_to_own", {"applicant_name": "Конфликт Тест", "consent_personal_data": True},
                                 received_at=local(2026, 4, 1, 10, 0))
        reviewer = user(s, "rev_conc")
        s.commit()
        app_id, reviewer_id = app.id, reviewer.id
    try:
        first, second = make(), make()
        a1, a2 = first.get(Application, app_id), second.get(Application, app_id)
        transition(first, a1, "under_review", fields={"reviewer_id": reviewer_id}, at=local(2026, 4, 1, 11, 0))
        first.commit()
        with pytest.raises(ConflictError):
            transition(second, a2, "rejected", fields={"refusal_reason": "not_eligible"}, at=local(2026, 4, 1, 11, 1))
        second.rollback()
        with make() as check:
            assert check.get(Application, app_id).status == "under_review"
        first.close()
        second.close()
    finally:
        with make() as s:
            for model, col in ((ClockEvent, None), (Clock, Clock.application_id), (StatusEvent, StatusEvent.application_id)):
                if col is None:
                    clock_ids = s.scalars(select(Clock.id).where(Clock.application_id == app_id)).all()
                    s.query(ClockEvent).filter(ClockEvent.clock_id.in_(clock_ids)).delete(synchronize_session=False)
                else:
                    s.query(model).filter(col == app_id).delete(synchronize_session=False)
            s.query(Application).filter(Application.id == app_id).delete(synchronize_session=False)
            s.commit()


def test_complaint_extension_rules(session):
    # provider complaint registered 06.05.2026 10:00 -> due 15.05; extended 10 wd on 14.05 -> 01.06
    from data.workflows import create_complaint

    complaint = create_complaint(session, {"channel": "paper", "complainant_name": "Жақсыбеков Ерлан",
                                           "subject": "Жауап берілмеді"},
                                 level="provider", received_at=local(2026, 5, 6, 10, 0))
    assert complaint.current_due_date == date(2026, 5, 15)
    transition(session, complaint, "under_review", at=local(2026, 5, 7, 10, 0))
    with pytest.raises(DomainError) as excinfo:
        transition(session, complaint, "extended", fields={"extension_reason": "site_inspection",
                                                           "extension_days": 11}, at=local(2026, 5, 14, 10, 0))
    assert excinfo.value.params["reason_key"] == "extension_range"
    transition(session, complaint, "extended", fields={"extension_reason": "site_inspection", "extension_days": 10},
               at=local(2026, 5, 14, 10, 0))
    assert complaint.current_due_date == date(2026, 5, 19)  # the notice clock (3 wd) is now the earliest
    main = session.scalar(select(Clock).where(Clock.complaint_id == complaint.id,
                                              Clock.policy_code == "complaint_provider"))
    assert main.due_date == date(2026, 6, 1)
    with pytest.raises(DomainError) as excinfo:
        transition(session, complaint, "extended", fields={"extension_reason": "additional_study",
                                                           "extension_days": 1}, at=local(2026, 5, 20, 10, 0))
    assert excinfo.value.code == "extension_too_long"
    record_extension_notice(session, complaint, date(2026, 5, 15), "paper")
    session.flush()
    assert complaint.current_due_date == date(2026, 6, 1)


def test_extension_after_due_date_is_refused(session):
    from data.workflows import create_complaint

    complaint = create_complaint(session, {"channel": "electronic", "complainant_name": "Омаров Ғалым",
                                           "subject": "Тізімде жоқпын"},
                                 level="provider", received_at=local(2026, 5, 6, 10, 0))
    transition(session, complaint, "under_review", at=local(2026, 5, 7, 10, 0))
    with pytest.raises(DomainError) as excinfo:
        transition(session, complaint, "extended", fields={"extension_reason": "additional_study",
                                                           "extension_days": 2}, at=local(2026, 5, 18, 10, 0))
    assert excinfo.value.code == "extension_after_due"
    assert "15.05.2026" in excinfo.value.message("ru")
