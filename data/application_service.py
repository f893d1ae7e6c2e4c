"""The rules behind the Application page and the New application form (no Dash here).

- what a user may do with an application (``data.access`` decides; the callbacks ask again on
  the server for every post);
- which next statuses the status form offers and which inputs each transition asks for;
- the units of work the pages commit: status change, reviewer assignment, note, new
  application. Each checks the optimistic lock first (someone else's change is reported, never
  overwritten), then permissions, then the values, and writes the audit trail in the same
  transaction;
- the new application form: IIN/BIN check digit, phone, dates, the rest of the fields, duplicate
  detection, and the live preview of the registration day and the review due date.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import phonenumbers
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from data import audit
from data.access import can, may_act_on, scope_applications
from data.clocks import DeadlineContext, load_context
from data.config import LOCAL_TZ
from data.deadlines import Event, compute_due
from data.errors import ConflictError, DomainError
from data.i18n import fmt_datetime, t
from data.iin import iin_check_digit, is_valid_bin, is_valid_iin
from data.models import Akimat, Application, ApplicationDocument, Guarantor, StatusEvent, User, utcnow
from data.reference_data import reference_items
from data.statuses import APPLICATION_KINDS, CATEGORIES, DOCUMENT_CHECKLIST, FIELD_TYPES, WORKFLOWS, Transition
from data.workflows import add_note, assign_reviewer, create_application, transition

MAX_GUARANTORS = 5
MAX_FAMILY = 30
TIME_RE = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")


# -- errors that carry the fields to highlight ----------------------------------------------
class MissingFields(DomainError):
    """Several required inputs of a transition are empty: all of them are named at once."""

    def __init__(self, fields: list[str], to_status: str, kind: str) -> None:
        super().__init__("appl_missing_fields", fields=tuple(fields), to_status=to_status, kind=kind)
        self.fields = tuple(fields)

    def message(self, lang: str = "kk") -> str:
        workflow = WORKFLOWS[self.params["kind"]]
        target = self.params["to_status"]
        label = workflow.status(target).label(lang) if target in workflow.by_code else target
        names = ", ".join(f"«{t('field.' + name, lang)}»" for name in self.fields)
        return t("error.appl_missing_fields", lang, to_label=label, fields=names)


def error_fields(error: DomainError) -> tuple[str, ...]:
    """The form inputs an error is about (to mark them), if any."""
    if isinstance(error, MissingFields):
        return error.fields
    name = error.params.get("field")
    return (name,) if name else ()


# -- reading ---------------------------------------------------------------------------------
MAX_ID = 2_147_483_647  # the id columns are 32-bit integers


def parse_id(value: Any) -> int | None:
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def scoped_application(session: Session, user: User, application_id: Any) -> Application:
    """The application when it exists and ``user`` may see it; else a not-found error
    (the same answer either way, so the page does not tell what exists outside one's scope)."""
    ident = parse_id(application_id)
    application = None
    if ident is not None:
        application = session.scalars(
            scope_applications(select(Application).where(Application.id == ident), user)
        ).first()
    if application is None:
        raise DomainError("appl_not_found", id=str(application_id or "")[:20])
    return application


def has_guarantors(session: Session, application_id: int) -> bool:
    return bool(session.scalar(select(func.count(Guarantor.id)).where(Guarantor.application_id == application_id)))


# -- what the forms offer --------------------------------------------------------------------
@dataclass(frozen=True)
class FormField:
    name: str
    type: str  # a FIELD_TYPES value: text, date, datetime, user, refusal_reason, ...
    required: bool


def offered_transitions(kind: str, status: str, with_guarantors: bool) -> list[Transition]:
    """The next statuses the form offers: the workflow's allowed transitions from ``status``,
    without the guarantor step that cannot apply to this application (it has guarantors or not)."""
    offered = []
    for rule in WORKFLOWS[kind].allowed_from(status):
        if rule.guard == "has_guarantors" and not with_guarantors:
            continue
        if rule.guard == "no_guarantors" and with_guarantors:
            continue
        offered.append(rule)
    return offered


def form_fields(rule: Transition) -> list[FormField]:
    """Exactly the inputs a transition records: its required fields, then its optional ones."""
    return [FormField(name, FIELD_TYPES[name], True) for name in rule.requires] + [
        FormField(name, FIELD_TYPES[name], False) for name in rule.optional
    ]


def may_change_status(user: User | None, application) -> bool:
    """``application``: the row or anything with its ``reviewer_id`` (the page's read model)."""
    return user is not None and may_act_on(user, application)


def may_assign(user: User | None) -> bool:
    return can(user, "applications.assign")


def may_add_note(user: User | None) -> bool:
    """Reviewers and managers write notes on the applications they can see."""
    return can(user, "applications.act") or can(user, "applications.assign")


def reviewer_choices(session: Session) -> list[tuple[int, str]]:
    rows = session.execute(
        select(User.id, User.full_name, User.username)
        .where(User.role == "reviewer", User.is_active.is_(True))
        .order_by(User.full_name)
    ).all()
    return [(ident, f"{name} ({username})") for ident, name, username in rows]


def reference_choices(session: Session, list_name: str, lang: str) -> list[tuple[str, str]]:
    """(code, label in ``lang``) of a configurable list's active entries (refusal reasons, ...)."""
    return [(item.code, item.label_ru if lang == "ru" else item.label_kk)
            for item in reference_items(session, list_name)]


def akimat_choices(session: Session, lang: str) -> list[tuple[int, str]]:
    rows = session.execute(select(Akimat.id, Akimat.kato, Akimat.name_kk, Akimat.name_ru).order_by(Akimat.kato)).all()
    return [(ident, ru if lang == "ru" else kk) for ident, _kato, kk, ru in rows]


# -- the values a transition form posts ------------------------------------------------------
def _time_of(text: str) -> tuple[int, int] | None:
    match = TIME_RE.match(text or "")
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def combine_local(day_text: str | None, time_text: str | None) -> datetime | None:
    """A local (Asia/Almaty) moment from the date picker's ISO date and an HH:MM time."""
    try:
        day = date.fromisoformat(str(day_text)[:10])
    except ValueError:
        raise DomainError("invalid_date", value=str(day_text)[:20]) from None
    hm = _time_of(time_text or "")
    if hm is None:
        return None
    return datetime(day.year, day.month, day.day, hm[0], hm[1], tzinfo=LOCAL_TZ)


def transition_values(kind: str, rule: Transition, values: dict[str, Any], dates: dict[str, Any] | None = None,
                      times: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the form posted, turned into the raw fields ``data.workflows.transition`` takes.

    ``values`` holds text / select inputs, ``dates`` the date pickers (ISO dates) and ``times``
    the HH:MM inputs of date-time fields. Every empty required input is reported at once;
    nothing is changed here.
    """
    dates, times = dates or {}, times or {}
    raw: dict[str, Any] = {}
    missing: list[str] = []
    for item in form_fields(rule):
        if item.type == "date":
            value = dates.get(item.name) or values.get(item.name) or None
            if isinstance(value, (date, datetime)):
                raw[item.name] = value
            elif value:
                raw[item.name] = str(value)[:10]
        elif item.type == "datetime" and isinstance(values.get(item.name), datetime):
            raw[item.name] = values[item.name]
        elif item.type == "datetime":
            day, clock = dates.get(item.name), str(times.get(item.name) or "").strip()
            if day and clock:
                moment = combine_local(day, clock)
                if moment is None:
                    raise DomainError("invalid_field", field=item.name, reason_key="appl_time_format")
                raw[item.name] = moment
            elif day or clock:
                # Half a moment: say which half is missing rather than guess it.
                raise DomainError("invalid_field", field=item.name,
                                  reason_key="appl_time_format" if day else "appl_date_missing")
        else:
            value = values.get(item.name)
            if isinstance(value, str):
                value = value.strip()
            if value not in (None, ""):
                raw[item.name] = value
        if item.required and item.name not in raw:
            missing.append(item.name)
    if raw.get("refusal_reason") == "other" and not raw.get("refusal_text"):
        missing.append("refusal_text")
    if missing:
        raise MissingFields(missing, rule.target, kind)
    return raw


# -- the units of work -----------------------------------------------------------------------
def _snapshot(application: Application) -> dict[str, Any]:
    return {
        "status": application.status,
        "reviewer_id": application.reviewer_id,
        "version": application.version,
        "current_due_date": application.current_due_date.isoformat() if application.current_due_date else None,
    }


def conflict_for(session: Session, application: Application) -> ConflictError:
    """Who changed the application last (a transition or an assignment), and when."""
    last = session.execute(
        select(StatusEvent.at, User.full_name)
        .outerjoin(User, User.id == StatusEvent.actor_id)
        .where(StatusEvent.application_id == application.id, StatusEvent.kind.in_(("transition", "assign")))
        .order_by(StatusEvent.at.desc(), StatusEvent.id.desc())
        .limit(1)
    ).first()
    who = (last[1] or "") if last else ""
    when = fmt_datetime(last[0].astimezone(LOCAL_TZ)) if last else ""
    return ConflictError(who=who, when=when, item_id=application.id)


def _check_version(session: Session, application: Application, expected_version: Any) -> None:
    if expected_version is None:
        return
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        expected = None  # a page state that makes no sense is treated as out of date
    if application.version != expected:
        raise conflict_for(session, application)


def _actor(session: Session, user: User) -> User:
    return session.get(User, user.id) or user


@dataclass
class Change:
    application_id: int
    kind: str
    status: str
    version: int
    event_id: int


def change_status(session: Session, user: User, application_id: Any, target: str, values: dict[str, Any], *,
                  dates: dict[str, Any] | None = None, times: dict[str, Any] | None = None,
                  expected_version: Any, at: datetime | None = None) -> Change:
    """Move the application to ``target`` for ``user`` (one unit of work with its audit row).

    Order of checks: the optimistic lock (someone else's change is reported first), then who may
    act, then the transition, then the values (all empty required inputs named at once).
    """
    application = scoped_application(session, user, application_id)
    _check_version(session, application, expected_version)
    if not may_change_status(user, application):
        raise DomainError("forbidden")
    workflow = WORKFLOWS[application.kind]
    rule = workflow.find(application.status, target or "")
    if rule is None:
        allowed = [r.target for r in offered_transitions(application.kind, application.status,
                                                         has_guarantors(session, application.id))]
        raise DomainError("forbidden_transition", kind=application.kind, from_status=application.status,
                          to_status=target or "—", allowed_codes=allowed)
    raw = transition_values(application.kind, rule, values, dates, times)
    before = _snapshot(application)
    actor = _actor(session, user)
    try:
        event = transition(session, application, target, actor=actor, fields=raw, at=at,
                           expected_version=application.version if expected_version is not None else None)
    except ConflictError:
        raise
    except DomainError as error:
        # data.workflows names the item's kind in its messages; make sure it is the application's.
        if error.code == "missing_field":
            error.params["kind"] = application.kind
        raise
    after = _snapshot(application) | {"fields": event.payload}
    audit.record(session, "status_change", actor=actor, entity="application", entity_id=application.id,
                 before=before, after=after)
    return Change(application.id, application.kind, application.status, application.version, event.id)


def assign(session: Session, user: User, application_id: Any, reviewer_id: Any, *,
           expected_version: Any) -> Change:
    application = scoped_application(session, user, application_id)
    _check_version(session, application, expected_version)
    if not may_assign(user):
        raise DomainError("forbidden")
    if parse_id(reviewer_id) is None:
        raise MissingFields(["reviewer_id"], application.status, application.kind)
    before = _snapshot(application)
    actor = _actor(session, user)
    event = assign_reviewer(session, application, parse_id(reviewer_id), actor=actor,
                            expected_version=application.version if expected_version is not None else None)
    audit.record(session, "assign", actor=actor, entity="application", entity_id=application.id,
                 before=before, after=_snapshot(application))
    return Change(application.id, application.kind, application.status, application.version, event.id)


def note(session: Session, user: User, application_id: Any, text: str) -> Change:
    application = scoped_application(session, user, application_id)
    if not may_add_note(user):
        raise DomainError("forbidden")
    actor = _actor(session, user)
    event = add_note(session, application, text, actor=actor)
    audit.record(session, "note", actor=actor, entity="application", entity_id=application.id,
                 before=None, after={"status": application.status, "note": event.comment})
    return Change(application.id, application.kind, application.status, application.version, event.id)


# -- the new application form ----------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """One thing wrong in the form: which input, and the message key with its parameters."""

    field: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str) -> str:
        shown = {}
        for key, value in self.params.items():
            if isinstance(value, Problem):
                value = value.message(lang)
            elif isinstance(value, str) and value.startswith("@"):
                value = t(value[1:], lang)
            shown[key] = value
        return t(self.key, lang, **shown)


@dataclass(frozen=True)
class Duplicate:
    application_id: int
    kind: str
    status: str
    registration_number: str | None
    registration_date: date | None
    reason: str  # same_iin | same_bin | same_number


@dataclass
class Preview:
    received: datetime
    registered: date
    due: date
    steps: list[dict[str, Any]]


@dataclass
class NewApplicationCheck:
    problems: list[Problem]
    duplicates: list[Duplicate]
    kind: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    received_at: datetime | None = None
    guarantors: list[tuple[str, str]] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)

    def fields(self) -> set[str]:
        return {p.field for p in self.problems}


class FormInvalid(DomainError):
    def __init__(self, check: NewApplicationCheck) -> None:
        super().__init__("appl_form_invalid", count=len(check.problems))
        self.check = check


class DuplicatesFound(DomainError):
    def __init__(self, check: NewApplicationCheck) -> None:
        super().__init__("appl_duplicates", count=len(check.duplicates))
        self.check = check


def id_label_key(kind: str | None) -> str:
    return "newapp.bin" if kind == "correction" else "newapp.iin"


def check_id_number(value: Any, kind: str | None, field_name: str = "id_number") -> tuple[str | None, Problem | None]:
    """The applicant's IIN (rent-to-own) or BIN (correction): 12 digits, valid check digit."""
    label = "@" + id_label_key(kind)
    text = re.sub(r"[\s-]", "", str(value or ""))
    if not text:
        return None, Problem(field_name, "newapp.err.required_id", {"label": label})
    if not text.isdigit() or not text.isascii():
        return None, Problem(field_name, "newapp.err.id_digits", {"label": label})
    if len(text) != 12:
        return None, Problem(field_name, "newapp.err.id_length", {"label": label, "n": len(text)})
    if iin_check_digit(text[:11]) is None:
        return None, Problem(field_name, "newapp.err.id_never_issued", {"label": label})
    valid = is_valid_bin(text) if kind == "correction" else is_valid_iin(text)
    if not valid:
        return None, Problem(field_name, "newapp.err.id_check", {"label": label})
    return text, None


def clean_phone(value: Any) -> tuple[str | None, bool]:
    """(+7XXXXXXXXXX, True) for a Kazakhstan number; (None, True) when empty; (None, False) when bad."""
    text = str(value or "").strip()
    if not text:
        return None, True
    try:
        number = phonenumbers.parse(text, "KZ")
    except phonenumbers.NumberParseException:
        return None, False
    if phonenumbers.region_code_for_number(number) != "KZ" or not phonenumbers.is_valid_number(number):
        return None, False
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), True


_CONTROL = {code: " " for code in list(range(0x00, 0x20)) + [0x7F]}


def _plain(text: str) -> str:
    """Control characters (a NUL among them, which PostgreSQL refuses in text) as spaces."""
    return text.translate(_CONTROL)


def _items(value: Any) -> list:
    """A list the form sends (a checklist's values, the guarantor rows); anything else is empty."""
    return list(value) if isinstance(value, (list, tuple)) else []


def _text(raw: dict[str, Any], name: str) -> str:
    return _plain(str(raw.get(name) or "")).strip()


def _date(raw: dict[str, Any], name: str, problems: list[Problem], today: date, required: bool) -> date | None:
    value = raw.get(name)
    if not value:
        if required:
            problems.append(Problem(name, "newapp.err.required", {"field": "@newapp.field." + name}))
        return None
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        try:
            day = datetime.strptime(str(value).strip(), "%d.%m.%Y").date()
        except ValueError:
            problems.append(Problem(name, "newapp.err.bad_date", {"field": "@newapp.field." + name}))
            return None
    if day > today:
        problems.append(Problem(name, "newapp.err.future_date", {"field": "@newapp.field." + name}))
        return None
    return day


def received_moment(raw: dict[str, Any], problems: list[Problem], now: datetime) -> datetime | None:
    """The local moment the application arrived (date picker + HH:MM), not in the future."""
    day = _date(raw, "received_date", problems, now.astimezone(LOCAL_TZ).date(), required=True)
    clock = _text(raw, "received_time")
    if not clock:
        problems.append(Problem("received_time", "newapp.err.required", {"field": "@newapp.field.received_time"}))
        return None
    hm = _time_of(clock)
    if hm is None:
        problems.append(Problem("received_time", "newapp.err.bad_time", {}))
        return None
    if day is None:
        return None
    moment = datetime(day.year, day.month, day.day, hm[0], hm[1], tzinfo=LOCAL_TZ)
    if moment > now.astimezone(LOCAL_TZ):
        problems.append(Problem("received_time", "newapp.err.future_moment", {}))
        return None
    return moment


def find_duplicates(session: Session, kind: str | None, id_number: str | None,
                    registration_number: str | None, limit: int = 10) -> list[Duplicate]:
    """Open applications of the same applicant (IIN for rent-to-own, BIN for correction) and any
    application with the same registration number. Checked across all applications: a duplicate
    outside the user's scope is still a duplicate (only its number and status are shown)."""
    conditions = []
    if id_number:
        column = Application.applicant_bin if kind == "correction" else Application.applicant_iin
        conditions.append((column == id_number) & Application.is_open.is_(True))
    if registration_number:
        conditions.append(Application.registration_number == registration_number)
    if not conditions:
        return []
    rows = session.execute(
        select(Application.id, Application.kind, Application.status, Application.registration_number,
               Application.registration_date, Application.applicant_iin, Application.applicant_bin,
               Application.is_open)
        .where(or_(*conditions))
        .order_by(Application.id.desc())
        .limit(limit)
    ).all()
    found = []
    for ident, app_kind, status, number, reg_date, iin, bin_, is_open in rows:
        if registration_number and number == registration_number:
            reason = "same_number"
        else:
            reason = "same_bin" if kind == "correction" else "same_iin"
        found.append(Duplicate(ident, app_kind, status, number, reg_date, reason))
    return found


def registration_preview(ctx: DeadlineContext, received_at: datetime) -> Preview:
    """The registration day by the rule and the ``ktk_review`` due date, before anything is saved."""
    on = ctx.calendar.to_local(received_at).date()
    policy = ctx.policies.in_force("ktk_review", on)
    result = compute_due(policy, [Event("start", received_at)], ctx.calendar)
    return Preview(received_at, result.registered, result.due, result.steps)


def check_new_application(session: Session, raw: dict[str, Any], *, now: datetime | None = None) -> NewApplicationCheck:
    """Every problem of the form at once, the duplicates, and the cleaned values."""
    now = now or utcnow()
    today = now.astimezone(LOCAL_TZ).date()
    problems: list[Problem] = []
    kind = raw.get("kind")
    if kind not in APPLICATION_KINDS:
        problems.append(Problem("kind", "newapp.err.required", {"field": "@newapp.field.kind"}))
        kind = None
    data: dict[str, Any] = {}

    id_number, problem = check_id_number(raw.get("id_number"), kind)
    if problem:
        problems.append(problem)
    elif kind:
        data["applicant_bin" if kind == "correction" else "applicant_iin"] = id_number

    name = " ".join(_text(raw, "applicant_name").split())
    if not name:
        problems.append(Problem("applicant_name", "newapp.err.required", {"field": "@newapp.field.applicant_name"}))
    elif len(name) > 300:
        problems.append(Problem("applicant_name", "newapp.err.too_long", {"field": "@newapp.field.applicant_name",
                                                                         "limit": 300}))
    else:
        data["applicant_name"] = name

    phone, ok = clean_phone(raw.get("phone"))
    if not ok:
        problems.append(Problem("phone", "newapp.err.bad_phone", {"value": _text(raw, "phone")[:30]}))
    elif phone:
        data["applicant_phone"] = phone

    akimat_id = parse_id(raw.get("akimat_id"))
    if akimat_id is not None and session.get(Akimat, akimat_id) is None:
        problems.append(Problem("akimat_id", "newapp.err.not_in_list", {"field": "@newapp.field.akimat_id"}))
    elif akimat_id is not None:
        data["akimat_id"] = akimat_id
    elif kind == "rent_to_own":
        problems.append(Problem("akimat_id", "newapp.err.required", {"field": "@newapp.field.akimat_id"}))

    received_at = received_moment(raw, problems, now)

    number = _text(raw, "registration_number")
    if len(number) > 40:
        problems.append(Problem("registration_number", "newapp.err.too_long",
                                {"field": "@newapp.field.registration_number", "limit": 40}))
    elif number:
        data["registration_number"] = number
    elif kind == "correction":
        problems.append(Problem("registration_number", "newapp.err.required",
                                {"field": "@newapp.field.registration_number"}))

    guarantors: list[tuple[str, str]] = []
    documents: list[str] = []
    if kind == "correction":
        _correction_fields(session, raw, data, problems, today)
    elif kind == "rent_to_own":
        _rent_fields(raw, data, problems, guarantors, documents, id_number)

    duplicates = find_duplicates(session, kind, id_number, data.get("registration_number")) if kind else []
    return NewApplicationCheck(problems, duplicates, kind, data, received_at, guarantors, documents)


def _correction_fields(session, raw, data, problems, today) -> None:
    internal = _text(raw, "internal_number")
    if len(internal) > 40:
        problems.append(Problem("internal_number", "newapp.err.too_long",
                                {"field": "@newapp.field.internal_number", "limit": 40}))
    elif internal:
        data["internal_number"] = internal
    contract = _text(raw, "contract_number")
    if not contract:
        problems.append(Problem("contract_number", "newapp.err.required", {"field": "@newapp.field.contract_number"}))
    elif len(contract) > 60:
        problems.append(Problem("contract_number", "newapp.err.too_long",
                                {"field": "@newapp.field.contract_number", "limit": 60}))
    else:
        data["contract_number"] = contract
    contract_date = _date(raw, "contract_date", problems, today, required=True)
    if contract_date:
        data["contract_date"] = contract_date
    category = _text(raw, "correction_category")
    known = {code for code, _label in reference_choices(session, "correction_category", "kk")}
    if not category:
        problems.append(Problem("correction_category", "newapp.err.required",
                                {"field": "@newapp.field.correction_category"}))
    elif category not in known:
        problems.append(Problem("correction_category", "newapp.err.not_in_list",
                                {"field": "@newapp.field.correction_category"}))
    else:
        data["correction_category"] = category
        other = _text(raw, "correction_other")
        if category == "other" and not other:
            problems.append(Problem("correction_other", "newapp.err.other_needs_text", {}))
        elif len(other) > 300:
            problems.append(Problem("correction_other", "newapp.err.too_long",
                                    {"field": "@newapp.field.correction_other", "limit": 300}))
        elif other:
            data["correction_other"] = other


def _rent_fields(raw, data, problems, guarantors, documents, applicant_iin) -> None:
    category = _text(raw, "category")
    if not category:
        problems.append(Problem("category", "newapp.err.required", {"field": "@newapp.field.category"}))
    elif category not in CATEGORIES:
        problems.append(Problem("category", "newapp.err.not_in_list", {"field": "@newapp.field.category"}))
    else:
        data["category"] = category
    family = _text(raw, "family_size")
    if not family:
        problems.append(Problem("family_size", "newapp.err.required", {"field": "@newapp.field.family_size"}))
    elif not family.isdigit() or not 1 <= int(family) <= MAX_FAMILY:
        problems.append(Problem("family_size", "newapp.err.family_size", {"max": MAX_FAMILY}))
    else:
        data["family_size"] = int(family)
    data["consent_personal_data"] = bool(raw.get("consent"))
    seen = {applicant_iin} if applicant_iin else set()
    rows = _items(raw.get("guarantors"))
    for position, row in enumerate(rows, start=1):
        iin_raw, name_raw = (_items(row) + ["", ""])[:2]
        full_name = " ".join(_plain(str(name_raw or "")).split())
        if not str(iin_raw or "").strip() and not full_name:
            continue  # an empty row is ignored
        field_name = f"guarantor_{position}"
        iin, problem = check_id_number(iin_raw, "rent_to_own", field_name)
        if problem:
            problems.append(Problem(field_name, "newapp.err.guarantor", {"n": position, "detail": problem}))
            continue
        if not full_name:
            problems.append(Problem(field_name, "newapp.err.guarantor_name", {"n": position}))
            continue
        if iin in seen:
            problems.append(Problem(field_name, "newapp.err.guarantor_repeated", {"n": position}))
            continue
        seen.add(iin)
        guarantors.append((iin, full_name[:300]))
    if len(guarantors) > MAX_GUARANTORS:
        problems.append(Problem("guarantors", "newapp.err.too_many_guarantors", {"max": MAX_GUARANTORS}))
    chosen = {code for code in _items(raw.get("documents")) if isinstance(code, str)}
    documents.extend(code for code in DOCUMENT_CHECKLIST if code in chosen)


def register_new_application(session: Session, user: User, raw: dict[str, Any], *, override_duplicates: bool,
                             now: datetime | None = None, ctx: DeadlineContext | None = None) -> Application:
    """Check the form and register the application in one unit of work (with its audit row).

    Raises FormInvalid (nothing saved) or DuplicatesFound unless the user chose to override.
    """
    if not can(user, "applications.create"):
        raise DomainError("forbidden")
    check = check_new_application(session, raw, now=now)
    if check.problems:
        raise FormInvalid(check)
    if check.duplicates and not override_duplicates:
        raise DuplicatesFound(check)
    actor = _actor(session, user)
    application = create_application(session, check.kind, check.data, actor=actor,
                                     received_at=check.received_at, ctx=ctx or load_context(session))
    for iin, full_name in check.guarantors:
        session.add(Guarantor(application_id=application.id, iin=iin, full_name=full_name))
    if check.kind == "rent_to_own":
        for code in DOCUMENT_CHECKLIST:
            session.add(ApplicationDocument(application_id=application.id, code=code,
                                            provided=code in check.documents))
    session.flush()
    audit.record(session, "create", actor=actor, entity="application", entity_id=application.id, before=None,
                 after={"kind": check.kind, "status": application.status,
                        "registration_number": application.registration_number,
                        "registration_date": application.registration_date.isoformat()
                        if application.registration_date else None,
                        "duplicates_overridden": [d.application_id for d in check.duplicates]})
    return application
