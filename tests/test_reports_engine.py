"""The report engine (data/reports/): every report's figures in the real generated workbook,
checked against an independent Python computation over a generated demo world with a fixed
``today``; filters, scoping and the snapshot source; refusals with kk/ru messages.

The demo world is generated once per test session into a database of its own (SQLite file or a
PostgreSQL schema); tests/test_reports_formats.py and tests/test_reports_cli.py use it too.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.access import scope_applications
from data.config import LOCAL_TZ
from data.errors import DomainError
from data.models import Akimat, Application, Clock, Complaint, ListBatch, Recipient, User
from data.models.audit import AuditEntry
from data.reports import KINDS, ReportFilters, generate, preview
from data.reports.filters import check
from tests.module_db import engine_of, load_demo, module_database, rolled_back_session

TODAY = date(2026, 11, 20)  # a Friday
NOW = datetime(2026, 11, 20, 15, 30, tzinfo=LOCAL_TZ)
N = 800
SEED = 11
FROM = date(2026, 6, 1)
PERIOD = ReportFilters(date_from=FROM, date_to=TODAY)
KTK = ("ktk_review", "state_registration")
# Text a spreadsheet would run as a formula, in names and contract numbers of extra rows.
AWKWARD = [("=HYPERLINK(\"http://x\")", "=1+1"), ("+77011234567", "+7"), ("-5 Тест", "-5"),
           ("@SUM(A1)", "@x"), ("\tTAB Атауы", "\tT"), ("\rCR Атауы", "\rC")]


@pytest.fixture(scope="session")
def reports_url(tmp_path_factory):
    with module_database(tmp_path_factory, "reports") as url:
        load_demo(url, N, seed=SEED, today=TODAY, chunk_size=400)
        with engine_of(url) as eng, Session(eng) as s:
            astana = s.scalar(select(Akimat).where(Akimat.kato == "710000000"))
            for i, (name, contract) in enumerate(AWKWARD):
                s.add(Application(kind="rent_to_own", status="under_review", is_open=True,
                                  registration_number=f"AWK-{i}", registration_date=TODAY - timedelta(days=i),
                                  applicant_name=name, applicant_iin=f"80010130{i:04d}", akimat_id=astana.id,
                                  contract_number=contract, current_due_date=TODAY + timedelta(days=i - 3),
                                  current_policy="ktk_review"))
            s.commit()
        yield url


@pytest.fixture(scope="session")
def reports_engine(reports_url):
    with engine_of(reports_url) as eng:
        yield eng


@pytest.fixture
def db(reports_engine):
    with rolled_back_session(reports_engine) as sess:
        yield sess


@dataclass
class World:
    apps: dict
    clocks: list
    complaints: dict
    batches: list
    recipients: list
    akimats: dict  # id -> (kato, parent id, name_kk, name_ru)
    users: dict

    def user(self, username: str) -> User:
        return next(u for u in self.users.values() if u.username == username)

    def region(self, akimat_id):
        if akimat_id is None:
            return None
        while self.akimats[akimat_id][1] is not None:
            akimat_id = self.akimats[akimat_id][1]
        return akimat_id

    def subtree(self, kato: str) -> set[int]:
        root = next(i for i, a in self.akimats.items() if a[0] == kato)
        out, changed = {root}, True
        while changed:
            changed = False
            for i, a in self.akimats.items():
                if a[1] in out and i not in out:
                    out.add(i)
                    changed = True
        return out


@pytest.fixture(scope="session")
def world(reports_engine) -> World:
    with Session(reports_engine) as s:
        w = World(apps={a.id: a for a in s.scalars(select(Application))},
                  clocks=list(s.scalars(select(Clock))),
                  complaints={c.id: c for c in s.scalars(select(Complaint))},
                  batches=list(s.scalars(select(ListBatch))), recipients=list(s.scalars(select(Recipient))),
                  akimats={a.id: (a.kato, a.parent_id, a.name_kk, a.name_ru) for a in s.scalars(select(Akimat))},
                  users={u.id: u for u in s.scalars(select(User))})
        s.expunge_all()
    return w


def run(db, tmp_path: Path, kind: str, fmt: str = "xlsx", filters: ReportFilters = PERIOD, *, user=None,
        lang: str = "kk", **kw):
    return generate(db, kind, fmt, filters, user=user, lang=lang, out_dir=tmp_path, now=NOW, **kw)


def figures(wb) -> dict[str, object]:
    """The summary sheet's headline figures: label -> cell value."""
    ws = wb.worksheets[0]
    out, on = {}, False
    for row in ws.iter_rows(values_only=True):
        if row[0] in ("Негізгі көрсеткіштер", "Основные показатели"):
            on = True
            continue
        if on:
            if row[0] is None:
                break
            out[row[0]] = row[1]
    return out


def table(wb, name: str) -> tuple[list, list[list]]:
    ws = wb[name]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    return rows[1], rows[2:]


def close(a, b) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-9)


def quantiles(days: list[int]) -> tuple[float | None, float | None]:
    if not days:
        return None, None
    if len(days) == 1:
        return float(days[0]), float(days[0])
    return statistics.median(days), statistics.quantiles(days, n=10, method="inclusive")[8]


# -- SLA compliance -------------------------------------------------------------------------------
def sla_expected(world: World, keep=lambda app: True, date_from=FROM, date_to=TODAY):
    groups: dict[str, dict] = {"total": {}, "policy": {}, "region": {}, "reviewer": {}, "kind": {}}

    def add(bucket, key, clock):
        g = bucket.setdefault(key, {"closed": 0, "on_time": 0, "days": []})
        g["closed"] += 1
        g["on_time"] += clock.stopped_on <= clock.due_date
        if clock.registered_on is not None:
            g["days"].append((clock.stopped_on - clock.registered_on).days)

    for c in world.clocks:
        if not c.application_id or c.stopped_on is None or c.due_date is None:
            continue
        if not (date_from <= c.stopped_on <= date_to) or not keep(world.apps[c.application_id]):
            continue
        app = world.apps[c.application_id]
        add(groups["policy"], c.policy_code, c)
        if c.policy_code in KTK:
            add(groups["total"], "all", c)
            add(groups["region"], world.region(app.akimat_id), c)
            add(groups["reviewer"], app.reviewer_id, c)
            add(groups["kind"], app.kind, c)
    overdue = [a for a in world.apps.values() if a.is_open and a.current_due_date and a.current_due_date < TODAY
               and keep(a)]
    return groups, overdue


def test_sla_workbook_matches_an_independent_computation(db, world, tmp_path):
    result = run(db, tmp_path, "sla")
    assert result.filename == "sla_2026-11-20.xlsx" and result.path.exists()
    assert result.mime == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    wb = openpyxl.load_workbook(result.path)
    assert wb.sheetnames == ["Жиынтық", "Мерзім түрлері", "Өңірлер", "Әкімдіктер", "Орындаушылар",
                             "Өтінім түрлері", "Мерзімі өткендер"]
    groups, overdue = sla_expected(world)
    total = groups["total"]["all"]
    median, p90 = quantiles(total["days"])
    got = figures(wb)
    assert got["Кезеңде жабылған мерзімдер (ҚТК)"] == total["closed"] > 20
    assert got["Оның ішінде мерзімінде"] == total["on_time"]
    assert got["Оның ішінде кешіккен"] == total["closed"] - total["on_time"] > 0
    assert close(got["Мерзімінде орындалу үлесі"], total["on_time"] / total["closed"])
    assert close(got["Жұмсалған күндер медианасы"], median) and close(got["Жұмсалған күндердің 90-процентилі"], p90)
    assert got["Қазір мерзімі өткен ашық өтінімдер"] == len(overdue) > 0

    # per region (districts rolled up), with real numbers and percentages
    header, rows = table(wb, "Өңірлер")
    assert header == ["Өңір", "Жабылды", "Мерзімінде", "Кешікті", "Мерзімінде, %", "Медиана, күн",
                      "90-процентиль, күн"]
    names = {world.akimats[i][2]: i for i in world.akimats}
    seen = {}
    for name, closed, on_time, late, pct, med, q90 in rows:
        key = names.get(name)
        exp = groups["region"][key]
        m, q = quantiles(exp["days"])
        assert (closed, on_time, late) == (exp["closed"], exp["on_time"], exp["closed"] - exp["on_time"])
        assert isinstance(pct, (int, float)) and close(pct, exp["on_time"] / exp["closed"])
        assert close(med, m) and close(q90, q)
        seen[key] = closed
    assert set(seen) == set(groups["region"])
    assert wb["Өңірлер"]["E3"].number_format == "0.0%" and wb["Өңірлер"]["B3"].data_type == "n"
    assert [r[1] for r in rows] == sorted((r[1] for r in rows), reverse=True)

    # per policy: every term on applications
    _h, rows = table(wb, "Мерзім түрлері")
    assert sorted(r[1] for r in rows) == sorted(g["closed"] for g in groups["policy"].values())
    # per reviewer and per kind
    _h, rows = table(wb, "Орындаушылар")
    assert sorted(r[1] for r in rows) == sorted(g["closed"] for g in groups["reviewer"].values())
    _h, rows = table(wb, "Өтінім түрлері")
    assert {r[0]: r[1] for r in rows} == {{"correction": "Түзету", "rent_to_own": "Жалдау-сатып алу"}[k]: g["closed"]
                                          for k, g in groups["kind"].items()}

    # overdue open items: real dates, days overdue in calendar and working days
    header, rows = table(wb, "Мерзімі өткендер")
    assert header[0] == "ID" and header[-2:] == ["Кешікті, күнтізбелік күн", "Кешікті, жұмыс күні"]
    assert sorted(r[0] for r in rows) == sorted(a.id for a in overdue)
    by_id = {a.id: a for a in overdue}
    for row in rows:
        due = by_id[row[0]].current_due_date
        assert isinstance(row[9], datetime) and row[9].date() == due
        assert row[10] == (TODAY - due).days and 0 < row[11] <= row[10]
    # the sheet set-up: frozen header, autofilter, caption with the filter and the time
    ws = wb["Мерзімі өткендер"]
    assert ws.freeze_panes == "A3" and ws.auto_filter.ref.startswith("A2:L")
    assert "01.06.2026 – 20.11.2026" in ws["A1"].value and "20.11.2026 15:30" in ws["A1"].value


def test_sla_filters_region_kind_and_reviewer(db, world, tmp_path):
    astana = world.subtree("710000000")
    rev = world.user("reviewer01")
    filters = ReportFilters(date_from=FROM, date_to=TODAY, kind="rent_to_own", akimat_kato="710000000")
    wb = openpyxl.load_workbook(run(db, tmp_path, "sla", filters=filters, lang="ru").path)
    groups, overdue = sla_expected(world, lambda a: a.kind == "rent_to_own" and a.akimat_id in astana)
    got = figures(wb)
    assert got["Сроков закрыто за период (КЖК)"] == groups["total"]["all"]["closed"] > 0
    assert got["Открытых заявок с просрочкой сейчас"] == len(overdue)
    assert wb.sheetnames[0] == "Сводка"
    filters = ReportFilters(date_from=FROM, date_to=TODAY, reviewer_id=rev.id)
    wb = openpyxl.load_workbook(run(db, tmp_path, "sla", filters=filters).path)
    groups, _ = sla_expected(world, lambda a: a.reviewer_id == rev.id)
    assert figures(wb)["Кезеңде жабылған мерзімдер (ҚТК)"] == groups["total"]["all"]["closed"] > 0


def test_a_reviewer_gets_their_scope(db, world, tmp_path):
    rev = world.user("reviewer01")
    visible = set(db.scalars(scope_applications(select(Application.id), rev)))
    assert 0 < len(visible) < len(world.apps)
    wb = openpyxl.load_workbook(run(db, tmp_path, "sla", user=rev).path)
    groups, overdue = sla_expected(world, lambda a: a.id in visible)
    assert figures(wb)["Кезеңде жабылған мерзімдер (ҚТК)"] == groups["total"]["all"]["closed"]
    _h, rows = table(wb, "Мерзімі өткендер")
    assert sorted(r[0] for r in rows) == sorted(a.id for a in overdue)


# -- backlog and flow ----------------------------------------------------------------------------
def local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def test_backlog_matches_an_independent_computation(db, world, tmp_path):
    start = date(2026, 9, 1)
    wb = openpyxl.load_workbook(run(db, tmp_path, "backlog", filters=ReportFilters(date_from=start,
                                                                                      date_to=TODAY)).path)
    apps = list(world.apps.values())
    received = [a for a in apps if a.registration_date and start <= a.registration_date <= TODAY]
    closed = [a for a in apps if a.closed_at and start <= local_day(a.closed_at) <= TODAY]
    open_ = [a for a in apps if a.is_open]
    got = figures(wb)
    assert got["Кезеңде түскен өтінімдер"] == len(received) > 0
    assert got["Кезеңде жабылған өтінімдер"] == len(closed) > 0
    assert got["Қалдықтың өзгеруі (түсті − жабылды)"] == len(received) - len(closed)
    assert got["Кезең соңындағы ашық өтінімдер"] == len(open_)
    assert got["Кезең соңында мерзімі өткен"] == sum(1 for a in open_ if a.current_due_date and
                                                    a.current_due_date < TODAY)
    assert wb.sheetnames == ["Жиынтық", "Мәртебелер", "Өңірлер", "Жасы", "Апталық динамика"]
    _h, rows = table(wb, "Мәртебелер")
    assert sum(r[2] for r in rows) == len(open_)
    _h, rows = table(wb, "Жасы")
    assert sum(r[1] for r in rows) == len(open_)
    assert rows[0][1] == sum(1 for a in open_ if a.registration_date and (TODAY - a.registration_date).days <= 7)
    header, rows = table(wb, "Апталық динамика")
    assert header[:2] == ["Апта басы", "Апта соңы"]
    assert isinstance(rows[0][0], datetime) and rows[0][0].date() == start and rows[-1][1].date() == TODAY
    assert sum(r[2] for r in rows) == len(received) and sum(r[3] for r in rows) == len(closed)
    for r in rows:
        first, last = r[0].date(), r[1].date()
        assert r[2] == sum(1 for a in received if first <= a.registration_date <= last)
    _h, rows = table(wb, "Өңірлер")
    assert sum(r[1] for r in rows) == len(received) and sum(r[3] for r in rows) == len(open_)


def test_backlog_reads_the_daily_snapshot_for_an_earlier_period_end(db, world, tmp_path):
    from jobs.snapshot import take_snapshot

    end = TODAY - timedelta(days=3)
    take_snapshot(db, end + timedelta(days=1))
    wb = openpyxl.load_workbook(run(db, tmp_path, "backlog", filters=ReportFilters(date_to=end), lang="ru").path)
    got = figures(wb)
    # nothing changed since: the snapshot (taken "today" on the same data) counts the open items
    open_ = [a for a in world.apps.values() if a.is_open]
    assert got["Открытых заявок на конец периода"] == len(open_)
    summary = [c for row in wb.worksheets[0].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any("по суточному снимку за 17.11.2026" in c for c in summary)
    # a period end with no snapshot says so
    wb = openpyxl.load_workbook(run(db, tmp_path, "backlog", filters=ReportFilters(
        date_to=TODAY - timedelta(days=40))).path)
    summary = [c for row in wb.worksheets[0].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any("тәуліктік үзінді жоқ" in c for c in summary)


# -- akimat lists ---------------------------------------------------------------------------------
def test_lists_per_akimat_match_an_independent_computation(db, world, tmp_path):
    start = date(2025, 11, 21)
    wb = openpyxl.load_workbook(run(db, tmp_path, "lists", filters=ReportFilters(date_from=start,
                                                                                    date_to=TODAY)).path)
    batches = [b for b in world.batches if start <= b.registration_date <= TODAY]
    assert batches
    upload = {c.batch_id: c for c in world.clocks if c.batch_id and c.policy_code == "list_upload"}
    submission = {c.recipient_id: c for c in world.clocks if c.recipient_id and c.policy_code == "applicant_submission"}
    ids = {b.id for b in batches}
    expected: dict[str, list[int]] = {}
    for b in batches:
        row = expected.setdefault(world.akimats[b.akimat_id][2], [0] * 11)
        c = upload.get(b.id)
        row[0] += 1
        row[1] += bool(c and c.stopped_on and c.stopped_on <= c.due_date)
        late = c and ((c.stopped_on and c.stopped_on > c.due_date) or (not c.stopped_on and c.due_date < TODAY))
        row[2] += bool(late)
        row[5] += b.rows_loaded
        row[6] += b.rows_invalid
    for r in world.recipients:
        if r.batch_id in ids:
            row = expected.setdefault(world.akimats[r.akimat_id][2], [0] * 11)
            row[7] += 1
            row[8] += r.notified_at is not None
            c = submission.get(r.id)
            row[9] += r.status == "applied" and (c is None or c.stopped_on <= c.due_date)
            row[10] += r.status == "expired"
    header, rows = table(wb, "Әкімдіктер")
    assert header[:3] == ["Әкімдік", "ҚАТО", "Тізімдер"]
    got = {r[0]: [r[2], r[3], r[4], 0, 0, r[8], r[9], r[10], r[11], r[12], r[13]] for r in rows}
    for name, row in expected.items():
        assert got[name][:3] == row[:3] and got[name][5:] == row[5:], name
    assert set(got) == set(expected)
    f = figures(wb)
    assert f["Кезеңде түскен тізімдер"] == len(batches)
    assert f["Жүктелген жолдар"] == sum(b.rows_loaded for b in batches)
    assert f["СМС жіберілген алушылар"] == sum(v[8] for v in expected.values())


# -- complaints -----------------------------------------------------------------------------------
def test_complaints_by_level_match_an_independent_computation(db, world, tmp_path):
    wb = openpyxl.load_workbook(run(db, tmp_path, "complaints", lang="ru").path)
    policy = {"provider": "complaint_provider", "quality_body": "complaint_quality_body"}
    exp = {lvl: [0] * 9 for lvl in policy}
    since, until = datetime.combine(FROM, datetime.min.time(), LOCAL_TZ), \
        datetime.combine(TODAY + timedelta(days=1), datetime.min.time(), LOCAL_TZ)
    for cm in world.complaints.values():
        row = exp[cm.level]
        row[0] += FROM <= cm.registration_date <= TODAY
        row[8] += bool(cm.is_open and cm.current_due_date and cm.current_due_date < TODAY)
    for c in world.clocks:
        if not c.complaint_id:
            continue
        cm = world.complaints[c.complaint_id]
        row = exp[cm.level]
        if c.policy_code == policy[cm.level] and c.stopped_on and c.due_date and FROM <= c.stopped_on <= TODAY:
            row[1] += 1
            row[2] += c.stopped_on <= c.due_date
        if c.policy_code == "complaint_extension_notice" and since <= c.started_at < until:
            row[5] += 1
            row[6] += bool(c.stopped_on and c.stopped_on <= c.due_date)
            row[7] += bool((c.stopped_on and c.stopped_on > c.due_date) or (not c.stopped_on and c.due_date < TODAY))
    header, rows = table(wb, "По уровням")
    assert header[:3] == ["Уровень", "Зарегистрировано", "Отвечено"]
    got = {r[0]: r for r in rows}
    for level, name in (("provider", "Услугодатель"), ("quality_body", "Орган контроля качества")):
        e, g = exp[level], got[name]
        assert [g[1], g[2], g[3], g[4], g[6], g[7], g[8], g[9]] == [e[0], e[1], e[2], e[1] - e[2], e[5], e[6], e[7],
                                                                   e[8]], level
    f = figures(wb)
    assert f["Зарегистрировано жалоб за период"] == sum(e[0] for e in exp.values()) > 0
    assert f["Отвечено за период"] == sum(e[1] for e in exp.values()) > 0
    assert f["Жалоб с продлением срока"] == sum(e[5] for e in exp.values())


# -- preview, filters, refusals -------------------------------------------------------------------
def test_preview_gives_the_headline_figures_formatted(db, world):
    manager = world.user("manager01")
    got = preview(db, "sla", PERIOD, user=manager, lang="ru", today=TODAY)
    groups, overdue = sla_expected(world)
    labels = dict(got)
    assert labels["Сроков закрыто за период (КЖК)"] == f"{groups['total']['all']['closed']:,}".replace(",", "\u00a0")
    assert labels["Доля выполненных в срок"].endswith(" %")
    for kind in KINDS:
        assert preview(db, kind, PERIOD, user=manager, lang="kk", today=TODAY)


def test_filters_round_trip_through_json():
    f = ReportFilters(date_from=date(2026, 1, 2), date_to=date(2026, 2, 3), kind="correction",
                      akimat_kato="750000000", reviewer_id=5, registry={"state": "open", "q": "Ахмет"},
                      csv_delimiter=";")
    assert ReportFilters.from_json(f.to_json()) == f
    assert ReportFilters.from_json({"date_from": "02.01.2026"}).date_from == date(2026, 1, 2)
    assert ReportFilters.from_json(None) == ReportFilters()
    assert ReportFilters().period(TODAY) == (TODAY - timedelta(days=29), TODAY)


@pytest.mark.parametrize("kind, fmt, filters, code, ru", [
    ("nope", "xlsx", PERIOD, "reports_unknown_kind", "Такого отчёта нет: «nope»"),
    ("sla", "docx", PERIOD, "reports_unknown_format", "Такого формата файла нет: «docx»"),
    ("sla", "xlsx", ReportFilters(date_from=TODAY, date_to=FROM), "reports_date_order",
     "Начало периода (20.11.2026) позже его конца (01.06.2026)."),
    ("sla", "xlsx", ReportFilters(kind="mortgage"), "reports_bad_application_kind", "Такого вида заявки нет"),
    ("sla", "xlsx", ReportFilters(akimat_kato="12345"), "reports_bad_kato", "Код КАТО состоит из 9 цифр"),
    ("sla", "xlsx", ReportFilters(akimat_kato="999999999"), "reports_unknown_akimat", "Кода КАТО 999999999 нет"),
    ("sla", "xlsx", ReportFilters(reviewer_id=987654), "reports_unknown_reviewer", "Такого исполнителя нет"),
    ("sla", "csv", ReportFilters(csv_delimiter="|"), "reports_bad_delimiter", "Разделитель CSV"),
    ("register", "csv", ReportFilters(registry={"state": "late"}), "reports_bad_registry_filter",
     "Неверный фильтр реестра (state: «late»)"),
    ("register", "csv", ReportFilters(registry={"grid": "{not json"}), "reports_bad_registry_filter",
     "Неверный фильтр реестра (grid"),
    ("register", "csv", ReportFilters(registry={"drop": "1"}), "reports_bad_filter", "неизвестное поле"),
])
def test_bad_requests_are_refused_with_a_message_and_leave_nothing(db, world, tmp_path, kind, fmt, filters, code,
                                                                    ru):
    before = db.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    with pytest.raises(DomainError) as caught:
        run(db, tmp_path, kind, fmt, filters, user=world.user("manager01"))
    assert caught.value.code == code
    assert ru in caught.value.message("ru")
    assert caught.value.message("kk") != caught.value.message("ru") and "error." not in caught.value.message("kk")
    assert list(tmp_path.iterdir()) == []
    assert db.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) == before


def test_a_bad_date_in_json_names_the_value():
    with pytest.raises(DomainError) as caught:
        ReportFilters.from_json({"date_to": "31.02.2026"})
    assert "31.02.2026" in caught.value.message("kk") and "дд.мм.гггг" in caught.value.message("ru")


def test_akimat_users_may_not_run_reports(db, world, tmp_path):
    with pytest.raises(DomainError) as caught:
        run(db, tmp_path, "lists", user=world.user("akimat_astana"))
    assert caught.value.message("ru") == "У вас нет права формировать этот отчёт."
    assert list(tmp_path.iterdir()) == []


def test_check_is_the_engines_own_validation(db):
    resolved = check(db, "backlog", "pdf", ReportFilters(akimat_kato="750000000"), TODAY)
    assert resolved.date_to == TODAY and resolved.akimat_ids and resolved.akimat_name[1]
