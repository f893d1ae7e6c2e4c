"""Everything the Application page shows, read in a handful of indexed queries.

``application_page`` returns plain data (no ORM objects escape): the application with its
akimat and reviewer names, guarantors and checklist, the full history with actor names, every
clock with its events, pauses, live state and days left, and the linked complaints. Reads are
scoped through ``data.access``; an application outside the user's scope is "not found".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased, selectinload

from data.access import can, mask_iin, scope_applications
from data.clocks import DeadlineContext, load_context
from data.config import LOCAL_TZ
from data.deadlines import DaysLeft, clock_state, days_left
from data.models import (
    Akimat,
    Application,
    ApplicationDocument,
    Clock,
    Complaint,
    Guarantor,
    ReferenceItem,
    StatusEvent,
    User,
)
from data.statuses import DOCUMENT_CHECKLIST, WORKFLOWS


@dataclass
class HistoryEntry:
    id: int
    kind: str  # transition | note | assign | action
    at: datetime  # aware UTC
    actor: str | None
    from_status: str | None
    to_status: str | None
    comment: str | None
    documents: list[str]
    payload: dict[str, Any]


@dataclass
class ClockView:
    id: int
    policy_code: str
    policy_version: int
    variant: str | None
    started_at: datetime
    registered_on: date | None
    due_date: date | None
    paused_since: date | None
    stopped_at: datetime | None
    stopped_on: date | None
    state: str  # on_track | due_soon | overdue | paused | stopped (as of today)
    met: bool | None  # for a stopped clock: stopped on or before its due date
    pauses: list[tuple[date, date | None]]
    extensions: list[tuple[date, int]]
    explanation: list[dict[str, Any]]
    left: DaysLeft | None  # for an open, running clock


@dataclass
class ComplaintView:
    id: int
    level: str
    status: str
    subject: str
    registration_date: date
    due_date: date | None
    is_open: bool


@dataclass
class ApplicationPage:
    id: int
    kind: str
    status: str
    version: int
    is_open: bool
    registration_number: str | None
    registration_date: date | None
    received_at: datetime | None
    internal_number: str | None
    applicant_id_number: str | None  # IIN or BIN, masked unless the user may read it
    applicant_name: str
    applicant_phone: str | None
    akimat: dict[str, str] | None  # {"kk": ..., "ru": ...}
    category: str | None
    family_size: int | None
    consent: bool | None
    contract_number: str | None
    contract_date: date | None
    correction_category: str | None
    correction_other: str | None
    reviewer_id: int | None
    reviewer: str | None
    remarks: str | None
    revision_due: date | None
    refusal_reason: str | None
    refusal_text: str | None
    agreement_number: str | None
    agreement_date: date | None
    payment_confirmed_at: datetime | None
    current_due_date: date | None
    current_policy: str | None
    closed_at: datetime | None
    closed_on_time: bool | None
    guarantors: list[tuple[str, str]]
    documents: list[tuple[str, bool | None]]  # every checklist line: provided / not / unknown (None)
    history: list[HistoryEntry]
    clocks: list[ClockView]
    complaints: list[ComplaintView]
    today: date
    user_names: dict[int, str] = field(default_factory=dict)  # reviewer names the history mentions
    reference: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)

    @property
    def running_clock(self) -> ClockView | None:
        """The clock whose due date the application shows (the earliest running one)."""
        running = [c for c in self.clocks if c.stopped_at is None and c.paused_since is None and c.due_date]
        if not running:
            return None
        same = [c for c in running if c.policy_code == self.current_policy and c.due_date == self.current_due_date]
        return (same or sorted(running, key=lambda c: (c.due_date, c.id)))[0]

    @property
    def paused_clocks(self) -> list[ClockView]:
        return [c for c in self.clocks if c.stopped_at is None and c.paused_since is not None]

    def reference_label(self, list_name: str, code: str | None, lang: str) -> str:
        if not code:
            return ""
        entry = self.reference.get((list_name, code))
        return entry.get(lang) or entry.get("kk") if entry else code


# Aliases made once: building them per call costs more than the queries themselves.
_REVIEWER = aliased(User, name="reviewer")
_ACTOR = aliased(User, name="actor")


def _pauses(events) -> tuple[list[tuple[date, date | None]], list[tuple[date, int]]]:
    """(paused from, resumed on or None while paused) and (extended on, days), from the clock events."""
    pauses: list[tuple[date, date | None]] = []
    extensions: list[tuple[date, int]] = []
    open_since: date | None = None
    for event in sorted(events, key=lambda e: (e.at, e.id)):
        day = event.at.astimezone(LOCAL_TZ).date()
        if event.kind == "pause" and open_since is None:
            open_since = day
        elif event.kind == "resume" and open_since is not None:
            pauses.append((open_since, day))
            open_since = None
        elif event.kind == "extend":
            extensions.append((day, int(event.days or 0)))
    if open_since is not None:
        pauses.append((open_since, None))
    return pauses, extensions


def application_page(session: Session, application_id: int, user: User, today: date,
                     ctx: DeadlineContext | None = None) -> ApplicationPage | None:
    """The page's data, or None when the application does not exist or is outside the scope."""
    reviewer = _REVIEWER
    row = session.execute(
        scope_applications(
            select(Application, Akimat.name_kk, Akimat.name_ru, reviewer.full_name)
            .outerjoin(Akimat, Akimat.id == Application.akimat_id)
            .outerjoin(reviewer, reviewer.id == Application.reviewer_id)
            .where(Application.id == application_id),
            user,
        )
    ).first()
    if row is None:
        return None
    app, akimat_kk, akimat_ru, reviewer_name = row
    ctx = ctx or load_context(session)
    cal = ctx.calendar
    full_ids = can(user, "iin.read")

    def shown_id(value: str | None) -> str | None:
        return value if full_ids or not value else mask_iin(value)

    guarantors: list[tuple[str, str]] = []
    documents: list[tuple[str, bool | None]] = []
    if app.kind == "rent_to_own":
        guarantors = [
            (shown_id(iin), name)
            for iin, name in session.execute(
                select(Guarantor.iin, Guarantor.full_name).where(Guarantor.application_id == app.id)
                .order_by(Guarantor.id)
            )
        ]
        provided = dict(
            session.execute(
                select(ApplicationDocument.code, ApplicationDocument.provided)
                .where(ApplicationDocument.application_id == app.id)
            ).all()
        )
        documents = [(code, provided.get(code)) for code in DOCUMENT_CHECKLIST]

    actor = _ACTOR
    history = [
        HistoryEntry(e.id, e.kind, e.at, name, e.from_status, e.to_status, e.comment, list(e.documents or []),
                     dict(e.payload or {}))
        for e, name in session.execute(
            select(StatusEvent, actor.full_name)
            .outerjoin(actor, actor.id == StatusEvent.actor_id)
            .where(StatusEvent.application_id == app.id)
            .order_by(StatusEvent.at, StatusEvent.id)
        )
    ]

    clocks = []
    for clock in session.scalars(
        select(Clock).where(Clock.application_id == app.id).options(selectinload(Clock.events)).order_by(Clock.id)
    ):
        pauses, extensions = _pauses(clock.events)
        stopped = clock.stopped_at is not None
        paused = clock.paused_since is not None
        warn = ctx.policies.version(clock.policy_code, clock.policy_version).warn_wd
        state = clock_state(clock.due_date, today, cal, warn, paused=paused, stopped=stopped)
        left = days_left(clock.due_date, today, cal) if clock.due_date and not stopped and not paused else None
        met = (clock.stopped_on <= clock.due_date) if stopped and clock.due_date and clock.stopped_on else None
        clocks.append(ClockView(
            clock.id, clock.policy_code, clock.policy_version, clock.variant, clock.started_at,
            clock.registered_on, clock.due_date, clock.paused_since, clock.stopped_at, clock.stopped_on, state, met,
            pauses, extensions, list(clock.explanation or []), left,
        ))

    complaints = [
        ComplaintView(c.id, c.level, c.status, c.subject, c.registration_date, c.current_due_date, c.is_open)
        for c in session.scalars(complaints_query(app.id).order_by(Complaint.registration_date, Complaint.id))
    ]

    # Names of the reviewers the history mentions (assignments, reviewer_id fields).
    mentioned: set[int] = set()
    for entry in history:
        for key in ("from_reviewer_id", "to_reviewer_id", "reviewer_id", "responsible_id"):
            value = entry.payload.get(key)
            if isinstance(value, int):
                mentioned.add(value)
    user_names = dict(session.execute(select(User.id, User.full_name).where(User.id.in_(mentioned))).all()) \
        if mentioned else {}

    codes = {("refusal_reason", app.refusal_reason), ("correction_category", app.correction_category)}
    codes |= {("refusal_reason", e.payload.get("refusal_reason")) for e in history if e.payload.get("refusal_reason")}
    wanted = {code for _list, code in codes if code}
    reference = {
        (list_name, code): {"kk": kk, "ru": ru}
        for list_name, code, kk, ru in session.execute(
            select(ReferenceItem.list_name, ReferenceItem.code, ReferenceItem.label_kk, ReferenceItem.label_ru)
            .where(ReferenceItem.list_name.in_(("refusal_reason", "correction_category")),
                   ReferenceItem.code.in_(wanted))
        )
    } if wanted else {}

    return ApplicationPage(
        id=app.id, kind=app.kind, status=app.status, version=app.version, is_open=app.is_open,
        registration_number=app.registration_number, registration_date=app.registration_date,
        received_at=app.received_at, internal_number=app.internal_number,
        applicant_id_number=shown_id(app.applicant_bin if app.kind == "correction" else app.applicant_iin),
        applicant_name=app.applicant_name, applicant_phone=app.applicant_phone,
        akimat={"kk": akimat_kk, "ru": akimat_ru} if akimat_kk else None,
        category=app.category, family_size=app.family_size, consent=app.consent_personal_data,
        contract_number=app.contract_number, contract_date=app.contract_date,
        correction_category=app.correction_category, correction_other=app.correction_other,
        reviewer_id=app.reviewer_id, reviewer=reviewer_name, remarks=app.remarks, revision_due=app.revision_due,
        refusal_reason=app.refusal_reason, refusal_text=app.refusal_text, agreement_number=app.agreement_number,
        agreement_date=app.agreement_date, payment_confirmed_at=app.payment_confirmed_at,
        current_due_date=app.current_due_date, current_policy=app.current_policy, closed_at=app.closed_at,
        closed_on_time=app.closed_on_time, guarantors=guarantors, documents=documents, history=history,
        clocks=clocks, complaints=complaints, today=today, user_names=user_names, reference=reference,
    )


def complaints_query(application_id: int):
    """The complaints about an application the user may see (it was read through
    scope_applications): exactly what ``scope_complaints`` gives for it, since scope_complaints
    shows every complaint about an application in the user's scope. Applying scope_complaints here
    would add its uncorrelated subquery over every application in a reviewer's scope, 1-3 s at a
    million applications; tests/test_application_page.py checks that both give the same rows."""
    return select(Complaint).where(Complaint.application_id == application_id)


def status_and_version(session: Session, application_id: int, user: User) -> tuple[str, str, int] | None:
    """(kind, status, version) of an application in the user's scope: the fresh state a conflict shows."""
    row = session.execute(
        scope_applications(select(Application.kind, Application.status, Application.version)
                           .where(Application.id == application_id), user)
    ).first()
    return (row[0], row[1], row[2]) if row else None


def workflow_status_label(kind: str, code: str | None, lang: str) -> str:
    if not code:
        return ""
    workflow = WORKFLOWS.get(kind)
    return workflow.status(code).label(lang) if workflow and code in workflow.by_code else code
