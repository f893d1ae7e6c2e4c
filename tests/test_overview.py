"""The overview's numbers (data/queries/overview.py) and its callbacks, checked against an
independent Python computation over generated demo data with a fixed ``today``; every number's
registry link selects exactly the rows it counts.

The demo data is generated once per module into a database of its own (a SQLite file, or a
scratch PostgreSQL schema when DATABASE_URL names PostgreSQL), as tests/test_demo.py does.
"""
from __future__ import annotations

import os
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import Forbidden

from data.clocks import load_context, start_clock
from data.config import LOCAL_TZ
from data.db import make_engine
from data.models import (
    Akimat,
    Application,
    Clock,
    Complaint,
    ListBatch,
    Recipient,
    User,
)
from data.models.jobs import JobRun
from data.queries import overview as q
from data.statuses import WORKFLOWS
from tests.module_db import engine_of, load_demo, module_database, rolled_back_session
from tests.signin import signed_in as shared_signed_in

TODAY = date(2026, 11, 20)  # a Friday
N = 700
SEED = 20260306


# -- a demo database of the module's own ----------------------------------------------------------
@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    with module_database(tmp_path_factory, "overview") as url:
        load_demo(url, N, seed=SEED, today=TODAY, chunk_size=250)
        yield url


@pytest.fixture(scope="module")
def demo_engine(demo_url):
    with engine_of(demo_url) as eng:
        yield eng


@pytest.fixture
def db(demo_engine):
    """A session on the demo database whose changes are rolled back."""
    with rolled_back_session(demo_engine) as sess:
        yield sess


# -- the independent computation ------------------------------------------------------------------
@dataclass
class World:
    apps: list
    clocks: list
    akimats: dict  # id -> (kato, parent_id)
    users: dict  # id -> User
    ctx: object

    def subtree(self, kato: str) -> set[int]:
        root = next(i for i, (k, _p) in self.akimats.items() if k == kato)
        out, changed = {root}, True
        while changed:
            changed = False
            for i, (_k, parent) in self.akimats.items():
                if parent in out and i not in out:
                    out.add(i)
                    changed = True
        return out

    def region(self, akimat_id: int) -> int:
        while self.akimats[akimat_id][1] is not None:
            akimat_id = self.akimats[akimat_id][1]
        return akimat_id

    def due_soon(self, app, today=TODAY) -> bool:
        if not app.is_open or app.current_due_date is None or app.current_due_date < today:
            return False
        warn = self.ctx.policies.in_force(app.current_policy, today).warn_wd
        return app.current_due_date <= self.ctx.calendar.add_working_days(today, warn)

    def visible(self, app, user: User | None) -> bool:
        if user is None or user.role in ("manager", "admin"):
            return True
        colleagues = {u.id for u in self.users.values() if user.department and u.department == user.department}
        return app.reviewer_id is None or app.reviewer_id == user.id or app.reviewer_id in colleagues

    def selected(self, flt: q.OverviewFilter, user: User | None = None) -> list:
        keep = self.subtree(flt.akimat) if flt.akimat else None
        return [a for a in self.apps if (not flt.kind or a.kind == flt.kind)
                and (keep is None or a.akimat_id in keep) and self.visible(a, user)]

    def registry(self, href: str, today=TODAY) -> list:
        """The rows the registry shows for a link: its documented URL filters, applied in Python."""
        parts = urlsplit(href)
        assert parts.path == "/registry"
        params = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        assert set(params) <= set(q.REGISTRY_PARAMS), params
        rows = self.apps
        if "kind" in params:
            rows = [a for a in rows if a.kind == params["kind"]]
        if "status" in params:
            wanted = set(params["status"].split(","))
            rows = [a for a in rows if a.status in wanted]
        if "akimat" in params:
            keep = self.subtree(params["akimat"])
            rows = [a for a in rows if a.akimat_id in keep]
        if "reviewer" in params:
            wanted = None if params["reviewer"] == "none" else int(params["reviewer"])
            rows = [a for a in rows if a.reviewer_id == wanted]
        state = params.get("state")
        if state == "open":
            rows = [a for a in rows if a.is_open]
        elif state == "closed":
            rows = [a for a in rows if not a.is_open]
        elif state == "overdue":
            rows = [a for a in rows if a.is_open and a.current_due_date and a.current_due_date < today]
        elif state == "due_soon":
            rows = [a for a in rows if self.due_soon(a, today)]
        for key, test in (("from", lambda d, x: d >= x), ("to", lambda d, x: d <= x)):
            if key in params:
                bound = datetime.strptime(params[key], "%d.%m.%Y").date()
                rows = [a for a in rows if a.registration_date is not None and test(a.registration_date, bound)]
        return rows


@pytest.fixture(scope="module")
def world(demo_engine) -> World:
    with Session(demo_engine) as s:
        apps = list(s.scalars(select(Application)))
        clocks = list(s.scalars(select(Clock).where(Clock.application_id.is_not(None))))
        akimats = {a.id: (a.kato, a.parent_id) for a in s.scalars(select(Akimat))}
        users = {u.id: u for u in s.scalars(select(User))}
        ctx = load_context(s)
        s.expunge_all()
    return World(apps, clocks, akimats, users, ctx)


def reviewer(world: World, username: str = "reviewer01") -> User:
    return next(u for u in world.users.values() if u.username == username)


FILTERS = [
    q.OverviewFilter(),
    q.OverviewFilter(kind="rent_to_own"),
    q.OverviewFilter(kind="correction", period_days=90),
    q.OverviewFilter(akimat="710000000"),  # Astana with its districts
    q.OverviewFilter(akimat="711410000"),  # one district
    q.OverviewFilter(kind="rent_to_own", akimat="750000000", period_days=365),
]


def test_the_demo_data_is_rich_enough(world):
    open_apps = [a for a in world.apps if a.is_open]
    assert len(open_apps) > 50
    assert sum(1 for a in open_apps if a.current_due_date and a.current_due_date < TODAY) > 10
    assert sum(1 for a in open_apps if world.due_soon(a)) > 3
    assert any(a.registration_date is None for a in open_apps)


# -- KPIs and the one-pass summary ------------------------------------------------------------------
@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: f"{f.kind}-{f.akimat}-{f.period_days}")
def test_open_summary_matches_python(db, world, flt):
    got = q.open_summary(db, TODAY, world.ctx, flt)
    rows = [a for a in world.selected(flt) if a.is_open]
    overdue = [a for a in rows if a.current_due_date is not None and a.current_due_date < TODAY]
    assert got.open == len(rows)
    assert got.overdue == len(overdue)
    assert got.due_soon == sum(1 for a in rows if world.due_soon(a))
    assert got.unregistered == sum(1 for a in rows if a.registration_date is None)
    assert got.backlog == dict(Counter((a.kind, a.status) for a in rows))
    assert got.overdue_by_reviewer == dict(Counter(a.reviewer_id for a in overdue))
    ages = [(TODAY - a.registration_date).days for a in rows if a.registration_date is not None]
    expected_aging = [sum(1 for age in ages if (age <= high if low == 0 else low <= age and (high is None or age <= high)))
                      for low, high in q.AGE_BUCKETS]
    assert got.aging == expected_aging
    assert sum(got.aging) + got.unregistered == got.open
    akimats = q.load_akimats(db)
    regions = dict(q.overdue_by_region(got, akimats))
    assert regions == dict(Counter(world.region(a.akimat_id) for a in overdue))
    assert all(akimats.by_id[r].parent_id is None for r in regions)


def test_reviewers_see_their_scope_only(db, world):
    user = reviewer(world, "reviewer07")
    got = q.open_summary(db, TODAY, world.ctx, q.OverviewFilter(), user)
    mine = [a for a in world.apps if a.is_open and world.visible(a, user)]
    everyone = q.open_summary(db, TODAY, world.ctx, q.OverviewFilter())
    assert got.open == len(mine) < everyone.open
    assert got.overdue == sum(1 for a in mine if a.current_due_date and a.current_due_date < TODAY)
    department = {u.id for u in world.users.values() if u.department == user.department}
    assert set(got.overdue_by_reviewer) <= department | {None}
    trend = q.trend(db, TODAY, q.OverviewFilter(), user)
    assert trend[-1].overdue == got.overdue


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: f"{f.kind}-{f.akimat}-{f.period_days}")
def test_on_time_rate_matches_python(db, world, flt):
    got = q.on_time(db, TODAY, flt)
    since = TODAY - timedelta(days=flt.period_days - 1)
    apps = {a.id for a in world.selected(flt)}
    counted = [c for c in world.clocks if c.policy_code in q.ON_TIME_POLICIES and c.application_id in apps
               and c.due_date is not None and c.stopped_on is not None and since <= c.stopped_on <= TODAY]
    assert (got.total, got.met) == (len(counted), sum(1 for c in counted if c.stopped_on <= c.due_date))
    assert got.since == since and got.until == TODAY
    if not flt.kind and not flt.akimat:
        assert got.total > 20 and 0 < got.rate < 1


def test_on_time_rate_with_nothing_stopped_is_none(db):
    got = q.on_time(db, date(2024, 1, 10))
    assert got.total == 0 and got.rate is None


# -- the weekly trend -------------------------------------------------------------------------------
def _overdue_on(clock, day: date) -> bool:
    return (clock.due_date is not None and clock.due_date < day
            and (clock.stopped_on is None or clock.stopped_on > day)
            and (clock.paused_since is None or clock.paused_since > day))


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: f"{f.kind}-{f.akimat}-{f.period_days}")
def test_trend_matches_python(db, world, flt):
    points = q.trend(db, TODAY, flt)
    weeks = max(26, -(-flt.period_days // 7))
    assert len(points) == weeks
    assert points[-1].start == date(2026, 11, 16) and points[-1].end == TODAY
    assert all(p.start.weekday() == 0 and (p.end - p.start).days == 6 for p in points[:-1])
    assert all(b.start - a.start == timedelta(days=7) for a, b in zip(points, points[1:]))
    apps = world.selected(flt)
    ids = {a.id for a in apps}
    clocks = [c for c in world.clocks if c.application_id in ids]
    for p in points:
        assert p.received == sum(1 for a in apps if a.registration_date and p.start <= a.registration_date <= p.end)
        assert p.closed == sum(1 for a in apps if a.closed_at and p.start <= a.closed_at.astimezone(LOCAL_TZ).date()
                               <= p.end)
        assert p.overdue == sum(1 for c in clocks if _overdue_on(c, p.end)), p
    # the trend's last point is today's overdue KPI: the two definitions agree
    assert points[-1].overdue == q.open_summary(db, TODAY, world.ctx, flt).overdue
    if flt == q.OverviewFilter():
        assert sum(p.received for p in points) > 100 and sum(p.closed for p in points) > 100
        assert max(p.overdue for p in points) > 5


@pytest.mark.parametrize("flt", [q.OverviewFilter(), q.OverviewFilter(kind="rent_to_own", period_days=365),
                                 q.OverviewFilter(akimat="710000000", period_days=90)],
                         ids=lambda f: f"{f.kind}-{f.akimat}-{f.period_days}")
def test_reviewer_scoped_trend_and_on_time_match_python(db, world, flt):
    """The clock-side figures of a reviewer (the semi-join on the applications in scope, read from
    the open ones and those closed in the period) count exactly the clocks of those applications,
    including clocks of applications closed long ago that stopped in the window."""
    user = reviewer(world, "reviewer07")
    ids = {a.id for a in world.selected(flt, user)}
    assert ids and len(ids) < len(world.apps)
    clocks = [c for c in world.clocks if c.application_id in ids]
    got = q.on_time(db, TODAY, flt, user)
    since = TODAY - timedelta(days=flt.period_days - 1)
    counted = [c for c in clocks if c.policy_code in q.ON_TIME_POLICIES and c.due_date is not None
               and c.stopped_on is not None and since <= c.stopped_on <= TODAY]
    assert (got.total, got.met) == (len(counted), sum(1 for c in counted if c.stopped_on <= c.due_date))
    points = q.trend(db, TODAY, flt, user)
    assert [p.overdue for p in points] == [sum(1 for c in clocks if _overdue_on(c, p.end)) for p in points]
    assert sum(p.overdue for p in points) > 0


def test_overdue_history_on_arbitrary_days(db, world):
    days = [date(2025, 6, 30), date(2026, 1, 1), date(2026, 3, 9), date(2026, 9, 1), TODAY]
    assert q.overdue_at(db, days) == [sum(1 for c in world.clocks if _overdue_on(c, d)) for d in days]


# -- lists and complaints ---------------------------------------------------------------------------
def test_lists_waiting_and_their_upload_clock(db, world):
    ctx = load_context(db)
    astana, karaganda, esil = (db.scalar(select(Akimat).where(Akimat.kato == k))
                               for k in ("710000000", "350000000", "711410000"))
    base = q.lists_waiting(db, TODAY)
    astana_base = q.lists_waiting(db, TODAY, q.OverviewFilter(akimat="710000000"))

    def batch(akimat, status, received):
        row = ListBatch(akimat_id=akimat.id, file_name="тізім.xlsx", sha256=os.urandom(32).hex(), status=status,
                        received_at=received, registration_date=received.date())
        db.add(row)
        db.flush()
        clock = start_clock(db, ctx, row, "list_upload", received)
        db.flush()
        return clock

    late = batch(esil, "received", datetime(2026, 11, 10, 11, 0, tzinfo=LOCAL_TZ))
    on_time = batch(astana, "validated", datetime(2026, 11, 19, 11, 0, tzinfo=LOCAL_TZ))
    batch(karaganda, "received", datetime(2026, 11, 2, 10, 0, tzinfo=LOCAL_TZ))
    loaded = batch(karaganda, "loaded", datetime(2026, 11, 2, 10, 0, tzinfo=LOCAL_TZ))
    assert late.due_date == date(2026, 11, 12) and on_time.due_date == date(2026, 11, 23)
    assert loaded.due_date < TODAY  # past its clock, but loaded: not waiting
    got = q.lists_waiting(db, TODAY)
    assert (got.count - base.count, got.overdue - base.overdue) == (3, 2)
    astana_only = q.lists_waiting(db, TODAY, q.OverviewFilter(akimat="710000000"))  # the district counts
    assert (astana_only.count - astana_base.count, astana_only.overdue - astana_base.overdue) == (2, 1)
    akimat_user = User(username="ak_karaganda", full_name="Ақ", role="akimat", akimat_id=karaganda.id)
    db.add(akimat_user)
    db.flush()
    mine = q.lists_waiting(db, TODAY, user=akimat_user)
    waiting_karaganda = db.scalar(select(func.count()).select_from(ListBatch).where(
        ListBatch.akimat_id == karaganda.id, ListBatch.status.in_(("received", "validated"))))
    assert mine.count == waiting_karaganda >= 1 and mine.overdue >= 1


@pytest.mark.parametrize("flt", FILTERS[:5], ids=lambda f: f"{f.kind}-{f.akimat}")
def test_open_complaints_match_python(db, world, flt):
    complaints = list(db.scalars(select(Complaint)))
    recipients = {r.id: r.akimat_id for r in db.scalars(select(Recipient))}
    batches = {b.id: b.akimat_id for b in db.scalars(select(ListBatch))}
    apps = {a.id: a for a in world.apps}
    keep = world.subtree(flt.akimat) if flt.akimat else None

    def counts(c):
        app = apps.get(c.application_id)
        if flt.kind and (app is None or app.kind != flt.kind):
            return False
        if keep is not None:
            akimat = app.akimat_id if app else recipients.get(c.recipient_id) or batches.get(c.batch_id)
            return akimat in keep
        return True

    rows = [c for c in complaints if c.is_open and counts(c)]
    got = q.open_complaints(db, TODAY, flt)
    assert (got.count, got.overdue) == (len(rows), sum(1 for c in rows if c.current_due_date and
                                                       c.current_due_date < TODAY))
    # a reviewer's scope with the same filter (this combination once failed to build its query):
    # complaints they are responsible for, unassigned ones, and those about applications they see
    user = reviewer(world, "reviewer07")
    mine = [c for c in rows if c.responsible_id in (None, user.id)
            or (c.application_id in apps and world.visible(apps[c.application_id], user))]
    assert q.open_complaints(db, TODAY, flt, user).count == len(mine) <= len(rows)
    # due soon: open, not overdue, due within the 2-working-day warning window of the complaint terms
    limit = world.ctx.calendar.add_working_days(TODAY, 2)
    assert got.due_soon == sum(1 for c in rows if c.current_due_date and TODAY <= c.current_due_date <= limit)
    since = TODAY - timedelta(days=flt.period_days - 1)
    answered = [c for c in complaints if counts(c) and c.status == "answered" and c.closed_on_time is not None
                and since <= c.answer_date <= TODAY]
    assert (got.answered, got.answered_on_time) == (len(answered), sum(1 for c in answered if c.closed_on_time))
    if flt == q.OverviewFilter():
        assert got.count > 5 and got.due_soon >= 1 and got.answered >= 1  # the world exercises every figure


def test_everything_at_once(db, world):
    data = q.overview(db, TODAY, world.ctx, q.OverviewFilter(kind="rent_to_own"))
    assert data.summary.open == sum(1 for a in world.apps if a.is_open and a.kind == "rent_to_own")
    assert data.lists is not None and data.complaints is not None
    assert set(data.reviewers) == {r for r in data.summary.overdue_by_reviewer if r is not None}
    assert all(data.reviewers[r] == world.users[r].full_name for r in data.reviewers)


@pytest.mark.parametrize("flt", [q.OverviewFilter(), q.OverviewFilter(kind="rent_to_own", akimat="750000000",
                                                                     period_days=365)],
                         ids=lambda f: f"{f.kind}-{f.akimat}-{f.period_days}")
@pytest.mark.parametrize("who", [None, "reviewer07"])
def test_concurrent_overview_reads_the_same_figures(demo_engine, world, flt, who):
    """The page reads the on-time rate and the overdue history on connections of their own
    (``concurrent=True``): the figures are exactly those of one connection."""
    with Session(demo_engine) as s:
        user = s.scalar(select(User).where(User.username == who)) if who else None
        one = q.overview(s, TODAY, world.ctx, flt, user)
        both = q.overview(s, TODAY, world.ctx, flt, user, concurrent=True)
    assert both.summary == one.summary and both.on_time == one.on_time
    assert [(p.start, p.end, p.received, p.closed, p.overdue) for p in both.trend] == \
        [(p.start, p.end, p.received, p.closed, p.overdue) for p in one.trend]
    assert (both.lists, both.complaints, both.regions, both.reviewers) == (one.lists, one.complaints, one.regions,
                                                                         one.reviewers)
    assert one.on_time.total > 0 and sum(p.overdue for p in one.trend) > 0


# -- filters and links ------------------------------------------------------------------------------
def test_filter_cleaning():
    assert q.OverviewFilter.clean("rent_to_own", "710000000", "90") == q.OverviewFilter("rent_to_own",
                                                                                        "710000000", 90)
    assert q.OverviewFilter.clean("bogus", "71' OR 1=1", "7") == q.OverviewFilter()
    assert q.OverviewFilter.clean(None, "", None) == q.OverviewFilter()


def test_registry_links_carry_exactly_the_filters():
    flt = q.OverviewFilter(kind="correction", akimat="710000000", period_days=90)
    assert q.registry_href(flt, state="overdue") == "/registry?kind=correction&akimat=710000000&state=overdue"
    assert q.registry_href(q.OverviewFilter(), kind="rent_to_own", status=["submitted", "under_review"]) == \
        "/registry?kind=rent_to_own&status=submitted,under_review"
    assert q.registry_href(q.OverviewFilter(), state="open", from_=date(2026, 10, 21), to=date(2026, 11, 5)) == \
        "/registry?state=open&from=21.10.2026&to=05.11.2026"
    assert q.registry_href(flt, reviewer=7, state="overdue") == \
        "/registry?kind=correction&akimat=710000000&reviewer=7&state=overdue"
    assert q.registry_href(q.OverviewFilter(), q="Ә&б") == "/registry?q=%D3%98%26%D0%B1"
    with pytest.raises(ValueError):
        q.registry_href(q.OverviewFilter(), overdue=1)


# -- the callbacks ----------------------------------------------------------------------------------
@pytest.fixture
def signed_in(demo_url, monkeypatch):
    """Call callbacks as a signed-in user of the demo database (callbacks open their own sessions)."""
    import callbacks.overview as cb

    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.setattr(cb, "today_local", lambda: TODAY)
    with ExitStack() as requests:
        def enter(username: str, lang: str = "kk"):
            with make_engine(demo_url).connect() as conn:
                user = Session(bind=conn).scalar(select(User).where(User.username == username))
            requests.enter_context(shared_signed_in(user, lang, path="/", method="GET"))
            return user

        yield enter


def _figure_links(fig) -> list[tuple[str, int]]:
    """(href, number shown) of every clickable bar of a figure."""
    out = []
    for trace in fig["data"]:
        if trace.get("customdata") is None:
            continue
        values = trace["x"] if trace.get("orientation") == "h" else trace["y"]
        for href, value in zip(trace["customdata"], values):
            if href:
                out.append((href, value))
    return out


def _cards(children) -> dict[str, tuple[str, str | None]]:
    """data-kpi -> (value text, href) of the KPI cards."""
    out = {}
    for child in children:
        props = child.to_plotly_json()["props"]
        key = props.get("data-kpi")
        if key is None:
            continue
        card = props["children"]
        body = card.children
        value = body.children[1].children
        out[key] = (value, props.get("href"))
    return out


@pytest.mark.parametrize("kind,akimat", [(None, None), ("rent_to_own", "710000000"), ("correction", None)])
def test_every_number_clicks_through_to_exactly_its_rows(signed_in, world, kind, akimat):
    import callbacks.overview as cb

    signed_in("manager01")
    cards, backlog, aging, regions, reviewers, trend, *_ = cb.fill_overview("kk", kind, akimat, 30)
    flt = q.OverviewFilter(kind=kind, akimat=akimat)
    cards = _cards(cards)
    for key in ("open", "due_soon", "overdue"):
        value, href = cards[key]
        rows = world.registry(href)
        assert int(value.replace(" ", "")) == len(rows), key
        params = parse_qs(urlsplit(href).query)
        assert params["state"] == [key] and params.get("kind") == ([kind] if kind else None)
        assert params.get("akimat") == ([akimat] if akimat else None)
    assert cards["on_time"][1] is None  # the registry has no filter for "stopped in the period"
    # open complaints: the complaints page's own exact filter, only when the overview is not narrowed
    assert cards["complaints"][1] == (None if kind or akimat else "/complaints?state=open")
    checked = 0
    for fig in (backlog, aging, regions, reviewers):
        for href, value in _figure_links(fig):
            assert len(world.registry(href)) == value, href
            checked += 1
    received = [t for t in trend["data"] if t.get("customdata") is not None]
    assert len(received) == 1
    for href, value in _figure_links(trend):
        assert len(world.registry(href)) == value, href
        params = parse_qs(urlsplit(href).query)
        assert "state" not in params and {"from", "to"} <= set(params)
        checked += 1
    assert checked > 20
    expected_open = len([a for a in world.selected(flt) if a.is_open])
    assert sum(v for _h, v in _figure_links(backlog)) == expected_open


def test_the_registry_counts_what_each_link_promises(signed_in, world, demo_engine):
    """The colleague's registry (data/queries/registry.py), given each link's query string,
    selects as many rows as the overview shows: the two pages agree."""
    import callbacks.overview as cb
    from data.queries import registry

    user = signed_in("manager01")
    outputs = cb.fill_overview("kk", "rent_to_own", None, 30)
    links = [(href, int(value.replace(" ", ""))) for value, href in _cards(outputs[0]).values()
             if href and href.startswith("/registry")]
    for fig in outputs[1:6]:
        links += _figure_links(fig)
    assert len(links) > 20
    with Session(demo_engine) as s:
        ctx = registry.query_context(s, user, TODAY)
        for href, value in links:
            params = {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}
            filters, problems = registry.parse_filters(params)
            assert problems == [], href
            assert registry.count_rows(s, ctx, filters) == value, href


def test_the_complaints_page_counts_the_open_complaints_card(signed_in, demo_engine):
    import callbacks.overview as cb
    from data.queries import complaints

    user = signed_in("manager01")
    value, href = _cards(cb.fill_overview("kk", None, None, 30)[0])["complaints"]
    params = {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}
    filters, problems = complaints.parse_filters(params)
    assert problems == [] and urlsplit(href).path == "/complaints"
    with Session(demo_engine) as s:
        ctx = complaints.query_context(s, user, TODAY)
        assert complaints.count_rows(s, ctx, filters) == int(value.replace(" ", "")) > 0


def test_region_bars_roll_districts_up_and_respect_the_akimat_filter(signed_in, world, demo_engine):
    import callbacks.overview as cb

    signed_in("manager01")
    regions = cb.fill_overview("ru", None, None, 30)[3]
    bar = regions["data"][0]
    bars = dict(zip(bar["y"], bar["x"]))
    assert "Акимат города Астаны" in bars
    links = dict(zip(bar["y"], bar["customdata"]))
    assert links["Акимат города Астаны"] == "/registry?akimat=710000000&state=overdue"
    astana_overdue = [a for a in world.apps if a.is_open and a.current_due_date and a.current_due_date < TODAY
                      and world.region(a.akimat_id) == next(i for i, (k, _p) in world.akimats.items()
                                                            if k == "710000000")]
    assert bars["Акимат города Астаны"] == len(astana_overdue)
    # filtered to one district: one bar, its region's name, linking to the district only
    overdue_districts = Counter(a.akimat_id for a in world.apps if a.is_open and a.current_due_date
                                and a.current_due_date < TODAY and world.akimats[a.akimat_id][1] is not None)
    district_id, count = overdue_districts.most_common(1)[0]
    kato = world.akimats[district_id][0]
    with Session(demo_engine) as s:
        region_name = s.get(Akimat, world.region(district_id)).name_ru
    district = cb.fill_overview("ru", None, kato, 30)[3]["data"][0]
    assert district["y"] == [region_name] and district["x"] == [count]
    assert district["customdata"] == [f"/registry?akimat={kato}&state=overdue"]


def test_overview_callback_texts_in_both_languages(signed_in):
    import callbacks.overview as cb

    signed_in("manager01")
    kk = cb.fill_overview("kk", None, None, 30)
    ru = cb.fill_overview("ru", None, None, 30)
    kk_cards, ru_cards = _cards(kk[0]), _cards(ru[0])
    assert kk_cards.keys() == ru_cards.keys() == {"open", "due_soon", "overdue", "on_time", "lists", "complaints"}
    assert kk_cards["open"] == ru_cards["open"]
    assert kk[6][0] == "20.11.2026 жағдай бойынша" and ru[6][0] == "По состоянию на 20.11.2026"
    assert "Открытые заявки" in str(ru[0]) and "Ашық өтінімдер" in str(kk[0])
    assert "Поступило (зарегистрировано)" in [t["name"] for t in ru[5]["data"]]
    assert "Түскені (тіркелгені)" in [t["name"] for t in kk[5]["data"]]
    assert any("Заявка на рассмотрении" in label for label in ru[1]["layout"]["yaxis"]["ticktext"])
    assert ru[1]["layout"]["separators"] == ", "
    # status colours of data/statuses.py on the backlog bars
    colours = {label: colour for trace in ru[1]["data"] if trace.get("customdata") is not None
               for label, colour in zip(trace["y"], trace["marker"]["color"])}
    status = WORKFLOWS["correction"].status("needs_revision")
    assert colours[status.ru] == cb.PALETTE[status.color]


def test_reviewer_overview_is_scoped_and_says_so(signed_in, world):
    import callbacks.overview as cb

    user = signed_in("reviewer07", "ru")
    cards = _cards(cb.fill_overview("ru", None, None, 30)[0])
    mine = [a for a in world.apps if a.is_open and world.visible(a, user)]
    assert int(cards["open"][0].replace(" ", "")) == len(mine)
    as_of = cb.fill_overview("ru", None, None, 30)[6]
    assert "Показаны ваши заявки" in str(as_of)


def test_callbacks_refuse_users_without_the_permission(signed_in):
    import callbacks.overview as cb

    signed_in("akimat_astana")
    with pytest.raises(Forbidden):
        cb.fill_overview("kk", None, None, 30)
    with pytest.raises(Forbidden):
        cb.open_registry({"points": [{"customdata": "/registry?state=open"}]}, None, None, None, None)


def test_anonymous_callers_are_refused(demo_url, monkeypatch):
    import app as app_module
    import callbacks.overview as cb

    monkeypatch.setenv("DATABASE_URL", demo_url)
    with app_module.server.test_request_context("/"):
        with pytest.raises(Forbidden):
            cb.fill_overview("kk", None, None, 30)


def test_a_click_opens_the_bar_link_and_ignores_the_rest(signed_in):
    from contextvars import copy_context

    from dash._callback_context import context_value
    from dash._utils import AttributeDict
    from dash.exceptions import PreventUpdate

    import callbacks.overview as cb

    signed_in("manager01")

    def click(graph: str, *clicks):
        def run():
            context_value.set(AttributeDict(triggered_inputs=[{"prop_id": f"{graph}.clickData", "value": 1}]))
            return cb.open_registry(*clicks)
        return copy_context().run(run)

    bar = {"points": [{"customdata": "/registry?kind=correction&status=sent"}]}
    assert click(cb.ids.REGIONS, None, None, bar, None, None) == "/registry?kind=correction&status=sent"
    with pytest.raises(PreventUpdate):  # the click was on another chart than the one that changed
        click(cb.ids.AGING, None, None, bar, None, None)
    with pytest.raises(PreventUpdate):  # the "closed" bars of the trend carry no link
        click(cb.ids.TREND, None, None, None, None, {"points": [{"x": "16.11", "y": 3}]})

    assert cb.clicked_href({"points": [{"customdata": "/registry?state=overdue&reviewer=3"}]}) == \
        "/registry?state=overdue&reviewer=3"
    assert cb.clicked_href({"points": [{"customdata": None}]}) is None
    assert cb.clicked_href({"points": [{"customdata": "https://evil.example/"}]}) is None
    assert cb.clicked_href(None) is None


def test_a_failing_job_shows_as_a_warning(signed_in, demo_engine):
    import callbacks.overview as cb

    signed_in("manager01", "ru")
    started = datetime(2026, 11, 20, 0, 10, tzinfo=LOCAL_TZ)
    with Session(demo_engine) as s:
        s.add(JobRun(job="daily_snapshot", period="test-" + os.urandom(4).hex(), trigger="schedule",
                     started_at=started, finished_at=started + timedelta(seconds=3), outcome="error",
                     error="RuntimeError: boom"))
        s.commit()
    try:
        warnings = cb.fill_overview("ru", None, None, 30)[7]
        text_ = str(warnings)
        assert len(warnings) == 1 and "Ежедневный срез" in text_ and "20.11.2026 00:10" in text_
        assert "boom" not in text_  # the error text is for the Jobs page, not the overview
    finally:
        with Session(demo_engine) as s:
            s.execute(JobRun.__table__.delete().where(JobRun.job == "daily_snapshot"))
            s.commit()
    assert cb.fill_overview("ru", None, None, 30)[7] == []
