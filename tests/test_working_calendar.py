"""The Kazakhstan working calendar and the registration rule (domain.md "Time rules").

Every expectation below was worked out by hand from the real 2025-2026 calendar of Kazakhstan
as the ``holidays`` package (country KZ) models it:

2025: 1-3 Jan off (3 Jan is moved from Sun 5 Jan, which is a declared working day), 7 Jan,
      8 Mar (Sat) + 10 Mar, Nauryz 21-25 Mar, 1/7/9 May, 6 Jun (Kurban ait), 6 Jul (Sun) + 7 Jul,
      30 Aug (Sat) + 1 Sep, 25 Oct (Sat) + 27 Oct, 16 Dec.
2026: 1-2 Jan, 7 Jan, 8 Mar (Sun) + 9 Mar, Nauryz 21-25 Mar (24/25 moved), 1 May, 7 May,
      9 May (Sat) + 11 May, 27 May (Kurban ait, estimated), 6 Jul, 25 Oct (Sun) + 26 Oct, 16 Dec.
      No Constitution Day in 2026 in the package (changed by the new law; staff override it).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays
import pytest

from data.config import LOCAL_TZ, WorkingHours
from data.working_calendar import (
    HOLIDAY,
    WORKDAY,
    WorkingCalendar,
    local_midnight_utc,
    overrides_from_rows,
)

D = date
UTC = timezone.utc


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar()


# -- the national calendar as the package gives it --------------------------------------------
def test_package_still_models_the_facts_these_tests_rely_on():
    kz = holidays.country_holidays("KZ", years=[2025, 2026])
    assert D(2025, 1, 5) in kz.weekend_workdays
    for day in (D(2025, 1, 3), D(2026, 3, 9), D(2026, 3, 24), D(2026, 3, 25), D(2026, 5, 7),
                D(2026, 5, 11), D(2026, 5, 27), D(2026, 7, 6)):
        assert day in kz, day
    assert D(2026, 8, 31) not in kz and D(2026, 8, 30) not in kz


@pytest.mark.parametrize(
    "day, working, source",
    [
        pytest.param(D(2025, 1, 1), False, "national_holiday", id="2025-01-01 New Year"),
        pytest.param(D(2025, 1, 3), False, "national_holiday", id="2025-01-03 Fri moved day off"),
        pytest.param(D(2025, 1, 4), False, "weekend", id="2025-01-04 ordinary Sat"),
        pytest.param(D(2025, 1, 5), True, "national_workday", id="2025-01-05 Sun declared working"),
        pytest.param(D(2025, 1, 6), True, "weekday", id="2025-01-06 Mon"),
        pytest.param(D(2025, 1, 7), False, "national_holiday", id="2025-01-07 Orthodox Christmas"),
        pytest.param(D(2025, 3, 10), False, "national_holiday", id="2025-03-10 Women's day observed"),
        pytest.param(D(2025, 3, 25), False, "national_holiday", id="2025-03-25 Nauryz observed"),
        pytest.param(D(2025, 3, 26), True, "weekday", id="2025-03-26 first day after Nauryz"),
        pytest.param(D(2025, 5, 8), True, "weekday", id="2025-05-08 Thu between 7 and 9 May"),
        pytest.param(D(2025, 9, 1), False, "national_holiday", id="2025-09-01 Constitution observed"),
        pytest.param(D(2026, 3, 6), True, "weekday", id="2026-03-06 Fri"),
        pytest.param(D(2026, 3, 8), False, "national_holiday", id="2026-03-08 Sun Women's day"),
        pytest.param(D(2026, 3, 9), False, "national_holiday", id="2026-03-09 Women's day observed"),
        pytest.param(D(2026, 3, 21), False, "national_holiday", id="2026-03-21 Sat Nauryz"),
        pytest.param(D(2026, 3, 23), False, "national_holiday", id="2026-03-23 Mon Nauryz"),
        pytest.param(D(2026, 3, 24), False, "national_holiday", id="2026-03-24 moved Nauryz"),
        pytest.param(D(2026, 3, 25), False, "national_holiday", id="2026-03-25 moved Nauryz"),
        pytest.param(D(2026, 3, 26), True, "weekday", id="2026-03-26 back to work"),
        pytest.param(D(2026, 5, 7), False, "national_holiday", id="2026-05-07 Defender's day"),
        pytest.param(D(2026, 5, 8), True, "weekday", id="2026-05-08 Fri working"),
        pytest.param(D(2026, 5, 11), False, "national_holiday", id="2026-05-11 Victory observed"),
        pytest.param(D(2026, 5, 27), False, "national_holiday", id="2026-05-27 Kurban ait est."),
        pytest.param(D(2026, 7, 6), False, "national_holiday", id="2026-07-06 Capital day"),
        pytest.param(D(2026, 8, 31), True, "weekday", id="2026-08-31 no Constitution day in pkg"),
        pytest.param(D(2026, 10, 26), False, "national_holiday", id="2026-10-26 Republic observed"),
        pytest.param(D(2026, 12, 16), False, "national_holiday", id="2026-12-16 Independence"),
        pytest.param(D(2026, 12, 19), False, "weekend", id="2026-12-19 Sat"),
    ],
)
def test_is_working_day_real_calendar(cal, day, working, source):
    assert cal.is_working_day(day) is working
    info = cal.day_info(day)
    assert info.working is working
    assert info.source == source


def test_holiday_names_in_both_languages(cal):
    info = cal.day_info(D(2026, 3, 9))
    assert info.name_en == "International Women's Day (observed)"
    assert info.name_kk  # the Kazakh name is filled as well
    assert info.name_kk != info.name_en
    assert cal.day_info(D(2026, 3, 10)).name_en is None


def test_year_days_counts_2026(cal):
    days = cal.year_days(2026)
    assert len(days) == 365
    assert days[0].day == D(2026, 1, 1) and days[-1].day == D(2026, 12, 31)
    # 2026: 261 Mon-Fri days minus the weekday holidays 1,2,7 Jan; 9 Mar; 23,24,25 Mar; 1,7,11,27
    # May; 6 Jul; 26 Oct; 16 Dec (14 days) = 247 working days.
    assert sum(d.working for d in days) == 247


# -- stepping ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "day, expected",
    [
        pytest.param(D(2026, 3, 6), D(2026, 3, 10), id="Fri->Tue (Sun 8 + Mon 9 Mar off)"),
        pytest.param(D(2026, 3, 20), D(2026, 3, 26), id="Fri->Thu over Nauryz 21-25"),
        pytest.param(D(2026, 3, 10), D(2026, 3, 11), id="Tue->Wed"),
        pytest.param(D(2024, 12, 31), D(2025, 1, 5), id="31 Dec 2024 -> Sun 5 Jan declared working"),
        pytest.param(D(2025, 1, 5), D(2025, 1, 6), id="Sun 5 Jan -> Mon 6 Jan"),
        pytest.param(D(2025, 1, 6), D(2025, 1, 8), id="Mon 6 Jan -> Wed 8 Jan (7 Jan off)"),
        pytest.param(D(2026, 5, 6), D(2026, 5, 8), id="Wed 6 May -> Fri 8 May (7 May off)"),
        pytest.param(D(2026, 5, 8), D(2026, 5, 12), id="Fri 8 May -> Tue 12 May (11 May off)"),
        pytest.param(D(2026, 5, 26), D(2026, 5, 28), id="skips Kurban ait 27 May"),
        pytest.param(D(2025, 12, 31), D(2026, 1, 5), id="New Year 2026"),
    ],
)
def test_next_working_day(cal, day, expected):
    assert cal.next_working_day(day) == expected


@pytest.mark.parametrize(
    "day, expected",
    [
        pytest.param(D(2026, 3, 10), D(2026, 3, 10), id="working day stays"),
        pytest.param(D(2026, 3, 7), D(2026, 3, 10), id="Sat->Tue"),
        pytest.param(D(2026, 3, 21), D(2026, 3, 26), id="Nauryz Sat->Thu"),
        pytest.param(D(2025, 1, 4), D(2025, 1, 5), id="Sat->declared working Sun"),
        pytest.param(D(2025, 1, 5), D(2025, 1, 5), id="declared working Sun stays"),
        pytest.param(D(2026, 7, 6), D(2026, 7, 7), id="Capital day"),
    ],
)
def test_roll_forward(cal, day, expected):
    assert cal.roll_forward(day) == expected


@pytest.mark.parametrize(
    "day, n, expected",
    [
        pytest.param(D(2026, 3, 10), 0, D(2026, 3, 10), id="n=0 is the day itself"),
        pytest.param(D(2026, 3, 7), 0, D(2026, 3, 7), id="n=0 on a Saturday is still the day"),
        pytest.param(D(2026, 3, 20), 1, D(2026, 3, 26), id="Fri +1 over Nauryz"),
        pytest.param(D(2026, 5, 6), 5, D(2026, 5, 15), id="8,12,13,14,15 May"),
        pytest.param(D(2026, 5, 15), 10, D(2026, 6, 1), id="18-22, 25, 26, 28, 29 May, 1 Jun"),
        pytest.param(D(2026, 3, 19), 15, D(2026, 4, 14), id="20 Mar, 26 Mar ... 14 Apr"),
        pytest.param(D(2025, 1, 2), 1, D(2025, 1, 5), id="from a holiday to declared Sunday"),
        pytest.param(D(2025, 1, 5), 2, D(2025, 1, 8), id="6 Jan, (7 off), 8 Jan"),
        pytest.param(D(2025, 12, 15), 1, D(2025, 12, 17), id="16 Dec off"),
    ],
)
def test_add_working_days(cal, day, n, expected):
    assert cal.add_working_days(day, n) == expected


def test_add_working_days_rejects_negative(cal):
    with pytest.raises(ValueError):
        cal.add_working_days(D(2026, 3, 10), -1)


@pytest.mark.parametrize(
    "day, n, roll, expected",
    [
        pytest.param(D(2026, 3, 10), 15, True, D(2026, 3, 26), id="25 Mar off -> 26 Mar"),
        pytest.param(D(2026, 3, 10), 15, False, D(2026, 3, 25), id="no roll keeps 25 Mar"),
        pytest.param(D(2026, 4, 16), 15, True, D(2026, 5, 4), id="1 May Fri -> Mon 4 May"),
        pytest.param(D(2026, 4, 15), 15, True, D(2026, 4, 30), id="30 Apr working"),
        pytest.param(D(2026, 3, 9), 0, True, D(2026, 3, 10), id="n=0 on a holiday rolls"),
        pytest.param(D(2024, 12, 20), 15, True, D(2025, 1, 5), id="4 Jan Sat -> declared Sun 5 Jan"),
    ],
)
def test_add_calendar_days(cal, day, n, roll, expected):
    assert cal.add_calendar_days(day, n, roll=roll) == expected


def test_add_calendar_days_rejects_negative(cal):
    with pytest.raises(ValueError):
        cal.add_calendar_days(D(2026, 3, 10), -1)


@pytest.mark.parametrize(
    "start, end, expected",
    [
        pytest.param(D(2026, 3, 10), D(2026, 3, 10), 0, id="same day"),
        pytest.param(D(2026, 3, 6), D(2026, 3, 10), 1, id="Fri->Tue: only Tue counts"),
        pytest.param(D(2026, 3, 20), D(2026, 3, 26), 1, id="over Nauryz: only 26 counts"),
        pytest.param(D(2026, 3, 26), D(2026, 3, 20), -1, id="reversed is negative"),
        pytest.param(D(2026, 4, 30), D(2026, 5, 31), 17, id="May 2026 has 17 working days"),
        pytest.param(D(2025, 1, 1), D(2025, 1, 10), 5, id="5, 6, 8, 9, 10 Jan 2025"),
        pytest.param(D(2026, 3, 7), D(2026, 3, 9), 0, id="Sat..Mon holiday"),
    ],
)
def test_working_days_between(cal, start, end, expected):
    assert cal.working_days_between(start, end) == expected


def test_non_working_between_lists_the_skipped_days(cal):
    days = cal.non_working_between(D(2026, 3, 20), D(2026, 3, 26))
    assert [d.day for d in days] == [D(2026, 3, d) for d in (21, 22, 23, 24, 25)]
    assert all(not d.working for d in days)
    assert cal.non_working_between(D(2026, 3, 10), D(2026, 3, 13)) == []


# -- registration rule ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "moment, day, reason",
    [
        # Tue 2026-03-10 is an ordinary working day; Wed 11.03 the next one.
        pytest.param(datetime(2026, 3, 10, 0, 0), D(2026, 3, 10), "before_opening", id="00:00 same day"),
        pytest.param(datetime(2026, 3, 10, 9, 29), D(2026, 3, 10), "before_opening", id="09:29 same day"),
        pytest.param(datetime(2026, 3, 10, 9, 29, 59), D(2026, 3, 10), "before_opening", id="09:29:59"),
        pytest.param(datetime(2026, 3, 10, 9, 30), D(2026, 3, 10), "in_hours", id="09:30 opening"),
        pytest.param(datetime(2026, 3, 10, 14, 0), D(2026, 3, 10), "in_hours", id="14:00"),
        pytest.param(datetime(2026, 3, 10, 18, 59), D(2026, 3, 10), "in_hours", id="18:59 same day"),
        pytest.param(datetime(2026, 3, 10, 18, 59, 59, 999999), D(2026, 3, 10), "in_hours", id="18:59:59.999"),
        pytest.param(datetime(2026, 3, 10, 19, 0), D(2026, 3, 11), "after_hours", id="19:00 next wd"),
        pytest.param(datetime(2026, 3, 10, 23, 59), D(2026, 3, 11), "after_hours", id="23:59 next wd"),
        # Fri after hours before a weekend + Women's day observed on Mon 9 Mar.
        pytest.param(datetime(2026, 3, 6, 19, 0), D(2026, 3, 10), "after_hours", id="Fri 19:00 -> Tue 10.03"),
        pytest.param(datetime(2026, 3, 6, 18, 59), D(2026, 3, 6), "in_hours", id="Fri 18:59 same day"),
        # Non-working days.
        pytest.param(datetime(2026, 3, 14, 10, 0), D(2026, 3, 16), "non_working_day", id="Sat -> Mon"),
        pytest.param(datetime(2026, 3, 14, 8, 0), D(2026, 3, 16), "non_working_day", id="Sat before opening -> Mon"),
        pytest.param(datetime(2026, 3, 9, 10, 0), D(2026, 3, 10), "non_working_day", id="holiday Mon 9 Mar -> Tue"),
        pytest.param(datetime(2026, 5, 27, 8, 0), D(2026, 5, 28), "non_working_day", id="Kurban ait -> 28 May"),
        pytest.param(datetime(2026, 7, 6, 12, 0), D(2026, 7, 7), "non_working_day", id="Capital day -> 7 Jul"),
        # Eve of a long holiday.
        pytest.param(datetime(2026, 3, 20, 18, 59), D(2026, 3, 20), "in_hours", id="eve of Nauryz 18:59"),
        pytest.param(datetime(2026, 3, 20, 19, 0), D(2026, 3, 26), "after_hours", id="eve of Nauryz 19:00 -> 26.03"),
        pytest.param(datetime(2025, 3, 20, 19, 0), D(2025, 3, 26), "after_hours", id="2025 Nauryz eve -> 26.03"),
        pytest.param(datetime(2025, 12, 31, 19, 0), D(2026, 1, 5), "after_hours", id="31 Dec 2025 -> 5 Jan 2026"),
        pytest.param(datetime(2026, 5, 6, 19, 30), D(2026, 5, 8), "after_hours", id="eve of 7 May -> Fri 8 May"),
        # The 2025 New Year: 3 Jan moved off, Sun 5 Jan is a declared working day.
        pytest.param(datetime(2024, 12, 31, 20, 0), D(2025, 1, 5), "after_hours", id="31 Dec 2024 -> Sun 5 Jan"),
        pytest.param(datetime(2025, 1, 3, 10, 0), D(2025, 1, 5), "non_working_day", id="moved day off 3 Jan -> Sun 5"),
        pytest.param(datetime(2025, 1, 5, 10, 0), D(2025, 1, 5), "in_hours", id="declared working Sun 10:00 same day"),
        pytest.param(datetime(2025, 1, 5, 8, 0), D(2025, 1, 5), "before_opening", id="declared working Sun 08:00"),
        pytest.param(datetime(2025, 1, 5, 19, 0), D(2025, 1, 6), "after_hours", id="declared working Sun 19:00 -> Mon"),
        pytest.param(datetime(2025, 1, 6, 19, 0), D(2025, 1, 8), "after_hours", id="Mon 6 Jan 19:00 -> Wed (7 Jan off)"),
    ],
)
def test_registration_boundaries(cal, moment, day, reason):
    reg = cal.registration(moment)
    assert reg.day == day
    assert reg.reason == reason


def test_naive_datetimes_are_local_time(cal):
    reg = cal.registration(datetime(2026, 3, 6, 19, 30))
    assert reg.received_local == datetime(2026, 3, 6, 19, 30, tzinfo=LOCAL_TZ)
    assert reg.received_local.utcoffset() == timedelta(hours=5)
    assert reg.day == D(2026, 3, 10)


@pytest.mark.parametrize(
    "moment, local_hm, day, reason",
    [
        pytest.param(datetime(2026, 3, 6, 14, 30, tzinfo=UTC), (19, 30), D(2026, 3, 10), "after_hours",
                     id="14:30 UTC = 19:30 local Fri -> Tue 10.03"),
        pytest.param(datetime(2026, 3, 6, 13, 59, tzinfo=UTC), (18, 59), D(2026, 3, 6), "in_hours",
                     id="13:59 UTC = 18:59 local"),
        pytest.param(datetime(2026, 3, 6, 14, 0, tzinfo=UTC), (19, 0), D(2026, 3, 10), "after_hours",
                     id="14:00 UTC = 19:00 local"),
        pytest.param(datetime(2026, 3, 6, 4, 29, tzinfo=UTC), (9, 29), D(2026, 3, 6), "before_opening",
                     id="04:29 UTC = 09:29 local"),
        pytest.param(datetime(2026, 3, 5, 19, 30, tzinfo=UTC), (0, 30), D(2026, 3, 6), "before_opening",
                     id="Thu 19:30 UTC = Fri 00:30 local: the local date counts"),
        pytest.param(datetime(2026, 3, 6, 17, 0, tzinfo=ZoneInfo("Europe/Moscow")), (19, 0), D(2026, 3, 10),
                     "after_hours", id="17:00 Moscow = 19:00 Almaty"),
    ],
)
def test_aware_datetimes_are_converted_to_local(cal, moment, local_hm, day, reason):
    reg = cal.registration(moment)
    assert (reg.received_local.hour, reg.received_local.minute) == local_hm
    assert reg.received_local.tzinfo == LOCAL_TZ
    assert reg.day == day
    assert reg.reason == reason


def test_aware_and_naive_local_give_same_registration(cal):
    aware = cal.registration(datetime(2026, 3, 6, 14, 30, tzinfo=UTC))
    naive = cal.registration(datetime(2026, 3, 6, 19, 30))
    assert aware.day == naive.day == D(2026, 3, 10)
    assert aware.received_local == naive.received_local


def test_registration_explains_skipped_days(cal):
    after_hours = cal.registration(datetime(2026, 3, 6, 20, 0))
    assert [d.day for d in after_hours.skipped] == [D(2026, 3, 7), D(2026, 3, 8), D(2026, 3, 9)]
    assert [d.source for d in after_hours.skipped] == ["weekend", "national_holiday", "national_holiday"]
    on_holiday = cal.registration(datetime(2026, 3, 21, 11, 0))
    assert on_holiday.day == D(2026, 3, 26)
    assert [d.day for d in on_holiday.skipped] == [D(2026, 3, d) for d in (21, 22, 23, 24, 25)]
    assert cal.registration(datetime(2026, 3, 10, 12, 0)).skipped == ()
    # After hours on a working day followed directly by another: nothing skipped.
    assert cal.registration(datetime(2026, 3, 10, 19, 0)).skipped == ()


def test_configurable_working_hours():
    cal = WorkingCalendar(hours=WorkingHours(opens=time(9, 0), closes=time(18, 0)))
    assert cal.registration(datetime(2026, 3, 10, 8, 59)).reason == "before_opening"
    assert cal.registration(datetime(2026, 3, 10, 9, 0)).reason == "in_hours"
    assert cal.registration(datetime(2026, 3, 10, 17, 59)).day == D(2026, 3, 10)
    reg = cal.registration(datetime(2026, 3, 10, 18, 0))
    assert (reg.day, reg.reason) == (D(2026, 3, 11), "after_hours")


def test_working_hours_defaults_and_env(monkeypatch):
    assert WorkingHours() == WorkingHours(opens=time(9, 30), closes=time(19, 0))
    monkeypatch.setenv("KTK_WORK_OPENS", "08:45")
    monkeypatch.setenv("KTK_WORK_CLOSES", "17:15")
    assert WorkingHours.from_env() == WorkingHours(opens=time(8, 45), closes=time(17, 15))


def test_local_midnight_utc():
    # Almaty is UTC+5: local midnight of 10 Mar 2026 is 19:00 UTC of 9 Mar.
    assert local_midnight_utc(D(2026, 3, 10)) == datetime(2026, 3, 9, 19, 0, tzinfo=UTC)


# -- admin overrides ---------------------------------------------------------------------------
def test_override_holiday_constitution_day_2026():
    # Constitution Day falls on Sun 30 Aug 2026; staff add the observed day off Mon 31 Aug.
    cal = WorkingCalendar(overrides={
        D(2026, 8, 30): (HOLIDAY, "Constitution Day"),
        D(2026, 8, 31): (HOLIDAY, "Constitution Day (observed)"),
    })
    plain = WorkingCalendar()
    assert plain.is_working_day(D(2026, 8, 31)) is True
    assert cal.is_working_day(D(2026, 8, 31)) is False
    info = cal.day_info(D(2026, 8, 31))
    assert info.source == "override_holiday"
    assert info.override_name == "Constitution Day (observed)"
    # 5 wd from Mon 24 Aug: 25,26,27,28,31 -> 31 Aug; with the override: 25..28, 1 Sep.
    assert plain.add_working_days(D(2026, 8, 24), 5) == D(2026, 8, 31)
    assert cal.add_working_days(D(2026, 8, 24), 5) == D(2026, 9, 1)
    # An event on Fri 28 Aug after hours is registered on Tue 1 Sep instead of Mon 31 Aug.
    assert plain.registration(datetime(2026, 8, 28, 19, 0)).day == D(2026, 8, 31)
    reg = cal.registration(datetime(2026, 8, 28, 19, 0))
    assert reg.day == D(2026, 9, 1)
    assert [d.source for d in reg.skipped] == ["weekend", "override_holiday", "override_holiday"]
    assert cal.registration(datetime(2026, 8, 31, 10, 0)).day == D(2026, 9, 1)


def test_override_workday_on_a_saturday_shortens_terms():
    cal = WorkingCalendar(overrides={D(2026, 8, 29): (WORKDAY, None)})
    info = cal.day_info(D(2026, 8, 29))
    assert (info.working, info.source) == (True, "override_workday")
    # 5 wd from Mon 24 Aug: 25, 26, 27, 28, Sat 29 -> 29 Aug (instead of 31 Aug).
    assert cal.add_working_days(D(2026, 8, 24), 5) == D(2026, 8, 29)
    assert cal.next_working_day(D(2026, 8, 28)) == D(2026, 8, 29)
    assert cal.registration(datetime(2026, 8, 29, 10, 0)).day == D(2026, 8, 29)
    assert cal.working_days_between(D(2026, 8, 28), D(2026, 8, 31)) == 2


def test_override_workday_beats_a_national_holiday():
    # The Kurban ait date is an estimate: staff say 27 May 2026 is a working day after all.
    cal = WorkingCalendar(overrides={D(2026, 5, 27): (WORKDAY, None)})
    info = cal.day_info(D(2026, 5, 27))
    assert info.working is True
    assert info.source == "override_workday"
    assert info.name_en == "Eid al-Adha (estimated)"  # the national name is still shown
    assert cal.registration(datetime(2026, 5, 27, 10, 0)).day == D(2026, 5, 27)
    assert cal.add_calendar_days(D(2026, 5, 12), 15) == D(2026, 5, 27)
    assert WorkingCalendar().add_calendar_days(D(2026, 5, 12), 15) == D(2026, 5, 28)


def test_override_holiday_beats_a_declared_working_sunday():
    cal = WorkingCalendar(overrides={D(2025, 1, 5): (HOLIDAY, "not worked")})
    assert cal.is_working_day(D(2025, 1, 5)) is False
    assert cal.day_info(D(2025, 1, 5)).source == "override_holiday"
    # Fri 3 Jan (moved day off) 10:00 -> Sat, Sun (overridden) -> Mon 6 Jan.
    assert cal.registration(datetime(2025, 1, 3, 10, 0)).day == D(2025, 1, 6)


def test_override_holiday_on_an_ordinary_weekday():
    cal = WorkingCalendar(overrides={D(2026, 3, 10): (HOLIDAY, "decree")})
    assert cal.registration(datetime(2026, 3, 6, 20, 0)).day == D(2026, 3, 11)
    assert cal.working_days_between(D(2026, 3, 6), D(2026, 3, 11)) == 1


def test_overrides_from_rows():
    rows = [(D(2026, 8, 31), HOLIDAY, "Constitution Day"), (D(2026, 8, 29), WORKDAY, None)]
    assert overrides_from_rows(rows) == {
        D(2026, 8, 31): (HOLIDAY, "Constitution Day"),
        D(2026, 8, 29): (WORKDAY, None),
    }
    cal = WorkingCalendar(overrides=overrides_from_rows(rows))
    assert cal.is_working_day(D(2026, 8, 31)) is False
    assert cal.is_working_day(D(2026, 8, 29)) is True
