"""What the report builders share: the application filter and scope, names of akimats, regions,
reviewers, statuses and policies, the day difference in SQL, on-time statistics."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Integer, Select, cast, func, select
from sqlalchemy.orm import Session

from data.access import scope_applications
from data.i18n import t
from data.models import Application, User
from data.queries.overview import Akimats, load_akimats
from data.reports.model import FLOAT, INT, PCT, TEXT, Column, percentile, rate
from data.statuses import WORKFLOWS


def application_filters(query: Select, resolved, user: User | None, *, with_period: bool = False) -> Select:
    """The report filter (kind, akimat subtree, reviewer) and the user's scope on ``Application``."""
    a, f = Application, resolved.filters
    if f.kind:
        query = query.where(a.kind == f.kind)
    if resolved.akimat_ids is not None:
        query = query.where(a.akimat_id.in_(sorted(resolved.akimat_ids)))
    if f.reviewer_id is not None:
        query = query.where(a.reviewer_id == f.reviewer_id)
    return scope_applications(query, user) if user is not None else query


def day_diff(start, end, dialect: str):
    """Whole days from the date ``start`` to the date ``end`` in SQL."""
    if dialect == "sqlite":
        return cast(func.julianday(end) - func.julianday(start), Integer)
    return end - start


class Names:
    """Display names of the things reports group by, in the report's language."""

    def __init__(self, session: Session, lang: str) -> None:
        self.session, self.lang = session, lang
        self.akimats: Akimats = load_akimats(session)
        self._reviewers: dict[int, str] | None = None

    def akimat(self, akimat_id: int | None) -> str:
        node = self.akimats.by_id.get(akimat_id) if akimat_id is not None else None
        return node.name(self.lang) if node else t("reports.no_akimat", self.lang)

    def kato(self, akimat_id: int | None) -> str | None:
        node = self.akimats.by_id.get(akimat_id) if akimat_id is not None else None
        return node.kato if node else None

    def region_id(self, akimat_id: int | None) -> int | None:
        return self.akimats.region_of(akimat_id) if akimat_id in self.akimats.by_id else None

    def reviewer(self, user_id: int | None) -> str:
        if self._reviewers is None:
            self._reviewers = dict(self.session.execute(select(User.id, User.full_name)).all())
        if user_id is None:
            return t("reports.no_reviewer", self.lang)
        return self._reviewers.get(user_id, str(user_id))

    def kind(self, kind: str) -> str:
        return t(f"kind.{kind}.short", self.lang)

    def status(self, kind: str, code: str) -> str:
        workflow = WORKFLOWS.get(kind)
        return workflow.by_code[code].label(self.lang) if workflow and code in workflow.by_code else code

    def policy(self, code: str | None) -> str:
        return t(f"apppage.policy.{code}", self.lang) if code else ""


@dataclass
class OnTimeStats:
    """Clocks that stopped: how many, on time, late, and the days each used."""

    closed: int = 0
    on_time: int = 0
    days: dict[int, int] = field(default_factory=dict)  # days used -> clocks

    @property
    def late(self) -> int:
        return self.closed - self.on_time

    @property
    def rate(self) -> float | None:
        return rate(self.on_time, self.closed)

    def add(self, met: bool, days: int | None, n: int) -> None:
        self.closed += n
        if met:
            self.on_time += n
        if days is not None:
            self.days[int(days)] = self.days.get(int(days), 0) + n

    def median(self) -> float | None:
        return percentile(self.days, 0.5)

    def p90(self) -> float | None:
        return percentile(self.days, 0.9)

    def cells(self) -> list:
        return [self.closed, self.on_time, self.late, self.rate, self.median(), self.p90()]


def stats_columns(first: str, lang: str, extra: list[Column] | None = None) -> list[Column]:
    return [Column(first, TEXT, 34), *(extra or []), Column(t("reports.col.closed", lang), INT),
            Column(t("reports.col.on_time", lang), INT), Column(t("reports.col.late", lang), INT),
            Column(t("reports.col.on_time_rate", lang), PCT), Column(t("reports.col.median_days", lang), FLOAT),
            Column(t("reports.col.p90_days", lang), FLOAT)]
