"""Complaints (seed 004 items 33-34) through the services of data/complaints.py, on real dates.

Hand-computed cases (Kazakhstan working calendar, 2026):
- provider complaint received Wed 06.05.2026 10:00 -> registered 06.05; 5 wd: 7 May is a day
  off (moved), 8 (1), 9-11 off (Victory Day on Saturday -> Monday 11th), 12 (2), 13 (3), 14 (4),
  15 (5) -> due Fri 15.05.2026.
- extended by 10 wd on 14.05: from 15.05: 18-22 (5), 25, 26 (7), 27 Kurban ait, 28, 29 (9),
  1 June (10) -> due Mon 01.06.2026; the notice is due 3 wd after 14.05: 15, 18, 19 -> 19.05.
- quality-body complaint received Thu 19.03.2026 12:00 -> registered 19.03; 15 wd: 20 (1),
  21-25 Nauryz (21-23) and its moved day off 25.03 (and the weekend), 24 (2), 26 (3), 27 (4),
  30, 31 (6), 1-3 Apr (9), 6-10 (14), 13 (15)... see the explanation test: due 14.04.2026.
"""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from data import complaints as service
from data.errors import ConflictError, DomainError
from data.explain import render
from data.models import Application, Clock, Complaint, StatusEvent, User
from data.models.audit import AuditEntry
from tests.conftest import local
from tests.factories import new_item, user as make_user

IIN = "900101300126"  # a valid IIN (check digit 6)
BIN = "050140004541"  # a valid BIN


def reviewer(session, name="crev1"):
    return make_user(session, name, "reviewer")


def form(app: Application, **changes):
    raw = {
        "about": "application", "ref": app.registration_number or str(app.id),
        "complainant_id_number": IIN, "complainant_name": "Сәрсенова  Айгүл ", "complainant_contact": "+77011234567",
        "received_date": "2026-05-06", "received_time": "10:00", "channel": "paper", "level": "provider",
        "subject": "Өтінім мерзімі бұзылды",
    }
    raw.update(changes)
    return raw


def register(session, user, **changes) -> Complaint:
    app = new_item(session, "rent_to_own")
    return service.register(session, user, form(app, **changes), now=local(2026, 5, 6, 18, 0))


def clock(session, complaint, code) -> Clock:
    return session.scalars(select(Clock).where(Clock.complaint_id == complaint.id, Clock.policy_code == code)
                           .order_by(Clock.id.desc())).first()


# -- the hand-computed dates -------------------------------------------------------------------
def test_provider_complaint_extended_by_ten_working_days_over_kurban_ait(session):
    rev = reviewer(session)
    complaint = register(session, rev)
    assert complaint.registration_date == date(2026, 5, 6)
    assert complaint.current_due_date == date(2026, 5, 15)
    assert complaint.complainant_name == "Сәрсенова Айгүл"  # spaces collapsed
    service.take_into_review(session, rev, complaint.id, expected_version=complaint.version,
                             at=local(2026, 5, 7, 10, 0))
    assert complaint.responsible_id == rev.id  # the reviewer who takes it is responsible
    service.extend(session, rev, complaint.id, "site_inspection", "10", expected_version=complaint.version,
                   at=local(2026, 5, 14, 11, 0))
    level = clock(session, complaint, "complaint_provider")
    notice = clock(session, complaint, "complaint_extension_notice")
    assert level.due_date == date(2026, 6, 1)
    assert notice.due_date == date(2026, 5, 19)
    assert complaint.status == "extended" and complaint.extension_days == 10
    assert complaint.current_due_date == date(2026, 5, 19)  # the nearest open obligation
    text_ru = render(level.explanation, "ru")
    assert "15.05.2026 → 01.06.2026" in text_ru
    # the page's sentence also names the holiday the extension stepped over
    full = service.explain(level.explanation, "ru")
    assert full.startswith(text_ru) and "27.05 — Курбан айт" in full
    assert "27.05" in service.explain(level.explanation, "kk")
    # the notice, on paper as the complaint came in: closes the notice clock, on time
    service.record_notice(session, rev, complaint.id, "2026-05-18", "paper", expected_version=complaint.version,
                          at=local(2026, 5, 18, 15, 0))
    notice = session.get(Clock, notice.id)
    assert notice.stopped_on == date(2026, 5, 18) and notice.stopped_on <= notice.due_date
    assert complaint.current_due_date == date(2026, 6, 1)
    assert (complaint.notice_sent_on, complaint.notice_channel) == (date(2026, 5, 18), "paper")


def test_quality_body_complaint_is_due_in_fifteen_working_days_after_nauryz(session):
    rev = reviewer(session)
    complaint = register(session, rev, level="quality_body", received_date="19.03.2026", received_time="12:00")
    level = clock(session, complaint, "complaint_quality_body")
    assert complaint.registration_date == date(2026, 3, 19)
    assert level.due_date == complaint.current_due_date == date(2026, 4, 14)
    assert "Наурыз" in render(level.explanation, "kk") or "Nowruz" in str(level.explanation)


def test_preview_shows_the_same_dates_before_saving(session):
    from data.clocks import load_context

    ctx = load_context(session)
    preview = service.registration_preview(ctx, local(2026, 5, 6, 10, 0), "provider")
    assert (preview.registered, preview.due) == (date(2026, 5, 6), date(2026, 5, 15))
    after_hours = service.registration_preview(ctx, local(2026, 5, 6, 19, 0), "provider")
    assert after_hours.registered == date(2026, 5, 8)  # 19:00 is closing time; 7 May is a day off
    assert "19:00" in render(after_hours.steps, "ru") and "08.05.2026" in render(after_hours.steps, "ru")
    quality = service.registration_preview(ctx, local(2026, 3, 19, 12, 0), "quality_body")
    assert quality.due == date(2026, 4, 14)


# -- refused extensions ------------------------------------------------------------------------
def _under_review(session, rev):
    complaint = register(session, rev)
    service.take_into_review(session, rev, complaint.id, expected_version=complaint.version,
                             at=local(2026, 5, 7, 10, 0))
    return complaint


def _unchanged(session, complaint, status, due, days):
    assert complaint.status == status and complaint.extension_days == days
    assert clock(session, complaint, "complaint_provider").due_date == due


def test_more_than_ten_working_days_in_total_is_refused(session):
    rev = reviewer(session)
    complaint = _under_review(session, rev)
    service.extend(session, rev, complaint.id, "additional_study", 6, expected_version=complaint.version,
                   at=local(2026, 5, 12, 10, 0))
    due = clock(session, complaint, "complaint_provider").due_date
    assert due == date(2026, 5, 25)  # 15.05 + 6 wd: 18-22, 25
    with pytest.raises(DomainError) as excinfo:
        service.extend(session, rev, complaint.id, "additional_information", 5, expected_version=complaint.version,
                       at=local(2026, 5, 13, 10, 0))
    assert excinfo.value.code == "extension_too_long"
    assert "10" in excinfo.value.message("kk") and "уже 6, запрошено 5" in excinfo.value.message("ru")
    _unchanged(session, complaint, "extended", due, 6)
    # four more is still allowed (10 in total)
    service.extend(session, rev, complaint.id, "additional_information", 4, expected_version=complaint.version,
                   at=local(2026, 5, 13, 10, 0))
    assert clock(session, complaint, "complaint_provider").due_date == date(2026, 6, 1)


def test_extension_after_the_due_date_is_refused(session):
    rev = reviewer(session)
    complaint = _under_review(session, rev)
    # on the due day itself it is still allowed; the day after it is not
    with pytest.raises(DomainError) as excinfo:
        service.extend(session, rev, complaint.id, "additional_study", 2, expected_version=complaint.version,
                       at=local(2026, 5, 18, 9, 0))
    assert excinfo.value.code == "extension_after_due"
    assert "15.05.2026" in excinfo.value.message("ru") and "18.05.2026" in excinfo.value.message("ru")
    _unchanged(session, complaint, "under_review", date(2026, 5, 15), 0)
    service.extend(session, rev, complaint.id, "additional_study", 2, expected_version=complaint.version,
                   at=local(2026, 5, 15, 18, 30))
    assert clock(session, complaint, "complaint_provider").due_date == date(2026, 5, 19)


@pytest.mark.parametrize("reason,code", [
    ("", "extension_reason_required"),
    (None, "extension_reason_required"),
    ("complainant_on_holiday", "complaints_reason_not_allowed"),
    ("ADDITIONAL_STUDY", "complaints_reason_not_allowed"),
])
def test_extension_needs_a_reason_the_rule_gives(session, reason, code):
    rev = reviewer(session)
    complaint = _under_review(session, rev)
    with pytest.raises(DomainError) as excinfo:
        service.extend(session, rev, complaint.id, reason, 3, expected_version=complaint.version,
                       at=local(2026, 5, 12, 10, 0))
    assert excinfo.value.code == code
    assert excinfo.value.message("ru") != f"error.{code}" and excinfo.value.message("kk") != f"error.{code}"
    assert "(" in t_err(code, "ru") or code == "complaints_reason_not_allowed"
    _unchanged(session, complaint, "under_review", date(2026, 5, 15), 0)
    assert clock(session, complaint, "complaint_extension_notice") is None


def t_err(code, lang):
    from data.i18n import t

    return t(f"error.{code}", lang)


@pytest.mark.parametrize("days,reason_key", [("0", "extension_range"), ("11", "extension_range"),
                                             ("-2", "extension_range"), ("three", "not_a_number")])
def test_extension_days_must_be_one_to_ten(session, days, reason_key):
    rev = reviewer(session)
    complaint = _under_review(session, rev)
    with pytest.raises(DomainError) as excinfo:
        service.extend(session, rev, complaint.id, "site_inspection", days, expected_version=complaint.version,
                       at=local(2026, 5, 12, 10, 0))
    assert excinfo.value.params.get("reason_key") == reason_key
    _unchanged(session, complaint, "under_review", date(2026, 5, 15), 0)


def test_extension_without_days_names_the_field_and_the_status(session):
    rev = reviewer(session)
    complaint = _under_review(session, rev)
    with pytest.raises(DomainError) as excinfo:
        service.extend(session, rev, complaint.id, "site_inspection", "", expected_version=complaint.version,
                       at=local(2026, 5, 12, 10, 0))
    assert excinfo.value.message("ru") == ("Для перехода в статус «Срок рассмотрения продлён» заполните поле "
                                           "«Продление (рабочих дней)»")


def test_a_registered_complaint_is_taken_into_review_before_it_is_extended(session):
    rev = reviewer(session)
    complaint = register(session, rev)
    with pytest.raises(DomainError) as excinfo:
        service.extend(session, rev, complaint.id, "site_inspection", 3, expected_version=complaint.version,
                       at=local(2026, 5, 12, 10, 0))
    assert excinfo.value.code == "forbidden_transition"
    assert "Жалоба на рассмотрении" in excinfo.value.message("ru")


# -- the notice --------------------------------------------------------------------------------
def _extended(session, rev, channel="paper"):
    complaint = register(session, rev, channel=channel)
    service.take_into_review(session, rev, complaint.id, expected_version=complaint.version,
                             at=local(2026, 5, 7, 10, 0))
    service.extend(session, rev, complaint.id, "site_inspection", 10, expected_version=complaint.version,
                   at=local(2026, 5, 14, 11, 0))
    return complaint


def test_notice_in_another_channel_needs_a_reason_which_is_kept(session):
    rev = reviewer(session)
    complaint = _extended(session, rev, channel="paper")
    with pytest.raises(DomainError) as excinfo:
        service.record_notice(session, rev, complaint.id, "2026-05-15", "electronic",
                              expected_version=complaint.version, at=local(2026, 5, 15, 12, 0))
    assert excinfo.value.code == "complaints_notice_channel_reason"
    assert "қағаз" in excinfo.value.message("kk").lower() and "бумаж" in excinfo.value.message("ru")
    assert clock(session, complaint, "complaint_extension_notice").stopped_at is None
    service.record_notice(session, rev, complaint.id, "15.05.2026", "electronic",
                          "Шағымданушы электрондық поштамен хабарлауды сұрады", expected_version=complaint.version,
                          at=local(2026, 5, 15, 12, 0))
    event = session.scalars(select(StatusEvent).where(StatusEvent.complaint_id == complaint.id,
                                                      StatusEvent.kind == "action")).one()
    assert event.payload["channel_differs"] is True and event.payload["channel"] == "electronic"
    assert event.comment == "Шағымданушы электрондық поштамен хабарлауды сұрады"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "complaint_notice",
                                                     AuditEntry.entity_id == str(complaint.id))).one()
    assert entry.after["channel_reason"].startswith("Шағымданушы")


@pytest.mark.parametrize("sent_on,code", [("2026-05-13", "complaints_notice_date_before"),
                                          ("2026-05-16", "complaints_notice_date_future"),
                                          ("32.05.2026", "invalid_date")])
def test_notice_date_between_the_extension_and_today(session, sent_on, code):
    rev = reviewer(session)
    complaint = _extended(session, rev)
    with pytest.raises(DomainError) as excinfo:
        service.record_notice(session, rev, complaint.id, sent_on, "paper", expected_version=complaint.version,
                              at=local(2026, 5, 15, 12, 0))
    assert excinfo.value.code == code
    assert clock(session, complaint, "complaint_extension_notice").stopped_at is None


def test_late_notice_is_recorded_as_late(session):
    rev = reviewer(session)
    complaint = _extended(session, rev)
    service.record_notice(session, rev, complaint.id, "2026-05-21", "paper", expected_version=complaint.version,
                          at=local(2026, 5, 21, 16, 0))
    notice = clock(session, complaint, "complaint_extension_notice")
    assert notice.due_date == date(2026, 5, 19) and notice.stopped_on == date(2026, 5, 21)
    with pytest.raises(DomainError) as excinfo:  # only once
        service.record_notice(session, rev, complaint.id, "2026-05-21", "paper", expected_version=complaint.version,
                              at=local(2026, 5, 21, 16, 0))
    assert excinfo.value.code == "no_extension_to_notify"


# -- answering -----------------------------------------------------------------------------------
def test_answer_stops_the_clocks_on_the_answer_date(session):
    rev = reviewer(session)
    complaint = _extended(session, rev)
    # answered on 29.05, recorded on 02.06: on time (due 01.06); the notice was never recorded
    service.answer(session, rev, complaint.id, "partly_upheld", "Ішінара қанағаттандырылды", "2026-05-29",
                   expected_version=complaint.version, at=local(2026, 6, 2, 10, 0))
    level = clock(session, complaint, "complaint_provider")
    notice = clock(session, complaint, "complaint_extension_notice")
    assert complaint.status == "answered" and not complaint.is_open
    assert (complaint.outcome, complaint.answer_date) == ("partly_upheld", date(2026, 5, 29))
    assert level.stopped_on == date(2026, 5, 29) and level.due_date == date(2026, 6, 1)
    assert complaint.closed_on_time is True
    assert notice.stopped_on == date(2026, 5, 29) and notice.stopped_on > notice.due_date  # stays late
    assert complaint.current_due_date is None


def test_late_answer_and_answer_date_rules(session):
    rev = reviewer(session)
    complaint = register(session, rev)
    for bad, code in (("2026-05-05", "complaints_answer_date_before"), ("2026-05-20", "invalid_field")):
        with pytest.raises(DomainError) as excinfo:
            service.answer(session, rev, complaint.id, "rejected", "Негізсіз", bad,
                           expected_version=complaint.version, at=local(2026, 5, 19, 10, 0))
        assert excinfo.value.code == code
    with pytest.raises(DomainError) as excinfo:
        service.answer(session, rev, complaint.id, "maybe", "Негізсіз", None, expected_version=complaint.version,
                       at=local(2026, 5, 19, 10, 0))
    assert excinfo.value.params["field"] == "outcome"
    with pytest.raises(DomainError) as excinfo:
        service.answer(session, rev, complaint.id, "rejected", "  ", None, expected_version=complaint.version,
                       at=local(2026, 5, 19, 10, 0))
    assert excinfo.value.params["field"] == "answer_text"
    assert complaint.status == "registered" and complaint.is_open
    service.answer(session, rev, complaint.id, "rejected", "Негізсіз", None, expected_version=complaint.version,
                   at=local(2026, 5, 19, 10, 0))  # straight from "registered", late
    assert complaint.closed_on_time is False and complaint.answer_date == date(2026, 5, 19)
    assert clock(session, complaint, "complaint_provider").stopped_on == date(2026, 5, 19)


# -- escalation ----------------------------------------------------------------------------------
def test_escalation_creates_the_linked_fifteen_day_complaint(session):
    rev = reviewer(session)
    parent = register(session, rev)
    service.answer(session, rev, parent.id, "rejected", "Негізсіз", "2026-05-14", expected_version=parent.version,
                   at=local(2026, 5, 14, 16, 0))
    child = service.escalate(session, rev, parent.id, {"received_date": "2026-05-22", "received_time": "20:15",
                                                       "channel": "electronic"}, now=local(2026, 5, 25, 9, 0))
    assert child.parent_id == parent.id and child.level == "quality_body" and child.status == "registered"
    assert (child.application_id, child.complainant_id_number, child.subject) == \
        (parent.application_id, parent.complainant_id_number, parent.subject)
    # Fri 22.05 20:15 (after hours) -> Mon 25.05; 15 wd: 26 (1), 27 Kurban ait, 28, 29 (3), 1-5 Jun (8),
    # 8-12 (13), 15, 16 (15) -> 16.06.2026
    assert child.registration_date == date(2026, 5, 25)
    assert clock(session, child, "complaint_quality_body").due_date == date(2026, 6, 16)
    assert clock(session, parent, "complaint_provider").stopped_on == date(2026, 5, 14)  # untouched
    with pytest.raises(DomainError) as excinfo:
        service.escalate(session, rev, parent.id, {"received_date": "2026-05-22", "received_time": "10:00",
                                                   "channel": "paper"}, now=local(2026, 5, 25, 9, 0))
    assert excinfo.value.code == "complaints_already_escalated" and f"№{child.id}" in excinfo.value.message("ru")
    with pytest.raises(DomainError) as excinfo:
        service.escalate(session, rev, child.id, {"received_date": "2026-05-25", "received_time": "10:00",
                                                  "channel": "paper"}, now=local(2026, 5, 25, 11, 0))
    assert excinfo.value.code == "complaints_escalate_level"
    parent_events = session.scalars(select(StatusEvent.payload).where(StatusEvent.complaint_id == parent.id)).all()
    assert {"action": "escalated", "child_id": child.id} in parent_events


def test_escalation_cannot_predate_the_parent(session):
    rev = reviewer(session)
    parent = register(session, rev)
    with pytest.raises(service.FormInvalid) as excinfo:
        service.escalate(session, rev, parent.id, {"received_date": "2026-05-05", "received_time": "10:00",
                                                   "channel": "paper"}, now=local(2026, 5, 8, 9, 0))
    assert excinfo.value.fields() == {"received_time"}
    assert "06.05.2026 10:00" in excinfo.value.problems[0].message("ru")
    assert session.scalar(select(Complaint).where(Complaint.parent_id == parent.id)) is None


# -- the registration form ----------------------------------------------------------------------
def test_registration_form_reports_every_problem_at_once(session):
    rev = reviewer(session)
    app = new_item(session, "rent_to_own")
    raw = form(app, complainant_id_number="900101300125", complainant_name="", complainant_contact="x" * 201,
               received_date="2026-05-07", received_time="25:00", channel="fax", level="", subject="",
               ref="НЕТ-ТАКОЙ")
    with pytest.raises(service.FormInvalid) as excinfo:
        service.register(session, rev, raw, now=local(2026, 5, 6, 18, 0))
    fields = excinfo.value.fields()
    assert fields == {"ref", "complainant_id_number", "complainant_name", "complainant_contact", "received_time",
                      "channel", "level", "subject"}
    messages = {p.field: p.message("ru") for p in excinfo.value.problems}
    assert "контрольн" in messages["complainant_id_number"]
    assert "200" in messages["complainant_contact"]
    assert "НЕТ-ТАКОЙ" in messages["ref"]
    assert session.scalar(select(Complaint).where(Complaint.application_id == app.id)) is None


@pytest.mark.parametrize("value,key", [
    ("90010130012", "complaints.err.id_length"),
    ("9001013001234", "complaints.err.id_length"),
    ("90010130012x", "complaints.err.id_digits"),
    ("٩٠٠١٠١٣٠٠١٢٣", "complaints.err.id_digits"),  # Arabic-Indic digits are not ASCII digits
    ("900101300125", "complaints.err.id_check"),
    ("", "complaints.err.required"),
])
def test_complainant_iin_bin_check(value, key):
    number, problem = service.check_id_number(value)
    assert number is None and problem.key == key


def test_complainant_iin_or_bin_accepted_with_spaces():
    assert service.check_id_number(" 9001 0130 0126 ")[0] == IIN
    assert service.check_id_number(BIN)[0] == BIN


def test_registration_in_the_future_or_too_old_is_refused(session):
    rev = reviewer(session)
    app = new_item(session, "rent_to_own")
    for date_, time_, key in (("2026-05-06", "18:01", "complaints.err.future_moment"),
                              ("2019-12-31", "10:00", "complaints.err.too_old"),
                              ("06/05/2026", "10:00", "complaints.err.bad_date")):
        check = service.check_registration(session, rev, form(app, received_date=date_, received_time=time_),
                                           now=local(2026, 5, 6, 18, 0))
        assert [p.key for p in check.problems] == [key]


def test_registration_subject_by_number_or_id_within_scope(session):
    rev = reviewer(session)
    app = new_item(session, "rent_to_own")
    app.registration_number = "ҚТК-Ш-77"
    session.flush()
    assert service.find_subject(session, rev, "application", "ҚТК-Ш-77").id == app.id
    assert service.find_subject(session, rev, "application", f"#{app.id}").id == app.id
    found = service.find_subject(session, rev, "application", str(app.id))
    assert (found.person_id_number, found.person_name) == ("900101300123", "Әлиев Нұрлан Серікұлы")
    # an application assigned to a reviewer of another department is out of this reviewer's scope
    other = User(username="other.dept", full_name="Басқа Бөлім", role="reviewer", department="Басқа")
    session.add(other)
    session.flush()
    app.reviewer_id = other.id
    rev.department = "Біздің"
    session.flush()
    assert service.find_subject(session, rev, "application", f"#{app.id}") is None
    akimat_user = User(username="ak.user", full_name="Әкімдік", role="akimat")
    assert service.find_subject(session, akimat_user, "application", f"#{app.id}") is None


def test_register_records_the_history_and_the_audit(session):
    rev = reviewer(session)
    complaint = register(session, rev, responsible_id=str(rev.id))
    assert complaint.responsible_id == rev.id and complaint.channel == "paper"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "complaint_register",
                                                     AuditEntry.entity_id == str(complaint.id))).one()
    assert entry.actor_id == rev.id and entry.after["registration_date"] == "2026-05-06"
    first = session.scalars(select(StatusEvent).where(StatusEvent.complaint_id == complaint.id)).one()
    assert (first.from_status, first.to_status, first.actor_id) == (None, "registered", rev.id)


def test_only_reviewers_are_responsible(session):
    rev = reviewer(session)
    manager = make_user(session, "cman1", "manager")
    app = new_item(session, "rent_to_own")
    check = service.check_registration(session, rev, form(app, responsible_id=str(manager.id)),
                                       now=local(2026, 5, 6, 18, 0))
    assert [p.field for p in check.problems] == ["responsible_id"]


# -- permissions, scope, optimistic lock, audit ---------------------------------------------------
def test_who_may_act(session):
    rev, other = reviewer(session), reviewer(session, "crev2")
    manager, admin = make_user(session, "cman1", "manager"), make_user(session, "cadm1", "admin")
    complaint = register(session, rev)
    assert service.may_act(rev, complaint) and service.may_act(other, complaint)  # nobody's yet
    service.take_into_review(session, rev, complaint.id, expected_version=complaint.version,
                             at=local(2026, 5, 7, 10, 0))
    assert service.may_act(rev, complaint) and not service.may_act(other, complaint)
    assert not service.may_act(manager, complaint) and service.may_assign(manager)
    assert service.may_act(admin, complaint)
    with pytest.raises(DomainError) as excinfo:
        service.extend(session, other, complaint.id, "site_inspection", 2, expected_version=complaint.version,
                       at=local(2026, 5, 8, 10, 0))
    assert excinfo.value.code == "complaints_cannot_act"
    with pytest.raises(DomainError) as excinfo:
        service.register(session, manager, form(new_item(session, "rent_to_own")), now=local(2026, 5, 6, 18, 0))
    assert excinfo.value.code == "forbidden"
    # the manager gives it to the other reviewer
    service.reassign(session, manager, complaint.id, str(other.id), expected_version=complaint.version)
    assert complaint.responsible_id == other.id and service.may_act(other, complaint)
    assign = session.scalars(select(StatusEvent).where(StatusEvent.complaint_id == complaint.id,
                                                       StatusEvent.kind == "assign")).one()
    assert assign.payload == {"from_responsible_id": rev.id, "to_responsible_id": other.id}


def test_akimat_users_do_not_see_complaints(session):
    rev = reviewer(session)
    complaint = register(session, rev)
    akimat_user = make_user(session, "cakimat", "akimat")
    with pytest.raises(DomainError) as excinfo:
        service.scoped_complaint(session, akimat_user, complaint.id)
    assert excinfo.value.code == "complaints_not_found"


def test_stale_version_is_a_conflict_and_changes_nothing(session):
    rev = reviewer(session)
    complaint = _under_review(session, rev)
    stale = complaint.version
    service.extend(session, rev, complaint.id, "site_inspection", 3, expected_version=stale,
                   at=local(2026, 5, 12, 10, 0))
    due = clock(session, complaint, "complaint_provider").due_date
    for action in (
        lambda: service.extend(session, rev, complaint.id, "site_inspection", 3, expected_version=stale,
                               at=local(2026, 5, 12, 11, 0)),
        lambda: service.answer(session, rev, complaint.id, "upheld", "Иә", None, expected_version=stale,
                               at=local(2026, 5, 12, 11, 0)),
        lambda: service.record_notice(session, rev, complaint.id, "2026-05-12", "paper", expected_version=stale,
                                      at=local(2026, 5, 12, 11, 0)),
    ):
        with pytest.raises(ConflictError) as excinfo:
            action()
        assert "Тест crev1" in excinfo.value.message("ru")
    _unchanged(session, complaint, "extended", due, 3)


def test_every_change_writes_an_audit_row(session):
    rev = reviewer(session)
    complaint = _extended(session, rev)
    service.record_notice(session, rev, complaint.id, "2026-05-15", "paper", expected_version=complaint.version,
                          at=local(2026, 5, 15, 12, 0))
    service.answer(session, rev, complaint.id, "upheld", "Қанағаттандырылды", None,
                   expected_version=complaint.version, at=local(2026, 5, 20, 12, 0))
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "complaint",
                                                              AuditEntry.entity_id == str(complaint.id))
                              .order_by(AuditEntry.id)).all()
    assert actions == ["complaint_register", "complaint_review", "complaint_extend", "complaint_notice",
                       "complaint_answer"]
    answer = session.scalars(select(AuditEntry).where(AuditEntry.action == "complaint_answer")).one()
    assert answer.before["status"] == "extended" and answer.after["status"] == "answered"
    assert answer.after["closed_on_time"] is True


def test_extension_preview_matches_the_real_extension(session):
    from data.clocks import load_context

    rev = reviewer(session)
    complaint = _under_review(session, rev)
    preview = service.extension_preview(session, complaint, "10", load_context(session), at=local(2026, 5, 14, 11, 0))
    assert (preview.due, preview.notice_due) == (date(2026, 6, 1), date(2026, 5, 19))
    assert service.extension_preview(session, complaint, "11", load_context(session)) is None
