"""The complaint registry query and the complaint KPIs, against the services and an independent
count in Python (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from data import complaints as service
from data.clocks import load_context
from data.models import Clock, Complaint
from data.queries.complaints import (
    ComplaintFilters,
    GridRequestError,
    complaint_kpis,
    complaint_page,
    fetch_block,
    parse_filters,
    query_context,
)
from tests.conftest import local
from tests.factories import new_item, user as make_user

TODAY = date(2026, 5, 20)  # Wednesday
IIN = "900101300126"


def _register(session, rev, received, level="provider", name="Шағымданушы", responsible=None, app=None):
    app = app or new_item(session, "rent_to_own")
    raw = {"about": "application", "ref": str(app.id), "complainant_id_number": IIN, "complainant_name": name,
           "complainant_contact": "+77011234567", "received_date": received.date().isoformat(),
           "received_time": received.strftime("%H:%M"), "channel": "electronic", "level": level,
           "subject": "Мерзім бұзылды", "responsible_id": str(responsible.id) if responsible else ""}
    return service.register(session, rev, raw, now=local(2026, 5, 20, 9, 0))


@pytest.fixture
def world(session):
    """Nine complaints in every state the KPIs count, as of Wed 20.05.2026."""
    rev = make_user(session, "qrev1", "reviewer")
    rev.department = "Шағымдар"
    other = make_user(session, "qrev2", "reviewer")
    other.department = "Басқа бөлім"
    session.flush()
    c = {}
    # provider 06.05 -> due 15.05: overdue
    c["overdue"] = _register(session, rev, local(2026, 5, 6, 10, 0), name="Аманов Болат")
    # provider 13.05 -> 14 (1), 15 (2), 18 (3), 19 (4), 20 (5): due today -> due soon
    c["today"] = _register(session, rev, local(2026, 5, 13, 10, 0), name="Бекова Сәуле")
    # provider 19.05 -> 20, 21, 22, 25, 26: due 26.05, 4 wd left -> on track
    c["on_track"] = _register(session, rev, local(2026, 5, 19, 11, 0), name="Ванина Ольга")
    # quality body 04.05 -> 15 wd: due 27.05?? (the engine says; only "open, not soon" matters)
    c["quality"] = _register(session, rev, local(2026, 5, 4, 10, 0), level="quality_body", name="Ғалымов Ерлан")
    # extended on 19.05 by 3 wd: answer due 15.05+... no: registered 12.05 -> due 19.05, +3 -> 22.05;
    # notice due 3 wd after 19.05 -> 22.05; both 2 wd from today -> due soon
    ext = _register(session, rev, local(2026, 5, 12, 10, 0), name="Дәулетова Мадина")
    service.take_into_review(session, rev, ext.id, expected_version=ext.version, at=local(2026, 5, 13, 10, 0))
    service.extend(session, rev, ext.id, "additional_information", 3, expected_version=ext.version,
                   at=local(2026, 5, 19, 10, 0))
    c["extended"] = ext
    # answered on time and late
    c["on_time"] = _register(session, rev, local(2026, 5, 4, 10, 0), name="Ермеков Нұр")
    service.answer(session, rev, c["on_time"].id, "upheld", "Иә", "2026-05-08", expected_version=c["on_time"].version,
                   at=local(2026, 5, 8, 15, 0))
    c["late"] = _register(session, rev, local(2026, 5, 4, 10, 0), name="Жанова Әйгерім")
    service.answer(session, rev, c["late"].id, "rejected", "Жоқ", "2026-05-19", expected_version=c["late"].version,
                   at=local(2026, 5, 19, 15, 0))
    c["on_time2"] = _register(session, rev, local(2026, 5, 11, 10, 0), name="Зейнов Арман")
    service.answer(session, rev, c["on_time2"].id, "partly_upheld", "Ішінара", "2026-05-18",
                   expected_version=c["on_time2"].version, at=local(2026, 5, 18, 15, 0))
    # another reviewer's complaint about an application of another department: outside qrev1's scope
    foreign_app = new_item(session, "rent_to_own")
    foreign_app.reviewer_id = other.id
    session.flush()
    c["foreign"] = _register(session, other, local(2026, 5, 6, 11, 0), name="Иванов Пётр", responsible=other,
                             app=foreign_app)
    return rev, other, c


def independent_kpis(session, ids, today, windows=None):
    """Open / due soon / overdue / on time, computed here from the clocks, not by the query."""
    cal = load_context(session).calendar
    windows = windows or {}
    open_ = soon = late = answered = on_time = 0
    for ident in ids:
        complaint = session.get(Complaint, ident)
        clocks = session.scalars(select(Clock).where(Clock.complaint_id == ident)).all()
        if complaint.is_open:
            running = [(k.policy_code, k.due_date) for k in clocks if k.stopped_at is None]
            open_ += 1
            if min(d for _p, d in running) < today:
                late += 1
            elif any(cal.working_days_between(today, d) <= windows.get(p, 2) for p, d in running):
                soon += 1
        else:
            level = [k for k in clocks if k.policy_code.startswith("complaint_") and
                     k.policy_code != "complaint_extension_notice"][0]
            answered += 1
            on_time += level.stopped_on <= level.due_date
    return open_, soon, late, answered, on_time


def test_kpis_match_an_independent_count(session, world):
    rev, other, c = world
    manager = make_user(session, "qman1", "manager")
    kpis = complaint_kpis(session, manager, TODAY)
    every = [x.id for x in c.values()]
    assert (kpis.open, kpis.due_soon, kpis.overdue, kpis.answered, kpis.answered_on_time) == \
        independent_kpis(session, every, TODAY)
    # and by hand: open = overdue, today, on_track, quality, extended, foreign; overdue = overdue, foreign;
    # due soon = today, extended; answered 3, on time 2 (late: due 08.05? no - due 11.05, answered 19.05)
    assert (kpis.open, kpis.overdue, kpis.due_soon, kpis.answered, kpis.answered_on_time) == (6, 2, 2, 3, 2)
    assert kpis.on_time_percent == 67
    # the reviewer does not count the other department's complaint
    mine = complaint_kpis(session, rev, TODAY)
    assert (mine.open, mine.overdue) == (5, 1)
    assert (mine.open, mine.due_soon, mine.overdue, mine.answered, mine.answered_on_time) == \
        independent_kpis(session, [x.id for k, x in c.items() if k != "foreign"], TODAY)
    # answers since 18.05 only: the late one and on_time2
    recent = complaint_kpis(session, manager, TODAY, since=date(2026, 5, 18))
    assert (recent.answered, recent.answered_on_time) == (2, 1)
    akimat = make_user(session, "qakimat", "akimat")
    nothing = complaint_kpis(session, akimat, TODAY)
    assert (nothing.open, nothing.answered, nothing.on_time_rate) == (0, 0, None)


class WindowedBook:
    """The policy book with other warning windows (as an admin's new policy version would set)."""

    def __init__(self, book, windows):
        self.book, self.windows = book, windows

    def in_force(self, code, on):
        import dataclasses

        policy = self.book.in_force(code, on)
        return dataclasses.replace(policy, warn_wd=self.windows.get(code, policy.warn_wd))

    def __getattr__(self, name):
        return getattr(self.book, name)


@pytest.mark.parametrize("windows", [
    {"complaint_provider": 0, "complaint_quality_body": 0, "complaint_extension_notice": 4},
    {"complaint_provider": 4, "complaint_quality_body": 4, "complaint_extension_notice": 4},
])
def test_due_soon_follows_each_policys_warning_window(session, world, windows):
    from data.clocks import DeadlineContext

    rev, other, c = world
    manager = make_user(session, "qman1", "manager")
    base = load_context(session)
    ctx = DeadlineContext(base.calendar, WindowedBook(base.policies, windows))
    kpis = complaint_kpis(session, manager, TODAY, ctx=ctx)
    every = [x.id for x in c.values()]
    assert (kpis.open, kpis.due_soon, kpis.overdue, kpis.answered, kpis.answered_on_time) == \
        independent_kpis(session, every, TODAY, windows)
    soon = {row.id for row in fetch_block(session, query_context(session, manager, TODAY, ctx),
                                           parse_filters({"state": "due_soon"})[0], 0, 100).rows}
    if windows["complaint_provider"] == 0:
        # due today (0 wd left) and the extension notice due in 2 wd (window 4); not the answer due in 4 wd
        assert soon == {c["today"].id, c["extended"].id}
    else:
        assert soon == {c["today"].id, c["extended"].id, c["on_track"].id}  # 26.05: 4 wd left; 28.05 is not


def ids_of(session, user, params=None, sort=None, start=0, end=100):
    filters, problems = parse_filters(params or {})
    assert problems == []
    ctx = query_context(session, user, TODAY)
    return fetch_block(session, ctx, filters, start, end, sort)


def test_registry_filters(session, world):
    rev, other, c = world
    manager = make_user(session, "qman1", "manager")

    def names(params, user=manager):
        return {row.complainant_name for row in ids_of(session, user, params).rows}

    assert names({"state": "overdue"}) == {"Аманов Болат", "Иванов Пётр"}
    assert names({"state": "overdue"}, rev) == {"Аманов Болат"}
    assert names({"state": "due_soon"}) == {"Бекова Сәуле", "Дәулетова Мадина"}
    assert names({"state": "answered"}) == {"Ермеков Нұр", "Жанова Әйгерім", "Зейнов Арман"}
    assert len(names({"state": "open"})) == 6
    assert names({"level": "quality_body"}) == {"Ғалымов Ерлан"}
    assert names({"status": "extended"}) == {"Дәулетова Мадина"}
    assert names({"status": "registered,answered", "level": "provider", "state": "overdue"}) == \
        {"Аманов Болат", "Иванов Пётр"}
    # the answer due date (the level clock's, extension included), inclusive range
    assert names({"due_from": "22.05.2026", "due_to": "2026-05-22"}) == {"Дәулетова Мадина"}
    assert names({"due_to": "15.05.2026"}) >= {"Аманов Болат", "Иванов Пётр"}
    # search: name prefix in any case, #id
    assert names({"q": "аманов"}) == {"Аманов Болат"}
    assert names({"q": f"#{c['late'].id}"}) == {"Жанова Әйгерім"}
    assert names({"q": "9001013"}) == {row for row in names({})}  # everyone has this IIN prefix


def test_registry_rows_and_sorting(session, world):
    rev, other, c = world
    manager = make_user(session, "qman1", "manager")
    block = ids_of(session, manager, sort=[{"colId": "answer_due", "sort": "asc"}])
    assert block.count == 9
    dues = [row.answer_due for row in block.rows]
    assert dues == sorted(dues)
    ext = next(row for row in block.rows if row.id == c["extended"].id)
    assert (ext.answer_due, ext.notice_due, ext.due, ext.state) == \
        (date(2026, 5, 22), date(2026, 5, 22), date(2026, 5, 22), "due_soon")
    assert (ext.about, ext.status, ext.responsible) == ("application", "extended", "Тест qrev1")
    late = next(row for row in block.rows if row.id == c["overdue"].id)
    assert late.state == "overdue" and late.days.working < 0
    answered = next(row for row in block.rows if row.id == c["late"].id)
    assert answered.state is None and answered.closed_on_time is False and answered.notice_due is None
    # notice due: empty values last in both directions
    for direction in ("asc", "desc"):
        rows = ids_of(session, manager, sort=[{"colId": "notice_due", "sort": direction}]).rows
        assert rows[0].id == c["extended"].id and all(r.notice_due is None for r in rows[1:])
    # paging: two blocks of 4 and the rest, no overlap, same order as one block
    whole = [r.id for r in ids_of(session, manager, sort=[{"colId": "id", "sort": "desc"}]).rows]
    first = ids_of(session, manager, sort=[{"colId": "id", "sort": "desc"}], start=0, end=4)
    second = ids_of(session, manager, sort=[{"colId": "id", "sort": "desc"}], start=4, end=8)
    assert first.count == 9 and second.count is None
    assert [r.id for r in first.rows + second.rows] == whole[:8]


def test_tampered_sort_and_bad_parameters(session, world):
    rev, other, c = world
    ctx = query_context(session, rev, TODAY)
    with pytest.raises(GridRequestError):
        fetch_block(session, ctx, ComplaintFilters(), 0, 10, [{"colId": "complainant_id_number; DROP", "sort": "asc"}])
    with pytest.raises(GridRequestError):
        fetch_block(session, ctx, ComplaintFilters(), 0, 10, [{"colId": "id", "sort": "sideways"}])
    filters, problems = parse_filters({"level": "provider,district", "status": "lost", "state": "late",
                                       "due_from": "31.02.2026", "due_to": "01.01.2026", "sort": "password"})
    assert [(p.param, p.code) for p in problems] == [
        ("level", "unknown_level"), ("status", "unknown_status"), ("state", "unknown_state"),
        ("due_from", "bad_date"), ("sort", "bad_sort")]
    assert filters == ComplaintFilters(levels=("provider",), due_to=date(2026, 1, 1))
    _, problems = parse_filters({"due_from": "2026-05-20", "due_to": "2026-05-01"})
    assert [(p.param, p.code) for p in problems] == [("due_to", "date_order")]
    # a quote in the search is a value, not SQL
    assert fetch_block(session, ctx, ComplaintFilters(q="О'Брайен%_"), 0, 10).count == 0


def test_complaint_page_view(session, world):
    rev, other, c = world
    view = complaint_page(session, c["extended"].id, rev, TODAY)
    assert view.level_clock.due_date == date(2026, 5, 22) and view.level_clock.extensions == [(date(2026, 5, 19), 3)]
    assert view.notice_open and view.notice_clock.due_date == date(2026, 5, 22)
    assert view.notice_clock.state == "due_soon"
    assert [h.to_status for h in view.history] == ["registered", "under_review", "extended"]
    assert view.about == "application" and view.responsible == "Тест qrev1"
    assert complaint_page(session, c["foreign"].id, rev, TODAY) is None  # outside the scope
    assert complaint_page(session, c["foreign"].id, other, TODAY) is not None
