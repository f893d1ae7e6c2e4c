"""Property tests of the working calendar and the deadline engine (random moments in 2025-2027)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.config import LOCAL_TZ
from data.deadlines import Event, compute_due
from data.policies import CATALOGUE, CD, REGISTRATION, SET_DATE, WD
from data.working_calendar import WorkingCalendar

CAL = WorkingCalendar()
POLICY = {p.code: p for p in CATALOGUE}
TERM_CODES = sorted(p.code for p in CATALOGUE if p.term is not None)
# Every (code, variant) pair with a term, incl. otbasy "emergency" / "orphans".
CODE_VARIANTS = [(p.code, None) for p in CATALOGUE if p.term is not None] + [
    (p.code, v) for p in CATALOGUE for v in p.variants
]

# No example database: the tests leave no files behind.
PROPS = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31, 23, 59, 59))
days = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))
zones = st.sampled_from(
    [timezone.utc, ZoneInfo("Asia/Almaty"), ZoneInfo("Europe/Moscow"), ZoneInfo("America/New_York"),
     ZoneInfo("Asia/Tokyo"), timezone(timedelta(hours=-11))]
)


def test_strategy_covers_every_policy_with_a_term():
    codes = {code for code, _ in CODE_VARIANTS}
    assert codes == {p.code for p in CATALOGUE} - {"applicant_revision"}
    assert ("otbasy_queue_registration", "emergency") in CODE_VARIANTS


# -- the calendar ------------------------------------------------------------------------------
@PROPS
@given(moment=moments)
def test_registration_day_is_a_working_day_not_before_the_local_date(moment):
    reg = CAL.registration(moment)
    local_day = moment.date()
    assert CAL.is_working_day(reg.day)
    assert reg.day >= local_day
    same_day = CAL.is_working_day(local_day) and moment.time() < CAL.hours.closes
    if same_day:
        assert reg.day == local_day
        assert reg.reason in ("before_opening", "in_hours")
    else:
        assert reg.day == CAL.next_working_day(local_day)
        assert reg.reason in ("after_hours", "non_working_day")
    # Nothing in between was a working day.
    assert all(not d.working for d in reg.skipped)
    assert CAL.working_days_between(local_day, reg.day) == (0 if same_day else 1)


@PROPS
@given(moment=moments, zone=zones)
def test_aware_moments_are_registered_by_their_almaty_wall_clock(moment, zone):
    aware = moment.replace(tzinfo=zone)
    local_naive = aware.astimezone(LOCAL_TZ).replace(tzinfo=None)
    assert CAL.registration(aware).day == CAL.registration(local_naive).day
    assert CAL.registration(aware).received_local == aware.astimezone(LOCAL_TZ)


@PROPS
@given(day=days, n=st.integers(min_value=0, max_value=40))
def test_add_working_days_strictly_increasing_in_n(day, n):
    here = CAL.add_working_days(day, n)
    after = CAL.add_working_days(day, n + 1)
    assert after > here
    assert CAL.is_working_day(after)
    assert after == CAL.next_working_day(here)


@PROPS
@given(a=days, b=days, n=st.integers(min_value=0, max_value=40))
def test_add_working_days_non_decreasing_in_start(a, b, n):
    a, b = min(a, b), max(a, b)
    assert CAL.add_working_days(a, n) <= CAL.add_working_days(b, n)


@PROPS
@given(a=days, n=st.integers(min_value=0, max_value=60))
def test_working_days_between_inverts_add_working_days(a, n):
    end = CAL.add_working_days(a, n)
    assert CAL.working_days_between(a, end) == n
    assert CAL.working_days_between(end, a) == -n


@PROPS
@given(day=days, n=st.integers(min_value=0, max_value=60))
def test_add_calendar_days_rolls_to_the_first_working_day(day, n):
    end = CAL.add_calendar_days(day, n)
    raw = day + timedelta(days=n)
    assert CAL.is_working_day(end)
    assert end >= raw
    assert CAL.working_days_between(raw, end) == (0 if CAL.is_working_day(raw) else 1)
    assert CAL.add_calendar_days(day, n, roll=False) == raw


# -- the deadline engine -----------------------------------------------------------------------
@PROPS
@given(pair=st.sampled_from(CODE_VARIANTS), at=moments)
def test_due_follows_the_term_and_is_a_working_day(pair, at):
    code, variant = pair
    policy = POLICY[code]
    n = policy.term_for(variant)
    result = compute_due(policy, [Event("start", at)], CAL, variant=variant)
    assert CAL.is_working_day(result.due)
    if policy.start_rule == REGISTRATION:
        assert result.registered == CAL.registration(at).day
    else:
        assert result.registered == at.date()
    if policy.unit == WD:
        assert CAL.working_days_between(result.registered, result.due) == n
        assert CAL.is_working_day(result.due)
    else:
        assert policy.unit == CD
        raw = result.registered + timedelta(days=n)
        assert result.due == CAL.roll_forward(raw)
    assert result.due > result.registered


@PROPS
@given(at=moments, set_due=days)
def test_set_date_is_rolled_to_a_working_day(at, set_due):
    result = compute_due(POLICY["applicant_revision"], [Event("start", at, due=set_due)], CAL)
    assert result.registered == at.date()
    assert result.due == CAL.roll_forward(set_due)
    assert CAL.is_working_day(result.due)


KINDS = ("pause", "resume", "extend", "stop")


@st.composite
def histories(draw):
    """A start event and up to 6 later events at distinct moments (minutes after the start)."""
    code = draw(st.sampled_from(sorted(POLICY)))
    policy = POLICY[code]
    at = draw(moments).replace(second=0, microsecond=0)
    due = draw(days) if policy.start_rule == SET_DATE else None
    offsets = draw(st.lists(st.integers(min_value=1, max_value=60 * 24 * 60), max_size=6, unique=True))
    events = [Event("start", at, due=due)]
    for minutes in offsets:
        kind = draw(st.sampled_from(KINDS))
        days_ = draw(st.integers(min_value=1, max_value=10)) if kind == "extend" else None
        events.append(Event(kind, at + timedelta(minutes=minutes), days=days_))
    variant = draw(st.sampled_from([None, *policy.variants]))
    return policy, events, variant


def _as_tuple(result):
    return (result.registered, result.due, result.paused_since, result.stopped_at, result.steps)


@PROPS
@given(history=histories(), data=st.data())
def test_replay_is_deterministic_and_order_of_the_list_does_not_matter(history, data):
    policy, events, variant = history
    first = compute_due(policy, events, CAL, variant=variant)
    again = compute_due(policy, list(events), CAL, variant=variant)
    shuffled = data.draw(st.permutations(events))
    other = compute_due(policy, shuffled, CAL, variant=variant)
    assert _as_tuple(first) == _as_tuple(again) == _as_tuple(other)
    # Whatever the history, the due date is a working day and never before the registration.
    assert CAL.is_working_day(first.due)
    assert first.due >= first.registered or policy.start_rule == SET_DATE


@PROPS
@given(history=histories())
def test_pauses_and_extensions_never_make_the_due_earlier(history):
    policy, events, variant = history
    if policy.pause_mode == "restart" or policy.start_rule == SET_DATE:
        return
    plain = compute_due(policy, events[:1], CAL, variant=variant)
    full = compute_due(policy, events, CAL, variant=variant)
    assert full.due >= plain.due


@PROPS
@given(at=moments, parts=st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=4))
def test_extension_in_parts_equals_one_extension(at, parts):
    policy = POLICY["complaint_provider"]
    start = Event("start", at)
    split = [Event("extend", at + timedelta(hours=i + 1), days=d) for i, d in enumerate(parts)]
    whole = [Event("extend", at + timedelta(hours=1), days=sum(parts))]
    assert compute_due(policy, [start, *split], CAL).due == compute_due(policy, [start, *whole], CAL).due
