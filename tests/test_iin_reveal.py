"""The logged "show" of a masked IIN: who sees IINs masked, who may reveal one, the server-side
checks (permission, the item's scope) and the audit row. Callbacks are called directly as a
signed-in user inside a Flask test request, against the rolled-back test session."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from dash import no_update
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden

from callbacks import application as app_cb
from callbacks import audit as audit_cb
from callbacks import complaint as complaint_cb
from callbacks import recipients as recipients_cb
from callbacks.ids import IinReveal
from data.access import IIN_FULL_ROLES, IIN_REVEAL_ROLES, PERMISSIONS, can
from data.audit import parse_message
from data.errors import DomainError
from data.models import Complaint, Guarantor, Recipient, User
from data.models.audit import AuditEntry
from data.queries.audit import reveal_iin
from data.workflows import create_complaint
from tests.conftest import local
from tests.factories import akimat, new_item
from tests.signin import signed_in as shared_signed_in

APPLICANT_IIN = "900101300123"  # what tests.factories gives every application
COMPLAINANT_IIN = "900101300126"


@pytest.fixture
def page_db(session, monkeypatch):
    @contextmanager
    def scope():
        with session.begin_nested():
            yield session

    for module in (app_cb, audit_cb, complaint_cb, recipients_cb):
        monkeypatch.setattr(module, "db", scope)
    return session


def signed_in(user: User, lang: str = "kk"):
    """Signed in as ``user`` from a known address (the reveals log it)."""
    return shared_signed_in(user, lang, remote_addr="10.20.30.40")


def person(session, username: str, role: str, department: str | None = "review", akimat_id=None) -> User:
    existing = session.scalar(select(User).where(User.username == username))
    if existing:
        return existing
    user = User(username=username, full_name=f"Қызметкер {username}", role=role, department=department,
                akimat_id=akimat_id)
    session.add(user)
    session.flush()
    return user


def components(node) -> list:
    if node is None or isinstance(node, (str, int, float)):
        return []
    if isinstance(node, (list, tuple)):
        return [c for n in node for c in components(n)]
    return [node] + components(getattr(node, "children", None))


def by_type(tree, kind: str) -> list:
    return [c for c in components(tree) if isinstance(getattr(c, "id", None), dict) and c.id.get("type") == kind]


def reveals(session, **where) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == "iin_reveal").order_by(AuditEntry.id)
    for name, value in where.items():
        query = query.where(getattr(AuditEntry, name) == value)
    return list(session.scalars(query))


def complaint_about(session, application) -> Complaint:
    return create_complaint(session, {"channel": "paper", "complainant_name": "Сәрсенова Айгүл",
                                      "complainant_id_number": COMPLAINANT_IIN, "subject": "Мерзім",
                                      "application_id": application.id},
                            level="provider", received_at=local(2026, 5, 6, 10, 0))


# -- the policy ----------------------------------------------------------------------------------
def test_the_mask_policy_by_role():
    # reviewers and managers work with applicants, akimat users with their own recipients: full;
    # admins run accounts, calendar and audit: masked, with a logged reveal
    assert IIN_FULL_ROLES == {"reviewer", "manager", "akimat"}
    assert IIN_REVEAL_ROLES == {"admin"}
    assert "iin.read" not in PERMISSIONS["admin"] and "audit.read" in PERMISSIONS["admin"]


# -- application page ------------------------------------------------------------------------------
def test_admin_sees_the_iin_masked_with_a_show_button_and_the_reveal_is_logged(page_db):
    admin = person(page_db, "adm.reveal", "admin", department=None)
    application = new_item(page_db, "rent_to_own")
    with signed_in(admin, "ru"):
        out = app_cb.load_page(str(application.id), 0)
    values = by_type(out, IinReveal.VALUE)
    buttons = by_type(out, IinReveal.SHOW)
    assert [v.children for v in values] == ["90********23"]
    assert len(buttons) == 1 and buttons[0].children == "Показать"
    assert buttons[0].id == {"type": IinReveal.SHOW, "entity": "application", "id": str(application.id)}
    assert APPLICANT_IIN not in str(out)

    with signed_in(admin, "ru"):
        value, style, message = audit_cb.reveal(1, buttons[0].id)
    assert value == APPLICANT_IIN and style == {"display": "none"}
    assert "записано в журнал" in str(message)
    entry, = reveals(page_db, entity_id=str(application.id))
    assert (entry.actor_id, entry.actor_name, entry.entity, entry.ip) == (admin.id, "adm.reveal", "application",
                                                                          "10.20.30.40")
    assert entry.at is not None and APPLICANT_IIN not in entry.detail  # the full number is not copied
    assert parse_message(entry.detail) == ("audit.msg.iin_reveal.iin", {"iin": "90********23"})


def test_roles_with_full_view_get_no_button_and_cannot_call_the_reveal(page_db):
    application = new_item(page_db, "rent_to_own")
    for username, role in (("rev.full", "reviewer"), ("man.full", "manager")):
        user = person(page_db, username, role)
        with signed_in(user):
            out = app_cb.load_page(str(application.id), 0)
            assert [v.children for v in by_type(out, IinReveal.VALUE)] == [APPLICANT_IIN]
            assert by_type(out, IinReveal.SHOW) == []
            with pytest.raises(Forbidden):
                audit_cb.reveal(1, {"type": IinReveal.SHOW, "entity": "application", "id": str(application.id)})
    assert reveals(page_db, entity_id=str(application.id)) == []


def test_refused_without_the_permission_even_when_posted_directly(page_db, monkeypatch):
    admin = person(page_db, "adm.noreveal", "admin", department=None)
    application = new_item(page_db, "rent_to_own")
    monkeypatch.setitem(PERMISSIONS, "admin", PERMISSIONS["admin"] - {"iin.reveal"})
    with signed_in(admin):
        out = app_cb.load_page(str(application.id), 0)
        assert [v.children for v in by_type(out, IinReveal.VALUE)] == ["90********23"]
        assert by_type(out, IinReveal.SHOW) == []  # masked, and no way to reveal it
        with pytest.raises(Forbidden):
            audit_cb.reveal(1, {"type": IinReveal.SHOW, "entity": "application", "id": str(application.id)})
    with pytest.raises(DomainError) as excinfo:
        reveal_iin(page_db, admin, "application", application.id)
    assert excinfo.value.code == "forbidden"
    assert reveals(page_db) == [] or all(r.actor_id != admin.id for r in reveals(page_db))


def test_an_item_outside_the_users_scope_cannot_be_revealed(page_db, monkeypatch):
    # a role that sees IINs masked, may reveal, and sees only part of the applications
    monkeypatch.setitem(PERMISSIONS, "reviewer", (PERMISSIONS["reviewer"] - {"iin.read"}) | {"iin.reveal"})
    owner = person(page_db, "rev.owner", "reviewer", department="north")
    stranger = person(page_db, "rev.stranger", "reviewer", department="south")
    application = new_item(page_db, "rent_to_own")
    application.reviewer_id = owner.id
    page_db.flush()
    complaint = complaint_about(page_db, application)
    complaint.responsible_id = owner.id
    page_db.flush()
    with signed_in(stranger, "kk"):
        for entity, ident in (("application", application.id), ("complaint", complaint.id)):
            value, style, message = audit_cb.reveal(1, {"type": IinReveal.SHOW, "entity": entity, "id": str(ident)})
            assert value is audit_cb.no_update and style is audit_cb.no_update
            assert "табылмады немесе сізге қолжетімсіз" in str(message)
    assert reveals(page_db, actor_id=stranger.id) == []
    with signed_in(owner, "ru"):
        value, _style, _message = audit_cb.reveal(1, {"type": IinReveal.SHOW, "entity": "application",
                                                      "id": str(application.id)})
    assert value == APPLICANT_IIN and len(reveals(page_db, actor_id=owner.id)) == 1


def test_junk_from_the_browser_is_refused_with_a_message_and_logs_nothing(page_db):
    admin = person(page_db, "adm.junk", "admin", department=None)
    before = page_db.scalar(select(func.count()).select_from(AuditEntry))
    with signed_in(admin, "ru"):
        for button in ({"type": IinReveal.SHOW, "entity": "users", "id": "1"},
                       {"type": IinReveal.SHOW, "entity": "application", "id": "abc"},
                       {"type": IinReveal.SHOW, "entity": "application", "id": "999999999"}):
            value, _style, message = audit_cb.reveal(1, button)
            assert value is audit_cb.no_update and "не найден или вам недоступен" in str(message)
        assert audit_cb.reveal(0, {"type": IinReveal.SHOW, "entity": "application", "id": "1"}) == \
            (audit_cb.no_update,) * 3
    assert page_db.scalar(select(func.count()).select_from(AuditEntry)) == before


# -- complaint page and recipients ----------------------------------------------------------------------
def test_complaint_page_masks_and_reveals_the_complainants_iin(page_db):
    admin = person(page_db, "adm.cmp", "admin", department=None)
    complaint = complaint_about(page_db, new_item(page_db, "rent_to_own"))
    with signed_in(admin, "kk"):
        out = complaint_cb.load_page(str(complaint.id), 0)
        values = by_type(out, IinReveal.VALUE)
        buttons = by_type(out, IinReveal.SHOW)
        assert [v.children for v in values] == ["90********26"] and buttons[0].children == "Көрсету"
        value, _style, _message = audit_cb.reveal(1, buttons[0].id)
    assert value == COMPLAINANT_IIN
    entry, = reveals(page_db, entity="complaint", entity_id=str(complaint.id))
    assert entry.actor_id == admin.id


def test_recipients_are_revealed_within_the_scope_too(page_db, monkeypatch):
    area = akimat(page_db)
    recipient = Recipient(iin="920202400125", full_name="Ахметов Бекзат", category="budget_employee",
                          akimat_id=area.id)
    page_db.add(recipient)
    page_db.flush()
    admin = person(page_db, "adm.rcp", "admin", department=None)
    assert reveal_iin(page_db, admin, "recipient", recipient.id, ip="10.0.0.1") == "920202400125"
    assert reveals(page_db, entity="recipient", entity_id=str(recipient.id))[0].actor_id == admin.id
    # an akimat user of another akimat, even with the permission, cannot reach it
    other = person(page_db, "akim.other", "akimat", department=None,
                   akimat_id=akimat(page_db, "750000000").id)
    monkeypatch.setitem(PERMISSIONS, "akimat", PERMISSIONS["akimat"] | {"iin.reveal"})
    assert can(other, "iin.reveal")
    with pytest.raises(DomainError) as excinfo:
        reveal_iin(page_db, other, "recipient", recipient.id)
    assert excinfo.value.code == "audit_reveal_not_found"


def test_a_click_on_a_masked_iin_in_the_recipients_grid_reveals_it_and_logs_it(page_db):
    area = akimat(page_db)
    recipient = Recipient(iin="920202400125", full_name="Ахметов Бекзат", category="budget_employee",
                          akimat_id=area.id)
    page_db.add(recipient)
    page_db.flush()
    admin = person(page_db, "adm.grid", "admin", department=None)
    click = {"colId": "iin", "value": "92********25", "rowId": str(recipient.id), "rowIndex": 0}
    with signed_in(admin, "ru"):
        message = recipients_cb.reveal_masked_iin(click)
        # other cells, or an IIN already shown in full, do nothing
        assert recipients_cb.reveal_masked_iin({**click, "colId": "full_name"}) is no_update
        assert recipients_cb.reveal_masked_iin({**click, "value": "920202400125"}) is no_update
    assert "Ахметов Бекзат: ИИН 920202400125" in str(message)
    entry = reveals(page_db, entity="recipient", entity_id=str(recipient.id))[0]
    assert entry.actor_id == admin.id and entry.ip == "10.20.30.40"
    # a reviewer sees IINs in full (no reveal needed): a click does nothing and logs nothing
    reviewer = person(page_db, "rev.grid", "reviewer")
    with signed_in(reviewer):
        assert recipients_cb.reveal_masked_iin(click) is no_update
    assert len(reveals(page_db, entity="recipient", entity_id=str(recipient.id))) == 1


# -- guarantors of a rent-to-own application ------------------------------------------------------------
GUARANTOR_IIN = "850505400321"  # what tests.factories gives a guarantor
SECOND_GUARANTOR_IIN = "870707300456"


def with_two_guarantors(session):
    application = new_item(session, "rent_to_own", guarantors=True)
    session.add(Guarantor(application_id=application.id, iin=SECOND_GUARANTOR_IIN, full_name="Кепілгер Дина"))
    session.flush()
    first, second = session.scalars(select(Guarantor).where(Guarantor.application_id == application.id)
                                    .order_by(Guarantor.id))
    return application, first, second


def guarantor_button(guarantor) -> dict:
    return {"type": IinReveal.SHOW, "entity": "guarantor", "id": str(guarantor.id)}


def test_admin_sees_guarantors_iins_masked_each_with_a_logged_show(page_db):
    admin = person(page_db, "adm.guar", "admin", department=None)
    application, first, second = with_two_guarantors(page_db)
    with signed_in(admin, "kk"):
        out = app_cb.load_page(str(application.id), 0)
    shown = {(v.id["entity"], v.id["id"]): v.children for v in by_type(out, IinReveal.VALUE)}
    assert shown == {("application", str(application.id)): "90********23",
                     ("guarantor", str(first.id)): "85********21", ("guarantor", str(second.id)): "87********56"}
    buttons = [b.id for b in by_type(out, IinReveal.SHOW)]
    assert buttons == [{"type": IinReveal.SHOW, "entity": "application", "id": str(application.id)},
                       guarantor_button(first), guarantor_button(second)]
    assert all(b.children == "Көрсету" for b in by_type(out, IinReveal.SHOW))
    assert GUARANTOR_IIN not in str(out) and SECOND_GUARANTOR_IIN not in str(out)

    # the same callback as the applicant's: only the guarantor asked for is shown, and logged
    with signed_in(admin, "ru"):
        value, style, message = audit_cb.reveal(1, guarantor_button(second))
    assert value == SECOND_GUARANTOR_IIN and style == {"display": "none"} and "записано в журнал" in str(message)
    entry, = reveals(page_db, actor_id=admin.id)
    assert (entry.actor_id, entry.actor_name, entry.entity, entry.entity_id, entry.ip) == \
        (admin.id, "adm.guar", "application", str(application.id), "10.20.30.40")
    assert parse_message(entry.detail) == ("audit.msg.iin_reveal.guarantor",
                                           {"guarantor_id": second.id, "iin": "87********56"})
    assert SECOND_GUARANTOR_IIN not in entry.detail and entry.at is not None
    # the trail reads it in the reader's language, naming the guarantor
    assert audit_cb.detail_text(entry.detail, "kk") == f"Кепілгердің (№{second.id}) ЖСН-і: 87********56"
    assert audit_cb.detail_text(entry.detail, "ru") == f"ИИН поручителя (№{second.id}): 87********56"


def test_guarantors_iins_stay_in_full_for_reviewers_and_managers(page_db):
    application, first, second = with_two_guarantors(page_db)
    for username, role in (("rev.guar", "reviewer"), ("man.guar", "manager")):
        user = person(page_db, username, role)
        with signed_in(user):
            out = app_cb.load_page(str(application.id), 0)
            assert by_type(out, IinReveal.SHOW) == []
            assert GUARANTOR_IIN in str(out) and SECOND_GUARANTOR_IIN in str(out) and "85********21" not in str(out)
            with pytest.raises(Forbidden):
                audit_cb.reveal(1, guarantor_button(first))
    assert reveals(page_db, entity_id=str(application.id)) == []


def test_admin_without_the_reveal_permission_sees_guarantors_masked_and_cannot_show(page_db, monkeypatch):
    admin = person(page_db, "adm.guar.no", "admin", department=None)
    application, first, _second = with_two_guarantors(page_db)
    monkeypatch.setitem(PERMISSIONS, "admin", PERMISSIONS["admin"] - {"iin.reveal"})
    with signed_in(admin):
        out = app_cb.load_page(str(application.id), 0)
        assert by_type(out, IinReveal.SHOW) == [] and "85********21" in str(out) and GUARANTOR_IIN not in str(out)
        with pytest.raises(Forbidden):
            audit_cb.reveal(1, guarantor_button(first))
    with pytest.raises(DomainError) as excinfo:
        reveal_iin(page_db, admin, "guarantor", first.id)
    assert excinfo.value.code == "forbidden" and reveals(page_db, actor_id=admin.id) == []


def test_a_guarantor_is_revealed_only_within_the_scope_of_their_application(page_db, monkeypatch):
    monkeypatch.setitem(PERMISSIONS, "reviewer", (PERMISSIONS["reviewer"] - {"iin.read"}) | {"iin.reveal"})
    owner = person(page_db, "rev.guar.owner", "reviewer", department="north")
    stranger = person(page_db, "rev.guar.stranger", "reviewer", department="south")
    application, first, _second = with_two_guarantors(page_db)
    application.reviewer_id = owner.id
    page_db.flush()
    with signed_in(stranger, "kk"):
        value, style, message = audit_cb.reveal(1, guarantor_button(first))
    assert value is audit_cb.no_update and style is audit_cb.no_update
    assert "табылмады немесе сізге қолжетімсіз" in str(message)
    assert reveals(page_db, actor_id=stranger.id) == []
    with signed_in(owner, "ru"):
        out = app_cb.load_page(str(application.id), 0)
        assert guarantor_button(first) in [b.id for b in by_type(out, IinReveal.SHOW)]
        value, _style, _message = audit_cb.reveal(1, guarantor_button(first))
    assert value == GUARANTOR_IIN
    entry, = reveals(page_db, actor_id=owner.id)
    assert entry.entity_id == str(application.id) and parse_message(entry.detail)[1]["guarantor_id"] == first.id


def test_junk_guarantor_ids_are_refused_and_log_nothing(page_db):
    admin = person(page_db, "adm.guar.junk", "admin", department=None)
    application, _first, _second = with_two_guarantors(page_db)
    with signed_in(admin, "ru"):
        for ident in ("999999999", "abc", ""):
            value, _style, message = audit_cb.reveal(1, {"type": IinReveal.SHOW, "entity": "guarantor", "id": ident})
            assert value is audit_cb.no_update and "не найден или вам недоступен" in str(message)
        # an application's id is not a guarantor's: the entity decides what is looked up
        value, _style, _message = audit_cb.reveal(1, {"type": IinReveal.SHOW, "entity": "guarantor",
                                                      "id": str(application.id)})
    assert value != APPLICANT_IIN
    logged = reveals(page_db, actor_id=admin.id)
    assert all(parse_message(r.detail)[0] == "audit.msg.iin_reveal.guarantor" for r in logged)
