"""Who reaches what: every Dash callback, every Flask route and every scoped query, per role.

Nothing here is listed by hand that the app can tell: the callbacks come from the Dash app's
callback map, the routes from Flask's url map, the pages' permissions from Dash's page registry.
A page or callback added tomorrow is covered without editing this file.

Requests go through the Flask test client, signed in through the real /login form (CSRF token,
argon2), against a demo database of its own (SQLite file, or a PostgreSQL schema of its own when
DATABASE_URL names PostgreSQL).

The rule for a refusal (callbacks/context.py ``require``): the callback raises Forbidden → HTTP
403 with no body of data, or it declines with PreventUpdate → HTTP 204. A role that may not open
a page, or lacks the permission a callback requires, gets exactly one of those two, never a
200; nobody (not signed in) gets 401 from the gate. A plausible request that ends in a 500 is a
defect.
"""
from __future__ import annotations

import inspect
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import dash
import pytest
from sqlalchemy import select, text

import app as ktk
from data.access import PERMISSIONS, can, scope_batches, scope_recipients
from data.i18n import t
from data.models import User
from routes.auth import PUBLIC_PATHS, PUBLIC_PREFIXES
from tests.module_db import engine_of, load_demo, module_database
from tests.signin import csrf_of, form_sign_in  # noqa: F401 - csrf_of: tests/test_faults.py takes it from here

PASSWORD = "Demo-2026!"
ROLE_USERS = {"reviewer": "reviewer01", "manager": "manager01", "akimat": "akimat_astana", "admin": "admin"}
ROLES = tuple(ROLE_USERS)
DEMO_TODAY = date(2026, 11, 20)


# -- the demo site ---------------------------------------------------------------------------
@dataclass
class Site:
    url: str
    engine: Any

    def user(self, username: str) -> User:
        from sqlalchemy.orm import Session

        with Session(self.engine) as s:
            user = s.scalar(select(User).where(User.username == username))
            s.expunge(user)
            return user


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    """A migrated demo database with passwords set; the app (DATABASE_URL) pointed at it."""
    from data.bootstrap import prepare_embedded
    from data.db import get_engine
    from data.demo import CHUNK

    with module_database(tmp_path_factory, "site") as url, engine_of(url) as engine:
        mp = pytest.MonkeyPatch()
        mp.setenv("DATABASE_URL", url)
        mp.setenv("KTK_SCHEDULER", "off")
        try:
            load_demo(url, 150, seed=8, today=DEMO_TODAY, chunk_size=CHUNK)
            prepare_embedded()  # the demo users' password hashes, as `make run` does
            yield Site(url, engine)
        finally:
            get_engine().dispose()  # the app's engine of this database (DATABASE_URL still set)
            mp.undo()


def sign_in(client, username: str, password: str = PASSWORD, lang: str = "kk"):
    return form_sign_in(client, username, password, lang=lang)


@pytest.fixture(scope="module")
def clients(site) -> dict[str, Any]:
    out = {"nobody": ktk.server.test_client()}
    for role, username in ROLE_USERS.items():
        client = ktk.server.test_client()
        response = sign_in(client, username)
        assert response.status_code == 302, (username, response.status_code)
        out[role] = client
    return out


# -- the callbacks, from the app ---------------------------------------------------------------
@dataclass(frozen=True)
class Cb:
    key: str
    module: str
    name: str
    requires: tuple[str, ...]  # the permissions named in require("...") calls, in order
    guarded: bool  # the function refuses by itself (require(...) or raise Forbidden())
    presentation_only: bool  # every output is a look-only property (style, className, ...)

    @property
    def label(self) -> str:
        return f"{self.module}.{self.name}"


# Outputs that only change how a page looks: a callback writing nothing else returns no data,
# so it needs no permission check of its own (the page around it is guarded).
PRESENTATION_PROPS = frozenset({"style", "className", "hidden", "disabled", "is_open"})


def _source_of(func) -> str:
    if not inspect.isfunction(func):
        return ""
    try:
        return inspect.getsource(func)
    except (OSError, TypeError):
        return ""


def _refuses(source: str) -> bool:
    return "require(" in source or "raise Forbidden()" in source


def server_callbacks() -> list[Cb]:
    ktk.server.test_client().get("/assets/10_app.css")  # Dash completes its callback map on the first request
    found = []
    for key, entry in ktk.dash_app.callback_map.items():
        func = entry.get("callback")
        if func is None:  # clientside: runs in the browser, reaches no server data
            continue
        inner = inspect.unwrap(func)
        try:
            source = inspect.getsource(inner)
        except (OSError, TypeError):
            source = ""
        requires = tuple(re.findall(r'require\(\s*"([\w.]+)"\s*\)', source))
        guarded = bool(requires) or _refuses(source) or any(
            _refuses(_source_of(getattr(sys.modules[inner.__module__], name, None)))
            for name in re.findall(r"\b(_?\w+)\(", source))  # a helper of the module that refuses
        outputs = entry["output"] if isinstance(entry["output"], list) else [entry["output"]]
        look_only = bool(outputs) and all(o.component_property.split("@")[0] in PRESENTATION_PROPS for o in outputs)
        found.append(Cb(key, inner.__module__, inner.__name__, requires,
                        guarded, look_only))
    return found


CALLBACKS = server_callbacks()
APP_CALLBACKS = [cb for cb in CALLBACKS if cb.module.startswith("callbacks.")]
PAGES_CALLBACK = next(cb for cb in CALLBACKS if cb.module.startswith("dash") and "_pages_content" in cb.key)


def page_permissions() -> dict[str, str | None]:
    """page module name (``pages.registry``) → the permission its page names."""
    return {module: page.get("permission") for module, page in dash.page_registry.items()}


def page_permission_of(cb: Cb) -> str | None:
    """A callback module serves the page of the same name (callbacks.registry → pages.registry)."""
    return page_permissions().get("pages." + cb.module.rsplit(".", 1)[-1])


def _is_wildcard(dep_id: str) -> bool:
    return dep_id.startswith("{")


def _value(dep: dict, plausible: bool) -> Any:
    prop, dep_id = dep["property"], dep["id"]
    if _is_wildcard(dep_id):
        return None
    if not plausible:
        return None
    if prop == "n_clicks":
        return 1
    if prop == "getRowsRequest":
        return {"startRow": 0, "endRow": 50, "sortModel": [], "filterModel": {}}
    if prop == "pathname":
        return "/"
    if prop == "search":
        return ""
    if prop == "data" and dep_id.endswith("-id"):
        return "1"  # the id store of an item page: the first demo application / complaint / batch
    return None


def _dep(dep: dict, plausible: bool) -> Any:
    if _is_wildcard(dep["id"]):
        spec = json.loads(dep["id"])
        if any(v == ["MATCH"] for v in spec.values()):
            concrete = {k: (1 if v == ["MATCH"] else v) for k, v in spec.items()}
            return {"id": concrete, "property": dep["property"], "value": None}
        return []  # ALL / ALLSMALLER: no such components on the page
    return {"id": dep["id"], "property": dep["property"], "value": _value(dep, plausible)}


def _outputs(entry: dict) -> Any:
    def one(output) -> Any:
        if isinstance(output.component_id, dict):
            if any(v is dash.MATCH for v in output.component_id.values()):  # one concrete component
                concrete = {k: (1 if v is dash.MATCH else v) for k, v in output.component_id.items()}
                return {"id": concrete, "property": output.component_property.split("@")[0]}
            return []  # ALL: no such components on the page
        return {"id": output.component_id, "property": output.component_property.split("@")[0]}

    outputs = entry["output"]
    if entry.get("no_output"):
        return []
    return [one(o) for o in outputs] if isinstance(outputs, list) else one(outputs)


def payload(cb: Cb, plausible: bool, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    entry = ktk.dash_app.callback_map[cb.key]
    inputs = [_dep(d, plausible) for d in entry["inputs"]]
    state = [_dep(d, plausible) for d in entry["state"]]
    for dep in inputs + state:
        if isinstance(dep, dict) and overrides and f'{dep["id"]}.{dep["property"]}' in overrides:
            dep["value"] = overrides[f'{dep["id"]}.{dep["property"]}']
    changed = [f'{d["id"]}.{d["property"]}' for d in entry["inputs"] if not _is_wildcard(d["id"])][:1]
    return {"output": cb.key, "outputs": _outputs(entry), "inputs": inputs, "state": state,
            "changedPropIds": changed}


def post(client, body: dict):
    return client.post("/_dash-update-component", json=body, headers={"Content-Type": "application/json"})


# -- callbacks: nobody -----------------------------------------------------------------------
def test_the_app_has_the_callbacks_this_file_expects():
    labels = {cb.label for cb in APP_CALLBACKS}
    assert {"callbacks.registry.load_rows", "callbacks.application.submit_status",
            "callbacks.complaints.load_rows", "callbacks.calendar.change_day"} <= labels
    assert len(APP_CALLBACKS) >= 30


@pytest.mark.parametrize("cb", CALLBACKS, ids=lambda cb: cb.label)
def test_nobody_reaches_any_callback(cb, clients):
    for plausible in (False, True):
        response = post(clients["nobody"], payload(cb, plausible))
        assert response.status_code == 401, (cb.label, response.status_code, response.get_data(as_text=True)[:300])
        assert response.get_json() == {"error": "authentication required"}


# -- callbacks: per role ---------------------------------------------------------------------
def test_every_server_callback_checks_the_role_itself():
    """A Dash callback endpoint can be posted to directly: each one refuses by itself."""
    unguarded = [cb.label for cb in APP_CALLBACKS if not cb.guarded and not cb.presentation_only]
    assert unguarded == []


def _refusal_expected(cb: Cb, role: str) -> str | None:
    """Why ``role`` must be refused this callback (None when it may use it)."""
    user = User(username="x", full_name="x", role=role, is_active=True)
    permission = page_permission_of(cb)
    if permission and not can(user, permission):
        return f"page permission {permission}"
    for needed in cb.requires[:1]:
        if not can(user, needed):
            return f"callback permission {needed}"
    return None


def _data_in(response) -> bool:
    return response.status_code == 200 and bool(response.get_data())


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("cb", APP_CALLBACKS, ids=lambda cb: cb.label)
def test_each_role_reaches_exactly_its_callbacks(cb, role, clients):
    reason = _refusal_expected(cb, role)
    for plausible in (False, True):
        response = post(clients[role], payload(cb, plausible))
        body = response.get_data(as_text=True)[:500]
        if reason and cb.presentation_only and response.status_code == 200:
            props = {prop for outputs in response.get_json()["response"].values() for prop in outputs}
            assert props <= PRESENTATION_PROPS, (cb.label, role, props)
        elif reason:
            assert response.status_code in (403, 204), (cb.label, role, reason, response.status_code, body)
            assert not _data_in(response)
        else:
            assert response.status_code in (200, 204, 403), (cb.label, role, plausible, response.status_code, body)


def test_mutating_callbacks_refuse_roles_without_the_permission(clients):
    """Callbacks whose permission is an action (not *.read) are posted as every role lacking it
    with a full, plausible payload (n_clicks=1, an existing item): refused, and nothing changes."""
    mutating = [cb for cb in APP_CALLBACKS if cb.requires and not cb.requires[0].endswith(".read")]
    assert len(mutating) >= 10
    for cb in mutating:
        needed = cb.requires[0]
        for role in ROLES:
            if needed in PERMISSIONS[role]:
                continue
            response = post(clients[role], payload(cb, True))
            assert response.status_code == 403, (cb.label, role, needed, response.status_code)


def test_adding_a_note_is_refused_to_roles_that_may_not(clients, site):
    from data.application_service import may_add_note

    cb = next(cb for cb in APP_CALLBACKS if cb.label == "callbacks.application.submit_note")
    for role, username in ROLE_USERS.items():
        response = post(clients[role], payload(cb, True, {"apppage-note-text.value": "Ескерту"}))
        if may_add_note(site.user(username)):
            assert response.status_code == 200, (role, response.status_code)
        else:
            assert response.status_code == 403, (role, response.status_code)


# -- pages: the layout a role gets -----------------------------------------------------------
def _page_paths() -> list[tuple[str, str | None]]:
    out = []
    for page in dash.page_registry.values():
        path = page.get("path")
        if page.get("path_template"):
            path = re.sub(r"<[^>]+>", "1", page["path_template"])
        out.append((path, page.get("permission")))
    return out


@pytest.mark.parametrize("path,permission", _page_paths(), ids=lambda v: str(v))
def test_a_page_renders_only_for_roles_holding_its_permission(path, permission, clients):
    body = payload(PAGES_CALLBACK, False, {"_pages_location.pathname": path, "_pages_location.search": ""})
    assert post(clients["nobody"], body).status_code == 401
    refused = t("error.forbidden_page", "kk")
    for role in ROLES:
        response = post(clients[role], body)
        assert response.status_code == 200, (path, role, response.status_code)
        text_ = json.dumps(response.get_json(), ensure_ascii=False)
        allowed = permission is None or permission in PERMISSIONS[role]
        assert (refused not in text_) == allowed, (path, role, permission)


# -- routes ----------------------------------------------------------------------------------
SAMPLE = {"path": "registry", "lang": "ru", "filename": "10_app.css", "package_name": "dash",
          "fingerprinted_path": "dash_renderer/dash-renderer.min.js"}


def _concrete(rule) -> str:
    def fill(match: re.Match) -> str:
        converter, _sep, name = match.group(1).rpartition(":")
        return "1" if converter == "int" else SAMPLE.get(name, "x")

    return re.sub(r"<([^>]+)>", fill, rule.rule)


def _is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or any(path.startswith(prefix) for prefix in PUBLIC_PREFIXES)


def test_the_public_paths_are_few_and_each_has_a_reason():
    # /login and /healthz exactly: the sign-in form and the load balancer's probe;
    # /assets/: the CSS the sign-in page uses (no data); /lang/: the language switch on it.
    assert set(PUBLIC_PATHS) == {"/login", "/healthz"}
    assert set(PUBLIC_PREFIXES) == {"/assets/", "/lang/"}


def _rules() -> list:
    return sorted(ktk.server.url_map.iter_rules(), key=lambda r: r.rule)


@pytest.mark.parametrize("rule", _rules(), ids=lambda r: r.rule)
def test_nobody_reaches_any_route_but_the_public_ones(rule, clients):
    client = clients["nobody"]
    path = _concrete(rule)
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        response = client.open(path, method=method)
        if _is_public(path):
            assert response.status_code != 401, (path, method)
            continue
        if method == "GET" and not path.startswith(("/_dash-", "/files/")):
            assert response.status_code == 302, (path, method, response.status_code)
            assert response.headers["Location"].startswith("/login?next=")
        else:
            assert response.status_code == 401, (path, method, response.status_code)


@pytest.mark.parametrize("path", ["/loginx", "/login/../registry", "/healthz/x", "/assets", "/langx/ru",
                                  "/favicon.ico", "/_dash-layout", "/_dash-dependencies", "/registry?x=/login"])
def test_lookalikes_of_public_paths_are_gated(path, clients):
    response = clients["nobody"].get(path)
    assert response.status_code in (302, 401, 404), (path, response.status_code)
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")


def test_files_of_another_akimat_are_not_found(clients, site):
    """/files/<…int…> routes about list batches: an akimat user asking for another akimat's
    batch gets 404 (no hint it exists); their own is served."""
    from data.models import ListBatch
    from sqlalchemy.orm import Session

    akimat_user = site.user(ROLE_USERS["akimat"])
    with Session(site.engine) as s:
        foreign = s.scalar(select(ListBatch.id).where(ListBatch.akimat_id != akimat_user.akimat_id)
                           .order_by(ListBatch.id))
        own = s.scalar(select(ListBatch.id).where(ListBatch.akimat_id == akimat_user.akimat_id).order_by(ListBatch.id))
    assert foreign is not None and own is not None
    batch_rules = [r for r in _rules() if r.rule.startswith("/files/") and "batch_id" in r.arguments]
    for rule in batch_rules:
        path = rule.rule.replace("<int:batch_id>", str(foreign))
        assert clients["akimat"].get(path).status_code == 404, path
        assert clients["reviewer"].get(path).status_code in (200, 404), path  # reads every list
    other_files = [r for r in _rules() if r.rule.startswith("/files/") and "GET" in r.methods
                   and r not in batch_rules]
    for rule in other_files:
        path = _concrete(rule)
        response = clients["akimat"].get(path)
        assert response.status_code in (403, 404), (path, response.status_code)


# -- sign-in: brute force through the route ----------------------------------------------------
def test_the_sixth_sign_in_in_a_row_is_refused_even_with_the_right_password(site):
    import routes.auth as auth_routes

    client = ktk.server.test_client()
    username = "reviewer12"
    before = len(auth_routes.limiter._hits.get("127.0.0.1", ()))
    try:
        for attempt in range(5):
            response = sign_in(client, username, "Wrong-Pass1!", lang="ru")
            assert response.status_code == 401, attempt
        assert "заблокирован" in response.get_data(as_text=True).lower()
        response = sign_in(client, username, PASSWORD, lang="ru")
        assert response.status_code == 401
        page = response.get_data(as_text=True)
        assert t("login.locked", "ru") in page
        assert client.get("/registry").status_code == 302  # not signed in
        # A wrong CSRF token is refused before the password is looked at.
        assert client.post("/login", data={"csrf": "forged", "username": username,
                                           "password": PASSWORD}).status_code == 400
    finally:
        hits = auth_routes.limiter._hits.get("127.0.0.1")
        while hits and len(hits) > before:  # do not let this test's failures limit the others
            hits.pop()
    user = site.user(username)
    assert user.failed_logins == 6 and user.locked_until is not None


# -- rows: each role's queries against SQL written here ------------------------------------------
def _sql_ids(site: Site, sql: str, **params) -> set[int]:
    with site.engine.connect() as conn:
        return {row[0] for row in conn.execute(text(sql), params)}


def _expected_applications(site: Site, user: User) -> set[int]:
    if user.role in ("manager", "admin"):
        return _sql_ids(site, "SELECT id FROM applications")
    if user.role == "reviewer":
        return _sql_ids(site, "SELECT a.id FROM applications a WHERE a.reviewer_id = :me OR a.reviewer_id IS NULL "
                              "OR a.reviewer_id IN (SELECT u.id FROM users u WHERE u.department = :dept)",
                        me=user.id, dept=user.department)
    return set()


def _expected_complaints(site: Site, user: User) -> set[int]:
    if user.role in ("manager", "admin"):
        return _sql_ids(site, "SELECT id FROM complaints")
    if user.role == "reviewer":
        apps = _expected_applications(site, user)
        rows = {}
        with site.engine.connect() as conn:
            for cid, responsible, app_id in conn.execute(text("SELECT id, responsible_id, application_id "
                                                              "FROM complaints")):
                rows[cid] = (responsible, app_id)
        return {cid for cid, (responsible, app_id) in rows.items()
                if responsible in (None, user.id) or app_id in apps}
    return set()


def _expected_lists(site: Site, user: User, table: str) -> set[int]:
    if user.role == "akimat":
        return _sql_ids(site, f"SELECT id FROM {table} WHERE akimat_id = :a", a=user.akimat_id)
    return _sql_ids(site, f"SELECT id FROM {table}")


SCOPE_USERS = ("reviewer01", "reviewer07", "reviewer12", "manager01", "manager02", "admin", "akimat_astana",
               "akimat_karaganda_city")


@pytest.mark.parametrize("username", SCOPE_USERS)
def test_each_role_queries_exactly_the_rows_its_scope_allows(username, site):
    from sqlalchemy.orm import Session

    from data.models import ListBatch, Recipient
    from data.queries import complaints as complaint_q
    from data.queries import registry as registry_q

    user = site.user(username)
    with Session(site.engine) as s:
        ctx = registry_q.query_context(s, user, DEMO_TODAY)
        empty = registry_q.RegistryFilters()
        seen: list[int] = []
        while True:
            block = registry_q.page_ids(s, ctx, empty, len(seen), len(seen) + registry_q.MAX_BLOCK,
                                        registry_q.DEFAULT_SORT)
            seen.extend(block)
            if len(block) < registry_q.MAX_BLOCK:
                break
        expected = _expected_applications(site, user)
        assert set(seen) == expected and len(seen) == len(expected)
        assert registry_q.count_rows(s, ctx, empty) == len(expected)
        if user.role != "akimat":
            assert expected, username  # the demo gives every staff role something to see

        cctx = complaint_q.query_context(s, user, DEMO_TODAY)
        complaints = complaint_q.page_ids(s, cctx, complaint_q.ComplaintFilters(), 0, 100_000,
                                          complaint_q.DEFAULT_SORT)
        assert set(complaints) == _expected_complaints(site, user)
        assert complaint_q.count_rows(s, cctx, complaint_q.ComplaintFilters()) == len(complaints)

        batches = set(s.scalars(scope_batches(select(ListBatch.id), user)))
        recipients = set(s.scalars(scope_recipients(select(Recipient.id), user)))
        assert batches == _expected_lists(site, user, "list_batches")
        assert recipients == _expected_lists(site, user, "recipients")
        # ...and the lists pages' own queries (the batches list, the recipients grid)
        from data.queries import lists as lists_q
        from data.queries import recipients as recipients_q

        listed = lists_q.list_batches(s, user, DEMO_TODAY, limit=1000)
        assert {row.id for row in listed.rows} == batches and listed.total == len(batches)
        seen_recipients: list[int] = []
        while True:
            block = recipients_q.fetch_block(s, user, DEMO_TODAY, recipients_q.RecipientFilters(),
                                             len(seen_recipients), len(seen_recipients) + recipients_q.MAX_BLOCK)
            seen_recipients.extend(row.id for row in block.rows)
            if len(block.rows) < recipients_q.MAX_BLOCK:
                break
        assert set(seen_recipients) == recipients and len(seen_recipients) == len(recipients)
        if user.role == "akimat":
            assert batches and recipients  # an uploader of the demo has lists


def test_the_demo_users_cover_every_role_and_scope(site):
    roles = {site.user(name).role for name in SCOPE_USERS}
    assert roles == set(PERMISSIONS)
    departments = {site.user(name).department for name in SCOPE_USERS if name.startswith("reviewer")}
    assert len(departments) >= 2  # two reviewer departments: the colleague rule is exercised


def test_roles_holding_the_permission_get_real_data(clients):
    """The refusals above are not an accident of the payload: the same requests give data to
    the roles that may have it."""
    by_label = {cb.label: cb for cb in APP_CALLBACKS}
    registry_rows = payload(by_label["callbacks.registry.load_rows"], True)
    complaint_rows = payload(by_label["callbacks.complaints.load_rows"], True)
    for role in ("manager", "admin", "reviewer"):
        rows = post(clients[role], registry_rows).get_json()["response"]["registry-grid"]["getRowsResponse"]
        assert rows["rowData"], role
        rows = post(clients[role], complaint_rows).get_json()["response"]["complaints-grid"]["getRowsResponse"]
        assert rows["rowData"], role
    assert post(clients["akimat"], registry_rows).status_code == 403
    statuses = {role: [post(clients[role], payload(cb, True)).status_code for cb in APP_CALLBACKS] for role in ROLES}
    for role, codes in statuses.items():
        assert 500 not in codes
        assert codes.count(200) >= 3, (role, codes)


# -- two sessions, one application ---------------------------------------------------------------
def test_two_sessions_assigning_the_same_application_the_second_gets_a_conflict(site, clients):
    """Two managers open the same application (same version) and assign it to different
    reviewers through the real endpoint: the first wins, the second is told who changed it,
    and nothing of the first change is lost."""
    from sqlalchemy.orm import Session

    from data.models import Application

    second = ktk.server.test_client()
    assert sign_in(second, "manager02", lang="ru").status_code == 302
    reviewers = [site.user("reviewer03"), site.user("reviewer04")]
    with Session(site.engine) as s:
        app_id, version = s.execute(select(Application.id, Application.version)
                                    .where(Application.is_open.is_(True)).order_by(Application.id)).first()
    cb = next(cb for cb in APP_CALLBACKS if cb.label == "callbacks.application.submit_assign")

    def assign(client, reviewer):
        return post(client, payload(cb, True, {"apppage-assign-select.value": str(reviewer.id),
                                               "apppage-version.data": version, "apppage-id.data": str(app_id)}))

    first = assign(clients["manager"], reviewers[0])
    assert first.status_code == 200
    assert first.get_json()["response"]["apppage-version"]["data"] == version + 1
    late = assign(second, reviewers[1])
    assert late.status_code == 200
    shown = json.dumps(late.get_json(), ensure_ascii=False)
    assert "Эту запись изменил другой пользователь" in shown
    assert site.user("manager01").full_name in shown
    with Session(site.engine) as s:
        row = s.get(Application, app_id)
        assert row.reviewer_id == reviewers[0].id and row.version == version + 1
