"""Complaints (seed 004 items 33-34): the rules behind the complaint pages (no Dash here).

- who may do what with a complaint (``data.access`` permissions, plus: a reviewer acts on the
  complaints they are responsible for or that nobody has taken yet);
- the registration form: what it is about (an application, a recipient or a list batch, in the
  user's scope), the complainant's IIN/BIN (check digit, ``data.iin``), lengths, the moment it
  arrived (not in the future), channel, level, responsible person; every problem at once;
- the live preview of the registration day and the answer due date, with its explanation;
- the units of work of the complaint page: take into review, extend (item 34), record the
  extension notice, answer, escalate to the quality-control body, change the responsible
  person. Each checks the optimistic lock first (``Complaint.version``; someone else's change is
  reported, never overwritten), then permissions, then the values, changes nothing when refused
  and writes an audit row in the same transaction.

Choices where the rules are silent (also in the final report):

- Answering stops the level clock on the answer date (the moment of saving when the answer is
  dated today, the end of that day when it is dated earlier) and, if the extension notice is
  still outstanding, the notice clock too: the answer reaches the complainant, and a notice that
  was already late stays late (its clock stops after its due date). ``closed_on_time`` is the
  level clock's ``stopped_on <= due_date``.
- The notice channel is the one the complaint came in by (item 34: in writing for a paper
  complaint, electronically for an electronic one). Staff may record another channel only with a
  reason (e.g. the complainant asked for e-mail); the reason goes to the history and the audit.
- Escalation: a provider-level complaint (open or answered) may be escalated once; the new
  quality-body complaint copies the complainant and what the complaint is about, links to its
  parent (``parent_id``) and runs its own 15-working-day clock from its own registration. The
  parent's clock is not touched (the provider still owes its answer).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from data import audit
from data import clocks as clock_service
from data.access import can, scope_applications, scope_batches, scope_complaints, scope_recipients
from data.clocks import DeadlineContext, load_context
from data.config import LOCAL_TZ
from data.deadlines import Event, compute_due
from data.errors import ConflictError, DomainError
from data.i18n import fmt_date, fmt_datetime, t
from data.iin import iin_check_digit, is_valid_iin
from data.models import Application, Clock, Complaint, ListBatch, Recipient, StatusEvent, User, utcnow
from data.statuses import EXTENSION_REASONS, OUTCOMES, WORKFLOWS
from data.workflows import complaint_policy, create_complaint, record_extension_notice, transition

LEVELS = ("provider", "quality_body")
CHANNELS = ("paper", "electronic")
ABOUT = ("application", "recipient", "batch")
LEVEL_POLICY = {"provider": "complaint_provider", "quality_body": "complaint_quality_body"}
NOTICE_POLICY = "complaint_extension_notice"
MAX_EXTENSION_WD = 10
MAX_NAME = 300
MAX_CONTACT = 200
MAX_SUBJECT = 4000
MAX_ANSWER = 4000
MAX_REASON = 1000
EARLIEST = date(2020, 1, 1)  # the deadline policies are in force from here (data.policies.BASE_DATE)
TIME_RE = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")
WORKFLOW = WORKFLOWS["complaint"]


# -- errors ----------------------------------------------------------------------------------
class ComplaintError(DomainError):
    """A DomainError whose "@key" parameters are shown translated (channel names and the like)."""

    def message(self, lang: str = "kk") -> str:
        shown = {k: t(v[1:], lang) if isinstance(v, str) and v.startswith("@") else v for k, v in self.params.items()}
        if "field" in self.params:
            shown["field_label"] = t(f"field.{self.params['field']}", lang)
        return t(f"error.{self.code}", lang, **shown)


def not_found(complaint_id: Any) -> DomainError:
    return ComplaintError("complaints_not_found", id=str(complaint_id if complaint_id is not None else "")[:20])


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a form: the input, the message key and its parameters ("@key" values
    are translated too)."""

    field: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str) -> str:
        shown = {k: t(v[1:], lang) if isinstance(v, str) and v.startswith("@") else v
                 for k, v in self.params.items()}
        return t(self.key, lang, **shown)


class FormInvalid(DomainError):
    """The form has problems (all of them listed); nothing was saved."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("complaints_form_invalid", count=len(problems))
        self.problems = problems

    def fields(self) -> set[str]:
        return {p.field for p in self.problems}


def error_fields(error: DomainError) -> set[str]:
    """The inputs an error is about (to mark them in the form)."""
    if isinstance(error, FormInvalid):
        return error.fields()
    name = error.params.get("field")
    by_code = {"extension_reason_required": "extension_reason", "complaints_reason_not_allowed": "extension_reason",
               "extension_too_long": "extension_days", "complaints_notice_channel_reason": "notice_reason",
               "complaints_notice_date_before": "notice_sent_on", "complaints_notice_date_future": "notice_sent_on",
               "complaints_answer_date_before": "answer_date"}
    if error.code in by_code:
        return {by_code[error.code]}
    return {name} if name else set()


# -- reading and permissions -----------------------------------------------------------------
def parse_id(value: Any) -> int | None:
    text = str(value if value is not None else "").strip().lstrip("#№")
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= 2**31 - 1 else None  # beyond INTEGER PostgreSQL fails the query


def scoped_complaint(session: Session, user: User, complaint_id: Any) -> Complaint:
    """The complaint when it exists and ``user`` may see it; the same "not found" otherwise."""
    ident = parse_id(complaint_id)
    complaint = None
    if ident is not None and user is not None:
        complaint = session.scalars(scope_complaints(select(Complaint).where(Complaint.id == ident), user)).first()
    if complaint is None:
        raise not_found(complaint_id)
    return complaint


def may_act(user: User | None, complaint: Complaint) -> bool:
    """Change a complaint's status, extend it, record the notice, answer it.

    Reviewers: the complaints they are responsible for, or nobody's yet (they take them).
    Admins hold ``complaints.act`` for every complaint (data.access)."""
    if not can(user, "complaints.act"):
        return False
    return user.role == "admin" or complaint.responsible_id in (None, user.id)


def may_register(user: User | None) -> bool:
    return can(user, "complaints.act")


def may_assign(user: User | None) -> bool:
    return can(user, "complaints.assign")


def responsible_choices(session: Session) -> list[tuple[int, str]]:
    """Active reviewers (the staff who handle complaints), by name."""
    rows = session.execute(
        select(User.id, User.full_name, User.username)
        .where(User.role == "reviewer", User.is_active.is_(True))
        .order_by(User.full_name, User.id)
    ).all()
    return [(ident, f"{name} ({username})") for ident, name, username in rows]


def _actor(session: Session, user: User) -> User:
    return session.get(User, user.id) or user


# -- optimistic lock -------------------------------------------------------------------------
def conflict_for(session: Session, complaint: Complaint) -> ConflictError:
    """Who changed the complaint last, and when (for the conflict message)."""
    last = session.execute(
        select(StatusEvent.at, User.full_name)
        .outerjoin(User, User.id == StatusEvent.actor_id)
        .where(StatusEvent.complaint_id == complaint.id)
        .order_by(StatusEvent.at.desc(), StatusEvent.id.desc())
        .limit(1)
    ).first()
    who = (last[1] or "") if last else ""
    when = fmt_datetime(last[0].astimezone(LOCAL_TZ)) if last else ""
    return ConflictError(who=who, when=when, item_id=complaint.id)


def _expected(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def check_version(session: Session, complaint: Complaint, expected_version: Any) -> None:
    expected = _expected(expected_version)
    if expected is not None and complaint.version != expected:
        raise conflict_for(session, complaint)


def _snapshot(complaint: Complaint) -> dict[str, Any]:
    return {
        "status": complaint.status,
        "version": complaint.version,
        "responsible_id": complaint.responsible_id,
        "extension_days": complaint.extension_days,
        "current_due_date": complaint.current_due_date.isoformat() if complaint.current_due_date else None,
    }


@dataclass
class Change:
    complaint_id: int
    version: int


# -- dates and times from the forms ----------------------------------------------------------
def parse_day(value: Any) -> date | None:
    """A date from a date picker (ISO) or typed ``dd.mm.yyyy``; None if neither."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for fmt, size in (("%Y-%m-%d", 10), ("%d.%m.%Y", 10)):
        try:
            return datetime.strptime(text[:size], fmt).date()
        except ValueError:
            continue
    return None


def parse_time(text: Any) -> tuple[int, int] | None:
    match = TIME_RE.match(str(text or ""))
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def received_moment(raw: dict[str, Any], problems: list[Problem], now: datetime,
                    not_before: datetime | None = None) -> datetime | None:
    """The local moment the complaint arrived: date + HH:MM, not in the future."""
    day_raw, time_raw = raw.get("received_date"), str(raw.get("received_time") or "").strip()
    day = parse_day(day_raw) if day_raw else None
    if not day_raw:
        problems.append(Problem("received_date", "complaints.err.required", {"field": "@complaints.f.received_date"}))
    elif day is None:
        problems.append(Problem("received_date", "complaints.err.bad_date", {"value": str(day_raw)[:20]}))
    hm = None
    if not time_raw:
        problems.append(Problem("received_time", "complaints.err.required", {"field": "@complaints.f.received_time"}))
    else:
        hm = parse_time(time_raw)
        if hm is None:
            problems.append(Problem("received_time", "complaints.err.bad_time", {"value": time_raw[:10]}))
    if day is None or hm is None:
        return None
    moment = datetime(day.year, day.month, day.day, hm[0], hm[1], tzinfo=LOCAL_TZ)
    if moment > now.astimezone(LOCAL_TZ):
        problems.append(Problem("received_time", "complaints.err.future_moment", {}))
        return None
    if day < EARLIEST:
        problems.append(Problem("received_date", "complaints.err.too_old", {"date": fmt_date(EARLIEST)}))
        return None
    if not_before is not None and moment < not_before.astimezone(LOCAL_TZ):
        problems.append(Problem("received_time", "complaints.err.before_parent",
                                {"moment": fmt_datetime(not_before.astimezone(LOCAL_TZ))}))
        return None
    return moment


# -- the registration preview ----------------------------------------------------------------
@dataclass
class Preview:
    received: datetime
    registered: date
    due: date
    steps: list[dict[str, Any]]
    level: str


def registration_preview(ctx: DeadlineContext, received_at: datetime, level: str) -> Preview:
    """The registration day by the rule and the answer due date of ``level``, before saving:
    exactly what ``create_complaint`` will store (same policy version, same engine)."""
    code = LEVEL_POLICY[level]
    policy = ctx.policies.in_force(code, ctx.calendar.to_local(received_at).date())
    result = compute_due(policy, [Event("start", received_at)], ctx.calendar)
    return Preview(received_at, result.registered, result.due, result.steps, level)


# -- what the complaint is about -------------------------------------------------------------
@dataclass(frozen=True)
class Subject:
    """The item a complaint is about, as the form shows it."""

    about: str  # application | recipient | batch
    id: int
    label: str  # registration number, name, file name
    detail: str = ""
    person_id_number: str | None = None  # to prefill the complainant
    person_name: str | None = None
    person_contact: str | None = None


def find_subject(session: Session, user: User, about: str, ref: Any) -> Subject | None:
    """Resolve what the user typed: an application by registration number or #id, a recipient by
    IIN or #id, a list batch by #id; only within the user's scope (else None)."""
    text = " ".join(str(ref or "").translate(_CONTROL).split())[:100]  # no NUL for PostgreSQL
    if not text or about not in ABOUT or user is None:
        return None
    ident = parse_id(text)
    if about == "application":
        if not can(user, "applications.read"):
            return None
        app = session.scalars(scope_applications(
            select(Application).where(Application.registration_number == text).order_by(Application.id.desc()), user
        )).first()
        if app is None and ident is not None:
            app = session.scalars(scope_applications(select(Application).where(Application.id == ident), user)).first()
        if app is None:
            return None
        return Subject("application", app.id, app.registration_number or f"#{app.id}", app.status,
                       app.applicant_bin if app.kind == "correction" else app.applicant_iin,
                       app.applicant_name, app.applicant_phone)
    if about == "recipient":
        digits = re.sub(r"[\s-]", "", text)
        query = select(Recipient)
        if len(digits) == 12 and digits.isdigit():
            query = query.where(Recipient.iin == digits)
        elif ident is not None:
            query = query.where(Recipient.id == ident)
        else:
            return None
        recipient = session.scalars(scope_recipients(query, user)).first()
        if recipient is None:
            return None
        return Subject("recipient", recipient.id, recipient.full_name, recipient.status, recipient.iin,
                       recipient.full_name, recipient.phone)
    if ident is None:
        return None
    batch = session.scalars(scope_batches(select(ListBatch).where(ListBatch.id == ident), user)).first()
    if batch is None:
        return None
    return Subject("batch", batch.id, batch.file_name, fmt_date(batch.registration_date))


def subject_of(session: Session, complaint: Complaint) -> Subject | None:
    """What a stored complaint is about (no scope check: the complaint itself was scoped)."""
    if complaint.application_id:
        app = session.get(Application, complaint.application_id)
        return Subject("application", app.id, app.registration_number or f"#{app.id}", app.status) if app else None
    if complaint.recipient_id:
        rec = session.get(Recipient, complaint.recipient_id)
        return Subject("recipient", rec.id, rec.full_name, rec.status) if rec else None
    if complaint.batch_id:
        batch = session.get(ListBatch, complaint.batch_id)
        return Subject("batch", batch.id, batch.file_name, fmt_date(batch.registration_date)) if batch else None
    return None


# -- the registration form -------------------------------------------------------------------
def check_id_number(value: Any, field_name: str = "complainant_id_number") -> tuple[str | None, Problem | None]:
    """The complainant's IIN or BIN: 12 digits whose last is the check digit (two-pass mod 11)."""
    text = re.sub(r"[\s-]", "", str(value or ""))
    if not text:
        return None, Problem(field_name, "complaints.err.required", {"field": "@complaints.f.id_number"})
    if not text.isdigit() or not text.isascii():
        return None, Problem(field_name, "complaints.err.id_digits", {})
    if len(text) != 12:
        return None, Problem(field_name, "complaints.err.id_length", {"n": len(text)})
    if iin_check_digit(text[:11]) is None:
        return None, Problem(field_name, "complaints.err.id_never_issued", {})
    if not is_valid_iin(text):  # IIN and BIN share the check digit (data.iin)
        return None, Problem(field_name, "complaints.err.id_check", {})
    return text, None


_CONTROL = {code: " " for code in list(range(0x00, 0x20)) + [0x7F]}
_CONTROL_BUT_LINES = {code: " " for code in _CONTROL if code not in (0x09, 0x0A, 0x0D)}


def _text(raw: dict[str, Any], name: str, problems: list[Problem], limit: int, *, required: bool,
          collapse: bool = False) -> str | None:
    value = str(raw.get(name) or "")
    if collapse:
        value = " ".join(value.translate(_CONTROL).split())
    else:  # a NUL would fail on PostgreSQL; other control characters but line breaks and tabs become spaces
        value = value.translate(_CONTROL_BUT_LINES).strip()
    if not value:
        if required:
            problems.append(Problem(name, "complaints.err.required", {"field": f"@complaints.f.{name}"}))
        return None
    if len(value) > limit:
        problems.append(Problem(name, "complaints.err.too_long", {"field": f"@complaints.f.{name}", "limit": limit,
                                                                  "n": len(value)}))
        return None
    return value


def _choice(raw: dict[str, Any], name: str, allowed: tuple[str, ...], problems: list[Problem]) -> str | None:
    value = str(raw.get(name) or "").strip()
    if not value:
        problems.append(Problem(name, "complaints.err.required", {"field": f"@complaints.f.{name}"}))
        return None
    if value not in allowed:
        problems.append(Problem(name, "complaints.err.not_in_list", {"field": f"@complaints.f.{name}"}))
        return None
    return value


def _responsible(session: Session, raw: dict[str, Any], problems: list[Problem]) -> int | None:
    value = raw.get("responsible_id")
    if value in (None, "", "none"):  # "none": the form's explicit "not assigned"
        return None
    ident = parse_id(value)
    user = session.get(User, ident) if ident is not None else None
    if user is None or not user.is_active or user.role != "reviewer":
        problems.append(Problem("responsible_id", "complaints.err.no_such_reviewer", {}))
        return None
    return user.id


@dataclass
class RegistrationCheck:
    problems: list[Problem]
    data: dict[str, Any]
    level: str | None
    received_at: datetime | None
    subject: Subject | None

    def fields(self) -> set[str]:
        return {p.field for p in self.problems}


def check_registration(session: Session, user: User, raw: dict[str, Any], *,
                       now: datetime | None = None) -> RegistrationCheck:
    """Every problem of the registration form at once, and the cleaned values."""
    now = now or utcnow()
    problems: list[Problem] = []
    data: dict[str, Any] = {}

    about = str(raw.get("about") or "").strip()
    subject = None
    if about not in ABOUT:
        problems.append(Problem("about", "complaints.err.required", {"field": "@complaints.f.about"}))
    elif not str(raw.get("ref") or "").strip():
        problems.append(Problem("ref", "complaints.err.ref_required", {"what": f"@complaints.about.{about}"}))
    else:
        subject = find_subject(session, user, about, raw.get("ref"))
        if subject is None:
            problems.append(Problem("ref", "complaints.err.ref_not_found",
                                    {"what": f"@complaints.about.{about}", "value": str(raw.get("ref"))[:40]}))
        else:
            data[f"{'batch' if about == 'batch' else about}_id"] = subject.id

    number, problem = check_id_number(raw.get("complainant_id_number"))
    if problem:
        problems.append(problem)
    else:
        data["complainant_id_number"] = number
    for name, limit, collapse in (("complainant_name", MAX_NAME, True), ("complainant_contact", MAX_CONTACT, True),
                                  ("subject", MAX_SUBJECT, False)):
        value = _text(raw, name, problems, limit, required=True, collapse=collapse)
        if value:
            data[name] = value
    channel = _choice(raw, "channel", CHANNELS, problems)
    if channel:
        data["channel"] = channel
    level = _choice(raw, "level", LEVELS, problems)
    responsible = _responsible(session, raw, problems)
    if responsible:
        data["responsible_id"] = responsible
    received_at = received_moment(raw, problems, now)
    return RegistrationCheck(problems, data, level, received_at, subject)


def register(session: Session, user: User, raw: dict[str, Any], *, now: datetime | None = None,
             ctx: DeadlineContext | None = None) -> Complaint:
    """Register a complaint (its clock from the registration day) with its audit row.

    Raises FormInvalid (every problem; nothing saved)."""
    if not may_register(user):
        raise DomainError("forbidden")
    check = check_registration(session, user, raw, now=now)
    if check.problems:
        raise FormInvalid(check.problems)
    actor = _actor(session, user)
    complaint = create_complaint(session, check.data, level=check.level, received_at=check.received_at,
                                 actor=actor, ctx=ctx or load_context(session))
    audit.record(session, "complaint_register", actor=actor, entity="complaint", entity_id=complaint.id,
                 before=None, after={**_snapshot(complaint), "level": complaint.level, "channel": complaint.channel,
                                     "registration_date": complaint.registration_date.isoformat(),
                                     "about": check.subject.about, "about_id": check.subject.id})
    return complaint


# -- the units of work of the complaint page --------------------------------------------------
def _acting(session: Session, user: User, complaint_id: Any, expected_version: Any) -> tuple[Complaint, User]:
    """The complaint, after the lock and permission checks every action shares."""
    complaint = scoped_complaint(session, user, complaint_id)
    check_version(session, complaint, expected_version)
    if not may_act(user, complaint):
        raise ComplaintError("complaints_cannot_act")
    return complaint, _actor(session, user)


def _flush(session: Session, complaint: Complaint) -> None:
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise conflict_for(session, complaint) from None


def take_into_review(session: Session, user: User, complaint_id: Any, *, responsible_id: Any = None,
                     expected_version: Any, at: datetime | None = None) -> Change:
    """registered -> under_review; the responsible person defaults to the reviewer who takes it."""
    complaint, actor = _acting(session, user, complaint_id, expected_version)
    at = at or utcnow()
    before = _snapshot(complaint)
    fields: dict[str, Any] = {}
    chosen = parse_id(responsible_id)
    if chosen is None and complaint.responsible_id is None and actor.role == "reviewer":
        chosen = actor.id
    if chosen is not None:
        fields["responsible_id"] = chosen
    transition(session, complaint, "under_review", actor=actor, fields=fields, at=at,
               expected_version=_expected(expected_version))
    _flush(session, complaint)
    audit.record(session, "complaint_review", actor=actor, entity="complaint", entity_id=complaint.id,
                 before=before, after=_snapshot(complaint))
    return Change(complaint.id, complaint.version)


def level_clock(session: Session, complaint: Complaint) -> Clock | None:
    """The complaint's 5 / 15 working-day clock (open or stopped)."""
    return session.scalars(
        select(Clock).where(Clock.complaint_id == complaint.id, Clock.policy_code == complaint_policy(complaint))
        .order_by(Clock.id.desc())
    ).first()


def extend(session: Session, user: User, complaint_id: Any, reason: Any, days: Any, *, expected_version: Any,
           at: datetime | None = None, ctx: DeadlineContext | None = None) -> Change:
    """Extend the answer term (item 34): only for the rule's reasons, at most 10 working days in
    total, only on or before the current due date. Moves the due date and starts the 3-working-day
    notice clock (``data.workflows``)."""
    complaint, actor = _acting(session, user, complaint_id, expected_version)
    at = at or utcnow()
    reason = str(reason or "").strip()
    if not reason:
        raise DomainError("extension_reason_required")
    if reason not in EXTENSION_REASONS:
        raise ComplaintError("complaints_reason_not_allowed", value=reason[:40])
    count = str(days if days is not None else "").strip()  # data.workflows checks it is 1..10 in total
    if not count:
        raise DomainError("missing_field", field="extension_days", to_status="extended", kind="complaint")
    before = _snapshot(complaint)
    event = transition(session, complaint, "extended", actor=actor, at=at, ctx=ctx,
                       fields={"extension_reason": reason, "extension_days": count},
                       expected_version=_expected(expected_version))
    _flush(session, complaint)
    audit.record(session, "complaint_extend", actor=actor, entity="complaint", entity_id=complaint.id,
                 before=before, after={**_snapshot(complaint), "fields": event.payload})
    return Change(complaint.id, complaint.version)


def notice_clock(session: Session, complaint: Complaint) -> Clock | None:
    return clock_service.open_clock(session, complaint, NOTICE_POLICY)


def record_notice(session: Session, user: User, complaint_id: Any, sent_on: Any, channel: Any,
                  reason: Any = None, *, expected_version: Any, at: datetime | None = None) -> Change:
    """The complainant was told of the extension (date, paper or electronic): closes the notice
    clock. The channel is the complaint's own unless the staff give a reason for another one."""
    complaint, actor = _acting(session, user, complaint_id, expected_version)
    at = at or utcnow()
    today = at.astimezone(LOCAL_TZ).date()
    notice = notice_clock(session, complaint)
    if notice is None:
        raise DomainError("no_extension_to_notify")
    day = parse_day(sent_on) if sent_on not in (None, "") else None
    if sent_on in (None, ""):
        raise ComplaintError("complaints_required", field="notice_sent_on")
    if day is None:
        raise DomainError("invalid_date", value=str(sent_on)[:20])
    started = notice.started_at.astimezone(LOCAL_TZ).date()
    if day > today:
        raise ComplaintError("complaints_notice_date_future", date=fmt_date(day))
    if day < started:
        raise ComplaintError("complaints_notice_date_before", date=fmt_date(day), extended=fmt_date(started))
    channel = str(channel or "").strip()
    if channel not in CHANNELS:
        raise DomainError("invalid_field", field="notice_channel", reason_key="not_in_list")
    reason_text = " ".join(str(reason or "").split())
    if channel != complaint.channel and not reason_text:
        raise ComplaintError("complaints_notice_channel_reason", came=f"@complaints.channel.{complaint.channel}.of",
                             chosen=f"@complaints.channel.{channel}.of")
    if len(reason_text) > MAX_REASON:
        raise DomainError("invalid_field", field="notice_reason", reason_key="too_long", limit=MAX_REASON)
    before = _snapshot(complaint)
    event = record_extension_notice(session, complaint, day, channel, actor=actor, at=at,
                                    expected_version=_expected(expected_version))
    if channel != complaint.channel:
        # the history entry is born complete (same transaction): why the other channel
        event.payload = {**event.payload, "channel_differs": True, "complaint_channel": complaint.channel}
        event.comment = reason_text
    _flush(session, complaint)
    audit.record(session, "complaint_notice", actor=actor, entity="complaint", entity_id=complaint.id,
                 before=before, after={**_snapshot(complaint), "sent_on": day.isoformat(), "channel": channel,
                                       "channel_reason": reason_text or None})
    return Change(complaint.id, complaint.version)


def _last_event_day(session: Session, complaint: Complaint) -> date:
    """The local day of the complaint's latest clock event (an answer cannot predate it)."""
    moments = [complaint.received_at]
    for clock in clock_service.clocks_of(session, complaint):
        moments.extend(event.at for event in clock.events if event.kind != "stop")
    latest = max(m if m.tzinfo else m.replace(tzinfo=LOCAL_TZ) for m in moments)
    return latest.astimezone(LOCAL_TZ).date()


def stop_clocks(session: Session, ctx: DeadlineContext, complaint: Complaint, moment: datetime) -> Clock | None:
    """Stop the level clock and an outstanding notice clock at ``moment``; set closed_on_time."""
    for code in (complaint_policy(complaint), NOTICE_POLICY):
        clock = clock_service.open_clock(session, complaint, code)
        if clock is not None:
            clock_service.add_event(ctx, clock, "stop", max(moment, clock.started_at))
    main = level_clock(session, complaint)
    if main is not None and main.stopped_on is not None and main.due_date is not None:
        complaint.closed_on_time = main.stopped_on <= main.due_date
    clock_service.sync_subject_due(session, complaint)
    return main


def answer(session: Session, user: User, complaint_id: Any, outcome: Any, text: Any, answer_date: Any = None, *,
           expected_version: Any, at: datetime | None = None, ctx: DeadlineContext | None = None) -> Change:
    """Answer the complaint (upheld / partly upheld / rejected, the answer text, its date)."""
    complaint, actor = _acting(session, user, complaint_id, expected_version)
    at = at or utcnow()
    ctx = ctx or load_context(session)
    today = at.astimezone(LOCAL_TZ).date()
    outcome = str(outcome or "").strip()
    if not outcome:
        raise DomainError("missing_field", field="outcome", to_status="answered", kind="complaint")
    if outcome not in OUTCOMES:
        raise DomainError("invalid_field", field="outcome", reason_key="not_in_list")
    body = str(text or "").strip()
    if not body:
        raise DomainError("missing_field", field="answer_text", to_status="answered", kind="complaint")
    if len(body) > MAX_ANSWER:
        raise DomainError("invalid_field", field="answer_text", reason_key="too_long", limit=MAX_ANSWER)
    day = today if answer_date in (None, "") else parse_day(answer_date)
    if day is None:
        raise DomainError("invalid_date", value=str(answer_date)[:20])
    if day > today:
        raise DomainError("invalid_field", field="answer_date", reason_key="must_not_be_future")
    earliest = _last_event_day(session, complaint)
    if day < earliest:
        raise ComplaintError("complaints_answer_date_before", date=fmt_date(day), earliest=fmt_date(earliest))
    before = _snapshot(complaint)
    event = transition(session, complaint, "answered", actor=actor, at=at, ctx=ctx,
                       fields={"outcome": outcome, "answer_text": body, "answer_date": day},
                       expected_version=_expected(expected_version))
    moment = at if day == today else datetime.combine(day, time(23, 59), tzinfo=LOCAL_TZ)
    main = stop_clocks(session, ctx, complaint, moment)
    _flush(session, complaint)
    audit.record(session, "complaint_answer", actor=actor, entity="complaint", entity_id=complaint.id,
                 before=before, after={**_snapshot(complaint), "fields": event.payload,
                                       "closed_on_time": complaint.closed_on_time,
                                       "due_date": main.due_date.isoformat() if main and main.due_date else None})
    return Change(complaint.id, complaint.version)


def reassign(session: Session, user: User, complaint_id: Any, responsible_id: Any, *,
             expected_version: Any, at: datetime | None = None) -> Change:
    """Managers give the complaint to another reviewer (a history entry and an audit row)."""
    complaint = scoped_complaint(session, user, complaint_id)
    check_version(session, complaint, expected_version)
    if not may_assign(user):
        raise DomainError("forbidden")
    if not complaint.is_open:
        raise ComplaintError("complaints_closed")
    problems: list[Problem] = []
    chosen = _responsible(session, {"responsible_id": responsible_id}, problems)
    if problems:
        raise FormInvalid(problems)
    if chosen is None:
        raise FormInvalid([Problem("responsible_id", "complaints.err.required", {"field": "@complaints.f.responsible_id"})])
    actor = _actor(session, user)
    before = _snapshot(complaint)
    previous = complaint.responsible_id
    complaint.responsible_id = chosen
    session.add(StatusEvent(kind="assign", at=at or utcnow(), actor_id=actor.id, complaint_id=complaint.id,
                            from_status=complaint.status, to_status=complaint.status,
                            payload={"from_responsible_id": previous, "to_responsible_id": chosen}))
    _flush(session, complaint)
    audit.record(session, "complaint_assign", actor=actor, entity="complaint", entity_id=complaint.id,
                 before=before, after=_snapshot(complaint))
    return Change(complaint.id, complaint.version)


# -- escalation to the quality-control body ----------------------------------------------------
def escalation_of(session: Session, complaint: Complaint) -> Complaint | None:
    return session.scalars(select(Complaint).where(Complaint.parent_id == complaint.id)
                           .order_by(Complaint.id)).first()


def check_escalation(session: Session, user: User, parent: Complaint, raw: dict[str, Any], *,
                     now: datetime | None = None) -> RegistrationCheck:
    now = now or utcnow()
    problems: list[Problem] = []
    data: dict[str, Any] = {"parent_id": parent.id}
    for name in ("application_id", "recipient_id", "batch_id", "complainant_id_number", "complainant_name",
                 "complainant_contact"):
        if getattr(parent, name) not in (None, ""):
            data[name] = getattr(parent, name)
    channel = _choice(raw, "channel", CHANNELS, problems)
    if channel:
        data["channel"] = channel
    subject = _text(raw, "subject", problems, MAX_SUBJECT, required=False) or parent.subject
    data["subject"] = subject
    responsible = _responsible(session, raw, problems)
    if responsible:
        data["responsible_id"] = responsible
    received_at = received_moment(raw, problems, now, not_before=parent.received_at if parent.received_at.tzinfo
                                  else parent.received_at.replace(tzinfo=LOCAL_TZ))
    return RegistrationCheck(problems, data, "quality_body", received_at, subject_of(session, parent))


def escalate(session: Session, user: User, complaint_id: Any, raw: dict[str, Any], *, now: datetime | None = None,
             ctx: DeadlineContext | None = None) -> Complaint:
    """Escalate a provider-level complaint to the quality-control body: a new, linked complaint
    (``parent_id``) with its own 15-working-day clock from its own registration day."""
    now = now or utcnow()
    parent = scoped_complaint(session, user, complaint_id)
    if not may_register(user):
        raise DomainError("forbidden")
    if parent.level != "provider":
        raise ComplaintError("complaints_escalate_level")
    existing = escalation_of(session, parent)
    if existing is not None:
        raise ComplaintError("complaints_already_escalated", id=existing.id)
    check = check_escalation(session, user, parent, raw, now=now)
    if check.problems:
        raise FormInvalid(check.problems)
    actor = _actor(session, user)
    child = create_complaint(session, check.data, level="quality_body", received_at=check.received_at,
                             actor=actor, ctx=ctx or load_context(session))
    session.add(StatusEvent(kind="action", at=now, actor_id=actor.id, complaint_id=parent.id,
                            from_status=parent.status, to_status=parent.status,
                            payload={"action": "escalated", "child_id": child.id}))
    session.flush()
    audit.record(session, "complaint_escalate", actor=actor, entity="complaint", entity_id=child.id,
                 before={"parent_id": parent.id, "parent_status": parent.status},
                 after={**_snapshot(child), "level": "quality_body", "parent_id": parent.id,
                        "registration_date": child.registration_date.isoformat()})
    return child


# -- what the forms offer ----------------------------------------------------------------------
@dataclass(frozen=True)
class Actions:
    """Which forms the complaint page shows for this user and this complaint."""

    review: bool = False
    extend: bool = False
    notice: bool = False
    answer: bool = False
    escalate: bool = False
    assign: bool = False
    remaining_wd: int = 0


def actions_for(session: Session, user: User, complaint: Complaint) -> Actions:
    act = may_act(user, complaint) and complaint.is_open
    remaining = max(0, MAX_EXTENSION_WD - (complaint.extension_days or 0))
    return Actions(
        review=act and complaint.status == "registered",
        extend=act and complaint.status in ("under_review", "extended") and remaining > 0,
        notice=act and notice_clock(session, complaint) is not None,
        answer=act,
        escalate=may_register(user) and complaint.level == "provider" and escalation_of(session, complaint) is None,
        assign=may_assign(user) and complaint.is_open,
        remaining_wd=remaining,
    )


@dataclass
class ExtensionPreview:
    due: date  # the new answer due date
    notice_due: date  # the notice must reach the complainant by this day
    steps: list[dict[str, Any]]  # the explanation of the new due date
    used: int = 0  # working days of extension already used
    asked: int = 0


def extension_preview(session: Session, complaint: Complaint, days: Any, ctx: DeadlineContext,
                      at: datetime | None = None) -> ExtensionPreview | None:
    """What an extension by ``days`` now would give, replayed by the same engine as the real one."""
    text = str(days if days is not None else "").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_EXTENSION_WD:
        return None
    main = clock_service.open_clock(session, complaint, complaint_policy(complaint))
    if main is None:
        return None
    at = at or utcnow()
    policy = ctx.policies.version(main.policy_code, main.policy_version)
    events = [Event(e.kind, e.at, e.days, e.due) for e in main.events] + [Event("extend", at, int(text))]
    result = compute_due(policy, events, ctx.calendar, main.variant)
    on = ctx.calendar.to_local(at).date()
    notice = compute_due(ctx.policies.in_force(NOTICE_POLICY, on), [Event("start", at)], ctx.calendar)
    return ExtensionPreview(result.due, notice.due, result.steps, complaint.extension_days or 0, int(text))


def explain(steps: list[dict[str, Any]], lang: str) -> str:
    """``data.explain.render`` plus the holidays an extension stepped over (27.05 Kurban ait...),
    which the engine records on the "extended" step but the generic sentence leaves out."""
    from data.explain import holiday_name, render

    text = render(steps, lang)
    extra = []
    for step in steps:
        if step.get("code") != "extended":
            continue
        days = [d for d in step.get("skipped") or [] if d.get("source") != "weekend"]
        if days:
            names = "; ".join(f"{date.fromisoformat(d['date']):%d.%m} — {holiday_name(d, lang)}" for d in days)
            extra.append(t("explain.holidays_skipped", lang, days=names))
    return " ".join([text] + extra)


__all__ = [
    "ABOUT", "CHANNELS", "LEVELS", "Actions", "Change", "FormInvalid", "Preview", "Problem", "RegistrationCheck",
    "Subject", "ExtensionPreview", "actions_for", "answer", "check_id_number", "check_registration", "conflict_for", "error_fields",
    "escalate", "escalation_of", "explain", "extend", "extension_preview", "find_subject", "level_clock", "may_act",
    "may_assign", "may_register", "notice_clock", "parse_day", "parse_id", "reassign", "received_moment",
    "record_notice", "register", "registration_preview", "responsible_choices", "scoped_complaint", "stop_clocks",
    "subject_of", "take_into_review",
]
