"""The audit search (/audit): filters, paging and sorting in SQL, local time, labels, the details
panel, masking, permissions. The query runs on the rolled-back test session with entries of
its own (dated 2031 so that no other test's rows fall into the period); the callbacks are
called directly as a signed-in user inside a Flask test request."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

import app as app_module
import pages.audit as audit_page
from callbacks import audit as cb
from callbacks.ids import AuditPage as ids
from data.models import User
from data.models.audit import AuditEntry
from data.queries import audit as q
from data.queries.registry import GridRequestError
from tests.signin import signed_in

PERIOD = {"from": "01.01.2031", "to": "31.01.2031"}


@pytest.fixture
def page_db(session, monkeypatch):
    @contextmanager
    def scope():
        with session.begin_nested():
            yield session

    monkeypatch.setattr(cb, "db", scope)
    monkeypatch.setattr(audit_page, "db", scope)
    return session


def person(session, username: str, role: str, full_name: str | None = None) -> User:
    existing = session.scalar(select(User).where(User.username == username))
    if existing:
        return existing
    user = User(username=username, full_name=full_name or f"Қызметкер {username}", role=role)
    session.add(user)
    session.flush()
    return user


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def trail(page_db):
    """Six entries in January 2031 (UTC times; Almaty is UTC+5)."""
    admin = person(page_db, "aud.page.adm", "admin", "Әкімші Айгерім")
    reviewer = person(page_db, "aud.page.rev", "reviewer", "Қараушы Болат")
    entries = [
        AuditEntry(at=utc(2031, 1, 10, 4, 0), actor_id=reviewer.id, actor_name=reviewer.username, action="sign_in",
                   ip="10.0.0.1"),
        AuditEntry(at=utc(2031, 1, 10, 18, 30), actor_name="stranger", action="sign_in_failed",
                   detail="unknown or inactive user", ip="10.0.0.66"),  # 23:30 local on 10.01
        AuditEntry(at=utc(2031, 1, 10, 19, 10), actor_id=reviewer.id, actor_name=reviewer.username,
                   action="status_change", entity="application", entity_id="4242",
                   before={"status": "submitted", "reviewer_id": None, "version": 1},
                   after={"status": "under_review", "reviewer_id": reviewer.id, "version": 2,
                          "fields": {"remarks": "Анықтама жоқ"}}),  # 00:10 local on 11.01
        AuditEntry(at=utc(2031, 1, 12, 6, 0), actor_id=admin.id, actor_name=admin.username, action="export",
                   entity="registry", detail='{"filter": {"q": "900101300123"}, "rows": 3}', ip="10.0.0.2"),
        AuditEntry(at=utc(2031, 1, 13, 6, 0), actor_id=admin.id, actor_name=admin.username,
                   action="calendar_override", entity="calendar", entity_id="2031-03-20", before=None,
                   after={"day": "2031-03-20", "kind": "holiday", "name": "Декрет"}),
        AuditEntry(at=utc(2031, 1, 14, 6, 0), actor_id=reviewer.id, actor_name=reviewer.username,
                   action="complaint_register", entity="complaint", entity_id="77",
                   after={"status": "registered", "level": "provider"}),
    ]
    page_db.add_all(entries)
    page_db.flush()
    return {"admin": admin, "reviewer": reviewer, "entries": entries}


def search(session, sort=None, start=0, end=100, grid=None, **params) -> q.Block:
    filters, problems = q.parse_filters({**PERIOD, **params})
    assert problems == []
    return q.fetch_block(session, filters, start, end, sort, grid)


def actions(block: q.Block) -> list[str]:
    return [row.action for row in block.rows]


# -- the query --------------------------------------------------------------------------------------
def test_the_period_is_in_local_days_newest_first(trail, page_db):
    block = search(page_db)
    assert actions(block) == ["complaint_register", "calendar_override", "export", "status_change", "sign_in_failed",
                              "sign_in"]
    assert block.count == 6 and block.exact
    # 10.01 local ends at 19:00 UTC: the 23:30 failure is on the 10th, the 00:10 change on the 11th
    assert actions(search(page_db, **{"from": "10.01.2031", "to": "10.01.2031"})) == ["sign_in_failed", "sign_in"]
    assert actions(search(page_db, **{"from": "11.01.2031", "to": "11.01.2031"})) == ["status_change"]


def test_filters_by_actor_action_entity_and_text(trail, page_db):
    reviewer = trail["reviewer"]
    assert actions(search(page_db, actor=str(reviewer.id))) == ["complaint_register", "status_change", "sign_in"]
    assert actions(search(page_db, action="sign_in,sign_in_failed")) == ["sign_in_failed", "sign_in"]
    assert actions(search(page_db, action=["export"])) == ["export"]
    assert actions(search(page_db, entity="application", entity_id="4242")) == ["status_change"]
    assert actions(search(page_db, entity="complaint")) == ["complaint_register"]
    # free text: the details, the before/after values, the actor's name, the address; any letter case
    assert actions(search(page_db, q="UNKNOWN OR")) == ["sign_in_failed"]
    assert actions(search(page_db, q="under_review")) == ["status_change"]
    assert actions(search(page_db, q="декрет")) == ["calendar_override"]
    assert actions(search(page_db, q="stranger")) == ["sign_in_failed"]
    assert actions(search(page_db, q="10.0.0.66")) == ["sign_in_failed"]
    assert search(page_db, q="nothing-like-this").count == 0


def test_paging_sorting_and_the_grids_column_filters(trail, page_db):
    first = search(page_db, sort=[{"colId": "at", "sort": "asc"}], start=0, end=2)
    second = search(page_db, sort=[{"colId": "at", "sort": "asc"}], start=2, end=4)
    assert actions(first) == ["sign_in", "sign_in_failed"] and first.count == 6
    assert actions(second) == ["status_change", "export"]
    by_action = search(page_db, sort=[{"colId": "action", "sort": "asc"}])
    assert actions(by_action) == sorted(actions(by_action))
    assert actions(search(page_db, grid={"actor": {"filterType": "text", "type": "contains", "filter": "STRANGER"}})) \
        == ["sign_in_failed"]
    assert actions(search(page_db, grid={"ip": {"filterType": "text", "type": "startsWith", "filter": "10.0.0.2"}})) \
        == ["export"]
    for bad_sort in ([{"colId": "detail", "sort": "asc"}], [{"colId": "at", "sort": "sideways"}], "junk"):
        with pytest.raises(GridRequestError):
            search(page_db, sort=bad_sort)
    with pytest.raises(GridRequestError):
        search(page_db, grid={"before": {"filterType": "text", "type": "contains", "filter": "x"}})


def test_bad_filter_values_are_named_and_left_out():
    filters, problems = q.parse_filters({"from": "31.02.2031", "to": "01.01.2031", "actor": "bob",
                                         "action": "sign_in,drop_table", "entity": "planet", "q": "  a\x00b  "})
    assert [(p.param, p.code) for p in problems] == [("from", "bad_date"), ("actor", "bad_actor"),
                                                     ("action", "bad_action"), ("entity", "bad_entity")]
    assert filters.date_from is None and filters.date_to.day == 1 and filters.actions == ("sign_in",)
    assert filters.entity is None and filters.q == "a b"
    _f, problems = q.parse_filters({"from": "10.01.2031", "to": "01.01.2031"})
    assert [(p.param, p.code) for p in problems] == [("to", "range")]
    assert "31.02.2031" in cb.problem_text(q.FilterProblem("from", "bad_date", "31.02.2031"), "ru")
    assert "кк.аа.жжжж" in cb.problem_text(q.FilterProblem("from", "bad_date", "x"), "kk")


def test_before_and_after_side_by_side():
    lines = q.changes({"status": "submitted", "version": 1, "reviewer_id": None},
                      {"status": "under_review", "version": 2, "reviewer_id": 5, "fields": {"remarks": "Жоқ"}})
    assert [(c.key, c.before, c.after, c.changed) for c in lines] == [
        ("status", "submitted", "under_review", True), ("version", 1, 2, True), ("reviewer_id", None, 5, True),
        ("fields.remarks", None, "Жоқ", True)]
    row = q.AuditRow(1, utc(2031, 1, 1), None, None, None, "status_change", "application", "1",
                     {"status": "a", "n": 1}, {"status": "b", "n": 1}, None, None)
    assert q.summary(row) == "status: a → b"
    assert q.changes(None, None) == []
    assert q.mask_text("q=900101300123, 12345") == "q=90********23, 12345"


# -- the callbacks -------------------------------------------------------------------------------------
def request_rows(start=0, end=100, sort=None):
    return {"startRow": start, "endRow": end, "sortModel": sort or [], "filterModel": {}}


def test_the_grid_shows_local_time_labels_links_and_masked_iins(trail, page_db):
    admin = trail["admin"]
    with signed_in(admin, "ru"):
        response, count = cb.load_rows(request_rows(), PERIOD)
    data = {row["action_code"]: row for row in response["rowData"]}
    assert response["rowCount"] == 6 and count == "Записей: 6"
    change = data["status_change"]
    assert change["at"] == "11.01.2031 00:10"  # Asia/Almaty
    assert change["action"] == "Смена статуса" and change["actor"] == "Қараушы Болат (aud.page.rev)"
    assert change["entity"] == "[Заявка №4242](/applications/4242)"
    assert "status: submitted → under_review" in change["change"]
    assert data["complaint_register"]["entity"] == "[Жалоба №77](/complaints/77)"
    assert data["calendar_override"]["entity"] == "Календарь №2031\\-03\\-20"  # not a page: no link
    assert data["sign_in_failed"]["actor"] == "stranger" and data["sign_in_failed"]["ip"] == "10.0.0.66"
    # admins see IINs masked, in the trail too
    assert "900101300123" not in data["export"]["detail"] and "90********23" in data["export"]["detail"]
    with signed_in(admin, "kk"):
        response, count = cb.load_rows(request_rows(), {**PERIOD, "action": "sign_in"})
    assert [r["action"] for r in response["rowData"]] == ["Жүйеге кірді"] and count == "Жазбалар: 1"
    with signed_in(admin, "kk"):
        response, count = cb.load_rows(request_rows(), {**PERIOD, "q": "nothing-like-this"})
    assert response == {"rowData": [], "rowCount": 0} and "Сүзгіге сәйкес жазба жоқ" in str(count)
    with signed_in(admin, "ru"):
        response, count = cb.load_rows(request_rows(sort=[{"colId": "ip", "sort": "asc"}]), PERIOD)
    assert response == {"rowData": [], "rowCount": 0} and "заданы неверно" in str(count)


def test_a_row_click_shows_the_details_with_before_and_after(trail, page_db):
    admin = trail["admin"]
    change = trail["entries"][2]
    with signed_in(admin, "ru"):
        panel = cb.show_details({"rowId": str(change.id), "colId": "action"})
    text = str(panel)
    assert f"Запись №{change.id}" in text and "Было" in text and "Стало" in text
    assert "submitted" in text and "under_review" in text and "fields.remarks" in text and "Анықтама жоқ" in text
    assert "/applications/4242" in text
    with signed_in(admin, "kk"):
        assert "№999999999 жазба табылмады" in str(cb.show_details({"rowId": "999999999"}))
        assert "№abc жазба табылмады" in str(cb.show_details({"rowId": "abc"}))
        assert cb.show_details({}) is cb.no_update


def test_the_form_reports_bad_values_in_the_users_language(page_db, trail):
    with signed_in(trail["admin"], "ru"):
        data, problems, from_bad, to_bad = cb.update_filters("32.01.2031", "", None, ["sign_in"], None, "", "", {})
    assert data == {"action": "sign_in"} and from_bad is True and to_bad is False
    assert "«32.01.2031» — не дата" in str(problems)
    with signed_in(trail["admin"], "kk"):
        data, problems, *_ = cb.update_filters("01.01.2031", "31.01.2031", str(trail["admin"].id), [], "calendar",
                                               "", "декрет", {})
    assert data == {"from": "01.01.2031", "to": "31.01.2031", "actor": str(trail["admin"].id), "entity": "calendar",
                    "q": "декрет"} and problems == []
    assert cb.export_href(data).startswith("/files/audit.csv?from=01.01.2031&to=31.01.2031")


def test_only_admins_may_search_the_trail(page_db, trail):
    for username, role in (("aud.page.man", "manager"), ("aud.page.rev2", "reviewer"), ("aud.page.akm", "akimat")):
        user = person(page_db, username, role)
        with signed_in(user):
            with pytest.raises(Forbidden):
                cb.load_rows(request_rows(), PERIOD)
            with pytest.raises(Forbidden):
                cb.show_details({"rowId": str(trail["entries"][0].id)})
            with pytest.raises(Forbidden):
                cb.update_filters("", "", None, [], None, "", "", {})
            page = app_module.dash.page_registry["pages.audit"]["layout"]()
            assert "Бұл бетті" in str(page) or "рұқсат" in str(page) or "әкімші" in str(page)
            assert ids.GRID not in str(page)


def test_the_page_offers_no_way_to_change_the_trail(page_db, trail):
    with signed_in(trail["admin"], "ru"):
        page = app_module.dash.page_registry["pages.audit"]["layout"](entity="application", entity_id="4242")
    text = str(page)
    assert ids.GRID in text and "Журнал аудита" in text and "'4242'" in text
    buttons = [c for c in _components(page) if type(c).__name__ in ("Button", "A")]
    assert sorted(getattr(b, "id", None) for b in buttons) == sorted([ids.RESET, ids.EXPORT])


def _components(node) -> list:
    if node is None or isinstance(node, (str, int, float)):
        return []
    if isinstance(node, (list, tuple)):
        return [c for n in node for c in _components(n)]
    return [node] + _components(getattr(node, "children", None))


def test_a_text_search_over_a_big_trail_is_not_counted_on_every_block(page_db, trail):
    """Free text is not indexed: the block comes from the time index, the count is left open until
    the grid reaches the last block."""
    admin = trail["admin"]
    more = [AuditEntry(at=utc(2031, 1, 20, 6, i), actor_name="bulk", action="sign_in_failed",
                       detail=f"wrong password #{i}", ip="10.7.7.7") for i in range(30)]
    page_db.add_all(more)
    page_db.flush()
    first = search(page_db, start=0, end=10, q="wrong password")
    assert len(first.rows) == 10 and first.count is None and first.at_least == 10 and not first.exact
    last = search(page_db, start=25, end=35, q="wrong password")
    assert [r.action for r in last.rows] == ["sign_in_failed"] * 5 and last.count == 30 and last.exact
    with signed_in(admin, "ru"):
        response, count = cb.load_rows(request_rows(0, 10), {**PERIOD, "q": "wrong password"})
    assert len(response["rowData"]) == 10 and response["rowCount"] is None
    assert count == "Записей: не менее 10 (остальные загрузятся при прокрутке)"
    with signed_in(admin, "kk"):
        response, count = cb.load_rows(request_rows(0, 100), {**PERIOD, "q": "wrong password"})
    assert response["rowCount"] == 30 and count == "Жазбалар: 30"


# -- details stored as a message key: every service's row reads in kk and ru ----------------------------
ENGLISH_WORD = r"[A-Za-z]{3,}"


def written_by_the_services(session, monkeypatch) -> dict[str, AuditEntry]:
    """One audit row from each service that writes a detail, written by the service itself."""
    from datetime import date

    from click.testing import CliRunner

    import cli.imports as cli_imports
    from data import auth, calendar_admin
    from data.models import Guarantor, ListBatch, Recipient
    from data.queries.lists import mark_notified
    from data.recipients import expire_recipients
    from tests.conftest import local
    from tests.factories import akimat, new_item

    def newest(action: str) -> AuditEntry:
        return session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                               .order_by(AuditEntry.id.desc())).first()

    rows: dict[str, AuditEntry] = {}
    auth.authenticate(session, "aud.msg.nobody", "whatever", ip="10.9.9.1")
    rows["unknown_user"] = newest("sign_in_failed")
    auth.create_user(session, "aud.msg.user", "Қате Құпиясөз", "reviewer", "Correct-Horse-17")
    for _ in range(auth.MAX_FAILURES):
        auth.authenticate(session, "aud.msg.user", "wrong", ip="10.9.9.2")
    rows["wrong_password"] = newest("sign_in_failed")
    auth.authenticate(session, "aud.msg.user", "Correct-Horse-17", ip="10.9.9.2")
    rows["locked"] = newest("sign_in_failed")

    admin = person(session, "aud.msg.adm", "admin")
    calendar_admin.set_override(session, date(2031, 6, 3), "holiday", "Декрет", actor=admin)
    rows["calendar_holiday"] = newest("calendar_override")
    calendar_admin.set_override(session, date(2031, 6, 7), "workday", "Ауыстыру", actor=admin)
    rows["calendar_workday"] = newest("calendar_override")
    calendar_admin.remove_override(session, date(2031, 6, 7), actor=admin)
    rows["calendar_removed"] = newest("calendar_override")

    area = akimat(session)
    batches = []
    for name in ("a.xlsx", "b.xlsx"):
        batch = ListBatch(akimat_id=area.id, file_name=name, sha256=name * 8, received_at=local(2026, 3, 2, 10, 0),
                          registration_date=date(2026, 3, 2), status="loaded")
        session.add(batch)
        session.flush()
        session.add_all([Recipient(iin=f"93030{batch.id % 10}{n:06d}", full_name="Ахметов Бекзат",
                                   category="budget_employee", akimat_id=area.id, batch_id=batch.id)
                         for n in range(2)])
        batches.append(batch)
    session.flush()
    operator = person(session, "aud.msg.sms", "reviewer")
    mark_notified(session, operator, batches[0].id, "06.03.2026 12:00", now=local(2026, 3, 6, 13, 0),
                  today=date(2026, 3, 6), ip="10.9.9.3")
    rows["notified"] = newest("recipients_notified")

    @contextmanager
    def this_session(lang="kk"):
        yield session

    monkeypatch.setattr(cli_imports, "migrated_session", this_session)
    result = CliRunner().invoke(cli_imports.notify_command, ["--batch", str(batches[1].id),
                                                             "--sent", "2026-03-06T15:30"])
    assert result.exit_code == 0, result.output
    rows["notified_cli"] = newest("recipients_notified")

    expire_recipients(session, date(2026, 5, 4), at=local(2026, 5, 4, 0, 5))
    rows["expired"] = newest("recipients_expired")

    application = new_item(session, "rent_to_own", guarantors=True)
    guarantor = session.scalar(select(Guarantor).where(Guarantor.application_id == application.id))
    q.reveal_iin(session, admin, "application", application.id, ip="10.9.9.4")
    rows["reveal_applicant"] = newest("iin_reveal")
    q.reveal_iin(session, admin, "guarantor", guarantor.id, ip="10.9.9.4")
    rows["reveal_guarantor"] = newest("iin_reveal")
    rows["guarantor_id"] = guarantor.id
    return rows


def shown_detail(session, admin, entry: AuditEntry, lang: str) -> tuple[str, str]:
    """The detail as the grid shows it and as the row's details panel shows it."""
    with signed_in(admin, lang):
        grid = cb.grid_row(q.entry(session, entry.id), lang, False)["detail"]
        panel = str(cb.show_details({"rowId": str(entry.id), "colId": "detail"}))
    return grid, panel


def test_every_services_detail_reads_in_kazakh_and_russian(page_db, monkeypatch):
    import json
    import re

    rows = written_by_the_services(page_db, monkeypatch)
    guarantor_id = rows.pop("guarantor_id")
    admin = person(page_db, "aud.msg.reader", "admin")
    expected = {
        "unknown_user": ("Мұндай пайдаланушы жоқ немесе ол өшірілген", "Такого пользователя нет, или он отключён"),
        "wrong_password": ("Құпиясөз қате (5-әрекет)", "Неверный пароль (попытка 5)"),
        "locked": ("Тіркелгі уақытша бұғатталған", "Учётная запись временно заблокирована"),
        "calendar_holiday": ("03.06.2031 демалыс күні деп белгіленді", "03.06.2031 объявлен выходным"),
        "calendar_workday": ("07.06.2031 жұмыс күні деп белгіленді", "07.06.2031 объявлен рабочим днём"),
        "calendar_removed": ("07.06.2031 күнгі түзету алынып тасталды", "Исправление на 07.06.2031 снято"),
        "notified": ("Хабарлама жіберілген уақыт: 06.03.2026 12:00; хабарланғаны: 2, өткізілгені: 0",
                     "Сообщение отправлено: 06.03.2026 12:00; уведомлено: 2, пропущено: 0"),
        "notified_cli": ("06.03.2026 15:30; хабарланғаны: 2, өткізілгені: 0 (командалық жолдан)",
                         "06.03.2026 15:30; уведомлено: 2, пропущено: 0 (из командной строки)"),
        "expired": ("Өтінім беру мерзімі 04.05.2026 дейін аяқталды", "Срок подачи заявления истёк до 04.05.2026"),
        "reveal_applicant": ("ЖСН: 90********23", "ИИН: 90********23"),
        "reveal_guarantor": (f"Кепілгердің (№{guarantor_id}) ЖСН-і: 85********21",
                             f"ИИН поручителя (№{guarantor_id}): 85********21"),
    }
    assert set(rows) == set(expected)
    for name, entry in rows.items():
        assert entry is not None and entry.detail, name
        for lang, text in zip(("kk", "ru"), expected[name]):
            grid, panel = shown_detail(page_db, admin, entry, lang)
            assert text in grid and text in panel, (name, lang, grid)
            assert re.search(ENGLISH_WORD, grid) is None, (name, lang, grid)
            assert "audit.msg." not in grid and "audit.msg." not in panel
    # the calendar rows say how many open deadlines the change moved, from the stored numbers
    calendar = rows["calendar_removed"]
    params = json.loads(calendar.detail)["params"]
    grid, _panel = shown_detail(page_db, admin, calendar, "ru")
    assert f"открытых сроков: {params['checked']}, из них сдвинулось: {params['moved']}" in grid


def test_older_rows_without_a_message_key_show_their_stored_text(page_db, trail):
    admin = trail["admin"]
    legacy = trail["entries"][1]
    for lang in ("kk", "ru"):
        grid, panel = shown_detail(page_db, admin, legacy, lang)
        assert grid == "unknown or inactive user" and "unknown or inactive user" in panel
    # a message key the translation table does not know is shown as stored, not dropped
    odd = AuditEntry(at=utc(2031, 1, 15, 6, 0), actor_name="x", action="sign_in_failed",
                     detail='{"msg": "audit.msg.from_a_later_version", "params": {"n": 1}}')
    page_db.add(odd)
    page_db.flush()
    assert shown_detail(page_db, admin, odd, "ru")[0] == odd.detail


def test_the_facts_of_exports_and_downloads_are_named_in_the_readers_language(page_db):
    """Exports and report downloads store their facts as JSON (registry and audit CSV, report
    files): the names are translated, the values (filter codes, numbers, file names) kept."""
    admin = person(page_db, "aud.msg.exp", "admin")
    registry = AuditEntry(at=utc(2031, 1, 16, 6, 0), actor_id=admin.id, actor_name=admin.username, action="export",
                          entity="registry", detail='{"filter": {"state": "open", "q": "900101300123"}, "rows": 3}')
    download = AuditEntry(at=utc(2031, 1, 16, 7, 0), actor_id=admin.id, actor_name=admin.username,
                          action="report.download", entity="report_run", entity_id="5",
                          detail='{"kind": "sla", "format": "xlsx", "file": "sla.xlsx", "rows": 12, "filters": {}}')
    page_db.add_all([registry, download])
    page_db.flush()
    grid, panel = shown_detail(page_db, admin, registry, "kk")
    assert grid == "Сүзгі: state=open, q=90********23; Жолдар: 3" and "900101300123" not in panel
    assert shown_detail(page_db, admin, registry, "ru")[0] == "Фильтр: state=open, q=90********23; Строк: 3"
    assert shown_detail(page_db, admin, download, "ru")[0] == \
        "Отчёт: sla; Формат: xlsx; Файл: sla.xlsx; Строк: 12; Фильтр: нет"
    assert shown_detail(page_db, admin, download, "kk")[0] == \
        "Есеп: sla; Пішім: xlsx; Файл: sla.xlsx; Жолдар: 12; Сүзгі: жоқ"
