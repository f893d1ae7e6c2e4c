"""The registry (data/queries/registry.py, callbacks/registry.py, pages/registry.py): every URL
filter, every column filter of the grid and every sort is checked against an independent
Python computation over the module's own database (demo data for a fixed ``today`` plus
hand-made rows with awkward text); injection attempts; scope and IIN masking; the callbacks.

Callbacks open their own sessions, so the module has a database of its own (a SQLite file, or a
scratch PostgreSQL schema when DATABASE_URL names PostgreSQL) and points DATABASE_URL at it.
"""
from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from werkzeug.exceptions import Forbidden

from data.access import PERMISSIONS
from data.deadlines import days_left
from data.models import Akimat, Application, User
from data.queries import registry as r
from data.statuses import WORKFLOWS
from tests.module_db import engine_of, load_demo, module_database, rolled_back_session
from tests.signin import signed_in as shared_signed_in

TODAY = date(2026, 3, 19)  # a Thursday; 21-25 March are Nauryz days off
N = 700
SEED = 7

# Hand-made rows: names, numbers and contracts with characters that matter to SQL and to
# spreadsheets. (name, registration number, contract number, IIN, BIN)
AWKWARD = [
    ("%Процент Құрылыс ЖШС", "%-2026-1", "=HYPERLINK(\"http://x\")", None, "260140000001"),
    ("_Астыңғы сызық", "_-2026-2", "+77011234567", "800101300011", None),
    ("O'Brien Patrick", "КР-2026-X'1", "-5", "800101300022", None),
    ("ӘЛІМЖАНОВ ДӘУРЕН", "кр-2026-lower", "@SUM(A1)", "800101300033", None),
    ("әлімжанова Әсем", "ЖА-2026-ӘӘӘ", "\tTAB", "800101300044", None),
    ("Back\\slash Тест", "BS\\2026", "\rCR", "800101300055", None),
    ("' OR 1=1 -- Жолы", "' OR 1=1 --", "Ш-1; DROP TABLE applications; --", "800101300066", None),
    ("Эмодзи 😀 Айгүл", "EMO-😀", "ҮҚШ-😀/1", "800101300077", None),
]


# -- the module's database --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def registry_url(tmp_path_factory):
    with module_database(tmp_path_factory, "registry") as url:
        load_demo(url, N, seed=SEED, today=TODAY, chunk_size=350)
        with engine_of(url) as eng, Session(eng) as s:
            astana = s.scalar(select(Akimat).where(Akimat.kato == "710000000"))
            reviewer = s.scalar(select(User).where(User.username == "reviewer01"))
            for i, (name, number, contract, iin, bin_) in enumerate(AWKWARD):
                s.add(Application(kind="correction" if bin_ else "rent_to_own",
                                  status="under_review", is_open=True, registration_number=number,
                                  registration_date=TODAY - timedelta(days=i), applicant_name=name, applicant_iin=iin,
                                  applicant_bin=bin_, akimat_id=astana.id, reviewer_id=reviewer.id if i % 2 else None,
                                  contract_number=contract, current_due_date=TODAY + timedelta(days=i - 3),
                                  current_policy="ktk_review"))
            s.commit()
        yield url


@pytest.fixture(scope="module")
def registry_engine(registry_url):
    with engine_of(registry_url) as eng:
        yield eng


@pytest.fixture
def db(registry_engine):
    with rolled_back_session(registry_engine) as sess:
        yield sess


@dataclass
class World:
    """Everything in the database, in Python, and the registry's rules written out again."""

    apps: list
    users: dict
    akimats: dict  # id -> (kato, parent id)
    ctx: r.QueryContext  # of a manager (calendar and policies)

    def user(self, username: str) -> User:
        return next(u for u in self.users.values() if u.username == username)

    def subtree(self, kato: str) -> set[int]:
        root = next((i for i, (k, _p) in self.akimats.items() if k == kato), None)
        out = {root} if root is not None else set()
        changed = True
        while changed:
            changed = False
            for i, (_k, parent) in self.akimats.items():
                if parent in out and i not in out:
                    out.add(i)
                    changed = True
        return out

    def visible(self, app, user: User) -> bool:
        if user.role in ("manager", "admin"):
            return True
        if user.role != "reviewer":
            return False
        colleagues = {u.id for u in self.users.values() if user.department and u.department == user.department}
        return app.reviewer_id is None or app.reviewer_id == user.id or app.reviewer_id in colleagues

    def due_soon(self, app) -> bool:
        if not app.is_open or app.current_due_date is None or app.current_due_date < TODAY:
            return False
        warn = self.ctx.policies.in_force(app.current_policy, TODAY).warn_wd
        return app.current_due_date <= self.ctx.cal.add_working_days(TODAY, warn)

    def expected(self, params: dict, user: User, *, may_iin: bool = True) -> list:
        """The rows the documented URL parameters select, computed here without SQL."""
        rows = [a for a in self.apps if self.visible(a, user)]
        if params.get("kind"):
            kinds = set(params["kind"].split(","))
            rows = [a for a in rows if a.kind in kinds]
        if params.get("status"):
            wanted = params["status"].split(",")
            rows = [a for a in rows if a.status in wanted or f"{a.kind}:{a.status}" in wanted]
        if params.get("akimat"):
            keep = self.subtree(params["akimat"])
            rows = [a for a in rows if a.akimat_id in keep]
        reviewer = params.get("reviewer") or ("me" if params.get("mine") == "1" else None)
        if reviewer == "me":
            rows = [a for a in rows if a.reviewer_id == user.id]
        elif reviewer == "none":
            rows = [a for a in rows if a.reviewer_id is None]
        elif reviewer:
            rows = [a for a in rows if a.reviewer_id == int(reviewer)]
        state = params.get("state") or ("overdue" if params.get("overdue") == "1" else None)
        if state == "open":
            rows = [a for a in rows if a.is_open]
        elif state == "closed":
            rows = [a for a in rows if not a.is_open]
        elif state == "overdue":
            rows = [a for a in rows if a.is_open and a.current_due_date and a.current_due_date < TODAY]
        elif state == "due_soon":
            rows = [a for a in rows if self.due_soon(a)]
        for key, keep in (("from", lambda d, x: d >= x), ("to", lambda d, x: d <= x)):
            if params.get(key):
                bound = _day(params[key])
                rows = [a for a in rows if a.registration_date is not None and keep(a.registration_date, bound)]
        if params.get("q"):
            q = " ".join(params["q"].split())
            variants = {q, q.lower(), q.upper(), q[:1].upper() + q[1:].lower()}

            def hit(a) -> bool:
                fields = [a.registration_number, a.contract_number, a.applicant_name]
                if q.isdigit():
                    fields.append(a.applicant_bin)
                    if may_iin:
                        fields.append(a.applicant_iin)
                return any(f and any(f.startswith(v) for v in variants) for f in fields)

            rows = [a for a in rows if hit(a)]
        return rows


def _day(text_value: str) -> date:
    for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text_value, fmt).date()
        except ValueError:
            pass
    raise AssertionError(text_value)


@pytest.fixture(scope="module")
def world(registry_engine) -> World:
    with Session(registry_engine) as s:
        apps = list(s.scalars(select(Application)))
        users = {u.id: u for u in s.scalars(select(User))}
        akimats = {a.id: (a.kato, a.parent_id) for a in s.scalars(select(Akimat))}
        manager = next(u for u in users.values() if u.username == "manager01")
        ctx = r.query_context(s, manager, TODAY)
        s.expunge_all()
    return World(apps, users, akimats, ctx)


def context(world: World, db: Session, username: str) -> r.QueryContext:
    return r.query_context(db, world.user(username), TODAY)


def all_ids(db, ctx, filters, sort=None, filter_model=None, block=1000) -> list[int]:
    out: list[int] = []
    start = 0
    while True:
        got = r.page_ids(db, ctx, filters, start, start + block, sort or r.DEFAULT_SORT, filter_model)
        out.extend(got)
        if len(got) < min(block, r.MAX_BLOCK):
            return out
        start += len(got)


def test_the_data_is_rich_enough(world):
    apps = world.apps
    assert len(apps) >= N
    assert sum(1 for a in apps if a.is_open and a.current_due_date and a.current_due_date < TODAY) > 10
    assert sum(1 for a in apps if world.due_soon(a)) > 3
    assert sum(1 for a in apps if not a.is_open) > 20
    assert any(a.registration_date is None for a in apps)
    assert any(a.contract_number is None for a in apps) and any(a.contract_number for a in apps)
    assert len({a.akimat_id for a in apps}) > 5
    assert any(world.akimats[a.akimat_id][1] is not None for a in apps if a.akimat_id)  # districts


# -- URL filters ----------------------------------------------------------------------------------------
URL_CASES = [
    {},
    {"kind": "correction"},
    {"kind": "rent_to_own,correction"},
    {"status": "under_review"},
    {"status": "registered"},  # both kinds' "registered"
    {"status": "rent_to_own:registered"},
    {"status": "needs_revision,correction:sa_signed"},
    {"akimat": "710000000"},  # Astana with its districts
    {"akimat": "711410000"},  # one district
    {"akimat": "750000000", "state": "open"},
    {"reviewer": "none"},
    {"reviewer": "me"},
    {"mine": "1"},
    {"state": "open"},
    {"state": "closed"},
    {"state": "overdue"},
    {"overdue": "1"},
    {"state": "due_soon"},
    {"from": "01.01.2026"},
    {"to": "2025-06-30"},
    {"from": "01.02.2026", "to": "28.02.2026", "kind": "rent_to_own"},
    {"status": "under_review,needs_revision", "state": "overdue", "akimat": "710000000"},
    {"q": "КР-2026"},
    {"q": "кр-2026"},
    {"q": "ахмет"},
    {"q": "ӘЛІМЖАН"},
    {"q": "әлімжан"},
    {"q": "ЖА-2026-ӘӘ"},
    {"q": "ҮҚШ"},
    {"q": "ДДУ"},
    {"q": "8001013000"},
    {"q": "2601"},
    {"q": "O'Brien"},
]


@pytest.mark.parametrize("username", ["manager01", "reviewer01"])
@pytest.mark.parametrize("params", URL_CASES, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()) or "all")
def test_url_filters_match_python(db, world, params, username):
    ctx = context(world, db, username)
    params = dict(params)
    if params.get("reviewer") == "me" and username == "manager01":
        params["reviewer"] = str(world.user("reviewer01").id)
    filters, problems = r.parse_filters(params)
    assert problems == []
    expected = {a.id for a in world.expected(params, ctx.user)}
    assert set(all_ids(db, ctx, filters)) == expected
    assert r.count_rows(db, ctx, filters) == len(expected)


def test_the_filters_select_something(world):
    manager = world.user("manager01")
    empty = [p for p in URL_CASES if p and p.get("reviewer") != "me" and p.get("mine") != "1"
             and not world.expected(p, manager)]
    assert empty == [], "every case should select rows, or it proves little"


def test_every_status_code_of_every_kind_filters_exactly(db, world):
    ctx = context(world, db, "manager01")
    for kind in ("correction", "rent_to_own"):
        for status in WORKFLOWS[kind].statuses:
            params = {"status": f"{kind}:{status.code}"}
            filters, _ = r.parse_filters(params)
            assert r.count_rows(db, ctx, filters) == len(world.expected(params, ctx.user)), params


# -- sorting and paging -----------------------------------------------------------------------------------
SORT_FIELDS = {
    "registration_number": "registration_number",
    "registration_date": "registration_date",
    "kind": "kind",
    "applicant_name": "applicant_name",
    "due_date": "current_due_date",
    "days": "current_due_date",
    "contract_number": "contract_number",
}


def sort_value(a, field: str):
    """The value a row sorts by; a due date counts only while the application is open."""
    if field == "current_due_date" and not a.is_open:
        return None
    return getattr(a, field)


def python_order(rows, field: str, direction: str) -> list[int]:
    """Non-empty values in order (ties by id in the same direction), then the empty ones by id."""
    desc = direction == "desc"
    filled = [a for a in rows if sort_value(a, field) is not None]
    empty = [a for a in rows if sort_value(a, field) is None]
    key = (lambda a: (_sort_key(sort_value(a, field)), a.id))
    filled.sort(key=key, reverse=desc)
    empty.sort(key=lambda a: a.id, reverse=desc)
    return [a.id for a in filled + empty]


def _sort_key(value):
    # code point order, as SQLite's BINARY and PostgreSQL's C.UTF-8 collation compare text
    return value.encode("utf-8") if isinstance(value, str) else value


@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("col_id", list(SORT_FIELDS))
def test_sorts_and_pages_match_python(db, world, col_id, direction, registry_engine):
    if registry_engine.dialect.name == "postgresql":
        collation = db.execute(text("SELECT datcollate FROM pg_database WHERE datname = current_database()")).scalar()
        if collation not in ("C", "C.UTF-8", "C.utf8", "POSIX") and col_id in ("applicant_name", "registration_number",
                                                                             "contract_number"):
            pytest.fail(f"this check assumes code point collation; the test database uses {collation}")
    ctx = context(world, db, "manager01")
    filters = r.RegistryFilters()
    expected = python_order(world.expected({}, ctx.user), SORT_FIELDS[col_id], direction)
    # blocks of an odd size cross the boundary between filled and empty values
    assert all_ids(db, ctx, filters, (col_id, direction), block=37) == expected
    block = r.fetch_block(db, ctx, filters, 60, 90, [{"colId": col_id, "sort": direction}])
    assert [row.id for row in block.rows] == expected[60:90]


def test_sort_with_a_filter_and_deep_offset(db, world):
    ctx = context(world, db, "manager01")
    params = {"state": "open"}
    filters, _ = r.parse_filters(params)
    expected = python_order(world.expected(params, ctx.user), "current_due_date", "asc")
    assert len(expected) > 100
    got = r.fetch_block(db, ctx, filters, 100, 200, [{"colId": "due_date", "sort": "asc"}])
    assert [row.id for row in got.rows] == expected[100:200]
    assert got.count == (len(expected) if len(expected) < 200 else None)
    empty_start = sum(1 for a in world.expected(params, ctx.user)
                      if sort_value(a, "current_due_date") is not None)
    # a block that starts among the empty values (the first query finds nothing)
    tail = r.fetch_block(db, ctx, filters, empty_start + 1, empty_start + 4, [{"colId": "due_date", "sort": "asc"}])
    assert [row.id for row in tail.rows] == expected[empty_start + 1:empty_start + 4]


def test_url_sort_parameter_is_the_default_for_the_grid():
    assert r.sort_from_model(None, "-due_date") == ("due_date", "desc")
    assert r.sort_from_model(None, "applicant_name") == ("applicant_name", "asc")
    assert r.sort_from_model(None, None) == r.DEFAULT_SORT
    assert r.sort_from_model([{"colId": "kind", "sort": "asc"}], "-due_date") == ("kind", "asc")
    for bad in ([{"colId": "status", "sort": "asc"}], [{"colId": "kind", "sort": "up"}], ["kind"],
                [{"colId": "kind; DROP TABLE applications", "sort": "asc"}]):
        with pytest.raises(r.GridRequestError):
            r.sort_from_model(bad)


# -- the grid's column filters ----------------------------------------------------------------------------
def _variants(v: str) -> set[str]:
    v = " ".join(v.split())
    return {v, v.lower(), v.upper(), v[:1].upper() + v[1:].lower()}


def _text_pred(op: str, value: str):
    vs = _variants(value)
    return {
        "contains": lambda f: f is not None and any(v in f for v in vs),
        "notContains": lambda f: f is None or not any(v in f for v in vs),
        "equals": lambda f: f in vs,
        "notEqual": lambda f: f is None or f not in vs,
        "startsWith": lambda f: f is not None and any(f.startswith(v) for v in vs),
        "endsWith": lambda f: f is not None and any(f.endswith(v) for v in vs),
        "blank": lambda f: f is None or f == "",
        "notBlank": lambda f: f is not None and f != "",
    }[op]


def _app_field(a, col_id: str):
    if col_id == "applicant_id":
        return a.applicant_iin if a.applicant_iin is not None else a.applicant_bin
    if col_id == "due_date":
        return a.current_due_date
    return getattr(a, col_id)


TEXT_CASES = [
    ("applicant_name", "contains", "бек"),
    ("applicant_name", "notContains", "ов"),
    ("applicant_name", "startsWith", "ахмет"),
    ("applicant_name", "endsWith", "ҰЛЫ"),
    ("applicant_name", "equals", "O'Brien Patrick"),
    ("applicant_name", "equals", "әлімжанов дәурен"),
    ("applicant_name", "notEqual", "O'Brien Patrick"),
    ("registration_number", "startsWith", "жа-2025"),
    ("registration_number", "contains", "-2026-00001"),
    ("contract_number", "blank", None),
    ("contract_number", "notBlank", None),
    ("contract_number", "startsWith", "ҮҚШ-20"),
    ("contract_number", "contains", "DROP TABLE"),
    ("applicant_id", "startsWith", "80"),
    ("applicant_id", "endsWith", "01"),
    ("applicant_name", "contains", "%"),
    ("applicant_name", "contains", "_"),
    ("applicant_name", "startsWith", "' OR 1=1 --"),
    ("applicant_name", "contains", "\\"),
    ("applicant_name", "contains", "😀"),
]


@pytest.mark.parametrize("col_id,op,value", TEXT_CASES, ids=lambda x: str(x))
def test_text_column_filters_match_python(db, world, col_id, op, value):
    ctx = context(world, db, "manager01")
    model = {col_id: {"filterType": "text", "type": op, "filter": value}}
    pred = _text_pred(op, value or "")
    expected = {a.id for a in world.expected({}, ctx.user) if pred(_app_field(a, col_id))}
    got = set(all_ids(db, ctx, r.RegistryFilters(), filter_model=model))
    assert got == expected
    assert r.count_rows(db, ctx, r.RegistryFilters(), model) == len(expected)
    if op not in ("notContains", "notEqual", "blank"):
        assert expected, "the case should select rows"


DATE_CASES = [
    ("registration_date", {"type": "equals", "dateFrom": "2026-03-19 00:00:00"}, lambda d: d == date(2026, 3, 19)),
    ("registration_date", {"type": "notEqual", "dateFrom": "2026-03-19 00:00:00"},
     lambda d: d is None or d != date(2026, 3, 19)),
    ("registration_date", {"type": "lessThan", "dateFrom": "2025-06-01"},
     lambda d: d is not None and d < date(2025, 6, 1)),
    ("registration_date", {"type": "greaterThan", "dateFrom": "2026-03-01"},
     lambda d: d is not None and d > date(2026, 3, 1)),
    ("registration_date", {"type": "lessThanOrEqual", "dateFrom": "2025-06-01"},
     lambda d: d is not None and d <= date(2025, 6, 1)),
    ("registration_date", {"type": "greaterThanOrEqual", "dateFrom": "2026-03-01"},
     lambda d: d is not None and d >= date(2026, 3, 1)),
    ("registration_date", {"type": "inRange", "dateFrom": "2026-01-05 00:00:00", "dateTo": "2026-02-05 00:00:00"},
     lambda d: d is not None and date(2026, 1, 5) <= d <= date(2026, 2, 5)),
    ("registration_date", {"type": "blank"}, lambda d: d is None),
    ("due_date", {"type": "notBlank"}, lambda d: d is not None),
    ("due_date", {"type": "inRange", "dateFrom": "2026-03-26", "dateTo": "2026-03-19"},  # reversed bounds
     lambda d: d is not None and date(2026, 3, 19) <= d <= date(2026, 3, 26)),
]


@pytest.mark.parametrize("col_id,model,pred", DATE_CASES, ids=lambda x: str(x)[:40])
def test_date_column_filters_match_python(db, world, col_id, model, pred):
    ctx = context(world, db, "manager01")
    fm = {col_id: {"filterType": "date", **model}}
    expected = {a.id for a in world.expected({}, ctx.user) if pred(_app_field(a, col_id))}
    assert expected
    assert set(all_ids(db, ctx, r.RegistryFilters(), filter_model=fm)) == expected


def test_combined_conditions_and_several_columns(db, world):
    ctx = context(world, db, "manager01")
    rows = world.expected({}, ctx.user)
    model = {
        "applicant_name": {"filterType": "text", "operator": "OR", "conditions": [
            {"filterType": "text", "type": "startsWith", "filter": "ахмет"},
            {"filterType": "text", "type": "startsWith", "filter": "омар"}]},
        "registration_date": {"filterType": "date", "type": "greaterThanOrEqual", "dateFrom": "2025-09-01"},
    }
    a_, o_ = _text_pred("startsWith", "ахмет"), _text_pred("startsWith", "омар")
    expected = {a.id for a in rows if (a_(a.applicant_name) or o_(a.applicant_name))
                and a.registration_date is not None and a.registration_date >= date(2025, 9, 1)}
    assert expected
    assert set(all_ids(db, ctx, r.RegistryFilters(), filter_model=model)) == expected
    legacy = {"applicant_name": {"filterType": "text", "operator": "AND",
                                 "condition1": {"filterType": "text", "type": "contains", "filter": "ов"},
                                 "condition2": {"filterType": "text", "type": "notContains", "filter": "бек"}}}
    c_, n_ = _text_pred("contains", "ов"), _text_pred("notContains", "бек")
    expected = {a.id for a in rows if c_(a.applicant_name) and n_(a.applicant_name)}
    assert expected
    assert set(all_ids(db, ctx, r.RegistryFilters(), filter_model=legacy)) == expected
    # column filters and URL filters together
    filters, _ = r.parse_filters({"state": "open", "kind": "rent_to_own"})
    open_rent = {a.id for a in world.expected({"state": "open", "kind": "rent_to_own"}, ctx.user)}
    assert set(all_ids(db, ctx, filters, filter_model=legacy)) == open_rent & expected


@pytest.mark.parametrize("model", [
    {"status": {"filterType": "text", "type": "equals", "filter": "x"}},  # not a filterable column
    {"applicant_name; DROP TABLE applications": {"filterType": "text", "type": "equals", "filter": "x"}},
    {"applicant_name": {"filterType": "text", "type": "regexp", "filter": "x"}},
    {"applicant_name": {"filterType": "number", "type": "equals", "filter": 1}},
    {"applicant_name": {"filterType": "text", "type": "equals", "filter": {"$ne": 1}}},
    {"applicant_name": {"filterType": "text", "operator": "XOR", "conditions": []}},
    {"applicant_name": {"filterType": "text", "operator": "OR", "conditions": [
        {"filterType": "text", "type": "equals", "filter": "a"}] * 5}},
    {"registration_date": {"filterType": "date", "type": "equals", "dateFrom": "1 OR 1=1"}},
    {"registration_date": {"filterType": "date", "type": "startsWith", "dateFrom": "2026-01-01"}},
    {"applicant_name": "contains x"},
    ["applicant_name"],
])
def test_unknown_columns_operators_and_values_are_refused(db, world, model):
    ctx = context(world, db, "manager01")
    with pytest.raises(r.GridRequestError):
        r.count_rows(db, ctx, r.RegistryFilters(), model)


# -- injection attempts ----------------------------------------------------------------------------------
ATTACKS = ["' OR 1=1 --", "%", "_", "%%", "\\", "\\%", "'; DROP TABLE applications; --", "ӘЛІ", "😀", "a\x00b",
           "\" OR \"\"=\"", "*", "[", "?", "' UNION SELECT id FROM users --"]


@pytest.mark.parametrize("attack", ATTACKS)
def test_injection_attempts_in_every_filter_return_correct_results(db, world, attack):
    ctx = context(world, db, "manager01")
    # the search box: the text as such
    filters, _ = r.parse_filters({"q": attack})
    cleaned = " ".join(attack.replace("\x00", " ").split())
    expected = {a.id for a in world.expected({"q": cleaned}, ctx.user)}
    assert set(all_ids(db, ctx, filters)) == expected
    # the other URL parameters: refused as values, never as SQL
    filters, problems = r.parse_filters({"kind": attack, "status": attack, "akimat": attack, "reviewer": attack,
                                         "state": attack, "from": attack, "to": attack, "sort": attack})
    assert filters == r.RegistryFilters()
    assert {p.param for p in problems} >= {"kind", "status", "akimat", "reviewer", "state", "from", "sort"}
    # every text column filter with every operator
    for col_id in r.TEXT_COLUMNS:
        for op in ("contains", "startsWith", "endsWith", "equals", "notEqual", "notContains"):
            model = {col_id: {"filterType": "text", "type": op, "filter": attack}}
            pred = _text_pred(op, cleaned)
            if cleaned:
                want = {a.id for a in world.expected({}, ctx.user) if pred(_app_field(a, col_id))}
            else:
                want = {a.id for a in world.expected({}, ctx.user)}
            assert set(all_ids(db, ctx, r.RegistryFilters(), filter_model=model)) == want, (col_id, op)
    assert db.scalar(select(func.count()).select_from(Application)) == len(world.apps)


def test_literal_wildcards_find_only_literal_text(db, world):
    ctx = context(world, db, "manager01")
    for q, name in (("%", "%Процент Құрылыс ЖШС"), ("_", "_Астыңғы сызық"), ("' OR 1=1", "' OR 1=1 -- Жолы"),
                    ("back\\", "Back\\slash Тест"), ("Эмодзи 😀", "Эмодзи 😀 Айгүл")):
        filters, _ = r.parse_filters({"q": q})
        names = {row.applicant_name for row in r.fetch_block(db, ctx, filters, 0, 100).rows}
        assert names == {name}, q


# -- parsing the URL --------------------------------------------------------------------------------------
def test_parse_reads_every_parameter_and_round_trips():
    params = {"kind": "rent_to_own", "status": "under_review,rent_to_own:registered", "akimat": "710000000",
              "reviewer": "12", "state": "overdue", "from": "01.02.2026", "to": "2026-03-01", "q": "  Ахмет   Е ",
              "sort": "-due_date"}
    filters, problems = r.parse_filters(params)
    assert problems == []
    assert filters == r.RegistryFilters(("rent_to_own",), ("under_review", "rent_to_own:registered"), "710000000",
                                        "12", "overdue", date(2026, 2, 1), date(2026, 3, 1), "Ахмет Е", "-due_date")
    assert r.parse_filters(parse_qs(filters.query_string()))[0] == filters
    assert r.parse_filters({"overdue": "1", "mine": "1"})[0] == r.RegistryFilters(reviewer="me", state="overdue")
    assert r.parse_filters({"due_soon": "true"})[0].state == "due_soon"
    assert r.RegistryFilters().query_string() == "" and r.RegistryFilters().is_empty()


@pytest.mark.parametrize("params,param,code", [
    ({"kind": "house"}, "kind", "unknown_kind"),
    ({"status": "done"}, "status", "unknown_status"),
    ({"status": "correction:approved"}, "status", "unknown_status"),  # a rent-to-own status
    ({"akimat": "71"}, "akimat", "bad_kato"),
    ({"reviewer": "bob"}, "reviewer", "bad_reviewer"),
    ({"state": "late"}, "state", "unknown_state"),
    ({"from": "31.02.2026"}, "from", "bad_date"),
    ({"to": "2026/03/01"}, "to", "bad_date"),
    ({"from": "10.03.2026", "to": "01.03.2026"}, "to", "date_order"),
    ({"q": "x" * 150}, "q", "search_too_long"),
    ({"sort": "status"}, "sort", "bad_sort"),
])
def test_bad_values_are_reported_and_the_rest_still_applies(params, param, code):
    filters, problems = r.parse_filters({**params, "kind": params.get("kind", "correction")})
    assert [(p.param, p.code) for p in problems] == [(param, code)]
    assert "correction" in filters.kinds or param == "kind"
    from data.i18n import t

    for lang in ("kk", "ru"):
        message = t(f"registry.problem.{code}", lang, value=problems[0].value)
        assert message and not message.startswith("registry.")


# -- scope and masking -----------------------------------------------------------------------------------
def test_a_reviewer_sees_only_their_scope(db, world):
    ctx = context(world, db, "reviewer01")
    manager = context(world, db, "manager01")
    mine = set(all_ids(db, ctx, r.RegistryFilters()))
    everyone = set(all_ids(db, manager, r.RegistryFilters()))
    assert mine == {a.id for a in world.apps if world.visible(a, ctx.user)}
    assert mine < everyone
    reviewer = ctx.user
    outside = [a for a in world.apps if a.reviewer_id and not world.visible(a, reviewer)]
    assert outside, "another department's applications exist"
    # not by searching for them, not by naming their reviewer
    other = world.users[outside[0].reviewer_id]
    filters, _ = r.parse_filters({"reviewer": str(other.id)})
    assert all_ids(db, ctx, filters) == []
    filters, _ = r.parse_filters({"q": outside[0].registration_number or outside[0].applicant_name})
    assert outside[0].id not in all_ids(db, ctx, filters)
    assert r.rows_by_ids(db, ctx, [outside[0].id])[0].id == outside[0].id  # rows_by_ids takes ids from page_ids


def test_akimat_users_see_nothing(db, world):
    ctx = context(world, db, "akimat_astana")
    assert all_ids(db, ctx, r.RegistryFilters()) == []
    assert r.count_rows(db, ctx, r.RegistryFilters()) == 0


def test_iins_are_shown_to_roles_that_may_read_them_and_masked_otherwise(db, world, monkeypatch):
    ctx = context(world, db, "reviewer01")
    filters, _ = r.parse_filters({"q": "800101300"})
    rows = r.fetch_block(db, ctx, filters, 0, 100).rows
    assert rows and all(row.applicant_id.startswith("800101300") for row in rows)
    monkeypatch.setitem(PERMISSIONS, "reviewer", PERMISSIONS["reviewer"] - {"iin.read"})
    masked = r.query_context(db, world.user("reviewer01"), TODAY)
    assert not masked.may_read_iin
    everything = r.fetch_block(db, masked, r.RegistryFilters(), 0, 500).rows
    with_iin = {a.id: a.applicant_iin for a in world.apps if a.applicant_iin}
    checked = 0
    for row in everything:
        if row.id in with_iin:
            iin = with_iin[row.id]
            assert row.applicant_id == iin[:2] + "*" * 8 + iin[-2:]
            checked += 1
        elif world_bin(world, row.id):
            assert row.applicant_id == world_bin(world, row.id)  # BINs are not personal data
    assert checked > 10
    # and nobody probes IINs through the search or the column filter
    filters, _ = r.parse_filters({"q": "800101300"})
    assert r.fetch_block(db, masked, filters, 0, 100).rows == []
    model = {"applicant_id": {"filterType": "text", "type": "startsWith", "filter": "800101300"}}
    assert r.count_rows(db, masked, r.RegistryFilters(), model) == 0
    filters, _ = r.parse_filters({"q": "2601400000"})
    assert [row.applicant_name for row in r.fetch_block(db, masked, filters, 0, 100).rows] == ["%Процент Құрылыс ЖШС"]


def world_bin(world: World, app_id: int) -> str | None:
    return next((a.applicant_bin for a in world.apps if a.id == app_id), None)


# -- blocks: counts and days ------------------------------------------------------------------------------
def test_blocks_carry_the_count_when_it_is_known(db, world):
    ctx = context(world, db, "manager01")
    total = len(world.expected({}, ctx.user))
    first = r.fetch_block(db, ctx, r.RegistryFilters(), 0, 100)
    assert len(first.rows) == 100 and first.count == total
    middle = r.fetch_block(db, ctx, r.RegistryFilters(), 100, 200)
    assert len(middle.rows) == 100 and middle.count is None
    last = r.fetch_block(db, ctx, r.RegistryFilters(), total - 30, total + 70)
    assert len(last.rows) == 30 and last.count == total
    beyond = r.fetch_block(db, ctx, r.RegistryFilters(), total + 100, total + 200)
    assert beyond.rows == [] and beyond.count is None
    filters, _ = r.parse_filters({"q": "O'Brien"})
    one = r.fetch_block(db, ctx, filters, 0, 100)
    assert one.count == 1 and one.rows[0].applicant_name == "O'Brien Patrick"
    assert r.fetch_block(db, ctx, r.RegistryFilters(), 0, 10_000).rows.__len__() == r.MAX_BLOCK


def test_broad_filters_count_up_to_the_cap(db, world, monkeypatch):
    ctx = context(world, db, "manager01")
    params = {"state": "closed"}
    filters, _ = r.parse_filters(params)
    total = len(world.expected(params, ctx.user))
    assert total > 60
    assert r.count_rows_capped(db, ctx, filters, cap=50) == (50, False)
    assert r.count_rows_capped(db, ctx, filters, cap=total) == (total, True)
    assert r.count_rows_capped(db, ctx, filters) == (total, True)
    monkeypatch.setattr(r, "COUNT_CAP", 50)
    block = r.fetch_block(db, ctx, filters, 0, 40)
    assert (len(block.rows), block.count, block.at_least) == (40, None, 50)
    last = r.fetch_block(db, ctx, filters, total - 10, total + 30)
    assert (len(last.rows), last.count) == (10, total)  # the end of the list is exact


def test_days_left_and_state_of_each_row(db, world):
    ctx = context(world, db, "manager01")
    filters, _ = r.parse_filters({"state": "open"})
    rows = r.fetch_block(db, ctx, filters, 0, 500, [{"colId": "due_date", "sort": "asc"}]).rows
    by_id = {a.id: a for a in world.apps}
    seen = set()
    for row in rows:
        app = by_id[row.id]
        if app.current_due_date is None:
            assert row.days_wd is None and row.state is None
            continue
        left = days_left(app.current_due_date, TODAY, ctx.cal)
        assert (row.days_wd, row.days_cd) == (left.working, left.calendar)
        want = "overdue" if app.current_due_date < TODAY else ("due_soon" if world.due_soon(app) else "on_track")
        assert row.state == want
        seen.add(want)
    assert seen == {"overdue", "due_soon", "on_track"}
    # the state agrees with the state filter
    soon, _ = r.parse_filters({"state": "due_soon"})
    assert {row.id for row in r.fetch_block(db, ctx, soon, 0, 500).rows} == \
        {row.id for row in rows if row.state == "due_soon"}
    # a closed application shows no days
    closed, _ = r.parse_filters({"state": "closed"})
    assert all(row.days_wd is None and row.state is None for row in r.fetch_block(db, ctx, closed, 0, 50).rows)


def test_working_days_skip_nauryz(db, world):
    ctx = context(world, db, "manager01")
    row = r.RegistryRow(1, "correction", "under_review", True, None, None, "x", "", None, None, None,
                        date(2026, 3, 26), "ktk_review", None)
    r.annotate_days(ctx, row)
    # Thursday 19.03 -> Thursday 26.03: Fri 20.03 and Thu 26.03 are the working days (21-25 off)
    assert (row.days_wd, row.days_cd, row.state) == (2, 7, "due_soon")
    row = r.RegistryRow(1, "correction", "under_review", True, None, None, "x", "", None, None, None,
                        date(2026, 3, 13), "ktk_review", None)
    r.annotate_days(ctx, row)
    assert (row.days_wd, row.days_cd, row.state) == (-4, -6, "overdue")


def test_akimat_tree_and_choices(db, world):
    astana = world.subtree("710000000")
    assert set(r.akimat_ids_under(db, "710000000")) == astana and len(astana) > 1
    assert r.akimat_ids_under(db, "999999999") == []
    choices = r.akimat_choices(db)
    codes = [c.value for c in choices]
    assert codes.index("711410000") > codes.index("710000000")
    assert next(c for c in choices if c.value == "711410000").indent
    labels = {c.value: c for c in r.status_choices()}
    assert "under_review" in labels  # the same words in both kinds: one choice
    assert "correction:registered" in labels and "rent_to_own:registered" in labels  # different words
    reviewer = world.user("reviewer01")
    mine = r.reviewer_choices(db, reviewer)
    assert {int(c.value) for c in mine} == {u.id for u in world.users.values()
                                           if u.role == "reviewer" and u.department == reviewer.department}


# -- callbacks ------------------------------------------------------------------------------------------
@pytest.fixture
def signed_in(registry_url, registry_engine, monkeypatch):
    """Sign a demo user in on the module's database, in a test request (kk unless told)."""
    import callbacks.registry as cb

    monkeypatch.setenv("DATABASE_URL", registry_url)
    monkeypatch.setattr(cb, "today_local", lambda: TODAY)
    with ExitStack() as requests:
        def enter(username: str = "manager01", lang: str = "kk") -> User:
            with Session(registry_engine) as s:
                user = s.scalar(select(User).where(User.username == username))
                s.expunge(user)
            requests.enter_context(shared_signed_in(user, lang, path="/registry", method="GET"))
            return user

        yield enter


def test_load_rows_answers_the_grid(signed_in, world):
    import callbacks.registry as cb

    user = signed_in("manager01", "ru")
    request = {"startRow": 0, "endRow": 100, "sortModel": [{"colId": "due_date", "sort": "asc"}], "filterModel": {}}
    params = {"state": "overdue", "status": "under_review,needs_revision"}
    store = r.parse_filters(params)[0].as_json()
    response, count, state = cb.load_rows(request, store, None)
    expected = world.expected(params, user)
    assert response["rowCount"] == len(expected) > 0
    assert count == f"Найдено: {len(expected)}"
    assert [row["id"] for row in response["rowData"]] == python_order(expected, "current_due_date", "asc")[:100]
    first = response["rowData"][0]
    app = next(a for a in world.apps if a.id == first["id"])
    status = WORKFLOWS[app.kind].status(app.status)
    assert first["status"] == status.label("ru") and first["status_color"] == status.color
    assert first["due_date"] == app.current_due_date.strftime("%d.%m.%Y")
    assert first["days_state"] == "overdue" and first["days"].startswith("\u2212")
    assert first["days_title"].startswith("просрочено")
    assert state == {"sort": "due_date", "filter": {}}
    # the default sort is not written into the URL
    _r, _c, state = cb.load_rows({"startRow": 0, "endRow": 100,
                                  "sortModel": [{"colId": "registration_date", "sort": "desc"}]}, {}, None)
    assert state == {"sort": "", "filter": {}}


def test_load_rows_later_blocks_and_empty_results(signed_in):
    from dash import no_update

    import callbacks.registry as cb

    signed_in("manager01", "kk")
    response, count, _ = cb.load_rows({"startRow": 100, "endRow": 200}, {}, None)
    assert len(response["rowData"]) == 100 and response["rowCount"] is None and count is no_update
    response, count, _ = cb.load_rows({"startRow": 0, "endRow": 100}, {"q": "жоқ-мұндай-нөмір"}, None)
    assert response == {"rowData": [], "rowCount": 0}
    assert "Сүзгіге сәйкес өтінім жоқ" in count.children
    response, count, _ = cb.load_rows({"startRow": 0, "endRow": 100,
                                       "filterModel": {"status": {"filterType": "text", "type": "equals",
                                                                  "filter": "x"}}}, {}, None)
    assert response == {"rowData": [], "rowCount": 0} and "дұрыс емес" in count.children


def test_a_capped_count_says_more_than(signed_in, monkeypatch):
    import callbacks.registry as cb

    monkeypatch.setattr(r, "COUNT_CAP", 100)
    signed_in("manager01", "kk")
    response, count, _ = cb.load_rows({"startRow": 0, "endRow": 100}, {}, None)
    assert len(response["rowData"]) == 100 and response["rowCount"] is None
    assert count == "Табылды: 100-нан астам"
    signed_in("manager01", "ru")
    _response, count, _ = cb.load_rows({"startRow": 0, "endRow": 100}, {}, None)
    assert count == "Найдено: более 100"


def test_callbacks_refuse_users_without_the_permission(signed_in, registry_url, monkeypatch):
    import app as app_module
    import callbacks.registry as cb

    signed_in("akimat_astana")
    with pytest.raises(Forbidden):
        cb.load_rows({"startRow": 0, "endRow": 100}, {}, None)
    with pytest.raises(Forbidden):
        cb.update_filters("", "all", False, [], None, [], None, "", "", {})
    with pytest.raises(Forbidden):
        cb.links({}, None)
    with app_module.server.test_request_context("/"):
        with pytest.raises(Forbidden):
            cb.load_rows({"startRow": 0, "endRow": 100}, {}, None)


def test_the_form_becomes_the_filter_and_bad_dates_say_why(signed_in):
    from dash import no_update

    import callbacks.registry as cb

    signed_in("reviewer01", "kk")
    data, from_bad, from_msg, to_bad, to_msg, others = cb.update_filters(
        " ахмет ", "overdue", True, ["under_review"], "710000000", ["correction"], "7", "01.03.2026", "2026-03-31",
        {})
    assert data == {"kind": "correction", "status": "under_review", "akimat": "710000000", "reviewer": "me",
                    "state": "overdue", "from": "2026-03-01", "to": "2026-03-31", "q": "ахмет"}
    assert (from_bad, to_bad, others) == (False, False, [])
    data2, *_ = cb.update_filters(" ахмет ", "overdue", True, ["under_review"], "710000000", ["correction"], "7",
                                  "01.03.2026", "2026-03-31", data)
    assert data2 is no_update  # nothing changed: the grid is not asked again
    data, from_bad, from_msg, to_bad, to_msg, _ = cb.update_filters(
        "", "all", False, [], None, [], None, "32.01.2026", "", data)
    assert data == {} and from_bad is True and "32.01.2026" in from_msg and "кк.аа.жжжж" in from_msg
    signed_in("manager01", "ru")
    _d, _fb, _fm, to_bad, to_msg, _ = cb.update_filters("", "all", False, [], None, [], "none", "10.03.2026",
                                                        "01.03.2026", {"q": "x"})
    assert to_bad is True and "раньше" in to_msg
    assert _d == {"reviewer": "none", "from": "2026-03-10"}  # the good part still applies


def test_links_carry_the_filter_the_sort_and_the_column_filters(signed_in):
    import callbacks.registry as cb

    signed_in("manager01")
    store = {"state": "overdue", "akimat": "710000000", "q": "Ә&б"}
    query, comma, semicolon = cb.links(store, {"sort": "-due_date", "filter": {}})
    assert parse_qs(query) == {"state": ["overdue"], "akimat": ["710000000"], "q": ["Ә&б"], "sort": ["-due_date"]}
    assert comma == "/files/registry.csv?" + query
    assert semicolon == "/files/registry.csv?" + query + "&sep=semicolon"
    model = {"applicant_name": {"filterType": "text", "type": "startsWith", "filter": "ахм"}}
    _q, comma, _s = cb.links(store, {"sort": "", "filter": model})
    args = parse_qs(urlsplit(comma).query)
    assert args["grid"] == ['{"applicant_name":{"filterType":"text","type":"startsWith","filter":"ахм"}}']
    assert "sort" not in args


def test_the_page_reads_its_filters_from_the_url(signed_in):
    import pages.registry as page

    signed_in("manager01", "kk")
    tree = page.layout(state="overdue", akimat="710000000", status="under_review,needs_revision", q="Ахмет",
                       reviewer="none", **{"from": "01.03.2026", "to": "31.02.2026"})
    found = _by_id(tree)
    from callbacks.ids import Registry as ids

    assert found[ids.STATE].value == "overdue"
    assert found[ids.AKIMAT].value == "710000000"
    assert found[ids.STATUS].value == ["under_review", "needs_revision"]
    assert found[ids.Q].value == "Ахмет" and found[ids.REVIEWER].value == "none"
    assert found[ids.DATE_FROM].value == "01.03.2026" and not found[ids.DATE_FROM].invalid
    assert found[ids.DATE_TO].value == "31.02.2026" and found[ids.DATE_TO].invalid  # kept as typed
    assert "31.02.2026" in found[ids.TO_FEEDBACK].children
    assert found[ids.FILTERS].data == {"status": "under_review,needs_revision", "akimat": "710000000",
                                       "reviewer": "none", "state": "overdue", "from": "2026-03-01", "q": "Ахмет"}
    grid = found[ids.GRID]
    assert grid.rowModelType == "infinite"
    assert grid.dashGridOptions["localeText"]["noRowsToShow"] == "Көрсететін жол жоқ"
    headers = [c["headerName"] for c in grid.columnDefs]
    assert headers[:2] == ["Тіркеу нөмірі", "Тіркеу күні"]
    tree = page.layout(akimat="123456789", sort="-due_date")
    found = _by_id(tree)
    assert "123456789" in str(found[ids.PROBLEMS].children)
    assert next(c for c in found[ids.GRID].columnDefs if c["colId"] == "due_date")["sort"] == "desc"


def test_the_page_is_refused_without_the_permission(signed_in):
    import pages.registry as page

    signed_in("akimat_almaty", "ru")
    tree = page.layout()
    assert "нет права" in str(tree)


def _by_id(component) -> dict:
    found = {}

    def walk(node):
        if isinstance(node, (list, tuple)):
            for child in node:
                walk(child)
            return
        if node is None or isinstance(node, (str, int, float)):
            return
        ident = getattr(node, "id", None)
        if isinstance(ident, str):
            found[ident] = node
        walk(getattr(node, "children", None))

    walk(component)
    return found


def test_grid_locale_text_in_both_languages():
    from data.i18n.grid import grid_locale_text

    kk, ru = grid_locale_text("kk"), grid_locale_text("ru")
    assert set(kk) == set(ru) and len(kk) > 80
    assert kk["loadingOoo"] == "Жүктелуде…" and ru["loadingOoo"] == "Загрузка…"
    assert ru["contains"] == "Содержит" and kk["startsWith"] == "Басталады"
    assert all(v for v in kk.values()) and all(v for v in ru.values())
    assert grid_locale_text("en") == kk
