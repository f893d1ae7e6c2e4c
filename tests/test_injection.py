"""Hostile text in every grid filter and search box: SQL fragments, LIKE wildcards, quotes,
backslashes, control characters, Kazakh letters, emoji, very long strings.

Each translation (search box → SQL, grid filterModel → SQL) runs on the real database and its
result is compared with the same rule applied in Python to every row, values read back from the
database: the filter means what it says, ``%`` and ``_`` are plain characters, nothing is
interpreted as SQL. Unknown columns, operators and filter types are rejected with the module's
GridRequestError (and at the callback, a message instead of rows) — never a 500.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import String, cast, select, text, update
from sqlalchemy.orm import Session

from data.models import Application, Complaint, Recipient
from data.models.audit import AuditEntry
from tests.test_access_matrix import (  # noqa: F401 - fixtures
    APP_CALLBACKS,
    DEMO_TODAY,
    clients,
    payload,
    post,
    site,
)

ATTACKS = [
    "' OR 1=1 --", "' OR '1'='1", "'; DROP TABLE applications; --", "\" OR \"\"=\"", "%", "_", "%%", "%_%",
    "\\", "\\%", "'", '"', "`", ";", "--", "/*", "*/", "100%", "under_", "o'brien", "O'Brien", "OʼBrien",
    "Ә", "ә", "Әлия", "ӘЛИЯ", "әлия", "і", "ң", "ғ", "ү", "ұ", "қ", "ө", "һ", "ІҢКӘР", "Іңкәр",
    "😀", "Іңкәр 😀", "Ғұмарова", "a\tb", "\x00abc", "abc\x00", "line\nbreak", "İ", "ß", "ǅ", " ",
    "x" * 5000, "Ә" * 300, "90", "900101", "%' AND 1=0 UNION SELECT password_hash FROM users --",
]
SEARCHES = ATTACKS[:12] + ["Әлия", "әлия", "ӘЛИЯ", "100%", "under_", "\\", "😀", "Іңкәр 😀", "\x00abc",
                           "x" * 5000, "O'Brien", "o'brien", "9", "#1", "№2"]
NASTY_NAMES = ["O'Brien Әлия", "100% Құрылыс_1", "under_score Ұлан", "back\\slash Нұр", "Іңкәр 😀 Ғұмарова",
               'ӘЛИЯ "тырнақша"', "%percent Қайрат", "o'brien ғалым"]


def _clean(value: str) -> str:
    """Control characters are spaces, white space runs one space, no space at the ends."""
    return " ".join("".join(" " if ord(c) < 0x20 or ord(c) == 0x7F else c for c in value).split())


def _variants(value: str) -> list[str]:
    out: list[str] = []
    for v in (value, value.lower(), value.upper(), value[:1].upper() + value[1:].lower()):
        if v and v not in out:
            out.append(v)
    return out


def _text_op(op: str, cell: str | None, typed, limit: int = 100) -> bool:
    """The grid's text filter, in Python: the typed text cleaned and cut to ``limit``, matched
    as typed, lower, upper or capitalised."""
    if op == "blank":
        return cell in (None, "")
    if op == "notBlank":
        return cell not in (None, "")
    typed = _clean(str(typed))[:limit]
    if not typed:
        return True
    vs = _variants(typed)
    if op == "equals":
        return cell is not None and cell in vs
    if op == "notEqual":
        return cell is None or cell not in vs
    if cell is None:
        return op == "notContains"
    if op == "startsWith":
        return any(cell.startswith(v) for v in vs)
    if op == "endsWith":
        return any(cell.endswith(v) for v in vs)
    if op == "contains":
        return any(v in cell for v in vs)
    if op == "notContains":
        return not any(v in cell for v in vs)
    raise AssertionError(op)


TEXT_OPS = ("contains", "notContains", "equals", "notEqual", "startsWith", "endsWith", "blank", "notBlank")


@pytest.fixture(scope="module")
def nasty(site):
    """Some demo rows get names full of quotes, wildcards, backslashes and emoji; a few audit
    entries with such actors and ids. Committed: the queries under test read them."""
    from data import audit

    with Session(site.engine) as s:
        app_ids = s.scalars(select(Application.id).order_by(Application.id).limit(len(NASTY_NAMES))).all()
        for ident, name in zip(app_ids, NASTY_NAMES):
            s.execute(update(Application).where(Application.id == ident)
                      .values(applicant_name=name, contract_number=name[:20]))
        c_ids = s.scalars(select(Complaint.id).order_by(Complaint.id).limit(len(NASTY_NAMES))).all()
        for ident, name in zip(c_ids, NASTY_NAMES):
            s.execute(update(Complaint).where(Complaint.id == ident).values(complainant_name=name))
        r_ids = s.scalars(select(Recipient.id).order_by(Recipient.id).limit(len(NASTY_NAMES))).all()
        for ident, name in zip(r_ids, NASTY_NAMES):
            s.execute(update(Recipient).where(Recipient.id == ident).values(full_name=name))
        for name in NASTY_NAMES:
            audit.record(s, "export", actor_name=name[:64], entity="application", entity_id=name[:20],
                         detail=f"probe {name}", ip="10.0.0.1", after={"name": name})
        s.commit()
    return site


def _ids(session, stmt) -> set[int]:
    return set(session.scalars(stmt))


# -- the registry: search box and grid filters ----------------------------------------------------
def _registry_user(site, role: str):
    return site.user({"manager": "manager01", "reviewer": "reviewer01"}[role])


def _registry_reference(rows, q: str, may_iin: bool) -> set[int]:
    q = _clean(q)
    out = set()
    for ident, reg, contract, name, bin_, iin in rows:
        if not q:
            out.add(ident)
            continue
        vs = _variants(q)
        hit = any(cell and any(cell.startswith(v) for v in vs) for cell in (reg, contract, name))
        if q.isdigit() and len(q) <= 12:
            hit = hit or bool(bin_ and bin_.startswith(q)) or bool(may_iin and iin and iin.startswith(q))
        if hit:
            out.add(ident)
    return out


@pytest.mark.parametrize("role", ["manager", "reviewer"])
def test_registry_search_box_takes_every_text_literally(role, nasty):
    from data.access import scope_applications
    from data.queries import registry as q

    user = _registry_user(nasty, role)
    with Session(nasty.engine) as s:
        ctx = q.query_context(s, user, DEMO_TODAY)
        A = Application
        visible = _ids(s, scope_applications(select(A.id), user))
        rows = [r for r in s.execute(select(A.id, A.registration_number, A.contract_number, A.applicant_name,
                                            A.applicant_bin, A.applicant_iin)) if r[0] in visible]
        hits_somewhere = 0
        for typed in SEARCHES:
            filters, _problems = q.parse_filters({"q": typed})
            found = q.page_ids(s, ctx, filters, 0, q.MAX_BLOCK, q.DEFAULT_SORT)
            expected = _registry_reference(rows, filters.q, ctx.may_read_iin)
            assert set(found) == expected, repr(typed)
            assert q.count_rows(s, ctx, filters) == len(expected), repr(typed)
            hits_somewhere += bool(expected) and len(expected) < len(rows)
        assert hits_somewhere >= 5  # the nasty names are found by their own odd characters


def _registry_cells(s, may_iin: bool):
    from data.queries import registry as q

    A = Application
    columns = {col: q._text_column(col, may_iin) for col in q.TEXT_COLUMNS}
    result = s.execute(select(A.id, *columns.values())).all()
    return {col: {r[0]: r[i + 1] for r in result} for i, col in enumerate(columns)}


def test_registry_grid_text_filters_mean_what_they_say(nasty):
    from data.queries import registry as q

    user = _registry_user(nasty, "manager")
    with Session(nasty.engine) as s:
        dialect = s.get_bind().dialect.name
        cells = _registry_cells(s, True)
        for col in q.TEXT_COLUMNS:
            for op in TEXT_OPS:
                for typed in ATTACKS:
                    model = {col: {"filterType": "text", "type": op, "filter": typed}}
                    where = q.grid_filter_conditions(model, dialect, True)
                    found = _ids(s, select(Application.id).where(*where))
                    expected = {i for i, cell in cells[col].items() if _text_op(op, cell, typed)}
                    assert found == expected, (col, op, repr(typed[:40]))
        # Two conditions on one column, the grid's AND / OR:
        model = {"applicant_name": {"filterType": "text", "operator": "OR", "conditions": [
            {"filterType": "text", "type": "contains", "filter": "%"},
            {"filterType": "text", "type": "startsWith", "filter": "o'brien"}]}}
        found = _ids(s, select(Application.id).where(*q.grid_filter_conditions(model, dialect, True)))
        names = cells["applicant_name"]
        assert found == {i for i, n in names.items() if n and ("%" in n or n.startswith(("o'brien", "O'brien",
                                                                                           "O'BRIEN")))}
        assert len(found) >= 3
        ctx = q.query_context(s, user, DEMO_TODAY)
        block = q.fetch_block(s, ctx, q.RegistryFilters(), 0, 100, [{"colId": "applicant_name", "sort": "asc"}],
                              {"applicant_name": {"filterType": "text", "type": "contains", "filter": "' OR 1=1 --"}})
        assert block.rows == [] and block.count == 0


@pytest.mark.parametrize("model", [
    {"password_hash": {"filterType": "text", "type": "contains", "filter": "x"}},
    {"applicant_name; DROP TABLE users": {"filterType": "text", "type": "contains", "filter": "x"}},
    {"applicant_name": {"filterType": "text", "type": "regex", "filter": ".*"}},
    {"applicant_name": {"filterType": "text", "type": "contains) OR (1=1", "filter": "x"}},
    {"applicant_name": {"filterType": "number", "type": "equals", "filter": 1}},
    {"applicant_name": {"filterType": "text", "type": "contains", "filter": {"$ne": 1}}},
    {"applicant_name": {"filterType": "text", "type": "contains", "filter": ["a", "b"]}},
    {"applicant_name": "contains x"},
    {"applicant_name": {"operator": "XOR", "conditions": [{"type": "contains", "filter": "a"}]}},
    {"applicant_name": {"operator": "OR", "conditions": [{"type": "contains", "filter": "a"}] * 5}},
    {"registration_date": {"filterType": "date", "type": "equals", "dateFrom": "2026-13-45"}},
    {"registration_date": {"filterType": "date", "type": "equals", "dateFrom": "' OR 1=1 --"}},
    {"registration_date": {"filterType": "date", "type": "between", "dateFrom": "2026-01-01"}},
    {"status": {"filterType": "set", "values": ["x"]}},
    ["not", "an", "object"],
])
def test_registry_rejects_unknown_columns_operators_and_values(model):
    from data.queries import registry as q

    with pytest.raises(q.GridRequestError):
        q.grid_filter_conditions(model, "sqlite", True)


@pytest.mark.parametrize("sort_model", [
    [{"colId": "password_hash", "sort": "asc"}], [{"colId": "applicant_name", "sort": "asc; DROP"}],
    [{"colId": "1); DROP TABLE x; --", "sort": "desc"}], ["applicant_name"], "applicant_name"])
def test_registry_rejects_unknown_sorts(sort_model):
    from data.queries import registry as q

    with pytest.raises(q.GridRequestError):
        q.sort_from_model(sort_model, None)


# -- complaints ----------------------------------------------------------------------------------
def _complaint_reference(rows, q: str, may_iin: bool, dialect: str) -> set[int]:
    q = " ".join(q.split())
    if not q:
        return {r[0] for r in rows}
    vs = _variants(q)
    ident = q.lstrip("#№").strip()
    digits = "".join(q.split())
    out = set()
    for cid, name, id_number in rows:
        hit = ident.isdigit() and len(ident) < 10 and cid == int(ident)
        if name:
            if dialect == "sqlite":  # SQLite's LIKE ignores the case of ASCII letters
                fold = lambda s: "".join(c.lower() if c.isascii() else c for c in s)  # noqa: E731
                hit = hit or any(fold(name).startswith(fold(v)) for v in vs)
            else:
                hit = hit or any(name.startswith(v) for v in vs)
        if digits.isdigit() and len(digits) <= 12 and id_number:
            hit = hit or (id_number.startswith(digits) if may_iin else (len(digits) == 12 and id_number == digits))
        if hit:
            out.add(cid)
    return out


@pytest.mark.parametrize("username", ["manager01", "reviewer01"])
def test_complaints_search_box_takes_every_text_literally(username, nasty):
    from data.access import scope_complaints
    from data.queries import complaints as q

    user = nasty.user(username)
    with Session(nasty.engine) as s:
        dialect = s.get_bind().dialect.name
        ctx = q.query_context(s, user, DEMO_TODAY)
        visible = _ids(s, scope_complaints(select(Complaint.id), user))
        rows = [r for r in s.execute(select(Complaint.id, Complaint.complainant_name, Complaint.complainant_id_number))
                if r[0] in visible]
        for typed in SEARCHES:
            filters, _problems = q.parse_filters({"q": typed})
            found = q.page_ids(s, ctx, filters, 0, 10_000, q.DEFAULT_SORT)
            expected = _complaint_reference(rows, filters.q, ctx.may_read_iin, dialect)
            assert set(found) == expected, repr(typed)
            assert q.count_rows(s, ctx, filters) == len(expected)


# -- recipients (akimat lists) --------------------------------------------------------------------
def test_recipient_grid_filters_and_search_take_every_text_literally(nasty):
    from data.queries import recipients as q

    with Session(nasty.engine) as s:
        dialect = s.get_bind().dialect.name
        cells = {col: dict(s.execute(select(Recipient.id, column)).all()) for col, column in q.TEXT_COLUMNS.items()}
        for col in q.TEXT_COLUMNS:
            for op in TEXT_OPS:
                for typed in ATTACKS:
                    model = {col: {"filterType": "text", "type": op, "filter": typed}}
                    found = _ids(s, select(Recipient.id).where(*q.grid_conditions(model, dialect, True)))
                    expected = {i for i, cell in cells[col].items() if _text_op(op, cell, typed)}
                    assert found == expected, (col, op, repr(typed[:40]))
        manager = nasty.user("manager01")
        for typed in SEARCHES:
            filters, _bad = q.parse_filters({"q": typed})
            found = _ids(s, select(Recipient.id).where(*q.conditions(s, manager, filters, None)))
            typed_clean = filters.q
            expected = set()
            for ident, name in cells["full_name"].items():
                if not typed_clean or any(name and name.startswith(v) for v in _variants(typed_clean)) or (
                        typed_clean.isdigit() and len(typed_clean) <= 12
                        and (cells["iin"][ident] or "").startswith(typed_clean)):
                    expected.add(ident)
            assert found == expected, repr(typed)
        with pytest.raises(q.GridRequestError):  # masked IINs cannot be guessed through the filter
            q.grid_conditions({"iin": {"filterType": "text", "type": "startsWith", "filter": "9"}}, dialect, False)
        for bad in ({"batch_id; --": {"type": "contains", "filter": "x"}},
                    {"full_name": {"filterType": "text", "type": "like", "filter": "%"}}):
            with pytest.raises(q.GridRequestError):
                q.grid_conditions(bad, dialect, True)


# -- the audit log ------------------------------------------------------------------------------
def test_audit_filters_and_search_take_every_text_literally(nasty):
    from data.queries import audit as q

    E = AuditEntry
    with Session(nasty.engine) as s:
        dialect = s.get_bind().dialect.name
        cells = {col: dict(s.execute(select(E.id, column)).all()) for col, column in q.TEXT_FILTER_COLUMNS.items()}
        for col in q.TEXT_FILTER_COLUMNS:
            for op in TEXT_OPS:
                for typed in ATTACKS[::2]:
                    model = {col: {"filterType": "text", "type": op, "filter": typed}}
                    found = _ids(s, select(E.id).where(*q.grid_filter_conditions(model, dialect)))
                    expected = {i for i, cell in cells[col].items() if _text_op(op, cell, typed)}
                    assert found == expected, (col, op, repr(typed[:40]))
        rows = s.execute(select(E.id, E.detail, E.actor_name, E.entity_id, E.ip, cast(E.before, String),
                                cast(E.after, String))).all()
        for typed in SEARCHES:
            filters, _problems = q.parse_filters({"q": typed})
            if not filters.q:
                continue
            found = _ids(s, select(E.id).where(q.text_condition(filters.q, dialect)))
            vs = _variants(_clean(filters.q)[:100])
            expected = set()
            for ident, *plain, before, after in rows:
                hit = any(cell and any(v in cell for v in vs) for cell in plain + [before, after])
                hit = hit or any(cell and any(json.dumps(v)[1:-1] in cell for v in vs) for cell in (before, after))
                if hit:
                    expected.add(ident)
            assert found == expected, repr(typed)
        with pytest.raises(q.GridRequestError):
            q.grid_filter_conditions({"detail": {"filterType": "text", "type": "contains", "filter": "x"}}, dialect)


# -- through the app: the grids' callbacks with hostile requests -------------------------------------
def _cb(label: str):
    return next(cb for cb in APP_CALLBACKS if cb.label == label)


@pytest.mark.parametrize("typed", ["' OR 1=1 --", "%", "_", "\\", "Әлия 😀", "\x00", "x" * 5000])
def test_grid_callbacks_answer_hostile_requests_without_errors(typed, nasty, clients):
    client = clients["manager"]
    for label, grid in (("callbacks.registry.load_rows", "registry-grid"),
                        ("callbacks.complaints.load_rows", "complaints-grid")):
        store = "registry-filters.data" if grid == "registry-grid" else "complaints-filters.data"
        body = payload(_cb(label), True, {store: {"q": typed}})  # the search box's value, as the page keeps it
        column = "applicant_name" if grid == "registry-grid" else "complainant"
        request = body["inputs"][0]["value"]
        request["filterModel"] = {column: {"filterType": "text", "type": "contains", "filter": typed}}
        response = post(client, body)
        assert response.status_code == 200, (label, response.status_code)
        body["inputs"][0]["value"] = {**request, "filterModel": {"password_hash": {"type": "contains", "filter": "x"}},
                                      "sortModel": [{"colId": "1; DROP TABLE users", "sort": "asc"}]}
        response = post(client, body)
        assert response.status_code == 200, (label, "unknown column")
        rows = response.get_json()["response"][grid]["getRowsResponse"]
        assert rows["rowData"] == []
    for label in ("callbacks.registry.update_filters", "callbacks.complaints.update_filters"):
        cb = _cb(label)
        prefix = "registry" if "registry" in label else "complaints"
        response = post(client, payload(cb, True, {f"{prefix}-q.value": typed}))
        assert response.status_code == 200, (label, response.status_code)
    with Session(nasty.engine) as s:  # and the tables are all still there
        assert s.execute(text("SELECT count(*) FROM applications")).scalar_one() > 0
        assert s.execute(text("SELECT count(*) FROM users")).scalar_one() > 0
