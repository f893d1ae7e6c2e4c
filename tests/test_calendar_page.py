"""The Calendar admin page: the year as data (categories, names in kk/ru, working days per month,
checked against the ``holidays`` package directly), and its callbacks: adding a holiday moves
open due dates and says how many, removing it moves them back, every change is audited, bad
input is refused with a clear message and changes nothing, non-admins are refused.

Callbacks open their own sessions (and commit), so they run against a demo database of this
module's own (DATABASE_URL pointed at it); every test removes the overrides it made.
"""
from __future__ import annotations

from collections import Counter
from contextlib import ExitStack
from contextvars import copy_context
from datetime import date, timedelta

import holidays
import pytest
from dash._callback_context import context_value
from dash._utils import AttributeDict
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.exceptions import Forbidden

from data.audit import parse_message
from data.clocks import load_context
from data.deadlines import Event, compute_due
from data.models import Application, CalendarOverride, Clock, User
from data.models.audit import AuditEntry
from data.queries import calendar as qc
from data.working_calendar import WorkingCalendar
from tests.module_db import engine_of, load_demo, module_database
from tests.signin import signed_in

TODAY = date(2026, 3, 6)


@pytest.fixture(scope="module")
def cal_url(tmp_path_factory):
    with module_database(tmp_path_factory, "calendar") as url:
        load_demo(url, 160, seed=3, today=TODAY, chunk_size=80)
        yield url


@pytest.fixture(scope="module")
def cal_engine(cal_url):
    with engine_of(cal_url) as eng:
        yield eng


@pytest.fixture
def admin_page(cal_url, cal_engine, monkeypatch):
    """Signed in (as ``username``) on the module's database; overrides removed afterwards."""
    monkeypatch.setenv("DATABASE_URL", cal_url)
    with ExitStack() as requests:
        def enter(username: str = "admin", lang: str = "kk") -> User:
            with Session(cal_engine) as s:
                user = s.scalar(select(User).where(User.username == username))
                s.expunge(user)
            requests.enter_context(signed_in(user, lang, path="/calendar", method="GET"))
            return user

        yield enter
    with Session(cal_engine) as s:
        if s.scalar(select(func.count()).select_from(CalendarOverride)):
            from data.calendar_admin import remove_override

            for day in list(s.scalars(select(CalendarOverride.day))):
                remove_override(s, day)
            s.commit()


def trigger(prop_id: str, fn, *args):
    """Run a callback as Dash would after ``prop_id`` changed."""
    def run():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop_id, "value": 1}]))
        return fn(*args)

    return copy_context().run(run)


def due_dates(engine) -> dict[int, date]:
    with Session(engine) as s:
        return dict(s.execute(select(Clock.id, Clock.due_date).where(Clock.stopped_at.is_(None))).all())


def app_due_dates(engine) -> dict[int, date]:
    with Session(engine) as s:
        return dict(s.execute(select(Application.id, Application.current_due_date)).all())


# -- the year as data -----------------------------------------------------------------------------
def test_year_view_categories_names_and_counts(session):
    view = qc.year_view(session, 2026, "ru", WorkingCalendar())
    days = {d.day: d for m in view.months for w in m.weeks for d in w if d is not None}
    assert len(days) == 365
    assert days[date(2026, 1, 1)].category == "holiday" and days[date(2026, 1, 1)].name == "Новый год"
    assert days[date(2026, 3, 9)].category == "moved_day_off"  # Women's Day (observed)
    assert days[date(2026, 3, 9)].name == "Международный женский день (перенос)"
    assert days[date(2026, 3, 21)].category == "holiday"  # Nauryz on a Saturday is still the holiday
    assert days[date(2026, 3, 25)].category == "moved_day_off" and days[date(2026, 3, 25)].origin == "national"
    assert days[date(2026, 5, 27)].estimated and days[date(2026, 5, 27)].category == "holiday"
    assert days[date(2026, 3, 7)].category == "weekend" and days[date(2026, 3, 10)].category == "working"
    assert days[date(2026, 3, 10)].name == "" and not days[date(2026, 3, 10)].special

    # working days per month against the holidays package directly
    national = holidays.country_holidays("KZ", years=2026)
    for month in view.months:
        expected = sum(
            1 for d in (date(2026, month.month, 1) + timedelta(days=i) for i in range(31))
            if d.month == month.month and ((d.weekday() < 5 and d not in national) or d in national.weekend_workdays)
        )
        assert month.working_days == expected, month.month
        assert month.working_days + month.days_off == sum(1 for w in month.weeks for d in w if d is not None)
    assert view.working_days == sum(m.working_days for m in view.months)
    assert [d.day for d in view.special] == sorted(d for d in national if d.year == 2026)
    assert all(len(w) == 7 for m in view.months for w in m.weeks)


def test_moved_days_and_working_weekends_in_both_languages(session):
    ru = {d.day: d for d in qc.year_view(session, 2025, "ru", WorkingCalendar()).special}
    kk = {d.day: d for d in qc.year_view(session, 2025, "kk", WorkingCalendar()).special}
    assert ru[date(2025, 1, 3)].category == "moved_day_off"  # "Day off (substituted from 01/05/2025)"
    assert kk[date(2025, 1, 3)].name.startswith("Демалыс күні")
    assert ru[date(2025, 1, 5)].category == "working_weekend" and ru[date(2025, 1, 5)].working
    assert ru[date(2025, 1, 5)].name == "Рабочий день: выходной перенесён на 03.01.2025"
    assert kk[date(2025, 1, 5)].name == "Жұмыс күні: демалыс 03.01.2025 күніне ауыстырылды"
    assert kk[date(2025, 3, 10)].name == "Халықаралық әйелдер күні (қайта белгіленген демалыс)"


def test_overrides_show_with_their_source_and_what_the_nation_says(session):
    cal = WorkingCalendar({date(2026, 5, 27): ("workday", None), date(2026, 5, 26): ("holiday", "Құрбан айт"),
                           date(2026, 8, 31): ("holiday", None), date(2026, 6, 13): ("workday", "Сенбілік")})
    view = qc.year_view(session, 2026, "ru", cal)
    days = {d.day: d for d in view.special}
    assert view.overrides == 4
    assert days[date(2026, 6, 13)].name == "Сенбілік" and days[date(2026, 6, 13)].working
    assert days[date(2026, 6, 13)].national == "Выходной (суббота, воскресенье)"
    assert days[date(2026, 5, 27)].category == "override_workday" and days[date(2026, 5, 27)].origin == "override"
    assert days[date(2026, 5, 27)].national == "Курбан айт (ориентировочно)"
    assert days[date(2026, 5, 27)].name == "рабочий день (задан администратором)"
    assert days[date(2026, 5, 26)].name == "Құрбан айт" and days[date(2026, 5, 26)].national == "Рабочий день"
    assert days[date(2026, 8, 31)].name == "выходной (задан администратором)"
    assert days[date(2026, 8, 31)].national == "Рабочий день"
    national = qc.year_view(session, 2026, "ru", WorkingCalendar())
    assert view.months[4].working_days == national.months[4].working_days  # May: one day gained, one lost
    assert view.months[5].working_days == national.months[5].working_days + 1
    assert view.working_days == national.working_days  # +1 (27.05) -1 (26.05) -1 (31.08) +1 (13.06)


# -- the callbacks ----------------------------------------------------------------------------------
def test_adding_a_holiday_moves_due_dates_and_says_how_many_then_removing_moves_them_back(admin_page, cal_engine):
    import callbacks.calendar as cb

    admin = admin_page("admin", "ru")
    before, apps_before = due_dates(cal_engine), app_due_dates(cal_engine)
    with Session(cal_engine) as s:
        ctx = load_context(s)
        clocks = list(s.scalars(select(Clock).where(Clock.stopped_at.is_(None)).options(selectinload(Clock.events))))
        # the working day on which most open deadlines fall
        day = next(d for d, _n in Counter(c.due_date for c in clocks if c.due_date).most_common()
                   if ctx.calendar.is_working_day(d))
        overridden = WorkingCalendar({day: ("holiday", None)})
        expected = sum(
            1 for c in clocks
            if compute_due(ctx.policies.version(c.policy_code, c.policy_version),
                           [Event(e.kind, e.at, e.days, e.due) for e in c.events], overridden, c.variant).due
            != c.due_date)
    assert expected >= 2

    message, version, year = trigger(f"{cb.ids.SAVE}.n_clicks", cb.change_day, 1, None, [],
                                     day.strftime("%d.%m.%Y"), "holiday", "  Үкімет қаулысы  ", 4, 2026)
    text_ = str(message)
    assert f"{day:%d.%m.%Y} объявлен выходным днём (Үкімет қаулысы)" in text_
    assert f"Пересчитано открытых сроков: {len(clocks)}, из них сдвинулось: {expected}." in text_
    assert version == 5 and year == (day.year if day.year != 2026 else cb.no_update)
    after = due_dates(cal_engine)
    moved = {i for i in before if before[i] != after[i]}
    assert len(moved) == expected and all(after[i] > day for i in moved)
    apps_after = app_due_dates(cal_engine)
    assert any(apps_after[i] != apps_before[i] for i in apps_before)  # mirrored onto the applications
    with Session(cal_engine) as s:
        row = s.scalar(select(CalendarOverride).where(CalendarOverride.day == day))
        assert (row.kind, row.name, row.created_by_id) == ("holiday", "Үкімет қаулысы", admin.id)
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "calendar_override")
                          .order_by(AuditEntry.id.desc())).first()
        assert (entry.actor_id, entry.entity, entry.entity_id) == (admin.id, "calendar", day.isoformat())
        assert entry.before is None and entry.after == {"day": day.isoformat(), "kind": "holiday",
                                                         "name": "Үкімет қаулысы"}
        assert parse_message(entry.detail)[1] | {"day": None} == {"day": None, "moved": expected, "checked": len(clocks)}

    # the grid and the list show it, with its source
    grid, table, summary = cb.show_year(day.year, 5)
    assert "исправлений администратора: 1" in summary
    cell = next(c.children for m in grid for c in _cells(m) if c.children.id["day"] == day.isoformat())
    assert "cal-override_holiday" in cell.className and "Үкімет қаулысы" in cell.title
    assert "Исправление: admin" in str(table)

    # removing it through the list's button moves everything back
    message, version, _year = trigger('{"day":"%s","type":"%s"}.n_clicks' % (day.isoformat(), cb.ids.REMOVE),
                                      cb.change_day, None, None, [0, 1], "", None, None, 5, day.year)
    assert f"Исправление на {day:%d.%m.%Y} удалено" in str(message)
    assert f"сдвинулось: {expected}." in str(message) and version == 6
    assert due_dates(cal_engine) == before and app_due_dates(cal_engine) == apps_before
    with Session(cal_engine) as s:
        assert s.scalar(select(func.count()).select_from(CalendarOverride)) == 0
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "calendar_override")
                          .order_by(AuditEntry.id.desc())).first()
        assert entry.before["kind"] == "holiday" and entry.after is None


def _cells(month):
    table = month.children[1]
    for row in table.children[1].children:
        for cell in row.children:
            if cell.children is not None:
                yield cell


def test_a_working_day_override_and_the_form_remove_button(admin_page, cal_engine):
    import callbacks.calendar as cb

    admin_page("admin", "kk")
    message, _v, year = trigger(f"{cb.ids.SAVE}.n_clicks", cb.change_day, 2, None, [], "2027-01-09", "workday",
                                "", 0, 2026)
    assert "09.01.2027 жұмыс күні болып белгіленді." in str(message) and year == 2027
    with Session(cal_engine) as s:
        assert s.scalar(select(CalendarOverride.kind).where(CalendarOverride.day == date(2027, 1, 9))) == "workday"
    message, _v, year = trigger(f"{cb.ids.UNSET}.n_clicks", cb.change_day, 2, 1, [], "09.01.2027", "workday", "",
                                1, 2027)
    assert "09.01.2027 күнінің түзетуі алынып тасталды" in str(message) and year == cb.no_update


@pytest.mark.parametrize("lang,typed,kind,name,expected", [
    ("ru", "", "holiday", None, "Введите дату в виде дд.мм.гггг, например 25.03.2026."),
    ("kk", "  ", "holiday", None, "Күнді кк.аа.жжжж түрінде енгізіңіз, мысалы 25.03.2026."),
    ("ru", "31.02.2026", "holiday", None, "Неверная дата «31.02.2026»; укажите в формате ДД.ММ.ГГГГ или ГГГГ-ММ-ДД"),
    ("kk", "1/3/2026", "holiday", None, "«1/3/2026» күні дұрыс емес"),
    ("ru", "01.01.1999", "holiday", None, "Дата должна быть в пределах 2000–2100 годов."),
    ("ru", "10.03.2026", None, None, "Выберите, выходной это день или рабочий."),
    ("ru", "10.03.2026", "sometimes", None, "Выберите, выходной это день или рабочий."),
    ("kk", "10.03.2026", "holiday", "Ә" * 201, "Атауы тым ұзын: 201 таңба, ең көбі 200."),
])
def test_bad_input_is_refused_clearly_and_changes_nothing(admin_page, cal_engine, lang, typed, kind, name, expected):
    import callbacks.calendar as cb

    admin_page("admin", lang)
    before = due_dates(cal_engine)
    with Session(cal_engine) as s:
        audits = s.scalar(select(func.count()).select_from(AuditEntry))
    message, version, year = trigger(f"{cb.ids.SAVE}.n_clicks", cb.change_day, 1, None, [], typed, kind, name, 3,
                                     2026)
    assert expected in str(message) and message.color == "danger"
    assert version is cb.no_update and year is cb.no_update  # the form keeps what was typed
    assert due_dates(cal_engine) == before
    with Session(cal_engine) as s:
        assert s.scalar(select(func.count()).select_from(CalendarOverride)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audits


def test_removing_a_day_without_override_says_so(admin_page):
    import callbacks.calendar as cb

    admin_page("admin", "ru")
    message, version, _y = trigger(f"{cb.ids.UNSET}.n_clicks", cb.change_day, None, 1, [], "10.03.2026", "holiday",
                                   None, 0, 2026)
    assert "На 10.03.2026 исправлений нет — удалять нечего." in str(message) and version is cb.no_update


def test_picking_a_day_fills_the_form_with_the_opposite(admin_page):
    import callbacks.calendar as cb

    admin_page("admin", "ru")
    value, kind, picked = trigger('{"day":"2026-03-25","type":"%s"}.n_clicks' % cb.ids.DAY, cb.pick_day, [0, 1])
    assert (value, kind) == ("25.03.2026", "workday")
    assert picked == "25.03.2026, среда: Перенесённый выходной"
    value, kind, _p = trigger('{"day":"2026-03-10","type":"%s"}.n_clicks' % cb.ids.DAY, cb.pick_day, [1])
    assert (value, kind) == ("10.03.2026", "holiday")


def test_the_calendar_is_for_admins_only(admin_page):
    import callbacks.calendar as cb

    admin_page("manager01")
    with pytest.raises(Forbidden):
        cb.show_year(2026, 0)
    with pytest.raises(Forbidden):
        trigger(f"{cb.ids.SAVE}.n_clicks", cb.change_day, 1, None, [], "10.03.2026", "holiday", None, 0, 2026)
    with pytest.raises(Forbidden):
        trigger('{"day":"2026-03-10","type":"%s"}.n_clicks' % cb.ids.DAY, cb.pick_day, [1])


def test_grid_and_list_in_kazakh(admin_page):
    import callbacks.calendar as cb

    admin_page("admin", "kk")
    grid, table, summary = cb.show_year(2026, 0)
    assert summary == "2026 жыл: 247 жұмыс күні, 118 демалыс күні; әкімші түзетулері: 0."
    assert len(grid) == 12 and grid[2].children[0].children[0].children == "Наурыз"
    assert grid[2].children[0].children[1].children == "18 ж.к."
    assert "Бұл жылы әкімші түзетулері жоқ" in str(table[0])
    assert "Наурыз мейрамы (қайта белгіленген демалыс)" in str(table)
