"""The list pages' data layer on SQLite and PostgreSQL: batches with their list_upload clock,
akimat scoping (another akimat's batch reads as missing), row errors in kk/ru, the upload
target rules, "SMS sent" (the 15-calendar-day window), and the recipients grid query (scope,
masking, quick filters, whitelisted column filters and sorts, bound parameters)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from data import config
from data.access import can, mask_iin
from data.audit import parse_message
from data.clocks import load_calendar
from data.i18n import catalogue
from data.imports import import_list
from data.models import Recipient, User
from data.models.audit import AuditEntry
from data.queries.lists import (
    ListPageError,
    batch_errors,
    batch_recipients,
    get_batch,
    list_batches,
    mark_notified,
    parse_sent_at,
    upload_akimats,
    upload_target,
    window_due,
)
from data.queries.recipients import RecipientFilters, fetch_block, parse_filters
from data.queries.registry import GridRequestError
from tests.conftest import local
from tests.test_imports_support import (
    akimat,
    bad_check_digit,
    kk_row,
    new_iin,
    person,
    write_xlsx,
)

FRIDAY_EVENING = local(2026, 3, 6, 20, 0)  # registered Tue 10.03 (8-9 March are days off); due Thu 12.03
LOADED_AT = local(2026, 3, 11, 10, 0)
TODAY = date(2026, 3, 11)


@pytest.fixture(autouse=True)
def instance_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / "instance")
    return tmp_path / "instance"


_counter = iter(range(10**6))


def make_user(session, role: str, akimat_row=None) -> User:
    u = User(username=f"lq_{role}_{next(_counter)}_{id(session) % 10**6}", full_name=f"Тест {role}", role=role,
             akimat_id=akimat_row.id if akimat_row else None)
    session.add(u)
    session.flush()
    return u


@pytest.fixture
def world(session, tmp_path):
    """Two akimats, each with a loaded list (4 good rows, 2 bad in A), their users and staff."""
    a, b = akimat(session), akimat(session)
    w = type("World", (), {})()
    w.a, w.b = a, b
    w.akimat_a, w.akimat_b = make_user(session, "akimat", a), make_user(session, "akimat", b)
    w.reviewer, w.manager, w.admin = make_user(session, "reviewer"), make_user(session, "manager"), \
        make_user(session, "admin")
    good_a = [person(last_name=name) for name in ("Ахметов", "Бекова", "Сейітов", "ахметжанов")]
    rows_a = [kk_row(p, i) for i, p in enumerate(good_a, 1)]
    rows_a.append(kk_row(person(iin=bad_check_digit(new_iin())), 5))
    rows_a.append(kk_row(person(phone="12345"), 6))
    w.file_a = write_xlsx(tmp_path / "a.xlsx", rows_a, title_rows=1)
    w.result_a = import_list(session, w.file_a, akimat=a.kato, received_at=FRIDAY_EVENING, now=LOADED_AT,
                             uploaded_by=w.akimat_a)
    w.good_a = good_a
    good_b = [person(last_name="Ахметова") for _ in range(2)]
    w.file_b = write_xlsx(tmp_path / "b.xlsx", [kk_row(p, i) for i, p in enumerate(good_b, 1)])
    w.result_b = import_list(session, w.file_b, akimat=b.kato, received_at=FRIDAY_EVENING, now=LOADED_AT,
                             uploaded_by=w.akimat_b)
    w.good_b = good_b
    return w


def test_batch_list_is_scoped_and_carries_the_upload_clock(session, world):
    mine = list_batches(session, world.akimat_a, TODAY)
    assert [b.id for b in mine.rows] == [world.result_a.batch_id] and mine.total == 1
    batch = mine.rows[0]
    assert (batch.status, batch.rows_total, batch.rows_loaded, batch.rows_invalid) == ("loaded", 6, 4, 2)
    assert batch.registration_date == date(2026, 3, 10)
    assert batch.due_date == date(2026, 3, 12)  # 2 working days after the registration day
    assert batch.stopped_on == date(2026, 3, 11) and batch.timing == "on_time" and batch.days_left is None
    assert batch.uploaded_by == world.akimat_a.full_name and batch.akimat_kato == world.a.kato

    staff = list_batches(session, world.reviewer, TODAY, akimat_id=world.b.id)
    assert [b.id for b in staff.rows] == [world.result_b.batch_id]
    both = {b.id for b in list_batches(session, world.manager, TODAY, limit=1000).rows}
    assert {world.result_a.batch_id, world.result_b.batch_id} <= both
    assert list_batches(session, world.akimat_a, TODAY, status="rejected").total == 0


def test_another_akimats_batch_reads_as_missing(session, world):
    assert get_batch(session, world.akimat_a, world.result_a.batch_id, TODAY) is not None
    assert get_batch(session, world.akimat_a, world.result_b.batch_id, TODAY) is None
    assert get_batch(session, world.akimat_b, str(world.result_b.batch_id), TODAY) is not None
    assert get_batch(session, world.reviewer, world.result_b.batch_id, TODAY) is not None
    for junk in ("", "abc", "1 OR 1=1", "-1", "9" * 40, None):
        assert get_batch(session, world.manager, junk, TODAY) is None
    nobody = make_user(session, "akimat")  # an akimat user without an akimat sees nothing
    assert list_batches(session, nobody, TODAY).total == 0


def test_running_clock_days_left_and_overdue(session, world, tmp_path):
    rows = [kk_row(person(), 1)]
    path = write_xlsx(tmp_path / "pending.xlsx", rows)
    pending = import_list(session, path, akimat=world.a.kato, received_at=FRIDAY_EVENING, now=LOADED_AT,
                          validate_only=True)
    batch = get_batch(session, world.akimat_a, pending.batch_id, date(2026, 3, 11))
    assert batch.status == "validated" and batch.clock_running
    assert (batch.timing, batch.days_left) == ("open", 1)  # Wed 11.03 -> Thu 12.03
    assert get_batch(session, world.akimat_a, pending.batch_id, date(2026, 3, 12)).days_left == 0
    late = get_batch(session, world.akimat_a, pending.batch_id, date(2026, 3, 16))
    assert (late.timing, late.days_left) == ("overdue", -2)  # Fri 13.03 and Mon 16.03


def test_late_load_and_rejected_file(session, world, tmp_path):
    path = write_xlsx(tmp_path / "late.xlsx", [kk_row(person(), 1)])
    late = import_list(session, path, akimat=world.a.kato, received_at=FRIDAY_EVENING,
                       now=local(2026, 3, 13, 11, 0))
    batch = get_batch(session, world.akimat_a, late.batch_id, TODAY)
    assert (batch.timing, batch.stopped_on) == ("late", date(2026, 3, 13))
    junk = tmp_path / "notes.xlsx"
    junk.write_bytes(b"This is a letter, not a spreadsheet.\n" * 20)
    rejected = import_list(session, junk, akimat=world.a.kato, received_at=FRIDAY_EVENING, now=LOADED_AT)
    batch = get_batch(session, world.akimat_a, rejected.batch_id, TODAY)
    assert batch.status == "rejected" and batch.error_code and batch.timing is None and batch.due_date is None
    again = import_list(session, world.file_a, akimat=world.a.kato, now=LOADED_AT)
    batch = get_batch(session, world.akimat_a, again.batch_id, TODAY)
    assert (batch.error_code, batch.duplicate_of_id) == ("duplicate_file", world.result_a.batch_id)


def test_row_errors_in_both_languages(session, world):
    kk, total = batch_errors(session, world.result_a.batch_id, "kk")
    ru, _ = batch_errors(session, world.result_a.batch_id, "ru")
    assert total == 2 and [e.code for e in kk] == ["iin_checksum", "phone_invalid"]
    assert [e.row for e in kk] == [8, 9]  # title, empty row, header (row 3); data rows 4-9
    assert kk[0].column == "ЖСН" and "бақылау" in kk[0].message
    assert "контрольн" in ru[0].message.lower() and kk[1].message != ru[1].message
    few, total = batch_errors(session, world.result_a.batch_id, "kk", limit=1)
    assert len(few) == 1 and total == 2


def test_upload_target_rules(session, world):
    assert upload_target(session, world.akimat_a, "").id == world.a.id
    assert upload_target(session, world.akimat_a, str(world.a.id)).id == world.a.id
    with pytest.raises(ListPageError) as refused:
        upload_target(session, world.akimat_a, str(world.b.id))
    assert refused.value.code == "other_akimat"
    assert "өз әкімдігіңіз" in refused.value.message("kk") and "свой акимат" in refused.value.message("ru")
    assert upload_target(session, world.admin, str(world.b.id)).id == world.b.id
    for value, code in (("", "akimat_required"), ("99999999", "unknown_akimat"), ("x'; DROP", "unknown_akimat")):
        with pytest.raises(ListPageError) as exc:
            upload_target(session, world.admin, value)
        assert exc.value.code == code
    with pytest.raises(ListPageError) as exc:
        upload_target(session, world.reviewer, str(world.a.id))
    assert exc.value.code == "forbidden"
    assert [a[0] for a in upload_akimats(session, world.akimat_a)] == [world.a.id]
    assert world.b.id in [a[0] for a in upload_akimats(session, world.admin)]
    assert upload_akimats(session, world.reviewer) == []


def test_sent_time_is_read_and_checked():
    now = local(2026, 3, 11, 12, 0)
    assert parse_sent_at("09.03.2026 12:30", now) == local(2026, 3, 9, 12, 30)
    assert parse_sent_at(" 09.03.2026 ", now) == local(2026, 3, 9, 9, 30)
    assert parse_sent_at("11.03.2026", now) == local(2026, 3, 11, 12, 0)
    for text, code in (("", "sent_required"), ("32.03.2026 10:00", "sent_format"), ("soon", "sent_format"),
                       ("12.03.2026 09:00", "sent_future")):
        with pytest.raises(ListPageError) as exc:
            parse_sent_at(text, now)
        assert exc.value.code == code
        assert exc.value.message("kk") != exc.value.message("ru")
        assert "listpage." not in exc.value.message("ru")


def test_mark_notified_starts_the_fifteen_day_window(session, world):
    now = local(2026, 3, 11, 12, 0)
    batch_id = world.result_a.batch_id
    with pytest.raises(ListPageError) as exc:
        mark_notified(session, world.akimat_a, batch_id, "09.03.2026 12:00", now=now, today=TODAY)
    assert exc.value.code == "forbidden"
    with pytest.raises(ListPageError) as exc:
        mark_notified(session, world.reviewer, batch_id, "06.03.2026 10:00", now=now, today=TODAY)
    assert exc.value.code == "sent_before_received"
    assert all(r.status == "listed" for r in session.scalars(select(Recipient).where(Recipient.batch_id == batch_id)))

    result = mark_notified(session, world.reviewer, batch_id, "09.03.2026 12:00", now=now, today=TODAY, ip="10.0.0.7")
    assert result.count == 4 and not result.skipped
    # 15 calendar days from Mon 09.03 is Tue 24.03, a Nauryz day off (21-25 March), so the term
    # ends on the next working day, Thu 26.03.
    cal = load_calendar(session)
    assert not cal.is_working_day(date(2026, 3, 24)) and cal.is_working_day(date(2026, 3, 26))
    for rid in result.notified:
        assert window_due(session, rid) == date(2026, 3, 26)
    rows, counts = batch_recipients(session, world.reviewer, batch_id)
    assert counts == {"listed": 0, "notified": 4, "applied": 0, "expired": 0}
    assert {r.window_due for r in rows} == {date(2026, 3, 26)}
    assert {r.notified_at for r in rows} == {local(2026, 3, 9, 12, 0)}
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "recipients_notified",
                                                     AuditEntry.entity_id == str(batch_id))).one()
    assert entry.actor_id == world.reviewer.id and entry.ip == "10.0.0.7" and parse_message(entry.detail)[1]["notified"] == 4
    with pytest.raises(ListPageError) as exc:
        mark_notified(session, world.reviewer, batch_id, "10.03.2026 12:00", now=now, today=TODAY)
    assert exc.value.code == "nothing_to_notify"
    with pytest.raises(ListPageError) as exc:  # an akimat user's scope: the other batch does not exist
        mark_notified(session, make_user(session, "reviewer"), 10**9, "10.03.2026 12:00", now=now, today=TODAY)
    assert exc.value.code == "no_batch"


# -- the recipients grid ----------------------------------------------------------------------------
def ids_of(block) -> list[int]:
    return [r.id for r in block.rows]


def test_recipients_are_scoped_and_masked(session, world):
    mine = fetch_block(session, world.akimat_a, TODAY, RecipientFilters(), 0, 500)
    own = {r.id for r in session.scalars(select(Recipient).where(Recipient.akimat_id == world.a.id))}
    assert set(ids_of(mine)) == own and mine.count == len(own) == 4
    staff = fetch_block(session, world.manager, TODAY, RecipientFilters(batch_id=world.result_b.batch_id), 0, 50)
    assert staff.count == 2 and {r.full_name.split()[0] for r in staff.rows} == {"Ахметова"}
    # an akimat user's akimat filter cannot widen their scope
    wide = fetch_block(session, world.akimat_a, TODAY, RecipientFilters(akimat_id=world.b.id), 0, 50)
    assert set(ids_of(wide)) == own
    iins = {p["iin"] for p in world.good_a}
    for user in (world.akimat_a, world.reviewer, world.admin):
        block = fetch_block(session, user, TODAY, RecipientFilters(batch_id=world.result_a.batch_id), 0, 50)
        shown = {r.iin for r in block.rows}
        assert shown == (iins if can(user, "iin.read") else {mask_iin(i) for i in iins}), user.role


def test_recipient_quick_filters(session, world):
    batch = world.result_a.batch_id
    by_name = fetch_block(session, world.reviewer, TODAY, RecipientFilters(batch_id=batch, q="ахмет"), 0, 50)
    assert sorted(r.full_name.split()[0] for r in by_name.rows) == ["Ахметов", "ахметжанов"]
    iin = world.good_a[1]["iin"]
    by_iin = fetch_block(session, world.reviewer, TODAY, RecipientFilters(q=iin[:8]), 0, 50)
    assert iin in {r.iin for r in by_iin.rows}
    filters, bad = parse_filters({"status": "notified,bogus", "batch": "12a", "akimat": "7", "q": " a\x00b "})
    assert filters == RecipientFilters(("notified",), 7, None, "a b") and bad == ["status", "batch"]
    mark_notified(session, world.reviewer, batch, "09.03.2026 12:00", now=local(2026, 3, 11, 12), today=TODAY)
    notified = fetch_block(session, world.reviewer, date(2026, 3, 20), RecipientFilters(("notified",), None, batch),
                           0, 50)
    assert notified.count == 4 and {r.days_left for r in notified.rows} == {6}
    assert fetch_block(session, world.reviewer, TODAY, RecipientFilters(("listed",), None, batch), 0, 50).count == 0


def test_recipient_column_filters_and_sort(session, world, tmp_path):
    batch = world.result_a.batch_id
    base = RecipientFilters(batch_id=batch)
    contains = fetch_block(session, world.reviewer, TODAY, base, 0, 50, None,
                           {"full_name": {"filterType": "text", "type": "contains", "filter": "ЕКОВ"}})
    assert [r.full_name.split()[0] for r in contains.rows] == ["Бекова"]
    hostile = fetch_block(session, world.reviewer, TODAY, base, 0, 50, None,
                          {"full_name": {"filterType": "text", "type": "equals", "filter": "x' OR '1'='1"}})
    assert hostile.count == 0 and hostile.rows == []
    # half of the batch notified: the window due date sorts (empty last either way) and filters
    first_two = sorted(r.id for r in session.scalars(select(Recipient).where(Recipient.batch_id == batch)))[:2]
    from data.recipients import notify_recipients

    notify_recipients(session, recipient_ids=[first_two[0]], sent_at=local(2026, 3, 9, 12, 0))
    notify_recipients(session, recipient_ids=[first_two[1]], sent_at=local(2026, 3, 13, 12, 0))  # due 30.03
    asc = fetch_block(session, world.reviewer, TODAY, base, 0, 50, [{"colId": "window_due", "sort": "asc"}])
    desc = fetch_block(session, world.reviewer, TODAY, base, 0, 50, [{"colId": "window_due", "sort": "desc"}])
    dues_asc = [r.window_due for r in asc.rows]
    assert dues_asc[:2] == sorted(dues_asc[:2]) and dues_asc[2:] == [None, None]
    assert [r.window_due for r in desc.rows][2:] == [None, None]
    assert [r.window_due for r in desc.rows][:2] == sorted(dues_asc[:2], reverse=True)
    due = window_due(session, first_two[0])
    on_day = fetch_block(session, world.reviewer, TODAY, base, 0, 50, None,
                         {"window_due": {"filterType": "date", "type": "equals", "dateFrom": f"{due} 00:00:00"}})
    assert ids_of(on_day) == [first_two[0]]
    notified_only = {"window_due": {"filterType": "date", "type": "notBlank"}}
    later = fetch_block(session, world.reviewer, TODAY, base, 1, 2, None, notified_only)  # counted, not read
    assert later.count == 2 and len(later.rows) == 1
    assert fetch_block(session, world.reviewer, TODAY, base, 1, 2).count == 4
    by_name = fetch_block(session, world.reviewer, TODAY, base, 0, 50, [{"colId": "full_name", "sort": "asc"}])
    assert [r.full_name for r in by_name.rows] == sorted(r.full_name for r in by_name.rows)
    paged = [fetch_block(session, world.reviewer, TODAY, base, s, s + 2, [{"colId": "full_name", "sort": "asc"}])
             for s in (0, 2)]
    assert ids_of(paged[0]) + ids_of(paged[1]) == ids_of(by_name) and paged[1].count == 4


@pytest.mark.parametrize("sort_model, filter_model", [
    ([{"colId": "iin; DROP TABLE recipients", "sort": "asc"}], None),
    ([{"colId": "full_name", "sort": "sideways"}], None),
    (None, {"category": {"filterType": "text", "type": "contains", "filter": "x"}}),
    (None, {"full_name": {"filterType": "text", "type": "regex", "filter": "x"}}),
    (None, {"window_due": {"filterType": "date", "type": "equals", "dateFrom": "yesterday"}}),
    (None, "not an object"),
])
def test_recipient_grid_refuses_what_it_does_not_offer(session, world, sort_model, filter_model):
    with pytest.raises(GridRequestError):
        fetch_block(session, world.reviewer, TODAY, RecipientFilters(), 0, 50, sort_model, filter_model)


def test_iin_column_filter_only_for_users_who_read_iins(session, world):
    iin = world.good_a[0]["iin"]
    model = {"iin": {"filterType": "text", "type": "equals", "filter": iin}}
    assert ids_of(fetch_block(session, world.manager, TODAY, RecipientFilters(), 0, 50, None, model)) != []
    masked = next((u for u in (world.admin, world.akimat_a, world.reviewer) if not can(u, "iin.read")), None)
    if masked is None:  # every role here reads IINs: build one that does not
        masked = make_user(session, "akimat", world.a)
        masked.role = "nobody-reads"  # no permissions at all
    with pytest.raises(GridRequestError):
        fetch_block(session, masked, TODAY, RecipientFilters(), 0, 50, None, model)


def test_every_string_has_both_languages():
    from data.i18n import list_pages

    for key, value in list_pages.STRINGS.items():
        assert value.get("kk") and value.get("ru"), key
        assert catalogue()[key] is value
