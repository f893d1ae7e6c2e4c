"""The deadlines board (data/queries/deadlines.py, callbacks/deadlines.py): counts per kind of
deadline and bucket, and the most urgent items, checked against a Python computation over the
clocks of the module's own demo database, for every scope and role; the window around Nauryz;
the callback in both languages.
"""
from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import Forbidden

from data.clocks import load_calendar, load_context, start_clock
from data.config import LOCAL_TZ
from data.models import Application, Clock, Complaint, ListBatch, Recipient, User
from data.queries import deadlines as q
from tests.module_db import engine_of, load_demo, module_database, rolled_back_session
from tests.signin import signed_in as shared_signed_in

TODAY = date(2026, 3, 20)  # a Friday; 21-25 March are days off (Nauryz and the moved days)
N = 600
SEED = 11


@pytest.fixture(scope="module")
def board_url(tmp_path_factory):
    with module_database(tmp_path_factory, "deadlines") as url:
        load_demo(url, N, seed=SEED, today=TODAY, chunk_size=300)
        yield url


@pytest.fixture(scope="module")
def board_engine(board_url):
    with engine_of(board_url) as eng:
        yield eng


@pytest.fixture
def db(board_engine):
    with rolled_back_session(board_engine) as sess:
        yield sess


@dataclass
class World:
    clocks: list
    apps: dict
    complaints: dict
    batches: dict
    recipients: dict
    users: dict
    cal: object

    def user(self, username: str) -> User:
        return next(u for u in self.users.values() if u.username == username)

    def department(self, user: User) -> set[int]:
        if not user.department:
            return {user.id}
        return {u.id for u in self.users.values() if u.department == user.department}

    def app_visible(self, app, user: User) -> bool:
        if user.role in ("manager", "admin"):
            return True
        if user.role != "reviewer":
            return False
        return app.reviewer_id is None or app.reviewer_id == user.id or app.reviewer_id in self.department(user)

    def subject(self, clock) -> tuple[str, int]:
        for name, column in (("application", "application_id"), ("complaint", "complaint_id"),
                             ("batch", "batch_id"), ("recipient", "recipient_id")):
            if getattr(clock, column) is not None:
                return name, getattr(clock, column)
        raise AssertionError(clock.id)

    def counts(self, clock, user: User, scope: str) -> bool:
        """Is this clock's item on the user's board in this scope (the access rules, written out)?"""
        kind, ident = self.subject(clock)
        if kind == "application":
            app = self.apps[ident]
            if not self.app_visible(app, user):
                return False
            owner = app.reviewer_id
        elif kind == "complaint":
            c = self.complaints[ident]
            if user.role == "reviewer":
                app = self.apps.get(c.application_id)
                if not (c.responsible_id in (None, user.id) or (app is not None and self.app_visible(app, user))):
                    return False
            elif user.role not in ("manager", "admin"):
                return False
            owner = c.responsible_id
        else:
            if scope != "all":
                return False
            if kind == "batch" and user.role == "akimat":
                return self.batches[ident].akimat_id == user.akimat_id
            return user.role in ("reviewer", "manager", "admin")
        if scope == "me":
            return owner == user.id
        if scope == "team":
            return owner in self.department(user)
        return True

    def expected(self, user: User, scope: str, window: q.Window, bucket: str | None = None):
        rows = []
        for c in self.clocks:
            if c.stopped_at is not None or c.paused_since is not None or c.due_date is None:
                continue
            which = window.bucket(c.due_date)
            if which is None or (bucket and which != bucket) or not self.counts(c, user, scope):
                continue
            rows.append((q.group_of(c.policy_code), which, c))
        return rows


@pytest.fixture(scope="module")
def world(board_engine) -> World:
    with Session(board_engine) as s:
        w = World(list(s.scalars(select(Clock))), {a.id: a for a in s.scalars(select(Application))},
                  {c.id: c for c in s.scalars(select(Complaint))}, {b.id: b for b in s.scalars(select(ListBatch))},
                  {r.id: r for r in s.scalars(select(Recipient))}, {u.id: u for u in s.scalars(select(User))},
                  load_calendar(s))
        s.expunge_all()
    return w


def window(world) -> q.Window:
    return q.board_window(TODAY, world.cal)


def test_the_window_skips_nauryz(world):
    w = window(world)
    assert w.tomorrow == date(2026, 3, 26)  # Sat, Sun, then 23-25 March off
    assert w.week_end == date(2026, 4, 1)  # 26, 27, 30, 31 March, 1 April
    assert [w.bucket(d) for d in (date(2026, 3, 19), TODAY, date(2026, 3, 21), date(2026, 3, 26),
                                  date(2026, 3, 27), date(2026, 4, 1), date(2026, 4, 2))] == \
        ["overdue", "today", "tomorrow", "tomorrow", "week", "week", None]
    monday = q.board_window(date(2026, 3, 30), world.cal)
    assert (monday.tomorrow, monday.week_end) == (date(2026, 3, 31), date(2026, 4, 6))


def test_the_demo_data_fills_the_board(world):
    manager = world.user("manager01")
    rows = world.expected(manager, "all", window(world))
    groups = {(g, b) for g, b, _c in rows}
    assert {g for g, _b in groups} >= {"reviews", "revisions", "complaints", "sms"}
    assert {b for _g, b in groups} >= {"overdue", "tomorrow", "week"}


CASES = [("manager01", "all"), ("manager01", "me"), ("admin", "all"), ("reviewer01", "me"), ("reviewer01", "team"),
         ("reviewer01", "all"), ("reviewer07", "team"), ("reviewer11", "all")]


@pytest.mark.parametrize("username,scope", CASES + [("busiest", "me"), ("busiest", "team")])
def test_counts_and_top_items_match_python(db, world, username, scope):
    user = busiest_reviewer(world) if username == "busiest" else world.user(username)
    board = q.deadline_board(db, user, scope, TODAY, world.cal)
    rows = world.expected(user, scope, window(world))
    expected: dict[str, dict[str, int]] = {}
    for group, bucket, _c in rows:
        expected.setdefault(group, {}).setdefault(bucket, 0)
        expected[group][bucket] += 1
    assert board.counts == expected
    for group in board.groups():
        mine = sorted(((c.due_date, *world.subject(c), c.policy_code) for g, _b, c in rows if g == group))
        got = [(i.due_date, i.subject, i.subject_id, i.policy) for i in board.items.get(group, [])]
        assert got == mine[:q.TOP], group
        assert board.group_total(group) == len(mine)
    if scope == "me" and username == "manager01":
        assert board.counts == {}


def busiest_reviewer(world) -> User:
    reviewers = [u for u in world.users.values() if u.role == "reviewer"]
    return max(reviewers, key=lambda u: (len(world.expected(u, "me", window(world))), -u.id))


def test_reviewer_scopes_nest(db, world):
    user = busiest_reviewer(world)
    totals = {scope: sum(q.deadline_board(db, user, scope, TODAY, world.cal).group_total(g)
                         for g in [n for n, _c in q.GROUPS] + [q.OTHER]) for scope in q.SCOPES}
    assert 0 < totals["me"] < totals["team"] < totals["all"]


def test_one_bucket(db, world):
    manager = world.user("manager01")
    for bucket in q.BUCKETS:
        board = q.deadline_board(db, manager, "all", TODAY, world.cal, bucket=bucket)
        rows = world.expected(manager, "all", window(world), bucket)
        assert sum(board.group_total(g) for g in board.groups()) == len(rows)
        assert all(i.bucket == bucket for items in board.items.values() for i in items)
        assert all(set(per) <= {bucket} for per in board.counts.values())


def test_paused_and_stopped_clocks_are_left_out_and_lists_appear(db, world):
    manager = world.user("manager01")
    before = q.deadline_board(db, manager, "all", TODAY, world.cal)
    ctx = load_context(db)
    batch = ListBatch(akimat_id=next(iter(world.batches.values())).akimat_id, file_name="тізім-наурыз.xlsx",
                      sha256="f" * 64, status="received", registration_date=TODAY,
                      received_at=datetime(2026, 3, 19, 11, 0, tzinfo=LOCAL_TZ))
    db.add(batch)
    db.flush()
    clock = start_clock(db, ctx, batch, "list_upload", batch.received_at)
    db.flush()
    assert clock.due_date == date(2026, 3, 26)  # 2 working days: Fri 20.03, Thu 26.03
    after = q.deadline_board(db, manager, "all", TODAY, world.cal)
    assert after.counts["list_uploads"].get("tomorrow", 0) == before.counts.get("list_uploads", {}).get("tomorrow",
                                                                                                      0) + 1
    item = next(i for i in after.items["list_uploads"] if i.subject_id == batch.id)
    assert (item.title, item.href, item.days_wd, item.days_cd) == ("тізім-наурыз.xlsx", f"/lists/{batch.id}", 1, 6)
    clock.paused_since = TODAY
    db.flush()
    assert q.deadline_board(db, manager, "all", TODAY, world.cal).counts == before.counts
    clock.paused_since = None
    clock.stopped_at = datetime(2026, 3, 20, 10, 0, tzinfo=LOCAL_TZ)
    db.flush()
    assert q.deadline_board(db, manager, "all", TODAY, world.cal).counts == before.counts
    # an akimat uploader holds no deadlines.read, but the scoping still keeps to their akimat
    assert q.deadline_board(db, world.user("akimat_astana"), "all", TODAY, world.cal).counts.get("reviews") is None


def test_links_point_at_each_kind_of_item(db, world):
    board = q.deadline_board(db, world.user("manager01"), "all", TODAY, world.cal)
    hrefs = {i.subject: i.href for items in board.items.values() for i in items}
    assert hrefs["application"].startswith("/applications/")
    assert hrefs["complaint"].startswith("/complaints/")
    assert hrefs["recipient"].startswith("/recipients?id=")
    for items in board.items.values():
        for i in items:
            if i.subject == "application":
                app = world.apps[i.subject_id]
                assert i.title == (app.registration_number or f"#{app.id}") and i.subtitle == app.applicant_name
                assert i.responsible == (world.users[app.reviewer_id].full_name if app.reviewer_id else None)


# -- the callback ---------------------------------------------------------------------------------------
@pytest.fixture
def signed_in(board_url, board_engine, monkeypatch):
    import callbacks.deadlines as cb

    monkeypatch.setenv("DATABASE_URL", board_url)
    monkeypatch.setattr(cb, "today_local", lambda: TODAY)
    with ExitStack() as requests:
        def enter(username: str = "manager01", lang: str = "kk") -> User:
            with Session(board_engine) as s:
                user = s.scalar(select(User).where(User.username == username))
                s.expunge(user)
            requests.enter_context(shared_signed_in(user, lang, path="/deadlines", method="GET"))
            return user

        yield enter


def _texts(node) -> list[str]:
    out = []
    if isinstance(node, (list, tuple)):
        for child in node:
            out.extend(_texts(child))
    elif isinstance(node, str):
        out.append(node)
    elif node is not None and hasattr(node, "children"):
        out.extend(_texts(node.children))
    return out


def test_the_board_in_kazakh_and_russian(signed_in, world):
    import callbacks.deadlines as cb

    user = signed_in("manager01", "kk")
    cards, board, as_of = cb.fill_board("all", "all")
    rows = world.expected(user, "all", window(world))
    overdue = sum(1 for _g, b, _c in rows if b == "overdue")
    texts = _texts(cards)
    assert texts[:2] == ["Мерзімі өткен", f"{overdue:,}".replace(",", "\u00a0")]
    assert "Келесі жұмыс күні" in texts  # Friday before Nauryz: the next working day is Thursday
    assert as_of == "20.03.2026 жағдай бойынша"
    words = " ".join(_texts(board))
    assert "Өтінімдерді қарау" in words and "Шағымдар" in words and "26.03.2026" in words
    assert "кешікті" in words
    signed_in("manager01", "ru")
    cards, board, as_of = cb.fill_board("all", "overdue")
    words = " ".join(_texts(board))
    assert as_of == "По состоянию на 20.03.2026"
    assert "Рассмотрение заявок" in words and "просрочено" in words and "Мерзімі" not in words
    assert "Следующий рабочий день" in words  # the window note names the bucket


def test_empty_boards_say_what_to_do(signed_in):
    import callbacks.deadlines as cb

    signed_in("manager01", "kk")
    _cards, board, _ = cb.fill_board("me", "all")
    assert "«Менің бөлімім» немесе «Барлығы» таңдаңыз" in " ".join(_texts(board))
    signed_in("manager01", "ru")
    _cards, board, _ = cb.fill_board("me", "all")
    assert "выберите «Мой отдел» или «Все»" in " ".join(_texts(board))


def test_the_board_is_refused_without_the_permission(signed_in):
    import callbacks.deadlines as cb
    import pages.deadlines as page

    signed_in("akimat_almaty", "kk")
    with pytest.raises(Forbidden):
        cb.fill_board("all", "all")
    assert "құқығыңыз жоқ" in str(page.layout())


def test_the_page_picks_the_scope_by_role(signed_in):
    import pages.deadlines as page
    from callbacks.ids import Deadlines as ids

    signed_in("reviewer01")
    assert _value(page.layout(), ids.SCOPE) == "me"
    signed_in("manager01")
    assert _value(page.layout(), ids.SCOPE) == "all"
    assert _value(page.layout(scope="team", bucket="today"), ids.BUCKET) == "today"
    assert _value(page.layout(scope="nonsense"), ids.SCOPE) == "all"


def _value(tree, ident):
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
        elif node is not None and not isinstance(node, (str, int, float)):
            if getattr(node, "id", None) == ident:
                return node.value
            stack.append(getattr(node, "children", None))
    raise AssertionError(ident)


def test_days_in_items_count_working_days_around_nauryz(db, world):
    board = q.deadline_board(db, world.user("manager01"), "all", TODAY, world.cal)
    for items in board.items.values():
        for i in items:
            assert i.days_cd == (i.due_date - TODAY).days
            assert i.days_wd == world.cal.working_days_between(TODAY, i.due_date)
            assert i.bucket == window(world).bucket(i.due_date)
    assert any(i.bucket == "tomorrow" and i.days_wd == 1 and i.days_cd >= 1
               for items in board.items.values() for i in items)
