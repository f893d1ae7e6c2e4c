"""The New application form: IIN/BIN check digit and the other checks with clear messages,
the duplicate warning and its conscious override, the live registration preview, and saving
(through data.workflows.create_application) with the audit row; callbacks called directly as a
signed-in user against the rolled-back test session."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timedelta

import pytest
from dash import no_update
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden

from callbacks import new_application as cb
from callbacks.context import today_local
from callbacks.ids import NewApplication as ids
from data import application_service as service
from data.clocks import load_context
from data.config import LOCAL_TZ
from data.iin import iin_check_digit, make_bin, make_iin
from data.models import Akimat, Application, ApplicationDocument, Clock, Guarantor, User
from data.models.audit import AuditEntry
from data.statuses import DOCUMENT_CHECKLIST
from tests.conftest import local
from tests.signin import signed_in
from tests.test_application_page import text_of

IIN = make_iin(date(1988, 7, 15), 4, serial=4321) or make_iin(date(1988, 7, 15), 4, serial=4322)
GUARANTOR_IIN = make_iin(date(1979, 2, 3), 3, serial=1717) or make_iin(date(1979, 2, 3), 3, serial=1718)
BIN = make_bin(datetime(2015, 4, 1).date(), 4, 0, serial=12345) or make_bin(datetime(2015, 4, 1).date(), 4, 0, serial=12346)


@pytest.fixture
def form_db(session, monkeypatch):
    @contextmanager
    def scope():
        with session.begin_nested():
            yield session

    monkeypatch.setattr(cb, "db", scope)
    return session


def clerk(session, username="rev.new", role="reviewer") -> User:
    existing = session.scalar(select(User).where(User.username == username))
    if existing:
        return existing
    user = User(username=username, full_name=f"Тіркеуші {username}", role=role, department="review")
    session.add(user)
    session.flush()
    return user


def astana(session) -> int:
    return session.scalar(select(Akimat.id).where(Akimat.kato == "710000000"))


def rent_form(session, **overrides):
    values = dict(kind="rent_to_own", id_number=IIN, name="Әлиев Нұрлан Серікұлы", phone="8 701 234 56 78",
                  akimat=astana(session), received_date="2026-03-06", received_time="20:00", registration_number="",
                  internal_number=None, contract_number=None, contract_date=None, correction_category="",
                  correction_other=None, category="budget_employee", family_size="4", consent=True,
                  documents=["salary_certificate", "no_real_estate_certificate"],
                  guarantor_iins=[GUARANTOR_IIN], guarantor_iin_ids=[{"type": ids.GUARANTOR_IIN, "index": 1}],
                  guarantor_names=["Кепілгер Асқар"], guarantor_name_ids=[{"type": ids.GUARANTOR_NAME, "index": 1}],
                  override=False)
    values.update(overrides)
    return values


def correction_form(session, **overrides):
    values = rent_form(session, kind="correction", id_number=BIN, name="«Астана Құрылыс» ЖШС", akimat=None,
                       registration_number="КЖК-2026-777", internal_number="ІН-5", contract_number="ҮҚШ-2024/15",
                       contract_date="2024-05-14", correction_category="area_change", category="", family_size="",
                       consent=False, documents=[], guarantor_iins=[], guarantor_iin_ids=[], guarantor_names=[],
                       guarantor_name_ids=[])
    values.update(overrides)
    return values


WRAPS = ["kind", "id_number", "applicant_name", "phone", "akimat_id", "received_date", "received_time",
         "registration_number", "internal_number", "contract_number", "contract_date", "correction_category",
         "correction_other", "category", "family_size", "consent", "guarantor_1"]


def save(values):
    v = values
    return cb.save(1, v["kind"], v["id_number"], v["name"], v["phone"], v["akimat"], v["received_date"],
                   v["received_time"], v["registration_number"], v["internal_number"], v["contract_number"],
                   v["contract_date"], v["correction_category"], v["correction_other"], v["category"],
                   v["family_size"], v["consent"], v["documents"], v["guarantor_iins"], v["guarantor_iin_ids"],
                   v["guarantor_names"], v["guarantor_name_ids"], [{"type": ids.WRAP, "name": n} for n in WRAPS],
                   v["override"])


def count(session, model=Application) -> int:
    return session.scalar(select(func.count()).select_from(model))


# -- IIN / BIN -------------------------------------------------------------------------------
def _wrong_check_digit(number: str) -> str:
    return number[:11] + str((int(number[11]) + 1) % 10)


def _never_issued() -> str:
    for serial in range(10000):
        first = f"9001013{serial:04d}"
        if iin_check_digit(first) is None:
            return first + "0"
    raise AssertionError("no unissuable number found")


@pytest.mark.parametrize("value,kind,lang,expected", [
    ("", "rent_to_own", "kk", "Өтініш берушінің ЖСН енгізіңіз"),
    ("90010130012А", "rent_to_own", "ru", "ИИН состоит только из цифр"),
    ("9001013001", "rent_to_own", "ru", "ИИН состоит из 12 цифр, введено — 10"),
    ("90010130012345", "correction", "kk", "БСН 12 цифрдан тұрады, енгізілгені — 14"),
    (_wrong_check_digit(IIN), "rent_to_own", "ru", "Контрольная цифра ИИН не сходится"),
    (_wrong_check_digit(IIN), "rent_to_own", "kk", "ЖСН бақылау цифры сәйкес келмейді"),
    (_wrong_check_digit(BIN), "correction", "ru", "Контрольная цифра БИН не сходится"),
    (_never_issued(), "rent_to_own", "ru", "Такой ИИН не выдаётся"),
])
def test_bad_iin_and_bin_get_a_specific_message(form_db, value, kind, lang, expected):
    number, problem = service.check_id_number(value, kind)
    assert number is None and expected in problem.message(lang)
    with signed_in(clerk(form_db), lang):
        feedback, duplicates, override_box, override = cb.check_identity(value or " ", kind, None)
    if value:
        assert expected in text_of(feedback)


def test_valid_numbers_pass_with_spaces_ignored(form_db):
    spaced = f"{IIN[:3]} {IIN[3:6]} {IIN[6:9]}-{IIN[9:]}"
    assert service.check_id_number(spaced, "rent_to_own") == (IIN, None)
    assert service.check_id_number(BIN, "correction") == (BIN, None)
    with signed_in(clerk(form_db), "ru"):
        feedback, duplicates, box, override = cb.check_identity(IIN, "rent_to_own", None)
    assert "ИИН верен" in text_of(feedback) and duplicates is None and box == {"display": "none"}


# -- the preview -----------------------------------------------------------------------------
def test_preview_friday_evening_is_registered_tuesday_and_due_on_the_26th(form_db):
    with signed_in(clerk(form_db), "kk"):
        shown = text_of(cb.show_preview("2026-03-06", "20:00"))
    assert "Тіркеу күні 10.03.2026" in shown and "26.03.2026" in shown
    assert "жұмыс уақыты аяқталғаннан кейін түсті, келесі жұмыс күні 10.03.2026 тіркелді" in shown
    assert "25.03.2026 — жұмыс емес күн" in shown
    with signed_in(clerk(form_db), "ru"):
        shown = text_of(cb.show_preview("2026-03-06", "20:00"))
    assert "Дата регистрации 10.03.2026" in shown and "Срок рассмотрения (15 календарных дней) 26.03.2026" in shown
    assert "срок перенесён на 26.03.2026" in shown
    preview = service.registration_preview(load_context(form_db), local(2026, 3, 6, 20, 0))
    assert (preview.registered.isoformat(), preview.due.isoformat()) == ("2026-03-10", "2026-03-26")


def test_preview_asks_for_what_is_missing_or_wrong(form_db):
    with signed_in(clerk(form_db), "ru"):
        assert "Укажите дату и время поступления" in text_of(cb.show_preview("2026-03-06", ""))
        assert "ЧЧ:ММ" in text_of(cb.show_preview("2026-03-06", "8 вечера"))
        future = (today_local() + timedelta(days=3)).isoformat()
        assert "не может быть в будущем" in text_of(cb.show_preview(future, "10:00"))


# -- validation of the whole form ------------------------------------------------------------
def test_every_problem_is_listed_at_once_and_nothing_is_saved(form_db):
    before = count(form_db)
    values = rent_form(form_db, id_number="123", name="  ", phone="12345", akimat=None, received_time="9.75",
                       category="", family_size="0", guarantor_iins=[_wrong_check_digit(GUARANTOR_IIN)],
                       guarantor_names=[""])
    with signed_in(clerk(form_db), "ru"):
        message, href, marks, duplicates, box = save(values)
    text = text_of(message)
    assert "Заявка не сохранена: нужно исправить полей — 8" in text
    for expected in ("ИИН состоит из 12 цифр, введено — 3", "Заполните поле «Заявитель (ФИО / наименование)»",
                     "«12345» — не номер телефона Казахстана", "Заполните поле «Акимат»",
                     "Укажите время поступления в формате ЧЧ:ММ", "Заполните поле «Категория»",
                     "Количество членов семьи: целое число от 1 до 30",
                     "Поручитель 1: Контрольная цифра ИИН не сходится"):
        assert expected in text
    invalid = {name for name, mark in zip(WRAPS, marks) if "is-invalid-field" in mark}
    assert invalid == {"id_number", "applicant_name", "phone", "akimat_id", "received_time", "category",
                       "family_size", "guarantor_1"}
    assert href is no_update and count(form_db) == before


def test_correction_rules(form_db):
    before = count(form_db)
    values = correction_form(form_db, registration_number="", contract_number="", contract_date=None,
                             correction_category="other", correction_other="",
                             received_date=(today_local() + timedelta(days=1)).isoformat())
    with signed_in(clerk(form_db), "kk"):
        message, href, marks, *_ = save(values)
    text = text_of(message)
    for expected in ("«Тіркеу нөмірі» өрісін толтырыңыз", "«Үлестік қатысу шартының нөмірі» өрісін толтырыңыз",
                     "«Шарт күні» өрісін толтырыңыз", "«Басқа» санаты таңдалды: санатты сипаттаңыз",
                     "«Түскен күні» болашақ күн бола алмайды"):
        assert expected in text
    assert href is no_update and count(form_db) == before


# -- duplicates ------------------------------------------------------------------------------
def test_duplicate_iin_is_warned_and_saved_only_when_overridden(form_db):
    user = clerk(form_db)
    with signed_in(user, "kk"):
        _m, first_href, *_ = save(rent_form(form_db))
    first_id = int(first_href.rsplit("/", 1)[1])
    before = count(form_db)
    with signed_in(user, "ru"):
        feedback, duplicates, box, override = cb.check_identity(IIN, "rent_to_own", None)
        assert "Возможный дубликат" in text_of(duplicates) and "открытая заявка по этому ИИН" in text_of(duplicates)
        assert box == {} and override is False  # the override is asked again for what is shown now
        message, href, marks, duplicates, box = save(rent_form(form_db, received_time="10:15"))
    assert "найден возможный дубликат" in text_of(message) and href is no_update and box == {}
    assert f"/applications/{first_id}" in str(duplicates)
    assert count(form_db) == before
    with signed_in(user, "ru"):
        message, href, *_ = save(rent_form(form_db, received_time="10:15", override=True))
    assert href and href != first_href and count(form_db) == before + 1
    audit = form_db.scalars(select(AuditEntry).where(AuditEntry.action == "create",
                                                     AuditEntry.entity_id == href.rsplit("/", 1)[1])).one()
    assert audit.after["duplicates_overridden"] == [first_id] and audit.actor_id == user.id


def test_same_registration_number_is_a_duplicate_even_when_closed(form_db):
    user = clerk(form_db)
    with signed_in(user, "kk"):
        _m, href, *_ = save(correction_form(form_db))
    application = form_db.get(Application, int(href.rsplit("/", 1)[1]))
    application.is_open = False
    form_db.flush()
    other_bin = make_bin(datetime(2019, 7, 1).date(), 4, 0, serial=555) or make_bin(datetime(2019, 7, 1).date(), 4, 0,
                                                                                     serial=556)
    dups = service.find_duplicates(form_db, "correction", other_bin, "КЖК-2026-777")
    assert [(d.application_id, d.reason) for d in dups] == [(application.id, "same_number")]
    # The same BIN with only a closed application is no duplicate.
    assert service.find_duplicates(form_db, "correction", BIN, "КЖК-2026-999") == []


# -- saving ----------------------------------------------------------------------------------
def test_rent_to_own_is_registered_with_its_clock_guarantors_and_checklist(form_db):
    user = clerk(form_db)
    before = count(form_db)
    with signed_in(user, "kk"):
        message, href, marks, *_ = save(rent_form(form_db))
    assert "Өтінім тіркелді" in text_of(message) and marks == ["newapp-field"] * len(WRAPS)
    application = form_db.get(Application, int(href.rsplit("/", 1)[1]))
    assert count(form_db) == before + 1 and href == f"/applications/{application.id}"
    assert (application.kind, application.status, application.applicant_iin) == ("rent_to_own", "submitted", IIN)
    assert application.applicant_phone == "+77012345678" and application.family_size == 4
    assert application.category == "budget_employee" and application.consent_personal_data is True
    assert application.received_at == local(2026, 3, 6, 20, 0)
    assert application.registration_date.isoformat() == "2026-03-10"
    assert application.registration_number == f"ЖА-2026-{application.id:07d}"  # none typed: KTK's own series
    assert application.current_due_date.isoformat() == "2026-03-26" and application.current_policy == "ktk_review"
    clock = form_db.scalars(select(Clock).where(Clock.application_id == application.id)).one()
    assert clock.policy_code == "ktk_review" and clock.due_date.isoformat() == "2026-03-26"
    assert form_db.scalars(select(Guarantor.iin).where(Guarantor.application_id == application.id)).all() == \
        [GUARANTOR_IIN]
    docs = dict(form_db.execute(select(ApplicationDocument.code, ApplicationDocument.provided)
                                .where(ApplicationDocument.application_id == application.id)).all())
    assert set(docs) == set(DOCUMENT_CHECKLIST)
    assert {c for c, provided in docs.items() if provided} == {"salary_certificate", "no_real_estate_certificate"}
    audit = form_db.scalars(select(AuditEntry).where(AuditEntry.action == "create",
                                                     AuditEntry.entity_id == str(application.id))).one()
    assert audit.after["registration_date"] == "2026-03-10" and audit.actor_id == user.id


def test_correction_is_registered_at_once_with_its_number(form_db):
    with signed_in(clerk(form_db), "ru"):
        message, href, *_ = save(correction_form(form_db, received_date="2026-03-06", received_time="20:00"))
    application = form_db.get(Application, int(href.rsplit("/", 1)[1]))
    assert (application.status, application.applicant_bin, application.registration_number) == \
        ("registered", BIN, "КЖК-2026-777")
    assert application.contract_number == "ҮҚШ-2024/15" and application.correction_category == "area_change"
    assert application.registration_date.isoformat() == "2026-03-10"
    assert application.current_due_date.isoformat() == "2026-03-26"


def test_guarantor_rows_are_added_and_checked(form_db):
    user = clerk(form_db)
    with signed_in(user, "kk"):
        rows, disabled = cb.add_guarantor(1)
        assert rows is not no_update and disabled is False
        assert cb.add_guarantor(service.MAX_GUARANTORS)[1] is True
        assert cb.add_guarantor(service.MAX_GUARANTORS + 1) == (no_update, True)
        message, href, marks, *_ = save(rent_form(
            form_db, guarantor_iins=[IIN, "", GUARANTOR_IIN],
            guarantor_iin_ids=[{"type": ids.GUARANTOR_IIN, "index": i} for i in (1, 2, 3)],
            guarantor_names=["Өзі", "", ""],
            guarantor_name_ids=[{"type": ids.GUARANTOR_NAME, "index": i} for i in (1, 2, 3)]))
    text = text_of(message)
    assert "1-кепілгер: бұл ЖСН бұрын көрсетілген" in text and "3-кепілгер: аты-жөнін жазыңыз" in text
    assert "2-кепілгер" not in text  # an empty row is ignored
    assert href is no_update


def test_only_users_who_may_create_can_use_the_form(form_db):
    manager = clerk(form_db, "man.new", role="manager")
    with signed_in(manager, "kk"):
        with pytest.raises(Forbidden):
            save(rent_form(form_db))
        with pytest.raises(Forbidden):
            cb.show_preview("2026-03-06", "20:00")
        with pytest.raises(Forbidden):
            cb.check_identity(IIN, "rent_to_own", None)
    with pytest.raises(Exception) as excinfo:
        service.register_new_application(form_db, manager, {"kind": "rent_to_own"}, override_duplicates=False)
    assert excinfo.value.code == "forbidden"


def test_the_form_switches_with_the_kind_and_lists_reference_options(form_db):
    with signed_in(clerk(form_db), "ru"):
        correction = cb.switch_kind("correction")
        rent = cb.switch_kind("rent_to_own")
        akimats, categories = cb.fill_options("ru")
    assert correction[:3] == ({}, {"display": "none"}, "БИН") and correction[6] == " *"
    assert rent[:3] == ({"display": "none"}, {}, "ИИН") and rent[5] == " *"
    assert "Акимат города Астаны" in [a["label"] for a in akimats]
    assert ("Изменение площади", "area_change") in [(c["label"], c["value"]) for c in categories]


def test_received_moment_is_local_time(form_db):
    problems = []
    moment = service.received_moment({"received_date": "2026-03-06", "received_time": "8:05"}, problems,
                                     datetime(2026, 3, 7, tzinfo=LOCAL_TZ))
    assert problems == [] and moment == local(2026, 3, 6, 8, 5)
