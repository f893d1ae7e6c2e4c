"""The complaint pages' callbacks, called directly inside a Flask request with a signed-in user,
on the test database (the session of the ``session`` fixture, rolled back afterwards) and a fixed
clock: register, extend over Kurban ait, refused extensions, notice, answer, conflict, permissions."""
from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import date

import plotly.utils
import pytest
from werkzeug.exceptions import Forbidden

import callbacks.complaint as page_cb
import callbacks.complaints as list_cb
import data.complaints as service
from data.models import Complaint, User
from tests.conftest import local
from tests.factories import new_item, user as make_user
from tests.signin import signed_in as shared_signed_in

IIN = "900101300126"


def text_of(value) -> str:
    """Everything a rendered component tree would show (and its props), as one string."""
    return json.dumps(value, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


class Clock:
    def __init__(self):
        self.now = local(2026, 5, 6, 12, 0)

    def set(self, *args):
        self.now = local(*args)


@pytest.fixture
def env(session, monkeypatch):
    """Callbacks use the test session; "now" and "today" come from a clock the test sets."""
    clock = Clock()

    @contextmanager
    def test_db():
        try:
            yield session
            session.flush()
        except BaseException:
            raise

    for module in (page_cb, list_cb):
        monkeypatch.setattr(module, "db", test_db)
        monkeypatch.setattr(module, "today_local", lambda: clock.now.date())
    monkeypatch.setattr(list_cb, "utcnow", lambda: clock.now)
    monkeypatch.setattr(page_cb, "utcnow", lambda: clock.now)
    monkeypatch.setattr(service, "utcnow", lambda: clock.now)
    return clock


def signed_in(user: User, lang: str = "ru"):
    """Signed in as ``user`` (Russian unless told), in a plain GET request to "/"."""
    return shared_signed_in(user, lang, path="/", method="GET")


def register_form(app_id: int, **changes) -> dict:
    values = dict(about="application", ref=f"#{app_id}", id_number=IIN, name="Сәрсенова Айгүл",
                  contact="+77011234567", received_date="06.05.2026", received_time="10:00", channel="paper",
                  level="provider", subject="Өтінім мерзімі бұзылды", responsible="none")
    values.update(changes)
    return values


def save(values: dict, wraps=("about", "ref", "complainant_id_number", "complainant_name")):
    return list_cb.save(
        1, values["about"], values["ref"], values["id_number"], values["name"], values["contact"],
        values["received_date"], values["received_time"], values["channel"], values["level"], values["subject"],
        values["responsible"], [{"type": "newcmp-wrap", "name": w} for w in wraps])


def load(complaint_id, refresh=0):
    return page_cb.load_page(str(complaint_id), refresh)


@pytest.fixture
def reviewer(session):
    rev = make_user(session, "cbrev1", "reviewer")
    rev.lang = "kk"
    return rev


def test_register_extend_notice_answer_through_the_callbacks(session, env, reviewer):
    app = new_item(session, "rent_to_own")
    with signed_in(reviewer, "ru"):
        # the live preview before saving
        preview = text_of(list_cb.show_preview("06.05.2026", "10:00", "provider"))
        assert "06.05.2026" in preview and "15.05.2026" in preview
        assert "Курбан" not in preview and "День Победы" in preview  # 9-11 May skipped, said in Russian
        message, href, marks = save(register_form(app.id))
        assert href.startswith("/complaints/") and marks == ["cmp-field"] * 4
        ident = int(href.rsplit("/", 1)[1])
        out = load(ident)
        header, due, version = text_of(out[0]), text_of(out[1]), out[6]
        assert f"Жалоба №{ident}" in header and "Жалоба зарегистрирована" in header
        assert "15.05.2026" in due
        styles = dict(zip(("review", "extend", "notice", "answer", "escalate", "assign"), out[8:14]))
        assert styles["review"] == {} and styles["extend"] == {"display": "none"} and styles["answer"] == {}
        assert styles["assign"] == {"display": "none"}  # a reviewer does not reassign

        env.set(2026, 5, 7, 10, 0)
        _msg, flash, version, token = page_cb.submit_review(1, "none", version, str(ident))
        assert "взята на рассмотрение" in text_of(flash) and token
        assert session.get(Complaint, ident).responsible_id == reviewer.id

        env.set(2026, 5, 14, 11, 0)
        preview = text_of(page_cb.extension_preview(10, str(ident)))
        assert "01.06.2026" in preview and "19.05.2026" in preview and "27.05 — Курбан айт" in preview
        result = page_cb.submit_extension(1, "site_inspection", 10, version, str(ident))
        msg, flash, version = result[0], result[1], result[2]
        assert msg is None and "01.06.2026" in text_of(flash) and "19.05.2026" in text_of(flash)
        out = load(ident, refresh=1)
        clocks = text_of(out[3])
        assert "01.06.2026" in clocks and "19.05.2026" in clocks and "Курбан айт" in clocks
        assert out[6] is page_cb.no_update  # the version store moves only with the user's own changes
        assert out[10] == {}  # the notice form is offered now

        env.set(2026, 5, 18, 15, 0)
        # another channel without a reason is refused, with the rule in the message; the form keeps its values
        msg, flash, new_version, token, date_bad, reason_bad = page_cb.submit_notice(
            1, "18.05.2026", "electronic", "", version, str(ident))
        assert "на бумажном носителе" in text_of(msg) and reason_bad and not date_bad
        assert new_version is page_cb.no_update
        msg, flash, version, token, *_ = page_cb.submit_notice(1, "18.05.2026", "paper", "", version,
                                                                            str(ident))
        assert "Уведомление записано" in text_of(flash)

        env.set(2026, 5, 29, 16, 0)
        result = page_cb.submit_answer(1, "upheld", "Шағым қанағаттандырылды", "29.05.2026", version,
                                                   str(ident))
        assert "Ответ сохранён" in text_of(result[1])
        out = load(ident, refresh=2)
        assert "Ответ дан 29.05.2026 — в срок" in text_of(out[1])
        assert all(style == {"display": "none"} for style in out[8:12])  # review, extend, notice, answer
        assert out[12] == {}  # an answered provider complaint can still go to the quality-control body
    complaint = session.get(Complaint, ident)
    assert complaint.status == "answered" and complaint.closed_on_time is True


def _extended(session, env, reviewer, days=6):
    app = new_item(session, "rent_to_own")
    complaint = service.register(session, reviewer, {
        "about": "application", "ref": str(app.id), "complainant_id_number": IIN, "complainant_name": "Омаров Ғалым",
        "complainant_contact": "Астана, Мәңгілік Ел 8", "received_date": "06.05.2026", "received_time": "10:00",
        "channel": "electronic", "level": "provider", "subject": "Жауап жоқ"}, now=local(2026, 5, 6, 12, 0))
    service.take_into_review(session, reviewer, complaint.id, expected_version=complaint.version,
                             at=local(2026, 5, 7, 10, 0))
    if days:
        service.extend(session, reviewer, complaint.id, "additional_study", days, expected_version=complaint.version,
                       at=local(2026, 5, 12, 10, 0))
    return complaint


@pytest.mark.parametrize("reason,days,when,expected,bad", [
    ("", 3, (2026, 5, 13, 10, 0), "Укажите причину продления", (True, False)),
    ("site_inspection", 5, (2026, 5, 13, 10, 0), "уже 6, запрошено 5", (False, True)),
    ("site_inspection", 2, (2026, 5, 26, 10, 0), "Продлить срок можно только до его истечения", (False, False)),
    ("vacation", 2, (2026, 5, 13, 10, 0), "Правила допускают продление только для", (True, False)),
    ("site_inspection", 11, (2026, 5, 13, 10, 0), "от 1 до 10 рабочих дней", (False, True)),
])
def test_refused_extensions_say_why_and_change_nothing(session, env, reviewer, reason, days, when, expected, bad):
    complaint = _extended(session, env, reviewer)  # 6 wd used: due 25.05
    env.set(*when)
    with signed_in(reviewer, "ru"):
        result = page_cb.submit_extension(1, reason, days, complaint.version, str(complaint.id))
    msg, flash, version, token, reason_bad, days_bad, reason_value, days_value = result
    assert expected in text_of(msg) and flash is None
    assert (reason_bad, days_bad) == bad
    assert reason_value is page_cb.no_update and days_value is page_cb.no_update  # what was typed stays
    assert complaint.extension_days == 6 and complaint.status == "extended"
    assert service.level_clock(session, complaint).due_date == date(2026, 5, 25)


def test_refusals_in_kazakh_too(session, env, reviewer):
    complaint = _extended(session, env, reviewer)
    env.set(2026, 5, 13, 10, 0)
    with signed_in(reviewer, "kk"):
        msg = page_cb.submit_extension(1, "site_inspection", 5, complaint.version, str(complaint.id))[0]
    assert "10 жұмыс күнінен аспауы тиіс" in text_of(msg)


def test_stale_version_is_reported_and_the_page_refreshed(session, env, reviewer):
    complaint = _extended(session, env, reviewer, days=0)
    stale = complaint.version
    service.extend(session, reviewer, complaint.id, "additional_study", 2, expected_version=stale,
                   at=local(2026, 5, 12, 10, 0))  # someone (here: the same person in another tab) moved on
    env.set(2026, 5, 13, 10, 0)
    with signed_in(reviewer, "ru"):
        result = page_cb.submit_answer(1, "rejected", "Жоқ", "13.05.2026", stale, str(complaint.id))
    msg, flash, version, token = result[:4]
    assert "изменил другой пользователь" in text_of(msg) and "Срок рассмотрения продлён" in text_of(msg)
    assert version == complaint.version and token
    assert complaint.status == "extended"


def test_callbacks_refuse_users_without_the_permission(session, env, reviewer):
    complaint = _extended(session, env, reviewer, days=0)
    manager = make_user(session, "cbman1", "manager")
    akimat = make_user(session, "cbakim", "akimat")
    other = make_user(session, "cbrev2", "reviewer")
    with signed_in(manager):
        with pytest.raises(Forbidden):
            page_cb.submit_extension(1, "site_inspection", 2, complaint.version, str(complaint.id))
        with pytest.raises(Forbidden):
            list_cb.save(1, *([None] * 11), [])
        out = load(complaint.id)  # managers read and reassign
        assert out[13] == {} and out[11] == {"display": "none"}
    with signed_in(akimat):
        with pytest.raises(Forbidden):
            load(complaint.id)
        with pytest.raises(Forbidden):
            list_cb.load_rows({"startRow": 0, "endRow": 100}, {})
    with signed_in(other):  # another reviewer: read only, and the server refuses a posted change
        out = load(complaint.id)
        assert "рассматривает" in text_of(out[7]) and out[11] == {"display": "none"}
        msg = page_cb.submit_answer(1, "upheld", "Иә", "", complaint.version, str(complaint.id))[0]
        assert "ответственный сотрудник" in text_of(msg)
    assert complaint.status == "under_review"


def test_registry_rows_kpis_and_a_tampered_sort(session, env, reviewer):
    complaint = _extended(session, env, reviewer)
    env.set(2026, 5, 20, 10, 0)
    with signed_in(reviewer, "kk"):
        response, count = list_cb.load_rows({"startRow": 0, "endRow": 100,
                                                          "sortModel": [{"colId": "answer_due", "sort": "asc"}]},
                                                         {"state": "open"})
        row = next(r for r in response["rowData"] if r["id"] == complaint.id)
        assert row["answer_due"] == "25.05.2026" and row["notice_due"] == "15.05.2026"
        assert row["status"] == "Қарау мерзімі ұзартылды" and row["status_color"] == "amber"
        assert row["due_state"] == "overdue" and "өтті" in row["due"]  # the notice was due 15.05
        assert "Табылды" in text_of(count)
        response, count = list_cb.load_rows({"startRow": 0, "endRow": 100,
                                                          "sortModel": [{"colId": "password", "sort": "asc"}]}, {})
        assert response == {"rowData": [], "rowCount": 0} and "мүмкін болмады" in text_of(count)
        kpis = text_of(list_cb.fill_kpis("kk"))
        assert "Мерзімі өткен" in kpis
        filters, *_ = list_cb.update_filters("", "overdue", ["provider"], [], "01.05.2026", "xx", {})
        assert filters == {"level": "provider", "state": "overdue", "due_from": "2026-05-01"}
        bad = list_cb.update_filters("", "all", [], [], "", "31.02.2026", {})
        assert bad[3] is True and "КК.АА.ЖЖЖЖ" in bad[4]


def test_registration_form_keeps_values_and_marks_the_problems(session, env, reviewer):
    app = new_item(session, "rent_to_own")
    with signed_in(reviewer, "kk"):
        values = register_form(app.id, id_number="900101300125", name="", channel=None)
        message, href, marks = save(values, wraps=("about", "ref", "complainant_id_number", "complainant_name",
                                                   "channel"))
        assert href is list_cb.no_update
        assert marks == ["cmp-field", "cmp-field", "cmp-field is-invalid-field", "cmp-field is-invalid-field",
                         "cmp-field is-invalid-field"]
        assert "бақылау цифры" in text_of(message) and "Шағым сақталмады" in text_of(message)
        # the look-up finds the application and offers the applicant as the complainant
        feedback, person, style, placeholder = list_cb.look_up("application", f"#{app.id}")
        assert "Табылды" in text_of(feedback) and person["name"] == "Әлиев Нұрлан Серікұлы" and style == {}
        feedback, person, style, placeholder = list_cb.look_up("batch", "#999999")
        assert "табылмады" in text_of(feedback) and person == {} and style == {"display": "none"}
    assert session.query(Complaint).filter(Complaint.application_id == app.id).count() == 0


def test_escalation_through_the_callback(session, env, reviewer):
    complaint = _extended(session, env, reviewer, days=0)
    env.set(2026, 5, 25, 9, 0)
    with signed_in(reviewer, "ru"):
        preview = text_of(page_cb.escalation_preview("22.05.2026", "20:15"))
        assert "25.05.2026" in preview and "16.06.2026" in preview
        msg, href = page_cb.submit_escalation(1, "22.05.2026", "20:15", "electronic", "none", "",
                                                          str(complaint.id))
        child = session.get(Complaint, int(href.rsplit("/", 1)[1]))
        assert child.parent_id == complaint.id and child.level == "quality_body"
        out = load(complaint.id)
        assert f"Жалоба №{child.id}" in text_of(out[2]) and out[12] == {"display": "none"}  # escalated once


def test_extension_preview_warns_before_the_ten_days_are_exceeded(session, env, reviewer):
    complaint = _extended(session, env, reviewer)  # 6 used, due 25.05
    env.set(2026, 5, 13, 10, 0)
    with signed_in(reviewer, "ru"):
        assert "уже 6, запрошено 5" in text_of(page_cb.extension_preview(5, str(complaint.id)))
        fine = text_of(page_cb.extension_preview(4, str(complaint.id)))
        # 25.05 + 4 wd: 26 (1), 27 Kurban ait, 28 (2), 29 (3), 1 June (4)
        assert "Новый срок ответа: 01.06.2026" in fine and "Уведомить заявителя до: 18.05.2026" in fine
        assert "от 1 до 10" in text_of(page_cb.extension_preview("x", str(complaint.id)))


def test_unknown_complaint_says_so_and_hides_the_page_body(session, env, reviewer):
    with signed_in(reviewer, "kk"):
        for ident in ("abc", "999999"):
            out = load(ident)
            assert f"№{ident} шағым табылмады" in text_of(out[0]) and out[-1] == {"display": "none"}
