"""The Application page: its callbacks called directly as a signed-in user (inside a Flask test
request), against the rolled-back test session; and its read query.

What is checked: the status form offers exactly the allowed next statuses and asks exactly for
what the chosen transition records; an incomplete or forbidden transition is refused with a
clear message and changes nothing; a stale version is reported as a conflict (who, when) and
the typed values stay; a reviewer who is not assigned cannot change the status even by posting
to the callback; every change is in the history and the audit trail.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from dash import html, no_update
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden

from callbacks import application as cb
from callbacks.context import today_local
from callbacks.ids import ApplicationPage as ids
from data import application_service as service
from data.access import scope_complaints
from data.clocks import load_context
from data.errors import ConflictError
from data.models import Application, Complaint, Guarantor, StatusEvent, User
from data.models.audit import AuditEntry
from data.queries.application import application_page
from data.workflows import create_complaint, transition
from tests.conftest import local
from tests.factories import item_in, new_item
from tests.signin import signed_in

# load_page's outputs, by position
HEADER, DUE, DETAILS, CLOCKS, HISTORY, COMPLAINTS, STATE, VERSION, STATUS_CARD, STATUS_NOTE, STATUS_FORM, TARGETS, \
    ASSIGN_CARD, ASSIGN_CURRENT, ASSIGN_OPTIONS, NOTE_CARD = range(16)


# -- plumbing --------------------------------------------------------------------------------
@pytest.fixture
def page_db(session, monkeypatch):
    """The callbacks' unit of work runs in a savepoint of the test session (rolled back at the end)."""

    @contextmanager
    def scope():
        with session.begin_nested():
            yield session

    monkeypatch.setattr(cb, "db", scope)
    return session


def staff(session, username: str, role: str = "reviewer", department: str | None = "review") -> User:
    existing = session.scalar(select(User).where(User.username == username))
    if existing:
        return existing
    user = User(username=username, full_name=f"Қызметкер {username}", role=role, department=department)
    session.add(user)
    session.flush()
    return user


def text_of(node) -> str:
    """All the text a component tree shows (whitespace normalized)."""
    return " ".join(_texts(node).split())


def _texts(node) -> str:
    if node is None or node is no_update:
        return ""
    if isinstance(node, (str, int, float)):
        return str(node)
    if isinstance(node, (list, tuple)):
        return " ".join(_texts(n) for n in node)
    parts = [_texts(getattr(node, "children", None))]
    for prop in ("label", "placeholder"):
        value = getattr(node, prop, None)
        if isinstance(value, str):
            parts.append(value)
    return " ".join(p for p in parts if p)


def components(node) -> list:
    if node is None or isinstance(node, (str, int, float)):
        return []
    if isinstance(node, (list, tuple)):
        return [c for n in node for c in components(n)]
    return [node] + components(getattr(node, "children", None))


def field_inputs(children) -> dict[str, list[str]]:
    """{field name: [input kinds]} of the rendered transition inputs (field / date / time)."""
    kinds = {ids.FIELD: "value", ids.FIELD_DATE: "date", ids.FIELD_TIME: "time"}
    found: dict[str, list[str]] = {}
    for comp in components(children):
        ident = getattr(comp, "id", None)
        if isinstance(ident, dict) and ident.get("type") in kinds:
            found.setdefault(ident["name"], []).append(kinds[ident["type"]])
    return found


def required_marks(children) -> dict[str, bool]:
    """{field name: shown as required (a *)} from each field's wrapper label."""
    marks = {}
    for comp in components(children):
        ident = getattr(comp, "id", None)
        if isinstance(ident, dict) and ident.get("type") == ids.FIELD_WRAP:
            label = comp.children[0]
            marks[ident["name"]] = "*" in text_of(label)
    return marks


def post_status(app_id, version, target, values=None, dates=None, times=None, wraps=None):
    values, dates, times = values or {}, dates or {}, times or {}
    wraps = wraps if wraps is not None else sorted(set(values) | set(dates) | set(times))
    return cb.submit_status(
        1, target,
        list(values.values()), [{"type": ids.FIELD, "name": k} for k in values],
        list(dates.values()), [{"type": ids.FIELD_DATE, "name": k} for k in dates],
        list(times.values()), [{"type": ids.FIELD_TIME, "name": k} for k in times],
        [{"type": ids.FIELD_WRAP, "name": k} for k in wraps], version, str(app_id),
    )


def history_count(session, application_id: int) -> int:
    return session.scalar(select(func.count()).select_from(StatusEvent)
                          .where(StatusEvent.application_id == application_id))


def assigned(session, kind: str, status: str, reviewer: User, guarantors: bool | None = None) -> Application:
    application = item_in(session, kind, status, guarantors=guarantors)
    application.reviewer_id = reviewer.id
    session.flush()
    return application


# -- the status form offers exactly the allowed transitions -------------------------------------
@pytest.mark.parametrize("kind,status,guarantors,expected", [
    ("correction", "registered", False, ["under_review", "rejected"]),
    ("correction", "under_review", False, ["needs_revision", "rejected", "approved_sa_preparing"]),
    ("correction", "needs_revision", False, ["under_review", "rejected"]),
    ("correction", "sa_ktk_signing", False, ["sa_signed"]),
    ("rent_to_own", "submitted", False, ["under_review", "rejected"]),
    ("rent_to_own", "contract_applicant_signing", False, ["contract_ktk_signing"]),
    ("rent_to_own", "contract_applicant_signing", True, ["contract_guarantor_signing"]),
    ("rent_to_own", "registration_submitted", False,
     ["registered", "registration_suspended", "registration_refused"]),
])
def test_status_form_offers_exactly_the_allowed_next_statuses(page_db, kind, status, guarantors, expected):
    reviewer = staff(page_db, "rev.form")
    application = assigned(page_db, kind, status, reviewer, guarantors=guarantors)
    for lang in ("kk", "ru"):
        with signed_in(reviewer, lang):
            out = cb.load_page(str(application.id), 0)
        assert [o["value"] for o in out[TARGETS]] == expected
        labels = [o["label"] for o in out[TARGETS]]
        from data.statuses import WORKFLOWS
        assert labels == [WORKFLOWS[kind].status(code).label(lang) for code in expected]
        assert out[STATUS_CARD] == {} and out[STATUS_FORM] == {}
        assert out[VERSION] == application.version
        assert out[STATE] == {"kind": kind, "status": status}


def test_a_final_status_offers_nothing_and_says_so(page_db):
    reviewer = staff(page_db, "rev.final")
    application = assigned(page_db, "rent_to_own", "rejected", reviewer)
    with signed_in(reviewer, "ru"):
        out = cb.load_page(str(application.id), 0)
    assert out[TARGETS] == [] and out[STATUS_FORM] == {"display": "none"}
    assert "конечный статус" in out[STATUS_NOTE]


@pytest.mark.parametrize("kind,status,target,inputs,required", [
    ("correction", "under_review", "needs_revision",
     {"remarks": ["value"], "revision_due": ["date"]}, {"remarks": True, "revision_due": True}),
    ("correction", "under_review", "rejected",
     {"refusal_reason": ["value"], "refusal_text": ["value"]}, {"refusal_reason": True, "refusal_text": False}),
    ("correction", "registered", "under_review", {"reviewer_id": ["value"]}, {"reviewer_id": True}),
    ("correction", "sa_ktk_signing", "sa_signed",
     {"agreement_number": ["value"], "agreement_date": ["date"]}, {"agreement_number": True, "agreement_date": True}),
    ("correction", "needs_revision", "under_review", {"received_at": ["date", "time"]}, {"received_at": False}),
    ("rent_to_own", "registration_payment", "registration_submitted",
     {"payment_confirmed_at": ["date", "time"]}, {"payment_confirmed_at": True}),
    ("rent_to_own", "contract_ktk_signing", "contract_signed",
     {"contract_number": ["value"], "contract_date": ["date"]}, {"contract_number": True, "contract_date": True}),
    ("rent_to_own", "registration_submitted", "registration_suspended", {"comment": ["value"]}, {"comment": True}),
])
def test_the_form_asks_exactly_for_what_the_transition_records(page_db, kind, status, target, inputs, required):
    reviewer = staff(page_db, "rev.fields")
    application = assigned(page_db, kind, status, reviewer)
    with signed_in(reviewer, "kk"):
        children, message = cb.show_fields(target, {"kind": kind, "status": application.status})
    assert field_inputs(children) == inputs
    assert required_marks(children) == required
    assert message is None  # a new choice clears the previous message


def test_transition_without_inputs_says_so_and_selects_are_filled_in_the_users_language(page_db):
    reviewer = staff(page_db, "rev.empty")
    with signed_in(reviewer, "ru"):
        children, _ = cb.show_fields("approved_sa_preparing", {"kind": "correction", "status": "under_review"})
        assert field_inputs(children) == {} and "не нужны" in text_of(children)
        children, _ = cb.show_fields("rejected", {"kind": "rent_to_own", "status": "under_review"})
    select_ = next(c for c in components(children) if getattr(c, "id", None) == {"type": ids.FIELD,
                                                                              "name": "refusal_reason"})
    labels = [o["label"] for o in select_.options]
    assert "Представлен неполный пакет документов" in labels and "Другое" in labels
    with signed_in(reviewer, "kk"):
        children, _ = cb.show_fields("under_review", {"kind": "correction", "status": "registered"})
    chooser = next(c for c in components(children) if getattr(c, "id", None) == {"type": ids.FIELD,
                                                                               "name": "reviewer_id"})
    assert chooser.value == str(reviewer.id)  # the reviewer takes it by default
    assert str(reviewer.id) in [o["value"] for o in chooser.options]


# -- refused changes change nothing ---------------------------------------------------------
def test_incomplete_transition_names_every_missing_input_and_changes_nothing(page_db):
    reviewer = staff(page_db, "rev.incomplete")
    application = assigned(page_db, "correction", "under_review", reviewer)
    version, events = application.version, history_count(page_db, application.id)
    with signed_in(reviewer, "kk"):
        message, new_version, refresh, target, marks = post_status(
            application.id, version, "needs_revision", values={"remarks": "  "}, dates={"revision_due": None})
    text = text_of(message)
    assert "«Өтінім қаралды, пысықтау қажет» мәртебесіне өту үшін толтырыңыз" in text
    assert "«Ескертулер»" in text and "«Пысықтау мерзімі»" in text
    assert marks == ["apppage-field is-invalid-field", "apppage-field is-invalid-field"]
    assert new_version is no_update and refresh is no_update and target is no_update  # the form stays as typed
    page_db.refresh(application)
    assert application.status == "under_review" and application.version == version
    assert history_count(page_db, application.id) == events

    with signed_in(reviewer, "ru"):
        message, *_rest, marks = post_status(application.id, version, "needs_revision",
                                             values={"remarks": "Приложите договор"}, dates={"revision_due": None})
    assert "Для перехода в статус «Заявка рассмотрена, требуется доработка» заполните: «Срок доработки»" \
        in text_of(message)
    assert marks == ["apppage-field", "apppage-field is-invalid-field"]  # remarks, revision_due


def test_a_past_revision_date_and_a_half_moment_are_refused_clearly(page_db):
    reviewer = staff(page_db, "rev.values")
    application = assigned(page_db, "correction", "under_review", reviewer)
    with signed_in(reviewer, "ru"):
        message, *_ = post_status(application.id, application.version, "needs_revision",
                                  values={"remarks": "Ошибка в площади"},
                                  dates={"revision_due": today_local().isoformat()})
    assert "«Срок доработки»" in text_of(message) and "позже сегодняшнего дня" in text_of(message)
    back = assigned(page_db, "correction", "needs_revision", reviewer)
    with signed_in(reviewer, "ru"):
        message, *_ = post_status(back.id, back.version, "under_review", dates={"received_at": "2026-03-10"},
                                  times={"received_at": "25:99"})
    assert "«Время поступления»" in text_of(message) and "ЧЧ:ММ" in text_of(message)
    page_db.refresh(application)
    page_db.refresh(back)
    assert application.status == "under_review" and back.status == "needs_revision"


def test_a_forbidden_transition_is_refused_with_the_allowed_ones(page_db):
    reviewer = staff(page_db, "rev.forbidden")
    application = assigned(page_db, "correction", "under_review", reviewer)
    version, events = application.version, history_count(page_db, application.id)
    with signed_in(reviewer, "ru"):
        message, *_ = post_status(application.id, version, "sa_signed",
                                  values={"agreement_number": "ДС-1"}, dates={"agreement_date": "2026-03-10"})
    text = text_of(message)
    assert "Переход из статуса «Заявка на рассмотрении» в статус «ДС подписано» не допускается" in text
    assert "«Заявка рассмотрена, требуется доработка»" in text and "«Заявка отклонена»" in text
    page_db.refresh(application)
    assert application.status == "under_review" and history_count(page_db, application.id) == events


def test_approval_without_consent_is_refused(page_db):
    reviewer = staff(page_db, "rev.consent")
    application = assigned(page_db, "rent_to_own", "under_review", reviewer)
    application.consent_personal_data = False
    page_db.flush()
    with signed_in(reviewer, "kk"):
        message, *_ = post_status(application.id, application.version, "approved")
    assert "Дербес деректерді өңдеуге келісім жоқ" in text_of(message)
    page_db.refresh(application)
    assert application.status == "under_review"


# -- a saved change: history, audit, version ------------------------------------------------
def test_a_valid_change_is_saved_with_history_and_audit(page_db):
    reviewer = staff(page_db, "rev.save")
    application = assigned(page_db, "correction", "under_review", reviewer)
    version = application.version
    due = today_local() + timedelta(days=10)
    with signed_in(reviewer, "kk"):
        message, new_version, refresh, target, marks = post_status(
            application.id, version, "needs_revision", values={"remarks": "Шарттың көшірмесін қосыңыз"},
            dates={"revision_due": due.isoformat()})
    assert "Мәртебе өзгертілді: «Өтінім қаралды, пысықтау қажет»" in text_of(message)
    assert refresh and target == "" and marks == ["apppage-field"] * 2
    page_db.refresh(application)
    assert new_version == application.version > version
    assert application.status == "needs_revision" and application.revision_due == due
    event = page_db.scalars(select(StatusEvent).where(StatusEvent.application_id == application.id)
                            .order_by(StatusEvent.id.desc())).first()
    assert (event.actor_id, event.from_status, event.to_status) == (reviewer.id, "under_review", "needs_revision")
    assert event.comment == "Шарттың көшірмесін қосыңыз" and event.payload["revision_due"] == due.isoformat()
    audit = page_db.scalars(select(AuditEntry).where(AuditEntry.entity == "application",
                                                     AuditEntry.entity_id == str(application.id))).all()
    assert [a.action for a in audit] == ["status_change"]
    assert audit[0].before["status"] == "under_review" and audit[0].after["status"] == "needs_revision"
    assert audit[0].actor_id == reviewer.id and audit[0].after["version"] == application.version

    # The refreshed page shows it in the history, and keeps the version the user saved with.
    with signed_in(reviewer, "kk"):
        out = cb.load_page(str(application.id), refresh)
    assert out[VERSION] is no_update
    history = text_of(out[HISTORY])
    assert "Өтінім қаралды, пысықтау қажет" in history and "Шарттың көшірмесін қосыңыз" in history
    assert f"Пысықтау мерзімі: {due:%d.%m.%Y}" in history and reviewer.full_name in history


# -- optimistic locking ----------------------------------------------------------------------
def test_a_stale_version_is_a_conflict_that_keeps_the_typed_values(page_db):
    first = staff(page_db, "rev.first")
    second = staff(page_db, "rev.second")  # same department: both see the unassigned application
    application = item_in(page_db, "correction", "registered")
    seen_version = application.version
    # The first reviewer takes it while the second is typing a refusal.
    with signed_in(first, "ru"):
        cb.load_page(str(application.id), 0)
        post_status(application.id, seen_version, "under_review", values={"reviewer_id": str(first.id)})
    events = history_count(page_db, application.id)
    with signed_in(second, "ru"):
        message, new_version, refresh, target, marks = post_status(
            application.id, seen_version, "rejected",
            values={"refusal_reason": "other", "refusal_text": "Мой обоснованный отказ"})
    text = text_of(message)
    assert "Эту запись изменил другой пользователь" in text and first.full_name in text
    assert "«Заявка на рассмотрении»" in text and "Введённое вами осталось в форме" in text
    # The form keeps what was typed (neither the target nor the inputs are touched) and the page
    # around it is refreshed; the version is the fresh one so the user can resubmit consciously.
    assert target is no_update and marks == ["apppage-field", "apppage-field"] and refresh
    page_db.refresh(application)
    assert new_version == application.version and application.status == "under_review"
    assert application.reviewer_id == first.id and history_count(page_db, application.id) == events
    # Resubmitting is now refused for the right reason: it is the first reviewer's application.
    with signed_in(second, "ru"):
        message, *_ = post_status(application.id, new_version, "rejected",
                                  values={"refusal_reason": "other", "refusal_text": "Мой обоснованный отказ"})
    assert "нет прав" in text_of(message)
    page_db.refresh(application)
    assert application.status == "under_review"


def test_after_a_conflict_the_user_can_resubmit_and_both_changes_stay(page_db):
    reviewer = staff(page_db, "rev.resubmit")
    manager = staff(page_db, "man.resubmit", role="manager", department="ops")
    application = assigned(page_db, "rent_to_own", "under_review", reviewer)
    seen = application.version
    other = staff(page_db, "rev.other")
    with signed_in(manager, "kk"):  # meanwhile: given to someone else, then back
        cb.submit_assign(1, str(other.id), seen, str(application.id))
        cb.submit_assign(1, str(reviewer.id), application.version, str(application.id))
    assert application.version == seen + 2
    due = today_local() + timedelta(days=7)
    typed = {"values": {"remarks": "Анықтаманы қайта беріңіз"}, "dates": {"revision_due": due.isoformat()}}
    with signed_in(reviewer, "kk"):
        message, fresh, *_ = post_status(application.id, seen, "needs_revision", **typed)
    assert "басқа пайдаланушы өзгертті" in text_of(message) and manager.full_name in text_of(message)
    with signed_in(reviewer, "kk"):
        message, saved, *_ = post_status(application.id, fresh, "needs_revision", **typed)
    assert "Мәртебе өзгертілді" in text_of(message)
    page_db.refresh(application)
    assert application.status == "needs_revision" and application.reviewer_id == reviewer.id
    assert saved == application.version
    kinds = page_db.scalars(select(StatusEvent.kind).where(StatusEvent.application_id == application.id)
                            .order_by(StatusEvent.id)).all()
    assert kinds.count("assign") == 2 and kinds[-1] == "transition"


def test_the_data_layer_refuses_a_stale_version_too(page_db):
    reviewer = staff(page_db, "rev.layer")
    application = assigned(page_db, "correction", "under_review", reviewer)
    with pytest.raises(ConflictError) as excinfo:
        service.change_status(page_db, reviewer, application.id, "approved_sa_preparing", {},
                              expected_version=application.version - 1)
    assert excinfo.value.params["item_id"] == application.id
    page_db.refresh(application)
    assert application.status == "under_review"


# -- who may act -----------------------------------------------------------------------------
def test_a_reviewer_who_is_not_assigned_cannot_change_the_status_even_by_posting(page_db):
    owner = staff(page_db, "rev.owner")
    colleague = staff(page_db, "rev.colleague")  # same department: sees it, may not act
    application = assigned(page_db, "correction", "under_review", owner)
    version, events = application.version, history_count(page_db, application.id)
    with signed_in(colleague, "kk"):
        out = cb.load_page(str(application.id), 0)
        assert out[STATUS_FORM] == {"display": "none"} and out[TARGETS] == []
        assert owner.full_name in out[STATUS_NOTE]
        message, *_ = post_status(application.id, version, "approved_sa_preparing")
    assert "Бұл әрекетке рұқсатыңыз жоқ" in text_of(message)
    page_db.refresh(application)
    assert application.status == "under_review" and history_count(page_db, application.id) == events

    stranger = staff(page_db, "rev.stranger", department="elsewhere")  # outside the scope: not even seen
    with signed_in(stranger, "ru"):
        message, *_ = post_status(application.id, version, "approved_sa_preparing")
        assert "не найдена" in text_of(message)
        out = cb.load_page(str(application.id), 0)
        assert "не найдена" in text_of(out[HEADER]) and out[STATUS_CARD] == {"display": "none"}

    manager = staff(page_db, "man.nostatus", role="manager", department="ops")
    with signed_in(manager, "kk"), pytest.raises(Forbidden):
        post_status(application.id, version, "approved_sa_preparing")
    with signed_in(owner, "kk"), pytest.raises(Forbidden):
        cb.submit_assign(1, str(owner.id), version, str(application.id))
    akimat = staff(page_db, "akimat.user", role="akimat", department=None)
    with signed_in(akimat, "kk"), pytest.raises(Forbidden):
        cb.load_page(str(application.id), 0)
    page_db.refresh(application)
    assert application.status == "under_review"


def test_managers_assign_and_everyone_who_works_on_it_can_add_notes(page_db):
    reviewer = staff(page_db, "rev.assign")
    manager = staff(page_db, "man.assign", role="manager", department="ops")
    application = item_in(page_db, "rent_to_own", "submitted")
    with signed_in(manager, "ru"):
        out = cb.load_page(str(application.id), 0)
        assert out[ASSIGN_CARD] == {} and out[STATUS_CARD] == {"display": "none"}
        assert str(reviewer.id) in [o["value"] for o in out[ASSIGN_OPTIONS]]
        message, version, refresh = cb.submit_assign(1, "", out[VERSION], str(application.id))
        assert "«Ответственный сотрудник»" in text_of(message) and version is no_update
        message, version, refresh = cb.submit_assign(1, str(reviewer.id), out[VERSION], str(application.id))
    assert reviewer.full_name in text_of(message) and version == application.version and refresh
    assert application.reviewer_id == reviewer.id
    with signed_in(manager, "ru"):
        message, cleared, refresh = cb.submit_note(1, "Проверить поручителей до пятницы", str(application.id))
        assert "Заметка добавлена" in text_of(message) and cleared == ""
        message, cleared, refresh = cb.submit_note(1, "   ", str(application.id))
        assert "«Комментарий»" in text_of(message) and cleared is no_update
    note = page_db.scalars(select(StatusEvent).where(StatusEvent.application_id == application.id,
                                                     StatusEvent.kind == "note")).one()
    assert note.comment == "Проверить поручителей до пятницы" and note.actor_id == manager.id
    actions = page_db.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == str(application.id))
                              .order_by(AuditEntry.id)).all()
    assert actions == ["assign", "note"]
    with signed_in(manager, "ru"):
        out = cb.load_page(str(application.id), 1)
    history = text_of(out[HISTORY])
    assert f"Ответственный: не назначен → {reviewer.full_name}" in history
    assert "Проверить поручителей до пятницы" in history


# -- what the page shows ---------------------------------------------------------------------
def test_the_due_date_explains_itself_in_both_languages(page_db):
    reviewer = staff(page_db, "rev.explain")
    application = new_item(page_db, "rent_to_own", at=local(2026, 3, 6, 20, 0))  # Friday after hours
    page_db.add(Guarantor(application_id=application.id, iin="850505400321", full_name="Кепілгер Асқар"))
    page_db.flush()
    with signed_in(reviewer, "kk"):
        out = cb.load_page(str(application.id), 0)
    due = text_of(out[DUE])
    assert "26.03.2026 дейін" in due
    assert "06.03.2026 20:00 (жұма) жұмыс уақыты аяқталғаннан кейін түсті, келесі жұмыс күні 10.03.2026 тіркелді" in due
    assert "25.03.2026 — жұмыс емес күн" in due and "мерзім 26.03.2026 күніне ауыстырылды" in due
    details = text_of(out[DETAILS])
    assert "850505400321" in details and "Кепілгер Асқар" in details
    with signed_in(reviewer, "ru"):
        out = cb.load_page(str(application.id), 0)
    due = text_of(out[DUE])
    assert "до 26.03.2026" in due
    assert "после окончания рабочего времени, зарегистрировано в следующий рабочий день 10.03.2026" in due
    assert "срок перенесён на 26.03.2026" in due
    overdue = (today_local() - application.current_due_date).days
    assert overdue > 0 and f"({overdue} календ. дн.)" in due and "Просрочено" in due
    clocks = text_of(out[CLOCKS])
    assert "Рассмотрение КЖК (15 к.д.)" in clocks and "Просрочен" in clocks and "06.03.2026 20:00" in clocks
    header = text_of(out[HEADER])
    assert "Заявка подана" in header and "Зарегистрирована: 10.03.2026" in header


def test_the_page_query_reads_history_clocks_pauses_and_complaints(page_db):
    reviewer = staff(page_db, "rev.query")
    application = assigned(page_db, "correction", "under_review", reviewer)
    ctx = load_context(page_db)
    paused_at = local(2026, 3, 4, 11, 0)
    transition(page_db, application, "needs_revision", actor=reviewer, at=paused_at, ctx=ctx,
               fields={"remarks": "Ескерту", "revision_due": "2026-03-20"})
    transition(page_db, application, "under_review", actor=reviewer, at=local(2026, 3, 11, 10, 0), ctx=ctx)
    complaint = create_complaint(page_db, {"channel": "paper", "complainant_name": "Сәрсенова Айгүл",
                                           "subject": "Мерзім бұзылды", "application_id": application.id},
                                 level="provider", received_at=local(2026, 3, 12, 10, 0), ctx=ctx)
    view = application_page(page_db, application.id, reviewer, today_local(), ctx)
    # (the factory's creation event is stamped with the real clock, so compare the transitions only)
    assert [(e.from_status, e.to_status) for e in view.history if e.from_status][-2:] == [
        ("under_review", "needs_revision"), ("needs_revision", "under_review")]
    review = next(c for c in view.clocks if c.policy_code == "ktk_review")
    assert review.pauses == [(paused_at.date(), local(2026, 3, 11).date())] and review.stopped_at is None
    revision = next(c for c in view.clocks if c.policy_code == "applicant_revision")
    assert revision.state == "stopped" and revision.met is True
    assert [c.id for c in view.complaints] == [complaint.id] and view.complaints[0].level == "provider"
    # The page reads the complaints without scope_complaints' costly subquery: same rows for anyone
    # who can see the application, including a complaint assigned to someone else.
    complaint.responsible_id = staff(page_db, "rev.responsible", department="legal").id
    page_db.flush()
    for who in (reviewer, staff(page_db, "rev.colleague2"), staff(page_db, "man.q", "manager", "ops")):
        scoped = set(page_db.scalars(scope_complaints(select(Complaint.id)
                                                      .where(Complaint.application_id == application.id), who)))
        view_for = application_page(page_db, application.id, who, today_local(), ctx)
        assert {c.id for c in view_for.complaints} == scoped == {complaint.id}
    assert view.running_clock.policy_code == "ktk_review"
    assert view.running_clock.left.calendar < 0  # long overdue by today
    with signed_in(reviewer, "kk"):
        out = cb.load_page(str(application.id), 0)
    assert f"Шағым №{complaint.id}" in text_of(out[COMPLAINTS])
    links = [c for c in components(out[COMPLAINTS]) if getattr(c, "href", None)]
    assert links[0].href == f"/complaints/{complaint.id}"
    assert "04.03.2026 – 11.03.2026" in text_of(out[CLOCKS])
    # Outside the user's scope the page does not exist for them.
    stranger = staff(page_db, "rev.far", department="elsewhere")
    assert application_page(page_db, application.id, stranger, today_local(), ctx) is None
    assert page_db.scalar(select(func.count()).select_from(Complaint)
                          .where(Complaint.application_id == application.id)) == 1


def test_identity_numbers_are_masked_for_users_without_iin_read(page_db, monkeypatch):
    reviewer = staff(page_db, "rev.mask")
    application = item_in(page_db, "rent_to_own", "submitted")
    page_db.add(Guarantor(application_id=application.id, iin="850505400321", full_name="Кепілгер Асқар"))
    page_db.flush()
    import data.queries.application as query

    monkeypatch.setattr(query, "can", lambda user, permission: permission != "iin.read")
    view = application_page(page_db, application.id, reviewer, today_local())
    assert view.applicant_id_number == "90********23" and view.guarantors == [("85********21", "Кепілгер Асқар")]


def test_unknown_or_malformed_ids_show_a_clear_not_found(page_db):
    reviewer = staff(page_db, "rev.missing")
    with signed_in(reviewer, "kk"):
        out = cb.load_page("abc", 0)
        assert "табылмады" in text_of(out[HEADER]) and out[VERSION] is no_update
        out = cb.load_page("999999999", 0)
        assert "№999999999 өтінім табылмады" in text_of(out[HEADER])
    assert isinstance(out[HEADER], html.Div)


def test_junk_posted_directly_is_refused_cleanly(page_db):
    reviewer = staff(page_db, "rev.junk")
    application = assigned(page_db, "correction", "needs_revision", reviewer)
    version = application.version
    with signed_in(reviewer, "ru"):
        message, *_ = post_status(application.id, version, "under_review", dates={"received_at": "not-a-date"},
                                  times={"received_at": "10:00"})
        assert "Неверная дата «not-a-date»" in text_of(message)
        message, *_ = post_status(application.id, "v2", "under_review")
        assert "Эту запись изменил другой пользователь" in text_of(message)
        message, *_ = post_status("1 OR 1=1", version, "under_review")
        assert "не найдена" in text_of(message)
        message, *_ = post_status(application.id, version, "no_such_status")
        assert "не допускается" in text_of(message)
    page_db.refresh(application)
    assert application.status == "needs_revision" and application.version == version
