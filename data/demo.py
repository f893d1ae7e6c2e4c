"""Deterministic demo data: akimats, staff, applications of both kinds with consistent
histories and clocks, complaints, akimat lists and their recipients.

``generate_demo(engine, applications, seed, today)`` gives the same rows for the same seed and
``today`` (one ``random.Random(seed)``; nothing depends on the wall clock). Every history
follows only the transitions of ``data.statuses``; every clock is the result of
``data.deadlines.compute_due`` over the clock events the transitions imply (as
``data.workflows`` applies them), so recomputing any clock changes nothing.

It scales to a million applications: rows are generated in chunks and written with SQLAlchemy
Core ``executemany`` with primary keys assigned here (``max(id) + 1`` onwards), one
transaction per chunk; nothing but a few small pools lives across chunks.
"""
from __future__ import annotations

import bisect
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, bindparam, func, select, text

from data.clocks import load_context
from data.config import LOCAL_TZ
from data.db import session_scope
from data.deadlines import Event, compute_due, clock_state
from data.iin import century_sex_digit, iin_check_digit, iin_prefix, make_bin
from data.models import (
    Akimat,
    Application,
    ApplicationDocument,
    Clock,
    ClockEvent,
    Complaint,
    Guarantor,
    ListBatch,
    Recipient,
    StatusEvent,
    User,
)
from data.models.list_errors import ListRowError
from data.policies import Policy
from data.reference_data import LISTS, REGIONS, ensure_reference_data
from data.statuses import (
    CATEGORIES,
    DOCUMENT_CHECKLIST,
    EXTENSION_REASONS,
    OUTCOMES,
    RESUME,
    START,
    START_SET,
    STOP,
    WORKFLOWS,
)

UTC = timezone.utc
FIRST_DAY = date(2025, 1, 1)
CHUNK = 5000
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)
EVENT_MOMENT_FIELDS = ("received_at", "payment_confirmed_at", "sent_at")  # as data.workflows

# Tables in foreign-key order (parents first).
TABLES = (
    ("akimats", Akimat),
    ("users", User),
    ("list_batches", ListBatch),
    ("list_row_errors", ListRowError),
    ("applications", Application),
    ("guarantors", Guarantor),
    ("application_documents", ApplicationDocument),
    ("recipients", Recipient),
    ("complaints", Complaint),
    ("status_events", StatusEvent),
    ("clocks", Clock),
    ("clock_events", ClockEvent),
)
TABLE_OF = {name: model.__table__ for name, model in TABLES}


@dataclass
class DemoSummary:
    counts: dict[str, int]
    seconds: float
    today: date
    seed: int
    skipped: bool = False
    users: list[tuple[str, str, str]] = field(default_factory=list)  # (username, role, full name)

    @property
    def applications(self) -> int:
        return self.counts.get("applications", 0)


# -- names and texts ----------------------------------------------------------------------------
SURNAMES = (
    "Ахметов", "Омаров", "Сейітов", "Жұмабаев", "Қасымов", "Сәрсенбаев", "Нұрланов", "Бекмұхамбетов",
    "Ермеков", "Мұқанов", "Ибраев", "Тоқтаров", "Әбдірахманов", "Смағұлов", "Байжанов", "Оспанов",
    "Құрманов", "Есенов", "Жақсылықов", "Темірханов", "Серікбаев", "Әлімжанов", "Қалиев", "Мұратов",
    "Тұрсынов", "Ізбасаров", "Шәкенов", "Рахымжанов", "Бейсенов", "Досжанов", "Исабеков", "Кенжебаев",
    "Сағындықов", "Айтбаев", "Жанұзақов", "Қуанышев", "Нұрмағамбетов", "Әуезов", "Сұлтанов", "Төлеуов",
    "Мәметов", "Байтұрсынов", "Жолдасбеков", "Қожахметов", "Өмірзақов", "Үмбетов",
)
MALE_NAMES = (
    "Ерлан", "Нұрлан", "Асқар", "Бауыржан", "Дәурен", "Ержан", "Мұрат", "Серік", "Айдос", "Арман",
    "Азамат", "Дархан", "Ғалым", "Жандос", "Қайрат", "Марат", "Нұрсұлтан", "Олжас", "Рустем", "Санжар",
    "Талғат", "Тимур", "Ерасыл", "Алихан", "Әділет", "Бекзат", "Ернар", "Мейірхан", "Нұрболат", "Самат",
)
FEMALE_NAMES = (
    "Айгүл", "Айгерім", "Ақмарал", "Әсел", "Гүлнар", "Динара", "Жанар", "Жансая", "Зарина", "Индира",
    "Қарлығаш", "Лаура", "Мадина", "Меруерт", "Назерке", "Салтанат", "Сәуле", "Томирис", "Ұлжан",
    "Аружан", "Балнұр", "Гүлмира", "Дана", "Жадыра", "Камила", "Әйгерім", "Ботагөз", "Інжу",
)
FATHER_NAMES = (
    "Ерлан", "Нұрлан", "Асқар", "Бауыржан", "Дәурен", "Ержан", "Мұрат", "Серік", "Арман", "Азамат",
    "Дархан", "Қайрат", "Марат", "Талғат", "Болат", "Ғабит", "Жұмабек", "Қанат", "Мақсат", "Нұрлыбек",
    "Сайлау", "Төлеген", "Бақыт", "Ербол", "Рахат", "Жақып", "Оразбек", "Темірлан",
)
COMPANY_WORDS = (
    "Нұр", "Алтын", "Бәйтерек", "Ақ Орда", "Сарыарқа", "Жетісу", "Ұлы Дала", "Қазына", "Шаңырақ", "Асыл",
    "Керуен", "Самұрық", "Арай", "Кемел", "Тұмар", "Достық", "Мирас", "Береке", "Атамекен", "Болашақ",
)
COMPANY_KINDS = (
    "Құрылыс", "Девелопмент", "Строй", "Инвест", "Құрылыс Сервис", "Тұрғын Үй", "Group", "Констракшн",
    "Холдинг", "Құрылыс Компаниясы",
)
COMPANY_SUFFIX = ("Астана", "Алматы", "Шымкент", "Қарағанды", "Ақтөбе", "Павлодар", "Атырау", "Орал")
MOBILE_PREFIXES = ("700", "701", "702", "705", "707", "708", "747", "771", "775", "776", "777", "778")

REMARKS = (
    "Түзету туралы өтінімге үлестік қатысу шартының көшірмесі қоса берілмеген.",
    "Төлем кестесі бойынша есеп айырысу құжаттары толық емес.",
    "Объектінің кадастрлық нөмірі шартпен сәйкес келмейді.",
    "Не приложена копия договора долевого участия.",
    "Площадь объекта расходится с данными технического паспорта.",
    "Жалақы туралы анықтама соңғы 6 айға ұсынылмаған.",
    "Не представлена справка об отсутствии недвижимости.",
    "Отбасы мүшелерінің туу туралы куәліктері толық емес.",
    "Өтінішке ЭЦҚ-мен қол қойылмаған, қайта жіберіңіз.",
)
REFUSAL_OTHER = (
    "Өтініш беруші өтінімді кері қайтарып алды.",
    "Заявитель отозвал заявку.",
    "Объект бойынша сот дауы бар.",
)
SUSPEND_COMMENTS = (
    "Тіркеуші орган қосымша құжаттар сұрады.",
    "Регистрирующий орган запросил технический паспорт.",
    "Мемлекеттік баж төлемі расталмады.",
)
RESUME_COMMENTS = (
    "Құжаттар толықтырылды, тіркеу жалғасты.",
    "Документы дополнены, регистрация возобновлена.",
)
REFUSED_COMMENTS = (
    "Тіркеуден бас тартылды: құқық белгілейтін құжаттар сәйкес емес.",
    "Отказано в регистрации: на объект наложено обременение.",
)
CORRECTION_OTHER = (
    "Үлестік қатысу шартындағы пәтер нөмірін түзету",
    "Исправление ИИН дольщика в договоре",
    "Кепілдік шартының деректемелерін өзгерту",
)
COMPLAINT_SUBJECTS = (
    "Өтінімді қарау мерзімі бұзылды.",
    "Өтінім негізсіз қабылданбады деп санаймын.",
    "Қосымша келісімге қол қою кешіктірілді.",
    "Нарушен срок рассмотрения заявки.",
    "Не согласен с отказом по заявке на аренду с выкупом.",
    "Не получил СМС-уведомление о включении в список.",
    "Шарт жобасында қате деректер көрсетілген.",
    "Долго не направляют договор на государственную регистрацию.",
    "Қызметкер өтінім мәртебесі туралы ақпарат бермейді.",
)
ANSWER_TEXTS = {
    "upheld": ("Шағым қанағаттандырылды, өтінім қайта қаралады.", "Жалоба удовлетворена, заявка будет пересмотрена."),
    "partly_upheld": ("Шағым ішінара қанағаттандырылды.", "Жалоба удовлетворена частично."),
    "rejected": ("Шағым негізсіз деп танылды, шешім күшінде қалды.", "Жалоба признана необоснованной."),
}
RECIPIENT_NOTES = ("Көпбалалы отбасы", "Мүгедектігі бар бала тәрбиелеп отыр", "Многодетная семья", None, None, None)
LIST_HEADERS = (
    ("ЖСН", "ТАӘ", "Санаты", "Ұялы телефон", "Кезек нөмірі", "Есепке қойылған күні", "Ескерту"),
    ("ИИН", "ФИО", "Категория", "Телефон", "Номер очереди", "Дата постановки на учет", "Примечание"),
)
CATEGORY_WORDS = ("Әлеуметтік осал топтар", "Бюджеттік ұйымдардың қызметкерлері", "1", "2",
                  "Работники градообразующих юридических лиц")
DOCS_BY_TARGET = {
    "sent": ["өтінім.pdf", "ҮҚШ_көшірмесі.pdf"],
    "needs_revision": ["ескертулер.docx"],
    "sa_signed": ["қосымша_келісім.pdf"],
    "contract_signed": ["жалдау_шарты.pdf"],
    "registration_submitted": ["төлем_түбіртегі.pdf"],
    "submitted": ["өтініш.pdf", "жеке_куәлік.pdf"],
}

# Additional (district / city) akimats: (KATO, parent region KATO, kk, ru). KATO-like codes
# under the region's two digits; the level is "district".
DISTRICTS: tuple[tuple[str, str, str, str], ...] = (
    ("711210000", "710000000", "Астана қаласы Алматы ауданының әкімдігі", "Акимат района Алматы города Астаны"),
    ("711410000", "710000000", "Астана қаласы Есіл ауданының әкімдігі", "Акимат района Есиль города Астаны"),
    ("711610000", "710000000", "Астана қаласы Сарыарқа ауданының әкімдігі", "Акимат района Сарыарка города Астаны"),
    ("751210000", "750000000", "Алматы қаласы Алмалы ауданының әкімдігі", "Акимат Алмалинского района города Алматы"),
    ("751410000", "750000000", "Алматы қаласы Бостандық ауданының әкімдігі", "Акимат Бостандыкского района города Алматы"),
    ("751610000", "750000000", "Алматы қаласы Әуезов ауданының әкімдігі", "Акимат Ауэзовского района города Алматы"),
    ("751810000", "750000000", "Алматы қаласы Наурызбай ауданының әкімдігі", "Акимат Наурызбайского района города Алматы"),
    ("791210000", "790000000", "Шымкент қаласы Абай ауданының әкімдігі", "Акимат Абайского района города Шымкента"),
    ("791410000", "790000000", "Шымкент қаласы Әл-Фараби ауданының әкімдігі", "Акимат района Аль-Фараби города Шымкента"),
    ("351010000", "350000000", "Қарағанды қаласының әкімдігі", "Акимат города Караганды"),
    ("352410000", "350000000", "Теміртау қаласының әкімдігі", "Акимат города Темиртау"),
    ("551010000", "550000000", "Павлодар қаласының әкімдігі", "Акимат города Павлодара"),
    ("551610000", "550000000", "Екібастұз қаласының әкімдігі", "Акимат города Экибастуза"),
    ("151010000", "150000000", "Ақтөбе қаласының әкімдігі", "Акимат города Актобе"),
    ("231010000", "230000000", "Атырау қаласының әкімдігі", "Акимат города Атырау"),
    ("471010000", "470000000", "Ақтау қаласының әкімдігі", "Акимат города Актау"),
    ("612010000", "610000000", "Түркістан қаласының әкімдігі", "Акимат города Туркестана"),
    ("191610000", "190000000", "Қонаев қаласының әкімдігі", "Акимат города Конаева"),
    ("391610000", "390000000", "Қостанай қаласының әкімдігі", "Акимат города Костаная"),
)
# Akimats with an uploader account (and so with lists): username -> KATO.
AKIMAT_USERS = (
    ("akimat_astana", "710000000"),
    ("akimat_almaty", "750000000"),
    ("akimat_shymkent", "790000000"),
    ("akimat_karaganda", "350000000"),
    ("akimat_karaganda_city", "351010000"),
    ("akimat_astana_esil", "711410000"),
)
AKIMAT_WEIGHT = {"710000000": 12, "750000000": 14, "790000000": 8, "350000000": 4, "190000000": 4,
                 "610000000": 4, "550000000": 3, "630000000": 3, "150000000": 3}

DEPT_REVIEW = "Өтінімдерді қарау департаменті"
DEPT_RENT = "Жалға алу бағдарламалары департаменті"
DEPT_LEGAL = "Құқықтық қамтамасыз ету департаменті"
DEPT_OPS = "Операциялық басқарма"
DEPT_IT = "Ақпараттық технологиялар департаменті"
DEPT_AKIMAT = "Тұрғын үй қатынастары бөлімі"

# Which statuses an application ends in, by kind and age of its receipt.
FINAL_WEIGHTS = {
    "correction": (("sa_signed", 80), ("rejected", 20)),
    "rent_to_own": (("registered", 72), ("rejected", 20), ("registration_refused", 8)),
}
STUCK_OPEN = 0.025  # share of applications older than 90 days still open (default)
OPEN_WEIGHTS = {  # bucket -> (status, weight); buckets: young < 15 d, mid < 40 d, old < 90 d, stuck
    "correction": {
        "young": (("creating", 1), ("sent", 1.5), ("registered", 3), ("under_review", 6), ("needs_revision", 2),
                  ("approved_sa_preparing", 0.5)),
        "mid": (("under_review", 3), ("needs_revision", 3), ("approved_sa_preparing", 2),
                ("sa_applicant_signing", 2), ("sa_ktk_signing", 1.5), ("registered", 0.5)),
        "old": (("needs_revision", 1), ("approved_sa_preparing", 1), ("sa_applicant_signing", 2),
                ("sa_ktk_signing", 1.5)),
        "stuck": (("creating", 3), ("sa_applicant_signing", 2), ("sa_ktk_signing", 1), ("needs_revision", 0.5),
                  ("under_review", 0.3), ("sent", 0.5)),
    },
    "rent_to_own": {
        "young": (("submitted", 4), ("under_review", 6), ("needs_revision", 2), ("approved", 0.5),
                  ("registration_submitted", 0.7)),
        "mid": (("under_review", 2), ("needs_revision", 2.5), ("approved", 1.5), ("contract_applicant_signing", 1.5),
                ("contract_guarantor_signing", 1), ("contract_ktk_signing", 1), ("contract_signed", 1),
                ("registration_payment", 1.5), ("registration_submitted", 1.5), ("registration_suspended", 0.5)),
        "old": (("needs_revision", 0.7), ("contract_applicant_signing", 1), ("contract_guarantor_signing", 1),
                ("contract_ktk_signing", 0.7), ("contract_signed", 0.7), ("registration_payment", 1.5),
                ("registration_suspended", 1.2)),
        "stuck": (("contract_applicant_signing", 1), ("contract_guarantor_signing", 1), ("registration_payment", 2),
                  ("registration_suspended", 2), ("needs_revision", 0.4), ("under_review", 0.2)),
    },
}
# Open statuses whose item has a running clock (its state can be aimed at).
RUNNING = {
    "correction": frozenset({"registered", "under_review", "needs_revision"}),
    "rent_to_own": frozenset({"submitted", "under_review", "needs_revision", "registration_submitted"}),
}
SIGNING_STEPS = {
    "approved_sa_preparing", "sa_applicant_signing", "sa_ktk_signing", "sa_signed",
    "approved", "contract_applicant_signing", "contract_guarantor_signing", "contract_ktk_signing",
    "contract_signed", "registration_payment",
}
REFUSAL_CODES = tuple(code for list_name, code, _kk, _ru in LISTS if list_name == "refusal_reason")
CORRECTION_CATEGORIES = tuple(code for list_name, code, _kk, _ru in LISTS if list_name == "correction_category")


def _weighted(rng: random.Random, pairs) -> str:
    total = 0.0
    for _item, weight in pairs:
        total += weight
    pick = rng.random() * total
    for item, weight in pairs:
        pick -= weight
        if pick < 0:
            return item
    return pairs[-1][0]


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    """As data.workflows stores a transition's fields in the history payload."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, datetime):
            out[key] = _iso(value)
        elif isinstance(value, date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


class _Clock:
    """A clock being built for one item: its policy, events and (once computed) result."""

    __slots__ = ("code", "policy", "created", "started_at", "events", "stopped", "result", "stopped_on")

    def __init__(self, policy: Policy, at: datetime, created: datetime, due: date | None = None) -> None:
        self.code = policy.code
        self.policy = policy
        self.created = created
        self.started_at = at
        self.events: list[Event] = [Event("start", at, None, due)]
        self.stopped = False
        self.result = None
        self.stopped_on: date | None = None


@dataclass
class _Step:
    target: str
    delay: float  # days after the previous event (before snapping to working time)
    frac: float  # where in the working day it lands
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class _AppPlan:
    kind: str
    end: str
    steps: list[_Step]
    with_creating: bool
    creating_lead: float
    arrival: str
    arrival_frac: float
    consent: bool
    guarantors: int
    reviewer_id: int
    registrar_id: int
    pin_last: date | None = None  # put the last step on this day (aiming a 1-wd clock)


@dataclass
class _AppHistory:
    received: datetime
    events: list[tuple[str | None, str, datetime, dict[str, Any], int | None]]
    clocks: list[_Clock]
    main_stop_on_time: bool | None
    current_due: date | None
    current_policy: str | None
    last_at: datetime


class _Generator:
    def __init__(self, engine: Engine, applications: int, seed: int, today: date, chunk_size: int,
                 progress: Callable[[int, int], None] | None, backlog: float = STUCK_OPEN) -> None:
        self.engine = engine
        self.backlog = min(1.0, max(0.0, backlog))
        self.n = max(0, int(applications))
        self.rng = random.Random(seed)
        self.today = today
        self.now = datetime(today.year, today.month, today.day, tzinfo=LOCAL_TZ)
        self.chunk_size = max(1, chunk_size)
        self.progress = progress
        with session_scope(engine) as session:
            ensure_reference_data(session)
            ctx = load_context(session)
        self.cal = ctx.calendar
        self.policies = ctx.policies
        self.opens = self.cal.hours.opens.hour * 60 + self.cal.hours.opens.minute
        self.closes = self.cal.hours.closes.hour * 60 + self.cal.hours.closes.minute
        self.rules = {
            (wf.kind, t.source, t.target): t for wf in WORKFLOWS.values() for t in wf.transitions
        }
        self.counts = {name: 0 for name, _model in TABLES}
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name, _model in TABLES}
        self.next_id: dict[str, int] = {}
        self.policy_cache: dict[tuple[str, date], Policy] = {}
        self.recipient_serials: dict[tuple[date, int], int] = {}
        self.existing_recipient_iins: set[str] = set()  # recipients already in the database
        self.created_users: list[tuple[str, str, str]] = []
        span = (today - FIRST_DAY).days
        self.span_days = max(1, span)

    # -- ids and rows --------------------------------------------------------------------------
    def _load_ids(self, conn) -> None:
        for name, _model in TABLES:
            table = TABLE_OF[name]
            top = conn.execute(select(func.max(table.c.id))).scalar()
            self.next_id[name] = (top or 0) + 1

    def _id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def _add(self, table: str, row: dict[str, Any]) -> None:
        self.rows[table].append(row)

    @staticmethod
    def _big_cache(conn) -> None:
        """SQLite: a 256 MB page cache for the bulk inserts (the default 2 MB makes index
        inserts into a multi-GB file I/O-bound). Per connection; reset by ``_small_cache``."""
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA cache_size=-262144")

    @staticmethod
    def _small_cache(conn) -> None:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA cache_size=-2000")

    def _flush(self, conn) -> None:
        for name, _model in TABLES:
            rows = self.rows[name]
            if rows:
                conn.execute(TABLE_OF[name].insert(), rows)
                self.counts[name] += len(rows)
                self.rows[name] = []
        if conn.dialect.name == "postgresql":
            for name, _model in TABLES:
                conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"
                ))

    # -- time ----------------------------------------------------------------------------------
    def _local(self, day: date, minutes: int) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ) + timedelta(minutes=minutes)

    def _work(self, day: date, frac: float) -> datetime:
        """A moment inside working hours of ``day`` (assumed a working day)."""
        return self._local(day, self.opens + int(frac * (self.closes - self.opens - 20)))

    def _snap(self, moment: datetime, frac: float) -> datetime:
        """``moment`` if it is inside working hours of a working day, else the next such moment."""
        local = moment.astimezone(LOCAL_TZ)
        day = local.date()
        minutes = local.hour * 60 + local.minute
        if self.cal.is_working_day(day):
            if self.opens <= minutes < self.closes:
                return local.replace(second=0, microsecond=0)
            if minutes < self.opens:
                return self._local(day, self.opens + int(frac * 90))
        return self._work(self.cal.next_working_day(day), frac)

    def _arrival(self, start: date, kind: str, frac: float) -> datetime:
        """When something arrives: in hours, in the evening, early, or on a day off."""
        cal = self.cal
        day = start
        if kind == "weekend":
            while cal.is_working_day(day):
                day += DAY
            return self._local(day, 600 + int(frac * 600))
        while not cal.is_working_day(day):
            day += DAY
        if kind == "evening":
            return self._local(day, self.closes + int(frac * 240))
        if kind == "early":
            return self._local(day, 420 + int(frac * (self.opens - 421)))
        return self._local(day, self.opens + int(frac * (self.closes - self.opens - 1)))

    def _arrival_kind(self) -> tuple[str, float]:
        u = self.rng.random()
        kind = "in_hours" if u < 0.72 else "evening" if u < 0.85 else "early" if u < 0.91 else "weekend"
        return kind, self.rng.random()

    def _sample_day(self) -> date:
        u = self.rng.random()
        if self.rng.random() < 0.5:
            u = math.sqrt(u)  # inflow grows over time
        return FIRST_DAY + timedelta(days=min(self.span_days - 1, int(u * self.span_days)))

    # -- clocks --------------------------------------------------------------------------------
    def _policy(self, code: str, at: datetime) -> Policy:
        day = at.astimezone(LOCAL_TZ).date()
        key = (code, day)
        policy = self.policy_cache.get(key)
        if policy is None:
            policy = self.policies.in_force(code, day)
            self.policy_cache[key] = policy
        return policy

    def _start(self, clocks: list[_Clock], code: str, at: datetime, created: datetime,
               due: date | None = None) -> _Clock:
        clock = _Clock(self._policy(code, at), at, created, due)
        clocks.append(clock)
        return clock

    @staticmethod
    def _open(clocks: list[_Clock], code: str) -> _Clock | None:
        for clock in reversed(clocks):
            if clock.code == code and not clock.stopped:
                return clock
        return None

    def _event(self, clock: _Clock, kind: str, at: datetime, days: int | None = None) -> None:
        clock.events.append(Event(kind, at, days, None))
        if kind == "stop":
            clock.stopped = True

    def _compute(self, clock: _Clock):
        result = compute_due(clock.policy, clock.events, self.cal)
        clock.result = result
        clock.stopped_on = self.cal.to_local(result.stopped_at).date() if result.stopped_at else None
        return result

    def _transition_clocks(self, kind: str, source: str, target: str, at: datetime, fields: dict[str, Any],
                           clocks: list[_Clock]) -> _Clock | None:
        """The clock actions of the transition, as data.workflows._apply_clocks applies them.
        Returns the main-policy clock when this transition stopped it."""
        rule = self.rules[(kind, source, target)]
        if not rule.clocks:
            return None
        moment = at
        for name in EVENT_MOMENT_FIELDS:
            if name in fields:
                moment = fields[name]
                break
        main = WORKFLOWS[kind].main_policy
        stopped_main = None
        for action, code in rule.clocks:
            if action == START:
                self._start(clocks, code, moment, at)
            elif action == START_SET:
                self._start(clocks, code, at, at, due=fields["revision_due"])
            else:
                clock = self._open(clocks, code)
                if clock is None:
                    continue
                self._event(clock, action, moment if action == RESUME else at)
                if action == STOP and code == main:
                    stopped_main = clock
        return stopped_main

    def _running_due(self, clocks: list[_Clock]) -> tuple[date | None, str | None]:
        best = None
        for clock in clocks:
            result = clock.result
            if result.stopped_at is None and result.paused_since is None and result.due is not None:
                if best is None or result.due < best.result.due:
                    best = clock
        return (best.result.due, best.code) if best else (None, None)

    def _clock_state(self, clock: _Clock) -> tuple[str, int | None, int | None]:
        """(state, days overdue in working days, in calendar days): "stopped" as
        data.clocks.recompute stores it; for open clocks what the overdue job (jobs/overdue.py)
        would store on ``today``."""
        result = clock.result
        if result.stopped_at is not None:
            return "stopped", None, None
        if result.paused_since is not None:
            return "paused", 0, 0
        state = clock_state(result.due, self.today, self.cal, warn_wd=clock.policy.warn_wd)
        if state == "overdue":
            return state, self.cal.working_days_between(result.due, self.today), (self.today - result.due).days
        return state, 0, 0

    def _emit_clocks(self, clocks: list[_Clock], column: str, subject_id: int) -> None:
        for clock in clocks:
            result = clock.result
            clock_id = self._id("clocks")
            state, overdue_wd, overdue_cd = self._clock_state(clock)
            row = {
                "id": clock_id, "application_id": None, "complaint_id": None, "recipient_id": None,
                "batch_id": None, "policy_code": clock.code, "policy_version": clock.policy.version,
                "variant": None, "started_at": clock.started_at, "registered_on": result.registered,
                "due_date": result.due, "paused_since": result.paused_since, "stopped_at": result.stopped_at,
                "stopped_on": clock.stopped_on, "state": state, "days_overdue_wd": overdue_wd,
                "days_overdue_cd": overdue_cd, "explanation": result.steps, "created_at": clock.created,
            }
            row[column] = subject_id
            self._add("clocks", row)
            for event in clock.events:
                self._add("clock_events", {
                    "id": self._id("clock_events"), "clock_id": clock_id, "kind": event.kind, "at": event.at,
                    "days": event.days, "due": event.due, "note": None,
                })

    def _emit_history(self, column: str, subject_id: int, events, kind: str = "transition") -> None:
        for source, target, at, fields, actor, *extra in events:
            event_kind = extra[0] if extra else kind
            comment = fields.get("comment") or fields.get("remarks") or fields.get("refusal_text")
            documents = DOCS_BY_TARGET.get(target, []) if event_kind == "transition" else []
            row = {
                "id": self._id("status_events"), "application_id": None, "complaint_id": None,
                "recipient_id": None, "kind": event_kind, "at": at, "actor_id": actor,
                "from_status": source, "to_status": target, "comment": comment,
                "documents": list(documents), "payload": _jsonable(fields),
            }
            row[column] = subject_id
            self._add("status_events", row)

    # -- people --------------------------------------------------------------------------------
    def _person(self, born_from: int = 1962, born_to: int = 2006) -> tuple[str, date, bool]:
        rng = self.rng
        male = rng.random() < 0.5
        surname = rng.choice(SURNAMES)
        given = rng.choice(MALE_NAMES if male else FEMALE_NAMES)
        father = rng.choice(FATHER_NAMES)
        if not male:
            surname += "а"
        if rng.random() < 0.6:
            patronymic = father + ("ұлы" if male else "қызы")
        else:
            patronymic = father + ("ович" if male else "овна")
        year = rng.randint(born_from, born_to)
        born = date(year, 1, 1) + timedelta(days=rng.randrange(365))
        return f"{surname} {given} {patronymic}", born, male

    def _iin(self, born: date, male: bool) -> str:
        digit = century_sex_digit(born, male)
        while True:
            first = iin_prefix(born, digit, self.rng.randrange(1, 10000))
            check = iin_check_digit(first)
            if check is not None:
                return f"{first}{check}"

    def _unique_iin(self, born: date, male: bool) -> str:
        """An IIN no recipient has yet: a serial counter per (birth date, century/sex digit) only
        moves forward, so the generated ones never repeat (memory: one int per birth date)."""
        digit = century_sex_digit(born, male)
        key = (born, digit)
        serial = self.recipient_serials.get(key)
        if serial is None:
            serial = self.rng.randrange(1, 5000)
        while True:
            if serial > 9999:  # this birth date is used up: take the next day
                return self._unique_iin(born + DAY, male)
            first = iin_prefix(born, digit, serial)
            serial += 1
            check = iin_check_digit(first)
            if check is None:
                continue
            iin = f"{first}{check}"
            if iin in self.existing_recipient_iins:
                continue
            self.recipient_serials[key] = serial
            return iin

    def _phone(self) -> str:
        return f"+7{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10 ** 7):07d}"

    # -- phase 1: akimats, users, lists --------------------------------------------------------
    def _setup(self, conn) -> None:
        rng = self.rng
        akimats = {kato: ident for ident, kato in conn.execute(select(Akimat.id, Akimat.kato))}
        self.existing_recipient_iins = set(conn.execute(select(Recipient.iin)).scalars())
        for kato, parent, kk, ru in DISTRICTS:
            if kato in akimats or parent not in akimats:
                continue
            ident = self._id("akimats")
            akimats[kato] = ident
            self._add("akimats", {"id": ident, "kato": kato, "name_kk": kk, "name_ru": ru, "level": "district",
                                  "parent_id": akimats[parent]})
        self.akimat_pairs = []
        for kato, *_rest in REGIONS:
            if kato in akimats:
                self.akimat_pairs.append((akimats[kato], AKIMAT_WEIGHT.get(kato, 2)))
        for kato, *_rest in DISTRICTS:
            if kato in akimats:
                self.akimat_pairs.append((akimats[kato], 1.2))

        existing = {name: (ident, role) for ident, name, role in conn.execute(select(User.id, User.username, User.role))}
        created = datetime(2024, 12, 16, 9, 0, tzinfo=LOCAL_TZ)

        def user(username: str, role: str, department: str, akimat_id: int | None = None,
                 lang: str = "kk") -> int | None:
            full_name = self._person(1965, 1998)[0]
            if username in existing:
                ident, existing_role = existing[username]
                return ident if existing_role == role else None
            ident = self._id("users")
            self._add("users", {
                "id": ident, "username": username, "full_name": full_name, "role": role,
                "department": department, "akimat_id": akimat_id, "password_hash": None, "is_active": True,
                "lang": lang, "failed_logins": 0, "locked_until": None, "created_at": created,
            })
            self.created_users.append((username, role, full_name))
            return ident

        departments = [DEPT_REVIEW] * 6 + [DEPT_RENT] * 4 + [DEPT_LEGAL] * 2
        self.reviewers: list[tuple[int, float]] = []
        self.legal: list[int] = []
        for number, department in enumerate(departments, start=1):
            ident = user(f"reviewer{number:02d}", "reviewer", department, lang="ru" if number % 4 == 0 else "kk")
            if ident is not None:
                self.reviewers.append((ident, 0.6 + rng.random()))
                if department == DEPT_LEGAL:
                    self.legal.append(ident)
        user("manager01", "manager", DEPT_OPS)
        user("manager02", "manager", DEPT_RENT, lang="ru")
        user("admin", "admin", DEPT_IT)
        self.uploaders: list[tuple[int, int]] = []  # (akimat id, user id)
        for username, kato in AKIMAT_USERS:
            if kato not in akimats:
                continue
            ident = user(username, "akimat", DEPT_AKIMAT, akimats[kato])
            if ident is not None:
                self.uploaders.append((akimats[kato], ident))
        if not self.reviewers:
            raise RuntimeError("demo data needs reviewer accounts; the reviewerNN usernames are taken by other roles")
        self.legal = self.legal or [r for r, _w in self.reviewers]

        word_pairs = [(a, b) for a in COMPANY_WORDS for b in COMPANY_KINDS]
        rng.shuffle(word_pairs)
        pool = min(600, 40 + self.n // 800)
        self.developers: list[tuple[str, str]] = []
        for index in range(pool):
            first, second = word_pairs[index % len(word_pairs)]
            name = f"{first} {second}"
            if index >= len(word_pairs):
                name += f"-{COMPANY_SUFFIX[(index // len(word_pairs)) % len(COMPANY_SUFFIX)]}"
            label = f"«{name}» ЖШС" if rng.random() < 0.7 else f"ТОО «{name}»"
            registered = date(rng.randint(2001, 2023), rng.randint(1, 12), 1)
            self.developers.append((make_bin(registered, 4, 0, rng=rng), label))

        self._make_batches()
        self._flush(conn)

    def _make_batches(self) -> None:
        rng = self.rng
        self.batches: list[tuple[int, int, int | None, datetime]] = []  # (id, akimat, uploader, loaded_at)
        self.batch_meta: dict[int, tuple[int, dict[str, Any]]] = {}
        if not self.uploaders:
            self.batch_loaded: list[datetime] = []
            return
        count = max(6, min(500, self.n // 300))
        first = FIRST_DAY + timedelta(days=6)
        last = self.today - timedelta(days=10)
        if last <= first:
            self.batch_loaded = []
            return
        span = (last - first).days
        planned = []
        for index in range(count):
            day = first + timedelta(days=int(span * index / max(1, count - 1)))
            day = min(last, day + timedelta(days=rng.randint(0, 3)))
            akimat_id, uploader = self.uploaders[index % len(self.uploaders)]
            arrival, frac = self._arrival_kind()
            planned.append((day, akimat_id, uploader, arrival, frac, rng.random() < 0.12, rng.random(), rng.random()))
        for day, akimat_id, uploader, arrival, frac, late, u1, u2 in planned:
            received = self._arrival(day, arrival, frac)
            clocks: list[_Clock] = []
            clock = self._start(clocks, "list_upload", received, received)
            result = self._compute(clock)
            if late:
                load_day = self.cal.add_working_days(result.due, 1 + int(u1 * 3))
            else:
                load_day = self.cal.add_working_days(result.registered, int(u1 * 3))
            loaded = max(self._work(load_day, u2), received + timedelta(minutes=30))
            self._event(clock, "stop", loaded)
            result = self._compute(clock)
            batch_id = self._id("list_batches")
            self._add("list_batches", {
                "id": batch_id, "akimat_id": akimat_id,
                "file_name": f"{received.date():%Y-%m-%d}_тізім_{batch_id}.xlsx",
                "size_bytes": 20_000 + rng.randrange(400_000), "sha256": f"{rng.getrandbits(256):064x}",
                "received_at": received, "registration_date": result.registered, "status": "loaded",
                "rows_total": 0, "rows_loaded": 0, "rows_invalid": rng.choice((0, 0, 0, 1, 2, 3, 5)),
                "rows_already_listed": rng.choice((0, 0, 1, 2)), "rows_duplicate": rng.choice((0, 0, 0, 1)),
                "error_message": None, "uploaded_by_id": uploader, "loaded_at": loaded, "created_at": received,
                "source": "upload", "file_format": "xlsx" if rng.random() < 0.85 else "csv", "error_code": None,
                "error_params": None, "duplicate_of_id": None, "header_row": rng.choice((1, 1, 2, 3, 4)),
                "headers": list(rng.choice(LIST_HEADERS)), "ignored_columns": [],
            })
            self._emit_clocks(clocks, "batch_id", batch_id)
            self.batches.append((batch_id, akimat_id, uploader, loaded))
            self.batch_meta[batch_id] = (self.rows["list_batches"][-1]["header_row"], self.rows["list_batches"][-1])
        self.batches.sort(key=lambda b: (b[3], b[0]))
        self.batch_loaded = [b[3] for b in self.batches]

    # -- applications: plan --------------------------------------------------------------------
    def _reviewer(self) -> int:
        return _weighted(self.rng, self.reviewers)

    def _revision_rounds(self) -> int:
        u = self.rng.random()
        return 0 if u < 0.66 else 1 if u < 0.93 else 2

    def _review_delay(self) -> float:
        rng = self.rng
        return rng.uniform(1, 11) if rng.random() < 0.86 else rng.uniform(11, 22)

    def _revision_pair(self, steps: list[_Step], final: bool = False) -> None:
        """under_review -> needs_revision (-> under_review unless ``final``)."""
        rng = self.rng
        days = rng.randint(5, 10)
        steps.append(_Step("needs_revision", rng.uniform(2, 11), rng.random(),
                           {"remarks": rng.choice(REMARKS), "revision_days": days}))
        if not final:
            late = rng.random() < 0.12
            delay = days + rng.uniform(0.5, 4) if late else days * rng.uniform(0.15, 0.95)
            steps.append(_Step("under_review", delay, rng.random()))

    def _rejection(self, steps: list[_Step], delay: float, reason: str | None = None) -> None:
        rng = self.rng
        if reason is None:
            reason = rng.choice(("false_documents", "incomplete_documents", "not_eligible", "insolvent",
                                 "affiliated", "incomplete_documents", "not_eligible", "other", "sanctions_list"))
        data = {"refusal_reason": reason}
        if reason == "other" or rng.random() < 0.3:
            data["refusal_text"] = rng.choice(REFUSAL_OTHER)
        steps.append(_Step("rejected", delay, rng.random(), data))

    def _plan_correction(self, end: str) -> tuple[list[_Step], bool]:
        rng = self.rng
        steps: list[_Step] = []
        with_creating = end == "creating" or rng.random() < 0.25
        if end in ("creating", "sent"):
            return steps, with_creating
        steps.append(_Step("registered", 0.0, rng.random()))
        if end == "registered":
            return steps, with_creating
        if end == "rejected" and rng.random() < 0.1:
            self._rejection(steps, rng.uniform(0.3, 5), rng.choice(("incomplete_documents", "false_documents", "other")))
            return steps, with_creating
        steps.append(_Step("under_review", rng.uniform(0.05, 3), rng.random()))
        rounds = self._revision_rounds()
        for _ in range(rounds):
            self._revision_pair(steps)
        if end == "under_review":
            return steps, with_creating
        if end == "needs_revision":
            self._revision_pair(steps, final=True)
            return steps, with_creating
        if end == "rejected":
            if rng.random() < 0.25:
                self._revision_pair(steps, final=True)
                days = steps[-1].data["revision_days"]
                self._rejection(steps, days + rng.uniform(1, 6), "revision_not_made")
            else:
                self._rejection(steps, self._review_delay())
            return steps, with_creating
        chain = ("approved_sa_preparing", "sa_applicant_signing", "sa_ktk_signing", "sa_signed")
        for index, target in enumerate(chain):
            delay = self._review_delay() if index == 0 else rng.uniform(0.5, 7)
            steps.append(_Step(target, delay, rng.random()))
            if target == end:
                break
        return steps, with_creating

    def _plan_rent(self, end: str) -> tuple[list[_Step], bool, int]:
        rng = self.rng
        steps: list[_Step] = []
        consent = True
        guarantors = 0 if rng.random() < 0.62 else (1 if rng.random() < 0.75 else 2)
        if end == "contract_guarantor_signing" and guarantors == 0:
            guarantors = 1
        if end == "submitted":
            return steps, consent, guarantors
        if end == "rejected" and rng.random() < 0.1:
            reason = "no_consent" if rng.random() < 0.3 else None
            consent = reason is None
            self._rejection(steps, rng.uniform(0.3, 5), reason)
            return steps, consent, guarantors
        steps.append(_Step("under_review", rng.uniform(0.05, 3), rng.random(), {"reviewer": True}))
        if end == "rejected" and rng.random() < 0.22:
            consent = False
            self._rejection(steps, rng.uniform(1, 8), "no_consent")
            return steps, consent, guarantors
        for _ in range(self._revision_rounds()):
            self._revision_pair(steps)
        if end == "under_review":
            return steps, consent, guarantors
        if end == "needs_revision":
            self._revision_pair(steps, final=True)
            return steps, consent, guarantors
        if end == "rejected":
            if rng.random() < 0.25:
                self._revision_pair(steps, final=True)
                self._rejection(steps, steps[-1].data["revision_days"] + rng.uniform(1, 6), "revision_not_made")
            else:
                self._rejection(steps, self._review_delay())
            return steps, consent, guarantors
        chain = ["approved", "contract_applicant_signing"]
        if guarantors:
            chain.append("contract_guarantor_signing")
        chain += ["contract_ktk_signing", "contract_signed", "registration_payment", "registration_submitted"]
        for index, target in enumerate(chain):
            if index == 0:
                delay = self._review_delay()
            elif target == "registration_payment":
                delay = rng.uniform(0.5, 4)
            elif target == "registration_submitted":
                delay = rng.uniform(1, 8)
            else:
                delay = rng.uniform(0.5, 7)
            data = {}
            if target == "registration_submitted":
                data["lag_hours"] = rng.uniform(0.5, 6) if rng.random() < 0.9 else rng.uniform(18, 30)
            steps.append(_Step(target, delay, rng.random(), data))
            if target == end and end != "registration_submitted":
                return steps, consent, guarantors
        # registration_submitted onwards: maybe a suspension round first
        if (end in ("registered", "registration_submitted") and rng.random() < 0.2) or end == "registration_suspended":
            steps.append(_Step("registration_suspended", rng.uniform(0.05, 1), rng.random(),
                               {"comment": rng.choice(SUSPEND_COMMENTS)}))
            if end == "registration_suspended":
                return steps, consent, guarantors
            steps.append(_Step("registration_submitted", rng.uniform(3, 18), rng.random(),
                               {"comment": rng.choice(RESUME_COMMENTS)}))
        if end == "registration_submitted":
            return steps, consent, guarantors
        if end == "registered":
            late = rng.random() < 0.15
            steps.append(_Step("registered", rng.uniform(1.2, 5) if late else rng.uniform(0.05, 0.9), rng.random()))
            return steps, consent, guarantors
        # registration_refused: from submitted, or after a suspension
        if rng.random() < 0.5:
            steps.append(_Step("registration_suspended", rng.uniform(0.05, 1), rng.random(),
                               {"comment": rng.choice(SUSPEND_COMMENTS)}))
            steps.append(_Step("registration_refused", rng.uniform(5, 25), rng.random(),
                               {"comment": rng.choice(REFUSED_COMMENTS)}))
        else:
            steps.append(_Step("registration_refused", rng.uniform(0.05, 1), rng.random(),
                               {"comment": rng.choice(REFUSED_COMMENTS)}))
        return steps, consent, guarantors

    def _plan(self, kind: str, end: str) -> _AppPlan:
        rng = self.rng
        arrival, frac = self._arrival_kind()
        consent, guarantors, with_creating = True, 0, False
        if kind == "correction":
            steps, with_creating = self._plan_correction(end)
        else:
            steps, consent, guarantors = self._plan_rent(end)
        return _AppPlan(kind, end, steps, with_creating, rng.uniform(0.02, 3), arrival, frac, consent, guarantors,
                        self._reviewer(), self._reviewer())

    # -- applications: realize -------------------------------------------------------------------
    def _realize(self, plan: _AppPlan, start: date, app_id: int) -> _AppHistory:
        """The history of ``plan`` when it arrives around ``start`` (pure: no randomness)."""
        kind = plan.kind
        received = self._arrival(start, plan.arrival, plan.arrival_frac)
        events: list[tuple] = []
        clocks: list[_Clock] = []
        if kind == "correction":
            if plan.end == "creating":
                events.append((None, "creating", received, {}, None))
            else:
                if plan.with_creating:
                    created = (received - timedelta(days=plan.creating_lead)).replace(second=0, microsecond=0)
                    events.append((None, "creating", created, {}, None))
                    events.append(("creating", "sent", received, {"received_at": received}, None))
                else:
                    events.append((None, "sent", received, {"received_at": received}, None))
        else:
            events.append((None, "submitted", received, {"received_at": received}, None))
            self._start(clocks, "ktk_review", received, received)
        status = events[-1][1]
        prev = received
        main_on_time: bool | None = None
        main_stopped: _Clock | None = None
        last_index = len(plan.steps) - 1
        for index, step in enumerate(plan.steps):
            target = step.target
            actor = plan.reviewer_id
            if kind == "correction" and target == "registered":
                reg = self.cal.registration(received).day
                if reg == received.astimezone(LOCAL_TZ).date():
                    at = max(received + timedelta(minutes=5 + int(step.frac * 115)),
                             self._local(reg, self.opens + int(step.frac * 60)))
                else:
                    at = self._local(reg, self.opens + int(step.frac * 150))
                fields: dict[str, Any] = {"registration_number": f"КР-{received.year}-{app_id:07d}",
                                          "received_at": received}
                actor = plan.registrar_id
            else:
                at = self._snap(prev + timedelta(days=step.delay), step.frac)
                pinned = plan.pin_last is not None and index == last_index
                if pinned:
                    at = self._work(plan.pin_last, 0.3 + 0.7 * step.frac)
                if at <= prev:
                    at = prev + MINUTE
                fields = {}
                if target == "under_review" and status in ("registered", "submitted"):
                    fields["reviewer_id"] = plan.reviewer_id
                elif target == "needs_revision":
                    fields["remarks"] = step.data["remarks"]
                    fields["revision_due"] = at.astimezone(LOCAL_TZ).date() + timedelta(days=step.data["revision_days"])
                elif target == "rejected":
                    fields["refusal_reason"] = step.data["refusal_reason"]
                    if "refusal_text" in step.data:
                        fields["refusal_text"] = step.data["refusal_text"]
                    if status in ("registered", "submitted"):
                        actor = plan.registrar_id
                elif target == "sa_signed":
                    fields["agreement_number"] = f"ҚК-{at.year}/{app_id:07d}"
                    fields["agreement_date"] = at.astimezone(LOCAL_TZ).date()
                elif target == "contract_signed":
                    fields["contract_number"] = f"ЖА-{at.year}/{app_id:07d}"
                    fields["contract_date"] = at.astimezone(LOCAL_TZ).date()
                elif target == "registration_submitted" and status == "registration_payment":
                    paid = at - timedelta(hours=step.data["lag_hours"])
                    if pinned:  # paid the same day, so the 1-wd term runs to the next working day
                        paid = max(paid, self._local(at.astimezone(LOCAL_TZ).date(), self.opens))
                    paid = max(paid, prev + timedelta(minutes=30)).replace(second=0, microsecond=0)
                    if paid >= at:
                        at = paid + timedelta(minutes=10)
                    fields["payment_confirmed_at"] = paid
                elif "comment" in step.data:
                    fields["comment"] = step.data["comment"]
            events.append((status, target, at, fields, actor))
            stopped = self._transition_clocks(kind, status, target, at, fields, clocks)
            if stopped is not None:
                main_stopped = stopped
            status = target
            prev = at
        for clock in clocks:
            self._compute(clock)
        if main_stopped is not None:
            due = main_stopped.result.due
            main_on_time = due is not None and main_stopped.stopped_on <= due
        current_due, current_policy = self._running_due(clocks)
        last_at = max(events[-1][2], max((e.at for c in clocks for e in c.events), default=events[-1][2]))
        return _AppHistory(received, events, clocks, main_on_time, current_due, current_policy, last_at)

    def _target_due(self, desired: str) -> date:
        rng, cal, today = self.rng, self.cal, self.today
        if desired == "overdue":
            late = 1 + int(rng.expovariate(1 / 6))
            return today - timedelta(days=min(late, 60))
        if desired == "due_soon":
            options = [cal.add_working_days(today, j) for j in (1, 2)]
            if cal.is_working_day(today):
                options.append(today)
            return rng.choice(options)
        return cal.add_working_days(today, rng.randint(3, 9))

    def _fit(self, plan: _AppPlan, start: date, app_id: int, desired: str | None,
             target_due: date | None) -> _AppHistory:
        """Realize ``plan``, moving its start so that everything happens before ``now`` and the
        running clock is in the ``desired`` state (when one is asked for and reachable)."""
        now = self.now
        history = self._realize(plan, start, app_id)
        if desired is not None and target_due is not None:
            for _attempt in range(6):
                if history.last_at >= now:
                    shift = -(int((history.last_at - now) / DAY) + 1)
                else:
                    due = history.current_due
                    if due is None or clock_state(due, self.today, self.cal) == desired:
                        break
                    shift = (target_due - due).days
                    if shift == 0:
                        break
                start = start + timedelta(days=shift)
                history = self._realize(plan, start, app_id)
            due = history.current_due
            if (plan.end == "registration_submitted" and desired == "due_soon" and due is not None
                    and clock_state(due, self.today, self.cal) != desired):
                # the 1-wd state-registration term: submit on the last working day before today
                day = self.today - DAY
                while not self.cal.is_working_day(day):
                    day -= DAY
                plan.pin_last = day
                pinned = self._realize(plan, start, app_id)
                if pinned.last_at < now and pinned.current_due is not None and \
                        clock_state(pinned.current_due, self.today, self.cal) == desired:
                    history = pinned
                else:
                    plan.pin_last = None
        tries = 0
        while history.last_at >= now:
            tries += 1
            back = int((history.last_at - now) / DAY) + 1
            start = start - timedelta(days=back if tries < 10 else back + 30)
            history = self._realize(plan, start, app_id)
        return history

    # -- applications: one -----------------------------------------------------------------------
    def _choose(self, forced: tuple[str, str] | None) -> tuple[str, str, date, str | None]:
        rng = self.rng
        day = self._sample_day()
        if forced is not None:
            kind, end = forced
            if not WORKFLOWS[kind].status(end).final:
                day = self.today - timedelta(days=rng.randint(3, 30))
        else:
            kind = "correction" if rng.random() < 0.4 else "rent_to_own"
            age = (self.today - day).days
            open_p = 0.9 if age < 15 else 0.6 if age < 40 else 0.2 if age < 90 else self.backlog
            if rng.random() < open_p:
                bucket = "young" if age < 15 else "mid" if age < 40 else "old" if age < 90 else "stuck"
                end = _weighted(rng, OPEN_WEIGHTS[kind][bucket])
            else:
                end = _weighted(rng, FINAL_WEIGHTS[kind])
        age = (self.today - day).days
        desired = None
        if end in RUNNING[kind]:
            u = rng.random()
            if end == "registration_submitted":
                desired = "due_soon" if u < 0.6 else "overdue"
            elif age < 45:
                desired = "overdue" if u < 0.2 else "due_soon" if u < 0.42 else "on_track"
            else:
                desired = "overdue" if u < 0.5 else "due_soon" if u < 0.65 else "on_track"
        return kind, end, day, desired

    def _application(self, forced: tuple[str, str] | None) -> None:
        rng = self.rng
        kind, end, day, desired = self._choose(forced)
        plan = self._plan(kind, end)
        target_due = self._target_due(desired) if desired else None
        app_id = self._id("applications")
        history = self._fit(plan, day, app_id, desired, target_due)
        wf = WORKFLOWS[kind]
        final = wf.status(end).final
        values: dict[str, Any] = {
            "id": app_id, "kind": kind, "status": end, "is_open": not final,
            "registration_number": None, "registration_date": None, "received_at": None,
            "internal_number": None, "applicant_iin": None, "applicant_bin": None, "applicant_name": "",
            "applicant_phone": self._phone(), "akimat_id": None, "category": None, "family_size": None,
            "consent_personal_data": None, "contract_number": None, "contract_date": None,
            "correction_category": None, "correction_other": None, "reviewer_id": None, "remarks": None,
            "revision_due": None, "refusal_reason": None, "refusal_text": None, "agreement_number": None,
            "agreement_date": None, "payment_confirmed_at": None, "current_due_date": history.current_due,
            "current_policy": history.current_policy, "closed_at": history.events[-1][2] if final else None,
            "closed_on_time": history.main_stop_on_time, "created_at": history.events[0][2],
            "updated_at": history.events[-1][2], "version": len(history.events),
        }
        for _source, _target, _at, fields, _actor in history.events:
            for name, value in fields.items():
                if name in values and name != "id":
                    values[name] = value
        ktk = next((c for c in history.clocks if c.code == "ktk_review"), None)
        if ktk is not None:
            values["registration_date"] = ktk.result.registered
        akimat_id = _weighted(rng, self.akimat_pairs)
        recipient = None
        if kind == "correction":
            bin_number, company = rng.choice(self.developers)
            values["applicant_bin"] = bin_number
            values["applicant_name"] = company
            contract_year = rng.randint(2019, 2024)
            values["contract_number"] = (f"ҮҚШ-{contract_year}/{rng.randrange(1, 99999):05d}" if rng.random() < 0.6
                                         else f"ДДУ № {rng.randrange(1, 9999)}-{contract_year % 100:02d}")
            values["contract_date"] = date(contract_year, 1, 1) + timedelta(days=rng.randrange(365))
            category = rng.choice(CORRECTION_CATEGORIES)
            values["correction_category"] = category
            if category == "other":
                values["correction_other"] = rng.choice(CORRECTION_OTHER)
            if values["registration_number"]:
                values["internal_number"] = f"ІН-{app_id:07d}"
            values["akimat_id"] = akimat_id
        else:
            values["registration_number"] = f"ЖА-{history.received.year}-{app_id:07d}"
            values["consent_personal_data"] = plan.consent
            values["category"] = _weighted(rng, ((CATEGORIES[0], 45), (CATEGORIES[1], 40), (CATEGORIES[2], 15)))
            values["family_size"] = _weighted(rng, ((1, 10), (2, 18), (3, 26), (4, 24), (5, 13), (6, 6), (7, 3)))
            name, born, male = self._person()
            if rng.random() < 0.45 and self.batch_loaded:
                recipient = self._link_recipient(history.received, rng.random() < 0.05)
            if recipient is not None:
                akimat_id = recipient[1]
                iin = self._unique_iin(born, male)
            else:
                iin = self._iin(born, male)
            values["applicant_iin"] = iin
            values["applicant_name"] = name
            values["akimat_id"] = akimat_id
            for _g in range(plan.guarantors):
                g_name, g_born, g_male = self._person(1960, 1995)
                self._add("guarantors", {"id": self._id("guarantors"), "application_id": app_id,
                                         "iin": self._iin(g_born, g_male), "full_name": g_name})
            early = end in ("submitted", "under_review", "needs_revision") or (
                end == "rejected" and values["refusal_reason"] in ("incomplete_documents", "revision_not_made"))
            married = values["family_size"] >= 2 and rng.random() < 0.85
            for code in DOCUMENT_CHECKLIST:
                if code == "marriage_certificates":
                    provided = married
                elif code == "no_marriage_statement":
                    provided = not married
                elif code == "children_birth_certificates":
                    provided = values["family_size"] >= 3
                else:
                    provided = True
                if early and provided and rng.random() < 0.15:
                    provided = False
                self._add("application_documents", {"id": self._id("application_documents"),
                                                    "application_id": app_id, "code": code, "provided": provided})
        self._add("applications", values)
        self._emit_history("application_id", app_id, history.events)
        self._emit_clocks(history.clocks, "application_id", app_id)
        if recipient is not None:
            self._emit_recipient_for(recipient, app_id, values, history.received)
        if kind == "rent_to_own" and rng.random() < 0.2:
            self._unlinked_recipient()
        p = 0.08 if end in ("rejected", "registration_refused") else 0.025
        if end != "creating" and (self.forced_complaints or rng.random() < p):
            forced_c = self.forced_complaints[0] if self.forced_complaints else None
            if self._complaint(app_id, values, history, forced_c) and forced_c is not None:
                self.forced_complaints.pop(0)

    # -- recipients ------------------------------------------------------------------------------
    def _batch_before(self, moment: datetime, recent: int = 4) -> tuple[int, int, int | None, datetime] | None:
        index = bisect.bisect_left(self.batch_loaded, moment)
        if index == 0:
            return None
        low = max(0, index - recent)
        return self.batches[self.rng.randrange(low, index)]

    def _sms_moment(self, day: date, frac: float) -> datetime:
        return self._local(day, 600 + int(frac * 480))

    def _link_recipient(self, received: datetime, direct: bool):
        """A recipient (of an akimat list) this rent-to-own application came from: the SMS went
        out within the 15 days before it arrived. None when no list was loaded before."""
        rng = self.rng
        back = rng.uniform(0.05, 13.5)
        sms = self._sms_moment((received - timedelta(days=back)).astimezone(LOCAL_TZ).date(), rng.random())
        if sms >= received - timedelta(minutes=10):
            sms = (received - timedelta(hours=rng.uniform(1, 3))).replace(second=0, microsecond=0)
        batch = self._batch_before(sms - timedelta(hours=12))
        if batch is None:
            return None
        return (batch, batch[1], None if direct else sms)

    def _recipient_row(self, ident: int, iin: str, name: str, category: str, batch, status: str,
                       notified: datetime | None, application_id: int | None, version: int) -> None:
        rng = self.rng
        self._add("recipients", {
            "id": ident, "iin": iin, "full_name": name, "category": category, "phone": self._phone(),
            "queue_number": str(rng.randrange(1, 60000)) if rng.random() < 0.8 else None,
            "queue_date": (date(rng.randint(2008, 2024), 1, 1) + timedelta(days=rng.randrange(365)))
            if rng.random() < 0.7 else None,
            "note": rng.choice(RECIPIENT_NOTES), "akimat_id": batch[1], "batch_id": batch[0], "status": status,
            "notified_at": notified, "application_id": application_id, "created_at": batch[3], "version": version,
        })

    def _emit_recipient_for(self, recipient, app_id: int, app: dict[str, Any], received: datetime) -> None:
        batch, _akimat, sms = recipient
        ident = self._id("recipients")
        events: list[tuple] = [(None, "listed", batch[3], {}, batch[2])]
        clocks: list[_Clock] = []
        status = "listed"
        if sms is not None:
            fields = {"sent_at": sms}
            events.append(("listed", "notified", sms, fields, None))
            self._transition_clocks("recipient", "listed", "notified", sms, fields, clocks)
            status = "notified"
        fields = {"application_id": app_id}
        events.append((status, "applied", received, fields, None))
        self._transition_clocks("recipient", status, "applied", received, fields, clocks)
        for clock in clocks:
            self._compute(clock)
        self._recipient_row(ident, app["applicant_iin"], app["applicant_name"], app["category"], batch, "applied",
                            sms, app_id, len(events))
        self._emit_history("recipient_id", ident, events)
        self._emit_clocks(clocks, "recipient_id", ident)

    def _unlinked_recipient(self) -> None:
        """A recipient who has not applied: listed, notified (SMS sent) or expired."""
        rng = self.rng
        if not self.batches:
            return
        u = rng.random()
        status = "listed" if u < 0.2 else "notified" if u < 0.55 else "expired"
        name, born, male = self._person()
        category = _weighted(rng, ((CATEGORIES[0], 45), (CATEGORIES[1], 40), (CATEGORIES[2], 15)))
        sms = None
        batch = None
        if status == "notified":
            back = rng.uniform(0.1, 14)
            sms = self._sms_moment((self.now - timedelta(days=back)).date(), rng.random())
            if sms >= self.now:
                sms = self.now - timedelta(hours=2)
            batch = self._batch_before(sms - timedelta(hours=12))
            if batch is None:
                status, sms = "listed", None
        elif status == "expired":
            batch = self._batch_before(self.now - timedelta(days=30), recent=len(self.batches))
            if batch is None:
                status = "listed"
            else:
                sms = self._sms_moment((batch[3] + timedelta(days=rng.uniform(0.5, 7))).date(), rng.random())
                if sms <= batch[3]:
                    sms = batch[3] + timedelta(hours=1)
        if batch is None:
            batch = self.batches[rng.randrange(max(0, len(self.batches) - 5), len(self.batches))]
        ident = self._id("recipients")
        iin = self._unique_iin(born, male)
        events: list[tuple] = [(None, "listed", batch[3], {}, batch[2])]
        clocks: list[_Clock] = []
        if sms is not None:
            fields = {"sent_at": sms}
            events.append(("listed", "notified", sms, fields, None))
            self._transition_clocks("recipient", "listed", "notified", sms, fields, clocks)
            if status == "expired":
                due = self._compute(clocks[0]).due
                expire_at = self._local(due + DAY, 30)
                if expire_at < self.now:
                    events.append(("notified", "expired", expire_at, {}, None))
                    self._transition_clocks("recipient", "notified", "expired", expire_at, {}, clocks)
                else:
                    status = "notified"
        for clock in clocks:
            self._compute(clock)
        self._recipient_row(ident, iin, name, category, batch, status, sms, None, len(events))
        self._emit_history("recipient_id", ident, events)
        self._emit_clocks(clocks, "recipient_id", ident)

    # -- complaints ------------------------------------------------------------------------------
    def _complaint(self, app_id: int, app: dict[str, Any], history: _AppHistory,
                   forced: tuple[str, str] | None) -> bool:
        rng = self.rng
        if forced is not None:
            level, status = forced
        else:
            level = "quality_body" if rng.random() < 0.2 else "provider"
            u = rng.random()
            status = "answered" if u < 0.66 else "registered" if u < 0.73 else "under_review" if u < 0.87 else "extended"
        plan = {
            "level": level, "status": status, "arrival": self._arrival_kind(),
            "via_review": status != "answered" or rng.random() < 0.85,
            "review_wd": rng.randint(0, 2), "review_frac": rng.random(),
            "n_ext": 0, "ext": [], "answer_late": rng.random() < 0.08, "answer_u": rng.random(),
            "answer_frac": rng.random(), "late_wd": rng.randint(1, 5),
            "responsible": rng.choice(self.legal) if rng.random() < 0.6 else self._reviewer(),
        }
        if status == "extended" or (status == "answered" and plan["via_review"] and rng.random() < 0.2):
            plan["n_ext"] = 1 if rng.random() < 0.8 else 2
            first = rng.randint(3, 10) if plan["n_ext"] == 1 else rng.randint(2, 6)
            for index in range(plan["n_ext"]):
                plan["ext"].append({
                    "days": first if index == 0 else rng.randint(1, 10 - first),
                    "u": rng.random(), "frac": rng.random(), "reason": rng.choice(EXTENSION_REASONS),
                    "notice": rng.random() < 0.75, "notice_wd": rng.randint(0, 3) if rng.random() < 0.9 else rng.randint(4, 5),
                    "channel": rng.choice(("paper", "electronic")),
                })
        outcome = rng.choice(OUTCOMES)
        plan["outcome"] = outcome
        plan["answer_text"] = ANSWER_TEXTS[outcome][0 if rng.random() < 0.6 else 1]
        subject = rng.choice(COMPLAINT_SUBJECTS)
        channel = "electronic" if rng.random() < 0.7 else "paper"
        plan["channel"] = channel
        earliest = history.received + DAY
        if status == "answered":
            hi = min(history.last_at + timedelta(days=40), self.now - timedelta(days=50 if level == "quality_body" else 25))
            if hi <= earliest:
                return False
            start = earliest + (hi - earliest) * rng.random()
        else:
            if status == "registered":
                gap = rng.uniform(0.05, 4)
            elif status == "under_review":
                gap = rng.uniform(1, 9) if level == "provider" else rng.uniform(1, 25)
            else:
                gap = rng.uniform(4, 12) if level == "provider" else rng.uniform(10, 30)
            start = self.now - timedelta(days=gap)
            if start <= earliest:
                return False
        sim = self._sim_complaint(plan, start)
        tries = 0
        while sim["last"] >= self.now:
            tries += 1
            start -= timedelta(days=int((sim["last"] - self.now) / DAY) + 1 + (tries // 5) * 5)
            if start <= earliest:
                return False
            sim = self._sim_complaint(plan, start)
        if sim["status"] != status:
            return False
        ident = self._id("complaints")
        final = status == "answered"
        main = sim["main"]
        due, _policy = self._running_due(sim["clocks"])
        if app["kind"] == "correction":
            number, name = app["applicant_bin"], app["applicant_name"]
        else:
            number, name = app["applicant_iin"], app["applicant_name"]
        self._add("complaints", {
            "id": ident, "application_id": app_id, "recipient_id": None, "batch_id": None, "parent_id": None,
            "complainant_id_number": number, "complainant_name": name,
            "complainant_contact": app["applicant_phone"], "channel": channel, "level": level, "subject": subject,
            "received_at": sim["received"], "registration_date": main.result.registered,
            "responsible_id": sim["responsible"], "status": status, "is_open": not final,
            "extension_reason": sim["extension_reason"], "extension_days": sim["extension_days"],
            "notice_sent_on": sim["notice_sent_on"], "notice_channel": sim["notice_channel"],
            "outcome": plan["outcome"] if final else None, "answer_text": plan["answer_text"] if final else None,
            "answer_date": sim["answer_date"], "current_due_date": due,
            "closed_on_time": (main.stopped_on <= main.result.due) if final else None,
            "created_at": sim["received"], "version": len(sim["events"]),
        })
        self._emit_history("complaint_id", ident, sim["events"])
        self._emit_clocks(sim["clocks"], "complaint_id", ident)
        return True

    def _sim_complaint(self, plan: dict[str, Any], start: datetime) -> dict[str, Any]:
        """A complaint's history from its arrival around ``start`` (pure: no randomness)."""
        cal = self.cal
        target = plan["status"]
        arrival, frac = plan["arrival"]
        received = self._arrival(start.astimezone(LOCAL_TZ).date(), arrival, frac)
        if received < start - DAY:  # keep it near the asked moment
            received = start
        code = "complaint_quality_body" if plan["level"] == "quality_body" else "complaint_provider"
        clocks: list[_Clock] = []
        main = self._start(clocks, code, received, received)
        reg_day = self._compute(main).registered
        events: list[tuple] = [(None, "registered", received, {"level": plan["level"], "channel": plan["channel"]},
                                None)]
        status, prev = "registered", received
        responsible = None
        out = {"extension_reason": None, "extension_days": 0, "notice_sent_on": None, "notice_channel": None,
               "answer_date": None}
        if target != "registered" and plan["via_review"]:
            at = self._work(cal.add_working_days(reg_day, plan["review_wd"]), plan["review_frac"])
            if at <= prev:
                at = self._snap(prev + timedelta(minutes=20), plan["review_frac"])
            responsible = plan["responsible"]
            events.append((status, "under_review", at, {"responsible_id": responsible}, responsible))
            status, prev = "under_review", at
        actor = responsible or plan["responsible"]
        notice: _Clock | None = None
        for ext in plan["ext"]:
            if out["extension_days"] + ext["days"] > 10:
                break
            due_now = self._compute(main).due
            first_day = prev.astimezone(LOCAL_TZ).date()
            days = []
            day = first_day
            while day <= due_now:
                if cal.is_working_day(day):
                    days.append(day)
                day += DAY
            if not days:
                break
            pick = days[len(days) - 1 - int(ext["u"] * min(len(days), 4))]
            at = self._work(pick, ext["frac"])
            if at <= prev:
                at = prev + timedelta(minutes=15)
            if at.astimezone(LOCAL_TZ).date() > due_now:
                break
            fields = {"extension_reason": ext["reason"], "extension_days": ext["days"]}
            events.append((status, "extended", at, fields, actor))
            self._event(main, "extend", at, ext["days"])
            if notice is not None and not notice.stopped:
                self._event(notice, "stop", at)
            notice = self._start(clocks, "complaint_extension_notice", at, at)
            out["extension_reason"] = ext["reason"]
            out["extension_days"] += ext["days"]
            status, prev = "extended", at
            if ext["notice"]:
                sent_on = cal.add_working_days(at.astimezone(LOCAL_TZ).date(), ext["notice_wd"])
                stop_at = max(self._local(sent_on, 12 * 60), notice.started_at)
                self._event(notice, "stop", stop_at)
                recorded = stop_at + timedelta(minutes=20)
                events.append((status, status, recorded,
                               {"action": "extension_notice", "sent_on": sent_on, "channel": ext["channel"]},
                               actor, "action"))
                out["notice_sent_on"] = sent_on
                out["notice_channel"] = ext["channel"]
                prev = recorded
        if target == "answered":
            final_due = self._compute(main).due
            first_day = prev.astimezone(LOCAL_TZ).date()
            if plan["answer_late"] or first_day > final_due:
                day = cal.add_working_days(max(final_due, first_day), plan["late_wd"])
            else:
                days = []
                day = first_day
                while day <= final_due:
                    if cal.is_working_day(day):
                        days.append(day)
                    day += DAY
                day = days[min(len(days) - 1, int(plan["answer_u"] ** 0.7 * len(days)))] if days else \
                    cal.next_working_day(first_day)
            at = self._work(day, plan["answer_frac"])
            if at <= prev:
                at = prev + timedelta(minutes=15)
            answer_date = at.astimezone(LOCAL_TZ).date()
            fields = {"outcome": plan["outcome"], "answer_text": plan["answer_text"], "answer_date": answer_date}
            events.append((status, "answered", at, fields, actor))
            self._event(main, "stop", at)
            if notice is not None and not notice.stopped:
                self._event(notice, "stop", at)
            out["answer_date"] = answer_date
            status, prev = "answered", at
        for clock in clocks:
            self._compute(clock)
        last = max(max(e[2] for e in events), max(e.at for c in clocks for e in c.events))
        out.update({"events": events, "clocks": clocks, "main": main, "last": last, "status": status,
                    "received": received, "responsible": responsible})
        return out

    # -- run -------------------------------------------------------------------------------------
    def run(self) -> dict[str, int]:
        with self.engine.begin() as conn:
            self._load_ids(conn)
            self._setup(conn)
        forced: list[tuple[str, str]] = []
        codes = {kind: [s.code for s in WORKFLOWS[kind].statuses] for kind in ("correction", "rent_to_own")}
        for index in range(max(len(v) for v in codes.values())):
            for kind in ("correction", "rent_to_own"):
                if index < len(codes[kind]):
                    forced.append((kind, codes[kind][index]))
        self.forced_complaints = [("provider", "registered"), ("quality_body", "under_review"),
                                  ("provider", "extended"), ("quality_body", "answered"),
                                  ("quality_body", "extended"), ("provider", "answered")]
        if self.n < 100:
            forced = forced[: self.n // 4]
            self.forced_complaints = self.forced_complaints[: max(0, self.n // 25)]
        done = 0
        while done < self.n:
            size = min(self.chunk_size, self.n - done)
            for _ in range(size):
                self._application(forced.pop(0) if forced else None)
            done += size
            with self.engine.begin() as conn:
                self._big_cache(conn)
                self._flush(conn)
            if self.progress:
                self.progress(done, self.n)
        with self.engine.begin() as conn:
            self._finish_batches(conn)
            self._flush(conn)
            self._small_cache(conn)
        return dict(self.counts)

    def _finish_batches(self, conn) -> None:
        """Now that the recipients are known: each batch's row counts and its error report
        (rows that were not loaded: invalid, duplicated in the file, listed before)."""
        if not self.batches:
            return
        rng = self.rng
        table = ListBatch.__table__
        recipients = Recipient.__table__
        first = min(self.batch_meta)
        stats = {batch_id: (count, iin) for batch_id, count, iin in conn.execute(
            select(recipients.c.batch_id, func.count(), func.min(recipients.c.iin))
            .where(recipients.c.batch_id >= first).group_by(recipients.c.batch_id))}
        updates = []
        previous: tuple[int, int, str] | None = None  # (batch id, akimat id, an IIN of it)
        for batch_id in sorted(self.batch_meta):
            header_row, row = self.batch_meta[batch_id]
            loaded, sample = stats.get(batch_id, (0, None))
            invalid, duplicate, already = row["rows_invalid"], row["rows_duplicate"], row["rows_already_listed"]
            if not loaded:
                invalid = duplicate = already = 0
            if previous is None:
                already = 0
            total = loaded + invalid + duplicate + already
            positions = sorted(rng.sample(range(total), invalid + duplicate + already), reverse=True)
            headers = row["headers"]
            for index, position in enumerate(positions):
                number = header_row + 1 + position
                if index < duplicate and position > 0:
                    code, field_code, column = "iin_duplicate", "iin", headers[0]
                    params = {"first_row": header_row + 1 + rng.randrange(position), "value": sample}
                    value = sample
                elif index < duplicate + already and previous is not None:
                    code, field_code, column = "already_listed", "iin", headers[0]
                    params = {"value": previous[2], "batch_id": previous[0],
                              "other_akimat": previous[1] != row["akimat_id"]}
                    value = previous[2]
                else:
                    code, field_code, column, params, value = self._row_error(headers)
                name, born, male = self._person()
                values = [value if field_code == "iin" else self._iin(born, male),
                          "" if code == "name_missing" else name,
                          params.get("value", "") if code == "category_unknown" else rng.choice(CATEGORY_WORDS),
                          params.get("value", "") if code == "phone_invalid" else self._phone(),
                          str(rng.randrange(1, 60000)), f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}."
                          f"{rng.randint(2010, 2024)}", ""]
                self._add("list_row_errors", {
                    "id": self._id("list_row_errors"), "batch_id": batch_id, "row": number, "field": field_code,
                    "column": column, "code": code, "params": params, "row_values": values,
                })
            updates.append({"b_id": batch_id, "b_total": total, "b_loaded": loaded, "b_invalid": invalid,
                            "b_duplicate": duplicate, "b_already": already})
            if loaded:
                previous = (batch_id, row["akimat_id"], sample)
        conn.execute(
            table.update().where(table.c.id == bindparam("b_id")).values(
                rows_total=bindparam("b_total"), rows_loaded=bindparam("b_loaded"),
                rows_invalid=bindparam("b_invalid"), rows_duplicate=bindparam("b_duplicate"),
                rows_already_listed=bindparam("b_already")),
            updates,
        )

    def _row_error(self, headers: list[str]) -> tuple[str, str, str, dict[str, Any], str]:
        """One invalid row's problem: (code, field, column, params, the IIN cell)."""
        rng = self.rng
        name, born, male = self._person()
        iin = self._iin(born, male)
        kind = rng.random()
        if kind < 0.35:
            wrong = iin[:11] + str((int(iin[11]) + 1 + rng.randrange(8)) % 10)
            return "iin_checksum", "iin", headers[0], {"value": wrong}, wrong
        if kind < 0.5:
            short = iin[: rng.choice((9, 10))]
            return "iin_format", "iin", headers[0], {"value": short}, short
        if kind < 0.75:
            phone = rng.choice(("8 701 12 34", "+7 727 250 11 22", "701-555", "87172"))
            return "phone_invalid", "phone", headers[3], {"value": phone}, iin
        if kind < 0.9:
            word = rng.choice(("зейнеткер", "пенсионер", "4", "ЖТБ"))
            return "category_unknown", "category", headers[2], {"value": word}, iin
        return "name_missing", "full_name", headers[1], {}, iin


def demo_present(engine: Engine) -> bool:
    """True when the database already holds applications (the demo adds only to an empty one)."""
    with engine.connect() as conn:
        return conn.execute(select(Application.id).limit(1)).first() is not None


def generate_demo(
    engine: Engine,
    applications: int,
    seed: int = 42,
    today: date | None = None,
    *,
    chunk_size: int = CHUNK,
    progress: Callable[[int, int], None] | None = None,
    backlog: float = STUCK_OPEN,
) -> DemoSummary:
    """Fill an empty (migrated) database with demo data; see the module docstring.

    ``backlog`` is the share of applications older than 90 days still open (stuck): the default
    gives about one open application in ten, as in a service that keeps up; the jobs benchmark
    asks for about a third open (``backlog`` 0.33).

    When the database already has applications nothing is written and the summary says
    ``skipped``.
    """
    started = time.perf_counter()
    today = today or datetime.now(LOCAL_TZ).date()
    if demo_present(engine):
        return DemoSummary({}, time.perf_counter() - started, today, seed, skipped=True)
    generator = _Generator(engine, applications, seed, today, chunk_size, progress, backlog)
    counts = generator.run()
    return DemoSummary(counts, time.perf_counter() - started, today, seed, users=generator.created_users)
