"""Hand-computed due dates for every deadline policy on the real 2025-2026 calendar of Kazakhstan.

Rules (domain.md "Time rules"): an event is registered on the day it arrives if that is a working
day and it arrives before 19:00 local; otherwise on the next working day. A term of N days starts
the day after the start day; a calendar-day term ends N calendar days later, rolled forward to a
working day; a working-day term ends on the N-th working day after the start day. Policies with
the "event" start rule count from the event's local date as it is.

Non-working days used below (see tests/test_working_calendar.py for the full list):
2025: 1-4 Jan (Sun 5 Jan worked), 7 Jan, 8-10 Mar, 21-25 Mar, 1/7/9 May, 6 Jun, 6-7 Jul, 30 Aug -
      1 Sep, 25-27 Oct, 16 Dec.
2026: 1-4 Jan, 7 Jan, 7-9 Mar, 21-25 Mar, 1-3 May, 7 May, 9-11 May, 27 May (est.), 4-6 Jul,
      24-26 Oct, 16 Dec.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

import pytest

from data.deadlines import (
    DUE_SOON,
    ON_TRACK,
    OVERDUE,
    PAUSED,
    STOPPED,
    DaysLeft,
    Event,
    clock_state,
    compute_due,
    days_left,
)
from data.errors import DomainError
from data.policies import CATALOGUE, CD, CODES, PolicyBook
from data.working_calendar import HOLIDAY, WORKDAY, WorkingCalendar

D = date
DT = datetime
UTC = timezone.utc
POLICY = {p.code: p for p in CATALOGUE}


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar()


def start(at: datetime, due: date | None = None) -> Event:
    return Event("start", at, due=due)


# (code, variant, start moment, set due, further events, expected registered, expected due)
CASES = [
    # ---- list_upload: 2 wd from registration -------------------------------------------------
    pytest.param("list_upload", None, DT(2026, 2, 16, 11, 0), None, [], D(2026, 2, 16), D(2026, 2, 18),
                 id="list_upload-mon-in-hours"),  # Mon 16.02 in hours; 17 (1), 18 (2)
    pytest.param("list_upload", None, DT(2026, 3, 6, 19, 0), None, [], D(2026, 3, 10), D(2026, 3, 12),
                 id="list_upload-fri-1900-womens-day"),  # Fri 19:00 -> Tue 10.03 (8 Sun, 9 moved); 11, 12
    pytest.param("list_upload", None, DT(2025, 1, 3, 10, 0), None, [], D(2025, 1, 5), D(2025, 1, 8),
                 id="list_upload-moved-day-off-2025"),  # 3 Jan off, 4 Sat -> Sun 5 Jan worked; 6 (1), 7 off, 8 (2)
    pytest.param("list_upload", None, DT(2025, 1, 5, 10, 0), None, [], D(2025, 1, 5), D(2025, 1, 8),
                 id="list_upload-declared-working-sunday"),  # Sun 5 Jan 2025 worked: registered that day
    pytest.param("list_upload", None, DT(2025, 3, 20, 19, 30), None, [], D(2025, 3, 26), D(2025, 3, 28),
                 id="list_upload-eve-of-nauryz-2025"),  # Thu 19:30 -> 21-25 off -> Wed 26.03; 27, 28
    # ---- applicant_submission: 15 cd from the SMS date (no registration rule) ----------------
    pytest.param("applicant_submission", None, DT(2026, 2, 2, 15, 0), None, [], D(2026, 2, 2), D(2026, 2, 17),
                 id="applicant_submission-plain"),  # 02.02 + 15 = Tue 17.02, working
    pytest.param("applicant_submission", None, DT(2026, 3, 1, 21, 0), None, [], D(2026, 3, 1), D(2026, 3, 16),
                 id="applicant_submission-sms-sunday-night"),  # event date Sun 01.03 counts as is; +15 = Mon 16.03
    pytest.param("applicant_submission", None, DT(2026, 3, 7, 10, 0), None, [], D(2026, 3, 7), D(2026, 3, 26),
                 id="applicant_submission-ends-in-nauryz"),  # 07.03 + 15 = Sun 22.03 Nauryz; 23-25 off -> 26.03
    pytest.param("applicant_submission", None, DT(2025, 12, 17, 12, 0), None, [], D(2025, 12, 17), D(2026, 1, 5),
                 id="applicant_submission-ends-new-year"),  # 17.12 + 15 = 01.01 off; 2 off, 3-4 weekend -> 05.01
    pytest.param("applicant_submission", None, DT(2025, 4, 25, 23, 30), None, [], D(2025, 4, 25), D(2025, 5, 12),
                 id="applicant_submission-after-hours-counts-from-event-date"),  # +15 = Sat 10.05 -> Mon 12.05
    pytest.param("applicant_submission", None, DT(2026, 6, 21, 9, 0), None, [], D(2026, 6, 21), D(2026, 7, 7),
                 id="applicant_submission-ends-capital-day"),  # Sun 21.06 + 15 = Mon 06.07 Capital day -> 07.07
    # ---- ktk_review: 15 cd from registration ---------------------------------------------------
    pytest.param("ktk_review", None, DT(2026, 3, 6, 20, 0), None, [], D(2026, 3, 10), D(2026, 3, 26),
                 id="ktk_review-rent-to-own-fri-2000"),  # Fri 20:00 after hours -> Tue 10.03 (8 Sun, 9 moved); +15 = 25.03 Nauryz moved day -> 26.03
    pytest.param("ktk_review", None, DT(2026, 3, 6, 14, 30, tzinfo=UTC), None, [], D(2026, 3, 10), D(2026, 3, 26),
                 id="ktk_review-utc-1430-is-local-1930"),  # 14:30 UTC = 19:30 Almaty: same as above
    pytest.param("ktk_review", None, DT(2026, 4, 15, 12, 0), None, [], D(2026, 4, 15), D(2026, 4, 30),
                 id="ktk_review-in-hours"),  # 15.04 + 15 = Thu 30.04 working
    pytest.param("ktk_review", None, DT(2026, 4, 16, 10, 0), None, [], D(2026, 4, 16), D(2026, 5, 4),
                 id="ktk_review-ends-may-1"),  # 16.04 + 15 = Fri 01.05 holiday; 2-3 weekend -> Mon 04.05
    pytest.param("ktk_review", None, DT(2026, 5, 12, 9, 0), None, [], D(2026, 5, 12), D(2026, 5, 28),
                 id="ktk_review-before-opening-ends-kurban-ait"),  # 09:00 same day; +15 = 27.05 Kurban ait -> 28.05
    pytest.param("ktk_review", None, DT(2025, 10, 10, 18, 59), None, [], D(2025, 10, 10), D(2025, 10, 28),
                 id="ktk_review-ends-republic-day-2025"),  # 18:59 same day; +15 = Sat 25.10; 26 Sun, 27 observed -> 28.10
    # ---- applicant_revision: the date the reviewer set, rolled forward -------------------------
    pytest.param("applicant_revision", None, DT(2026, 4, 6, 14, 0), D(2026, 4, 20), [], D(2026, 4, 6), D(2026, 4, 20),
                 id="applicant_revision-monday-kept"),  # Mon 20.04 is working: kept
    pytest.param("applicant_revision", None, DT(2026, 4, 8, 11, 0), D(2026, 4, 19), [], D(2026, 4, 8), D(2026, 4, 20),
                 id="applicant_revision-sunday-rolls-to-monday"),  # Sun 19.04 -> Mon 20.04
    pytest.param("applicant_revision", None, DT(2026, 3, 12, 11, 0), D(2026, 3, 21), [], D(2026, 3, 12), D(2026, 3, 26),
                 id="applicant_revision-nauryz"),  # Sat 21.03; 22-25 off -> Thu 26.03
    pytest.param("applicant_revision", None, DT(2026, 4, 28, 16, 0), D(2026, 5, 9), [], D(2026, 4, 28), D(2026, 5, 12),
                 id="applicant_revision-victory-day"),  # Sat 09.05; Sun 10, Mon 11 observed -> Tue 12.05
    pytest.param("applicant_revision", None, DT(2024, 12, 24, 10, 0), D(2025, 1, 5), [], D(2024, 12, 24), D(2025, 1, 5),
                 id="applicant_revision-declared-working-sunday"),  # Sun 05.01.2025 is a working day: kept
    # ---- state_registration: 1 wd from the payment confirmation date --------------------------
    pytest.param("state_registration", None, DT(2026, 2, 10, 16, 0), None, [], D(2026, 2, 10), D(2026, 2, 11),
                 id="state_registration-plain"),  # Tue -> Wed
    pytest.param("state_registration", None, DT(2026, 3, 6, 22, 0), None, [], D(2026, 3, 6), D(2026, 3, 10),
                 id="state_registration-fri-night"),  # event date Fri 06.03; 7, 8, 9 off -> Tue 10.03
    pytest.param("state_registration", None, DT(2026, 5, 6, 18, 0), None, [], D(2026, 5, 6), D(2026, 5, 8),
                 id="state_registration-eve-of-may-7"),  # 7 May off -> Fri 08.05
    pytest.param("state_registration", None, DT(2025, 1, 4, 12, 0), None, [], D(2025, 1, 4), D(2025, 1, 5),
                 id="state_registration-sat-payment-declared-sunday"),  # Sat 04.01 -> Sun 05.01 (worked)
    pytest.param("state_registration", None, DT(2025, 12, 15, 10, 0), None, [], D(2025, 12, 15), D(2025, 12, 17),
                 id="state_registration-independence-day"),  # 16.12 off -> 17.12
    # ---- complaint_provider: 5 wd from registration ------------------------------------------
    pytest.param("complaint_provider", None, DT(2026, 5, 6, 10, 0), None, [], D(2026, 5, 6), D(2026, 5, 15),
                 id="complaint_provider-may-2026"),  # 7 off, 8 (1), 9-11 off, 12 (2), 13 (3), 14 (4), 15 (5)
    pytest.param("complaint_provider", None, DT(2026, 5, 6, 10, 0), None,
                 [Event("extend", DT(2026, 5, 14, 11, 0), days=10)], D(2026, 5, 6), D(2026, 6, 1),
                 id="complaint_provider-extended-10wd"),  # from 15.05: 18-22 (5), 25, 26, 27 off, 28, 29, 1 Jun (10)
    pytest.param("complaint_provider", None, DT(2026, 7, 3, 19, 0), None, [], D(2026, 7, 7), D(2026, 7, 14),
                 id="complaint_provider-fri-1900-capital-day"),  # -> 4-5 weekend, 6 Capital day -> Tue 07.07; 8, 9, 10, 13, 14
    pytest.param("complaint_provider", None, DT(2025, 4, 30, 15, 0), None, [], D(2025, 4, 30), D(2025, 5, 12),
                 id="complaint_provider-may-2025"),  # 1 off, 2 (1), 5 (2), 6 (3), 7 off, 8 (4), 9 off, 12 (5)
    pytest.param("complaint_provider", None, DT(2025, 1, 2, 11, 0), None, [], D(2025, 1, 5), D(2025, 1, 13),
                 id="complaint_provider-on-new-year-2025"),  # holiday -> Sun 05.01; 6 (1), 7 off, 8, 9, 10, 13 (5)
    # ---- complaint_quality_body: 15 wd from registration -------------------------------------
    pytest.param("complaint_quality_body", None, DT(2026, 3, 19, 12, 0), None, [], D(2026, 3, 19), D(2026, 4, 14),
                 id="complaint_quality_body-over-nauryz"),  # 20 (1), 21-25 off, 26, 27, 30, 31, 1-3 Apr (8), 6-10 (13), 13, 14 (15)
    pytest.param("complaint_quality_body", None, DT(2025, 12, 1, 10, 0), None, [], D(2025, 12, 1), D(2025, 12, 23),
                 id="complaint_quality_body-independence-day"),  # 2-5 (4), 8-12 (9), 15 (10), 16 off, 17-19 (13), 22, 23 (15)
    pytest.param("complaint_quality_body", None, DT(2025, 12, 24, 19, 0), None, [], D(2025, 12, 25), D(2026, 1, 20),
                 id="complaint_quality_body-over-new-year"),  # -> 25.12; 26, 29, 30, 31 (4), 5, 6 (6), 7 off, 8, 9 (8), 12-16 (13), 19, 20 (15)
    # ---- complaint_extension: 10 wd from the original due date (event date) ------------------
    pytest.param("complaint_extension", None, DT(2026, 5, 15, 0, 0), None, [], D(2026, 5, 15), D(2026, 6, 1),
                 id="complaint_extension-from-15-may"),  # 18-22 (5), 25, 26 (7), 27 off, 28, 29 (9), 1 Jun (10)
    pytest.param("complaint_extension", None, DT(2025, 8, 22, 18, 0), None, [], D(2025, 8, 22), D(2025, 9, 8),
                 id="complaint_extension-constitution-2025"),  # 25-29 (5), 1 Sep off, 2-5 (9), 8 (10)
    # ---- complaint_extension_notice: 3 wd from the decision date (event date) -----------------
    pytest.param("complaint_extension_notice", None, DT(2026, 5, 14, 15, 0), None, [], D(2026, 5, 14), D(2026, 5, 19),
                 id="complaint_extension_notice-may-2026"),  # 15 (1), 18 (2), 19 (3)
    pytest.param("complaint_extension_notice", None, DT(2026, 3, 20, 17, 0), None, [], D(2026, 3, 20), D(2026, 3, 30),
                 id="complaint_extension_notice-nauryz"),  # 21-25 off; 26 (1), 27 (2), 30 (3)
    pytest.param("complaint_extension_notice", None, DT(2026, 10, 24, 12, 0), None, [], D(2026, 10, 24), D(2026, 10, 29),
                 id="complaint_extension_notice-decided-on-saturday"),  # Sat counts as is; 25 Sun, 26 off; 27, 28, 29
    # ---- housing_queue_registration: 30 cd from registration ----------------------------------
    pytest.param("housing_queue_registration", None, DT(2026, 2, 2, 10, 0), None, [], D(2026, 2, 2), D(2026, 3, 4),
                 id="housing_queue-plain"),  # 02.02 + 30 = Wed 04.03 (Feb has 28 days)
    pytest.param("housing_queue_registration", None, DT(2026, 2, 6, 10, 0), None, [], D(2026, 2, 6), D(2026, 3, 10),
                 id="housing_queue-ends-womens-day"),  # 06.02 + 30 = Sun 08.03; 9 observed -> Tue 10.03
    pytest.param("housing_queue_registration", None, DT(2025, 7, 31, 9, 45), None, [], D(2025, 7, 31), D(2025, 9, 2),
                 id="housing_queue-ends-constitution-2025"),  # 31.07 + 30 = Sat 30.08; Sun 31, Mon 01.09 observed -> 02.09
    pytest.param("housing_queue_registration", None, DT(2025, 8, 1, 19, 0), None, [], D(2025, 8, 4), D(2025, 9, 3),
                 id="housing_queue-fri-1900-2025"),  # -> Mon 04.08; + 30 = Wed 03.09
    # ---- otbasy_queue_registration: 1 wd, 3 wd for emergency / orphans ------------------------
    pytest.param("otbasy_queue_registration", None, DT(2026, 4, 7, 13, 0), None, [], D(2026, 4, 7), D(2026, 4, 8),
                 id="otbasy-plain"),  # Tue -> Wed
    pytest.param("otbasy_queue_registration", None, DT(2026, 12, 15, 11, 0), None, [], D(2026, 12, 15), D(2026, 12, 17),
                 id="otbasy-independence-day"),  # 16.12 off -> 17.12
    pytest.param("otbasy_queue_registration", "emergency", DT(2026, 5, 6, 19, 10), None, [], D(2026, 5, 8), D(2026, 5, 14),
                 id="otbasy-emergency-after-hours"),  # 19:10 -> 7 off -> Fri 08.05; 9-11 off; 12, 13, 14
    pytest.param("otbasy_queue_registration", "orphans", DT(2026, 12, 11, 10, 0), None, [], D(2026, 12, 11), D(2026, 12, 17),
                 id="otbasy-orphans"),  # 14 (1), 15 (2), 16 off, 17 (3)
    pytest.param("otbasy_queue_registration", "unknown", DT(2026, 4, 7, 13, 0), None, [], D(2026, 4, 7), D(2026, 4, 8),
                 id="otbasy-unknown-variant-uses-base-term"),  # variant not in the policy -> 1 wd
    # ---- rent_subsidy: 3 wd from registration --------------------------------------------------
    pytest.param("rent_subsidy", None, DT(2026, 1, 1, 10, 0), None, [], D(2026, 1, 5), D(2026, 1, 9),
                 id="rent_subsidy-new-year-2026"),  # 1-4 Jan off -> Mon 05.01; 6 (1), 7 off, 8 (2), 9 (3)
    pytest.param("rent_subsidy", None, DT(2025, 3, 7, 9, 0), None, [], D(2025, 3, 7), D(2025, 3, 13),
                 id="rent_subsidy-before-opening-womens-day-2025"),  # 09:00 same day; 8-10 off; 11, 12, 13
    # ---- privatization_decision: 30 cd from registration ---------------------------------------
    pytest.param("privatization_decision", None, DT(2026, 2, 23, 10, 0), None, [], D(2026, 2, 23), D(2026, 3, 26),
                 id="privatization_decision-nauryz"),  # 23.02 + 30 = Wed 25.03 (moved Nauryz) -> 26.03
    pytest.param("privatization_decision", None, DT(2025, 9, 30, 14, 0), None, [], D(2025, 9, 30), D(2025, 10, 30),
                 id="privatization_decision-plain-2025"),  # 30.09 + 30 = Thu 30.10
    pytest.param("privatization_decision", None, DT(2026, 9, 25, 11, 0), None, [], D(2026, 9, 25), D(2026, 10, 27),
                 id="privatization_decision-republic-day-2026"),  # 25.09 + 30 = Sun 25.10; 26 observed -> 27.10
    # ---- privatization_transfer: 15 cd from registration ---------------------------------------
    pytest.param("privatization_transfer", None, DT(2026, 6, 19, 18, 0), None, [], D(2026, 6, 19), D(2026, 7, 7),
                 id="privatization_transfer-capital-day"),  # 19.06 + 15 = Sat 04.07; 5 Sun, 6 Capital day -> 07.07
    pytest.param("privatization_transfer", None, DT(2025, 12, 1, 12, 0), None, [], D(2025, 12, 1), D(2025, 12, 17),
                 id="privatization_transfer-independence-2025"),  # 01.12 + 15 = Tue 16.12 off -> 17.12
    # ---- privatization_contract: 5 wd from registration ----------------------------------------
    pytest.param("privatization_contract", None, DT(2026, 8, 24, 10, 0), None, [], D(2026, 8, 24), D(2026, 8, 31),
                 id="privatization_contract-aug-2026"),  # 25, 26, 27, 28, 31 (no Constitution day in the package)
    pytest.param("privatization_contract", None, DT(2025, 10, 23, 19, 0), None, [], D(2025, 10, 24), D(2025, 11, 3),
                 id="privatization_contract-republic-day-2025"),  # -> Fri 24.10; 25-27 off; 28-31 (4), 3 Nov (5)
]


@pytest.mark.parametrize("code, variant, at, set_due, more, registered, due", CASES)
def test_hand_computed_due(cal, code, variant, at, set_due, more, registered, due):
    result = compute_due(POLICY[code], [start(at, set_due), *more], cal, variant=variant)
    assert result.registered == registered
    assert result.due == due
    assert result.paused_since is None and result.stopped_at is None
    assert result.steps[-1] == {"code": "due", "date": due.isoformat()}


def test_cases_cover_every_policy_code():
    covered = {p.values[0] for p in CASES}
    assert covered == set(CODES)
    assert len(CASES) >= 40
    assert {p.values[1] for p in CASES if p.values[0] == "otbasy_queue_registration"} >= {"emergency"}


def test_declared_working_sunday_registers_same_day(cal):
    # Sunday 2025-01-05 is a declared working day: an event at 10:00 is registered that day.
    result = compute_due(POLICY["complaint_provider"], [start(DT(2025, 1, 5, 10, 0))], cal)
    assert result.registered == D(2025, 1, 5)
    assert result.steps[0]["reason"] == "in_hours"
    # 6 (1), 7 off, 8 (2), 9 (3), 10 (4), 13 (5)
    assert result.due == D(2025, 1, 13)


# -- the result explains itself ---------------------------------------------------------------
def test_steps_explain_registration_and_roll(cal):
    result = compute_due(POLICY["ktk_review"], [start(DT(2026, 3, 6, 20, 0))], cal)
    reg, term, rolled, due = result.steps
    assert reg["rule"] == "registration" and reg["reason"] == "after_hours"
    assert reg["registered"] == "2026-03-10"
    assert [d["date"] for d in reg["skipped"]] == ["2026-03-07", "2026-03-08", "2026-03-09"]
    assert term == {"code": "term_cd", "n": 15, "extra": 0, "from": "2026-03-10", "end": "2026-03-25"}
    assert rolled["code"] == "rolled_forward"
    assert (rolled["from"], rolled["to"]) == ("2026-03-25", "2026-03-26")
    assert [d["date"] for d in rolled["days"]] == ["2026-03-25"]
    assert due == {"code": "due", "date": "2026-03-26"}


def test_steps_list_skipped_days_of_a_wd_term(cal):
    result = compute_due(POLICY["complaint_provider"], [start(DT(2026, 5, 6, 10, 0))], cal)
    term = next(s for s in result.steps if s["code"] == "term_wd")
    assert [d["date"] for d in term["skipped"]] == [
        "2026-05-07", "2026-05-09", "2026-05-10", "2026-05-11",
    ]


def test_event_rule_does_not_register(cal):
    result = compute_due(POLICY["applicant_submission"], [start(DT(2026, 3, 1, 21, 0))], cal)
    assert result.steps[0] == {"code": "start", "rule": "event", "date": "2026-03-01"}


def test_clock_needs_a_start_and_a_set_date(cal):
    with pytest.raises(ValueError):
        compute_due(POLICY["ktk_review"], [Event("pause", DT(2026, 3, 10, 10, 0))], cal)
    with pytest.raises(ValueError):
        compute_due(POLICY["applicant_revision"], [start(DT(2026, 3, 10, 10, 0))], cal)


# -- overrides change due dates ---------------------------------------------------------------
def test_constitution_day_override_moves_a_5wd_term():
    cal = WorkingCalendar(overrides={
        D(2026, 8, 30): (HOLIDAY, "Constitution Day"),
        D(2026, 8, 31): (HOLIDAY, "Constitution Day (observed)"),
    })
    for code in ("privatization_contract", "complaint_provider"):
        # 25, 26, 27, 28 (4), 31 off, 1 Sep (5)
        result = compute_due(POLICY[code], [start(DT(2026, 8, 24, 10, 0))], cal)
        assert result.due == D(2026, 9, 1), code
    # A 15 cd term registered Fri 14 Aug ends Sat 29 Aug; 30, 31 off -> Tue 1 Sep
    # (Mon 31 Aug without the override).
    result = compute_due(POLICY["ktk_review"], [start(DT(2026, 8, 14, 12, 0))], cal)
    assert result.due == D(2026, 9, 1)
    assert compute_due(POLICY["ktk_review"], [start(DT(2026, 8, 14, 12, 0))], WorkingCalendar()).due == D(2026, 8, 31)


def test_saturday_workday_override_shortens_a_term():
    cal = WorkingCalendar(overrides={D(2026, 8, 29): (WORKDAY, None)})
    # 25, 26, 27, 28, Sat 29 -> 29 Aug instead of 31 Aug.
    result = compute_due(POLICY["privatization_contract"], [start(DT(2026, 8, 24, 10, 0))], cal)
    assert result.due == D(2026, 8, 29)
    # A 15 cd term ending on that Saturday no longer rolls: 14.08 + 15 = 29.08.
    assert compute_due(POLICY["ktk_review"], [start(DT(2026, 8, 14, 12, 0))], cal).due == D(2026, 8, 29)


def test_national_holiday_overridden_as_workday():
    cal = WorkingCalendar(overrides={D(2026, 5, 27): (WORKDAY, None)})
    # ktk_review 12.05 + 15 = 27.05, now a working day: no roll to 28.05.
    assert compute_due(POLICY["ktk_review"], [start(DT(2026, 5, 12, 9, 0))], cal).due == D(2026, 5, 27)
    # Extension from 15.05 by 10 wd: 18-22, 25, 26, 27, 28, 29 -> 29 May instead of 1 Jun.
    result = compute_due(
        POLICY["complaint_provider"],
        [start(DT(2026, 5, 6, 10, 0)), Event("extend", DT(2026, 5, 14, 11, 0), days=10)],
        cal,
    )
    assert result.due == D(2026, 5, 29)
    # Registration on the formerly estimated holiday is same-day.
    assert compute_due(POLICY["complaint_provider"], [start(DT(2026, 5, 27, 10, 0))], cal).registered == D(2026, 5, 27)


# -- pauses, stops, extensions ----------------------------------------------------------------
KTK = POLICY["ktk_review"]
KTK_START = start(DT(2026, 4, 15, 12, 0))  # registered 15.04, due 30.04 without pauses


def test_ktk_review_pause_and_resume_in_hours(cal):
    events = [KTK_START, Event("pause", DT(2026, 4, 20, 10, 0)), Event("resume", DT(2026, 4, 24, 11, 0))]
    result = compute_due(KTK, events, cal)
    # paused 20.04 -> resumed 24.04 = 4 days; 15.04 + 15 + 4 = Mon 04.05 (working).
    assert result.due == D(2026, 5, 4)
    assert result.paused_since is None
    paused = next(s for s in result.steps if s["code"] == "paused")
    assert paused == {"code": "paused", "from": "2026-04-20", "to": "2026-04-24", "days": 4, "unit": "cd"}


def test_ktk_review_resume_after_hours_uses_registration_day(cal):
    events = [KTK_START, Event("pause", DT(2026, 4, 20, 10, 0)), Event("resume", DT(2026, 4, 24, 19, 30))]
    result = compute_due(KTK, events, cal)
    # Resume Fri 19:30 is registered Mon 27.04: 7 paused days; 15.04 + 22 = 07.05 (off) -> 08.05.
    assert result.due == D(2026, 5, 8)


def test_ktk_review_two_pauses_add_up(cal):
    events = [
        KTK_START,
        Event("pause", DT(2026, 4, 20, 10, 0)), Event("resume", DT(2026, 4, 22, 10, 0)),  # 2 days
        Event("pause", DT(2026, 4, 27, 10, 0)), Event("resume", DT(2026, 4, 29, 10, 0)),  # 2 days
    ]
    # 4 paused days in all: 15.04 + 19 = Mon 04.05 (working).
    assert compute_due(KTK, events, cal).due == D(2026, 5, 4)


def test_second_pause_while_paused_is_ignored(cal):
    events = [
        KTK_START,
        Event("pause", DT(2026, 4, 20, 10, 0)),
        Event("pause", DT(2026, 4, 22, 10, 0)),
        Event("resume", DT(2026, 4, 24, 11, 0)),
    ]
    assert compute_due(KTK, events, cal).due == D(2026, 5, 4)  # still counted from 20.04


def test_pause_without_resume_stays_paused(cal):
    result = compute_due(KTK, [KTK_START, Event("pause", DT(2026, 4, 20, 10, 0))], cal)
    assert result.paused_since == D(2026, 4, 20)
    assert result.due == D(2026, 4, 30)  # the running term, not extended yet
    assert {"code": "paused_now", "since": "2026-04-20"} in result.steps
    assert clock_state(result.due, D(2026, 5, 5), cal, paused=result.paused_since is not None) == PAUSED


def test_stop_keeps_the_due(cal):
    stop_at = DT(2026, 4, 28, 16, 0)
    result = compute_due(KTK, [KTK_START, Event("stop", stop_at)], cal)
    assert result.stopped_at == stop_at
    assert result.due == D(2026, 4, 30)
    assert clock_state(result.due, D(2026, 5, 5), cal, stopped=True) == STOPPED


def test_events_after_stop_are_ignored(cal):
    events = [
        start(DT(2026, 5, 6, 10, 0)),
        Event("stop", DT(2026, 5, 13, 12, 0)),
        Event("extend", DT(2026, 5, 14, 11, 0), days=10),
        Event("pause", DT(2026, 5, 14, 12, 0)),
    ]
    result = compute_due(POLICY["complaint_provider"], events, cal)
    assert result.due == D(2026, 5, 15)
    assert result.paused_since is None
    assert result.stopped_at == DT(2026, 5, 13, 12, 0)


def test_restart_mode_restarts_from_resume_registration_day(cal):
    policy = replace(KTK, pause_mode="restart")
    events = [KTK_START, Event("pause", DT(2026, 4, 20, 10, 0)), Event("resume", DT(2026, 4, 24, 19, 30))]
    result = compute_due(policy, events, cal)
    # Resume Fri 19:30 -> registered Mon 27.04; 27.04 + 15 = Tue 12.05 (working).
    assert result.due == D(2026, 5, 12)
    assert result.registered == D(2026, 4, 15)  # the first registration is kept
    events = [KTK_START, Event("pause", DT(2026, 4, 20, 10, 0)), Event("resume", DT(2026, 4, 22, 10, 0))]
    # 22.04 + 15 = Thu 07.05 (off) -> Fri 08.05.
    assert compute_due(policy, events, cal).due == D(2026, 5, 8)


def test_restart_mode_differs_from_resume_mode(cal):
    events = [KTK_START, Event("pause", DT(2026, 4, 20, 10, 0)), Event("resume", DT(2026, 4, 22, 10, 0))]
    # resume mode: 15.04 + 15 + 2 = Sat 02.05 -> Mon 04.05.
    assert compute_due(KTK, events, cal).due == D(2026, 5, 4)
    assert compute_due(replace(KTK, pause_mode="restart"), events, cal).due == D(2026, 5, 8)


def test_state_registration_pause_counts_working_days(cal):
    policy = POLICY["state_registration"]
    events = [
        start(DT(2026, 2, 10, 16, 0)),                # due Wed 11.02 without the pause
        Event("pause", DT(2026, 2, 11, 10, 0)),       # registration suspended
        Event("resume", DT(2026, 2, 16, 10, 0)),      # event date 16.02 (no registration rule)
    ]
    result = compute_due(policy, events, cal)
    # paused wd in (11.02, 16.02] = 12, 13, 16 -> 3; 10.02 + (1 + 3) wd = 11, 12, 13, 16 -> 16.02.
    assert result.due == D(2026, 2, 16)
    paused = next(s for s in result.steps if s["code"] == "paused")
    assert (paused["days"], paused["unit"]) == (3, "wd")


def test_applicant_revision_due_on_sunday_rolls_to_monday(cal):
    result = compute_due(
        POLICY["applicant_revision"], [Event("start", DT(2026, 6, 10, 15, 0), due=D(2026, 6, 21))], cal
    )
    assert result.registered == D(2026, 6, 10)
    assert result.due == D(2026, 6, 22)
    assert any(s["code"] == "rolled_forward" and s["to"] == "2026-06-22" for s in result.steps)


def test_extension_in_two_parts_equals_one(cal):
    policy = POLICY["complaint_provider"]
    base = start(DT(2026, 5, 6, 10, 0))
    one = compute_due(policy, [base, Event("extend", DT(2026, 5, 14, 11, 0), days=10)], cal)
    two = compute_due(
        policy,
        [base, Event("extend", DT(2026, 5, 13, 11, 0), days=5), Event("extend", DT(2026, 5, 14, 11, 0), days=5)],
        cal,
    )
    assert one.due == two.due == D(2026, 6, 1)


def test_extension_notice_on_same_day_as_extension(cal):
    # The extension decided on 14.05 extends the complaint to 01.06; the applicant must be told by
    # 19.05 (3 wd from the decision date: 15, 18, 19).
    notice = compute_due(POLICY["complaint_extension_notice"], [start(DT(2026, 5, 14, 11, 0))], cal)
    assert notice.due == D(2026, 5, 19)


def test_extension_in_calendar_days(cal):
    result = compute_due(
        POLICY["complaint_provider"],
        [start(DT(2026, 5, 6, 10, 0)), Event("extend", DT(2026, 5, 14, 11, 0), days=12)],
        cal,
        extension_unit=CD,
    )
    # 15.05 + 12 cd = 27.05 Kurban ait -> 28.05.
    assert result.due == D(2026, 5, 28)


# -- policy versions -----------------------------------------------------------------------------
def _book_with_v2() -> PolicyBook:
    v2 = replace(POLICY["complaint_provider"], version=2, effective_from=D(2026, 7, 1), term=7)
    return PolicyBook([*CATALOGUE, v2])


def test_policy_version_in_force():
    book = _book_with_v2()
    assert book.in_force("complaint_provider", D(2026, 6, 30)).version == 1
    assert book.in_force("complaint_provider", D(2026, 6, 30)).term == 5
    assert book.in_force("complaint_provider", D(2026, 7, 1)).version == 2
    assert book.in_force("complaint_provider", D(2027, 1, 1)).term == 7
    assert book.in_force("ktk_review", D(2026, 7, 1)).version == 1
    assert book.version("complaint_provider", 2).term == 7
    assert book.codes() == sorted(CODES)


def test_policy_version_decides_the_due(cal):
    book = _book_with_v2()
    early_at, late_at = DT(2026, 6, 30, 10, 0), DT(2026, 7, 1, 10, 0)
    early = compute_due(book.in_force("complaint_provider", early_at.date()), [start(early_at)], cal)
    late = compute_due(book.in_force("complaint_provider", late_at.date()), [start(late_at)], cal)
    # v1, 5 wd from Tue 30.06: 1, 2, 3 Jul, (4-6 off), 7, 8 -> 08.07
    assert early.due == D(2026, 7, 8)
    # v2, 7 wd from Wed 01.07: 2, 3, 7, 8, 9, 10, 13 -> 13.07
    assert late.due == D(2026, 7, 13)


def test_unknown_policy_code_is_a_domain_error():
    # A user-facing DomainError("unknown_policy"), not a crash.
    with pytest.raises(DomainError) as excinfo:
        PolicyBook(CATALOGUE).in_force("no_such_policy", D(2026, 1, 1))
    assert excinfo.value.code == "unknown_policy"
    assert "no_such_policy" in str(excinfo.value)


def test_unknown_policy_version_is_a_domain_error():
    with pytest.raises(DomainError) as excinfo:
        PolicyBook(CATALOGUE).version("ktk_review", 9)
    assert excinfo.value.code == "unknown_policy"
    assert "ktk_review v9" in str(excinfo.value)


# -- clock_state / days_left --------------------------------------------------------------------
@pytest.mark.parametrize(
    "due, today, expected",
    [
        pytest.param(D(2026, 3, 26), D(2026, 3, 27), OVERDUE, id="day after due -> overdue"),
        pytest.param(D(2026, 3, 26), D(2026, 4, 14), OVERDUE, id="weeks after due -> overdue"),
        pytest.param(D(2026, 3, 26), D(2026, 3, 26), DUE_SOON, id="due day = 0 left -> due_soon"),
        pytest.param(D(2026, 3, 26), D(2026, 3, 20), DUE_SOON, id="Fri before Nauryz: 1 wd left"),
        pytest.param(D(2026, 3, 26), D(2026, 3, 19), DUE_SOON, id="Thu: 20, 26 = 2 wd left"),
        pytest.param(D(2026, 3, 26), D(2026, 3, 18), ON_TRACK, id="Wed: 19, 20, 26 = 3 wd left"),
        pytest.param(D(2026, 3, 16), D(2026, 3, 14), DUE_SOON, id="Sat before Mon due: 1 left"),
        pytest.param(D(2026, 3, 11), D(2026, 3, 6), DUE_SOON, id="Fri->Wed 5 cd away but 10, 11 = 2 wd"),
        pytest.param(D(2026, 3, 12), D(2026, 3, 6), ON_TRACK, id="Fri->Thu: 10, 11, 12 = 3 wd"),
        pytest.param(D(2026, 3, 13), D(2026, 3, 6), ON_TRACK, id="Fri->next Fri: 10-13 = 4 wd"),
        pytest.param(None, D(2026, 3, 6), ON_TRACK, id="no due"),
    ],
)
def test_clock_state(cal, due, today, expected):
    assert clock_state(due, today, cal) == expected


def test_clock_state_fri_to_thu_over_holiday(cal):
    # Fri 06.03 -> Thu 12.03: working days left 10, 11, 12 = 3 -> on track with the default window.
    assert days_left(D(2026, 3, 12), D(2026, 3, 6), cal) == DaysLeft(3, 6)


def test_clock_state_paused_and_stopped_win(cal):
    assert clock_state(D(2026, 3, 26), D(2026, 4, 1), cal, paused=True) == PAUSED
    assert clock_state(D(2026, 3, 26), D(2026, 4, 1), cal, stopped=True) == STOPPED
    assert clock_state(D(2026, 3, 26), D(2026, 4, 1), cal, paused=True, stopped=True) == STOPPED
    assert clock_state(None, D(2026, 4, 1), cal, paused=True) == PAUSED


def test_clock_state_warning_window(cal):
    # warn_wd=0: only the due day itself is "due soon".
    assert clock_state(D(2026, 3, 26), D(2026, 3, 26), cal, warn_wd=0) == DUE_SOON
    assert clock_state(D(2026, 3, 26), D(2026, 3, 20), cal, warn_wd=0) == ON_TRACK
    # warn_wd=3: Wed 18.03 with 3 wd left is due soon.
    assert clock_state(D(2026, 3, 26), D(2026, 3, 18), cal, warn_wd=3) == DUE_SOON
    assert clock_state(D(2026, 3, 26), D(2026, 3, 17), cal, warn_wd=3) == ON_TRACK


@pytest.mark.parametrize(
    "due, today, working, calendar",
    [
        pytest.param(D(2026, 3, 10), D(2026, 3, 6), 1, 4, id="Fri->Tue over 8/9 Mar: 1 wd, 4 cd"),
        pytest.param(D(2026, 3, 26), D(2026, 3, 18), 3, 8, id="over Nauryz: 3 wd, 8 cd"),
        pytest.param(D(2026, 3, 26), D(2026, 3, 26), 0, 0, id="due day"),
        pytest.param(D(2026, 3, 6), D(2026, 3, 10), -1, -4, id="overdue: negative"),
        pytest.param(D(2025, 1, 8), D(2025, 1, 2), 3, 6, id="2025 New Year: 5, 6, 8 Jan"),
        pytest.param(D(2026, 6, 1), D(2026, 5, 15), 10, 17, id="complaint extension span"),
    ],
)
def test_days_left(cal, due, today, working, calendar):
    assert days_left(due, today, cal) == DaysLeft(working, calendar)
