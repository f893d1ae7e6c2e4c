"""The workflow service: move an item through its lifecycle, with its clocks and history.

``transition`` checks everything first (allowed, required fields valid, guards, optimistic
lock) and only then changes the item, its clocks and its history, so a refused transition
changes nothing. Callers own the transaction (``data.db.session_scope``).
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Union

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from data import clocks as clock_service
from data.config import LOCAL_TZ
from data.errors import ConflictError, DomainError
from data.i18n import fmt_datetime, t
from data.models import Application, Complaint, Recipient, ReferenceItem, StatusEvent, User, utcnow
from data.statuses import (
    EXTENSION_REASONS,
    FIELD_TYPES,
    OUTCOMES,
    PAUSE,
    RESUME,
    START,
    START_SET,
    STOP,
    WORKFLOWS,
    Transition,
    Workflow,
)

Item = Union[Application, Complaint, Recipient]

MAX_TEXT = 4000
MAX_SHORT_TEXT = 300
EVENT_MOMENT_FIELDS = ("received_at", "payment_confirmed_at", "sent_at")
SUBJECT_KEY = {Application: "application_id", Complaint: "complaint_id", Recipient: "recipient_id"}


def workflow_of(item: Item) -> Workflow:
    if isinstance(item, Application):
        return WORKFLOWS[item.kind]
    if isinstance(item, Complaint):
        return WORKFLOWS["complaint"]
    return WORKFLOWS["recipient"]


def status_label(kind: str, code: str, lang: str) -> str:
    workflow = WORKFLOWS[kind]
    return workflow.status(code).label(lang) if code in workflow.by_code else code


def field_label(name: str, lang: str) -> str:
    return t(f"field.{name}", lang)


# -- value parsing ---------------------------------------------------------------------------
def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise DomainError("invalid_date", value=text)


def parse_datetime(value: Any) -> datetime:
    """Aware datetimes pass; naive ones and text are local (Asia/Almaty) time."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=LOCAL_TZ)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, 9, 30, tzinfo=LOCAL_TZ)
    text = str(value or "").strip()
    for fmt in ("%d.%m.%Y %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=LOCAL_TZ)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise DomainError("invalid_date", value=text) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=LOCAL_TZ)


def _invalid(name: str, reason_key: str, **params: Any) -> DomainError:
    return DomainError("invalid_field", field=name, reason_key=reason_key, **params)


MAX_INT = 2**31 - 1  # the database's INTEGER
_CONTROL = {code: " " for code in list(range(0x00, 0x20)) + [0x7F] if code not in (0x09, 0x0A, 0x0D)}


def _id_value(value: Any) -> int | None:
    """A row id from a form value ("12", 12), or None for anything else."""
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number <= MAX_INT else None


def clean_fields(
    session: Session, kind: str, transition: Transition, raw: dict[str, Any], today: date
) -> dict[str, Any]:
    """Validate and convert the values a transition records; raise on the first problem."""
    cleaned: dict[str, Any] = {}
    target = transition.target
    for name in transition.requires + transition.optional:
        value = raw.get(name)
        if isinstance(value, str):
            value = value.strip()
        if value in (None, "", []):
            if name in transition.requires:
                raise DomainError("missing_field", field=name, to_status=target, kind=kind)
            continue
        field_type = FIELD_TYPES[name]
        if isinstance(value, (list, tuple, dict, set, bytes)):
            raise _invalid(name, "hardening_bad_value")  # only a hand-made request sends these
        if field_type == "text":
            if not isinstance(value, str):
                value = str(value)
            value = value.translate(_CONTROL).strip()  # a NUL would fail on PostgreSQL
            if not value:
                if name in transition.requires:
                    raise DomainError("missing_field", field=name, to_status=target, kind=kind)
                continue
            limit = MAX_SHORT_TEXT if name.endswith("number") else MAX_TEXT
            if len(value) > limit:
                raise _invalid(name, "too_long", limit=limit)
            cleaned[name] = value
        elif field_type == "date":
            cleaned[name] = parse_date(value)
        elif field_type == "datetime":
            cleaned[name] = parse_datetime(value)
        elif field_type == "int":
            try:
                cleaned[name] = int(value)
            except (TypeError, ValueError, OverflowError):
                raise _invalid(name, "not_a_number") from None
            if abs(cleaned[name]) > MAX_INT:
                raise _invalid(name, "not_a_number")
        elif field_type == "user":
            user_id = _id_value(value)
            user = session.get(User, user_id) if user_id is not None else None
            if user is None or not user.is_active or user.role not in ("reviewer", "manager", "admin"):
                raise _invalid(name, "no_such_user")
            cleaned[name] = user.id
        elif field_type == "refusal_reason":
            known = None if not isinstance(value, str) else session.scalar(
                select(ReferenceItem.id).where(
                    ReferenceItem.list_name == "refusal_reason",
                    ReferenceItem.code == value,
                    ReferenceItem.active.is_(True),
                )
            )
            if known is None:
                raise _invalid(name, "not_in_list")
            cleaned[name] = value
        elif field_type == "extension_reason":
            if value not in EXTENSION_REASONS:
                raise _invalid(name, "not_in_list")
            cleaned[name] = value
        elif field_type == "outcome":
            if value not in OUTCOMES:
                raise _invalid(name, "not_in_list")
            cleaned[name] = value
    if cleaned.get("refusal_reason") == "other" and not cleaned.get("refusal_text"):
        raise DomainError("missing_field", field="refusal_text", to_status=target, kind=kind)
    if "revision_due" in cleaned and cleaned["revision_due"] <= today:
        raise _invalid("revision_due", "must_be_future")
    for name in ("agreement_date", "contract_date", "answer_date"):
        if name in cleaned and cleaned[name] > today:
            raise _invalid(name, "must_not_be_future")
    if "extension_days" in cleaned and not 1 <= cleaned["extension_days"] <= 10:
        raise _invalid("extension_days", "extension_range")
    return cleaned


# -- the transition --------------------------------------------------------------------------
def _check_version(session: Session, item: Item, expected_version: int | None) -> None:
    if expected_version is not None and item.version != expected_version:
        raise _conflict(session, item)


def _conflict(session: Session, item: Item) -> ConflictError:
    key = SUBJECT_KEY[type(item)]
    last = session.scalars(
        select(StatusEvent).where(getattr(StatusEvent, key) == item.id).order_by(StatusEvent.id.desc())
    ).first()
    who = ""
    when = ""
    if last is not None:
        actor = session.get(User, last.actor_id) if last.actor_id else None
        who = actor.full_name if actor else ""
        when = fmt_datetime(last.at.astimezone(LOCAL_TZ))
    return ConflictError(who=who, when=when, item_id=item.id)


def _guard(session: Session, guard: str | None, item: Item, fields: dict[str, Any]) -> None:
    if guard is None:
        return
    if guard == "consent" and not getattr(item, "consent_personal_data", False):
        raise DomainError("no_consent")
    if guard == "has_guarantors" and not item.guarantors:
        raise DomainError("guarantor_step_needs_guarantors")
    if guard == "no_guarantors" and item.guarantors:
        raise DomainError("guarantors_must_sign")


def _event_moment(fields: dict[str, Any], at: datetime) -> datetime:
    for name in EVENT_MOMENT_FIELDS:
        if name in fields:
            return fields[name]
    return at


def transition(
    session: Session,
    item: Item,
    target: str,
    *,
    actor: User | None = None,
    fields: dict[str, Any] | None = None,
    at: datetime | None = None,
    expected_version: int | None = None,
    ctx: clock_service.DeadlineContext | None = None,
    documents: list[str] | None = None,
) -> StatusEvent:
    """Move ``item`` to ``target``. Raises DomainError (nothing changed) when not allowed."""
    at = at or utcnow()
    workflow = workflow_of(item)
    if target not in workflow.by_code:
        raise DomainError("unknown_status", status=target, kind=workflow.kind)
    _check_version(session, item, expected_version)
    rule = workflow.find(item.status, target)
    if rule is None:
        allowed = [tr.target for tr in workflow.allowed_from(item.status)]
        raise DomainError("forbidden_transition", kind=workflow.kind, from_status=item.status,
                          to_status=target, allowed_codes=allowed)
    ctx = ctx or clock_service.load_context(session)
    today = ctx.calendar.to_local(at).date()
    fields = clean_fields(session, workflow.kind, rule, fields or {}, today)
    _guard(session, rule.guard, item, fields)
    if workflow.kind == "complaint" and target == "extended":
        _check_extension(session, ctx, item, fields, at)

    # Everything is checked: now change the item, its clocks and its history, inside a
    # savepoint so a lost race undoes only this transition, not the caller's unit of work.
    savepoint = session.begin_nested()
    try:
        event = _apply_transition(session, ctx, workflow, item, rule, fields, at, actor, documents)
    except StaleDataError:
        # Another session committed a change of this item since it was read: report who.
        savepoint.rollback()
        raise _conflict(session, item) from None
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return event


def _apply_transition(session, ctx, workflow: Workflow, item: Item, rule: Transition, fields, at, actor,
                      documents) -> StatusEvent:
    target = rule.target
    source = item.status
    moment = _event_moment(fields, at)
    for name, value in fields.items():
        if name == "extension_days" or not hasattr(item, name):
            continue
        if name in EVENT_MOMENT_FIELDS and getattr(item, name) is not None:
            continue  # e.g. a resubmission moment must not overwrite the original receipt
        setattr(item, name, value)
    item.status = target
    session.flush()
    _apply_clocks(session, ctx, item, rule, fields, at, moment)
    if workflow.kind == "complaint" and target == "extended":
        _apply_extension(session, ctx, item, fields, at)
    if workflow.status(target).final:
        if hasattr(item, "is_open"):
            item.is_open = False
        if isinstance(item, Application):
            item.closed_at = at
    clock_service.sync_subject_due(session, item)

    event = StatusEvent(
        kind="transition",
        at=at,
        actor_id=actor.id if actor else None,
        from_status=source,
        to_status=target,
        comment=fields.get("comment") or fields.get("remarks") or fields.get("refusal_text"),
        documents=list(documents or []),
        payload=_jsonable(fields),
    )
    setattr(event, SUBJECT_KEY[type(item)], item.id)
    session.add(event)
    session.flush()
    return event


def _apply_clocks(session, ctx, item, rule: Transition, fields, at, moment) -> None:
    workflow = workflow_of(item)
    for action, policy_code in rule.clocks:
        if action == START:
            clock_service.start_clock(session, ctx, item, policy_code, moment)
        elif action == START_SET:
            clock_service.start_clock(session, ctx, item, policy_code, at, due=fields["revision_due"])
        else:
            clock = clock_service.open_clock(session, item, policy_code)
            if clock is None:
                continue
            when = moment if action == RESUME else at
            if action == STOP and "answer_date" in fields:  # a complaint's term ends on the answer's date
                day = fields["answer_date"]
                when = max(datetime(day.year, day.month, day.day, 12, 0, tzinfo=LOCAL_TZ), clock.started_at)
            clock_service.add_event(ctx, clock, action, when)
            # Met when stopped by the due date, or while paused waiting for the applicant.
            if action == STOP:
                met = clock.due_date is not None and (
                    clock.stopped_on <= clock.due_date or clock.paused_since is not None)
                if policy_code == workflow.main_policy and isinstance(item, Application):
                    item.closed_on_time = met
                if isinstance(item, Complaint) and policy_code == complaint_policy(item):
                    item.closed_on_time = met
        if action == START and policy_code == "ktk_review" and isinstance(item, Application):
            session.flush()
            clock = clock_service.open_clock(session, item, policy_code)
            item.registration_date = clock.registered_on if clock else item.registration_date
            item.received_at = moment
        if action == PAUSE and isinstance(item, Application):
            item.revision_due = fields.get("revision_due", item.revision_due)


# -- complaint extension (seed 004 item 34) --------------------------------------------------
def complaint_policy(complaint: Complaint) -> str:
    return "complaint_quality_body" if complaint.level == "quality_body" else "complaint_provider"


def _check_extension(session, ctx, complaint: Complaint, fields, at) -> None:
    days = fields["extension_days"]
    if complaint.extension_days + days > 10:
        raise DomainError("extension_too_long", used=complaint.extension_days, asked=days)
    clock = clock_service.open_clock(session, complaint, complaint_policy(complaint))
    on = ctx.calendar.to_local(at).date()
    if clock is None or clock.due_date is None or on > clock.due_date:
        due = clock.due_date.strftime("%d.%m.%Y") if clock and clock.due_date else "—"
        raise DomainError("extension_after_due", due=due, on=on.strftime("%d.%m.%Y"))


def _apply_extension(session, ctx, complaint: Complaint, fields, at) -> None:
    clock = clock_service.open_clock(session, complaint, complaint_policy(complaint))
    clock_service.add_event(ctx, clock, "extend", at, days=fields["extension_days"])
    complaint.extension_days += fields["extension_days"]
    notice = clock_service.open_clock(session, complaint, "complaint_extension_notice")
    if notice is not None:
        clock_service.add_event(ctx, notice, "stop", at)
    clock_service.start_clock(session, ctx, complaint, "complaint_extension_notice", at)


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, datetime):
            out[key] = value.astimezone(timezone.utc).isoformat()
        elif isinstance(value, date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


# -- other history entries -------------------------------------------------------------------
def add_note(session: Session, item: Item, text: str, *, actor: User | None = None,
             at: datetime | None = None) -> StatusEvent:
    text = (text or "").strip()
    if not text:
        raise DomainError("missing_field", field="comment", to_status=item.status,
                          kind=workflow_of(item).kind)
    if len(text) > MAX_TEXT:
        raise _invalid("comment", "too_long", limit=MAX_TEXT)
    event = StatusEvent(kind="note", at=at or utcnow(), actor_id=actor.id if actor else None,
                        from_status=item.status, to_status=item.status, comment=text)
    setattr(event, SUBJECT_KEY[type(item)], item.id)
    session.add(event)
    session.flush()
    return event


def assign_reviewer(session: Session, application: Application, reviewer_id: int, *,
                    actor: User | None = None, at: datetime | None = None,
                    expected_version: int | None = None) -> StatusEvent:
    _check_version(session, application, expected_version)
    reviewer = session.get(User, int(reviewer_id))
    if reviewer is None or not reviewer.is_active or reviewer.role not in ("reviewer", "manager", "admin"):
        raise _invalid("reviewer_id", "no_such_user")
    previous = application.reviewer_id
    savepoint = session.begin_nested()
    try:
        application.reviewer_id = reviewer.id
        event = StatusEvent(kind="assign", at=at or utcnow(), actor_id=actor.id if actor else None,
                            application_id=application.id, from_status=application.status,
                            to_status=application.status,
                            payload={"from_reviewer_id": previous, "to_reviewer_id": reviewer.id})
        session.add(event)
        session.flush()
    except StaleDataError:
        savepoint.rollback()
        raise _conflict(session, application) from None
    savepoint.commit()
    return event


def record_extension_notice(session: Session, complaint: Complaint, sent_on: date, channel: str, *,
                            actor: User | None = None, at: datetime | None = None,
                            expected_version: int | None = None) -> StatusEvent:
    """The complainant was told of the extension: closes the notice clock (seed 004 item 34)."""
    at = at or utcnow()
    _check_version(session, complaint, expected_version)
    if channel not in ("paper", "electronic"):
        raise _invalid("notice_channel", "not_in_list")
    ctx = clock_service.load_context(session)
    notice = clock_service.open_clock(session, complaint, "complaint_extension_notice")
    if notice is None:
        raise DomainError("no_extension_to_notify")
    sent_at = datetime(sent_on.year, sent_on.month, sent_on.day, 12, 0, tzinfo=LOCAL_TZ)
    clock_service.add_event(ctx, notice, "stop", max(sent_at, notice.started_at))
    complaint.notice_sent_on = sent_on
    complaint.notice_channel = channel
    clock_service.sync_subject_due(session, complaint)
    event = StatusEvent(kind="action", at=at, actor_id=actor.id if actor else None,
                        complaint_id=complaint.id, from_status=complaint.status,
                        to_status=complaint.status,
                        payload={"action": "extension_notice", "sent_on": sent_on.isoformat(),
                                 "channel": channel})
    session.add(event)
    session.flush()
    return event


# -- creating items --------------------------------------------------------------------------
def create_application(
    session: Session,
    kind: str,
    data: dict[str, Any],
    *,
    actor: User | None = None,
    received_at: datetime | None = None,
    ctx: clock_service.DeadlineContext | None = None,
) -> Application:
    """Register an application that arrived (portal, paper, e-mail).

    Rent-to-own: created as ``submitted`` with its 15-day review clock from the registration
    of ``received_at``. Correction: created as ``sent`` and, when a registration number is
    given, registered at once (which starts the review clock).
    """
    if kind not in ("correction", "rent_to_own"):
        raise DomainError("unknown_status", status=kind, kind="application")
    ctx = ctx or clock_service.load_context(session)
    received_at = parse_datetime(received_at) if received_at else utcnow()
    workflow = WORKFLOWS[kind]
    allowed = {c.key for c in Application.__table__.columns} - {
        "id", "kind", "status", "is_open", "version", "created_at", "updated_at",
        "current_due_date", "current_policy", "closed_at", "closed_on_time",
    }
    values = {k: v for k, v in data.items() if k in allowed and k != "registration_number"}
    application = Application(kind=kind, status="sent" if kind == "correction" else workflow.initial,
                              received_at=received_at, **values)
    session.add(application)
    session.flush()
    event = StatusEvent(kind="transition", at=received_at, actor_id=actor.id if actor else None,
                        application_id=application.id, from_status=None, to_status=application.status,
                        payload={"received_at": received_at.astimezone(timezone.utc).isoformat()})
    session.add(event)
    if kind == "rent_to_own":
        clock = clock_service.start_clock(session, ctx, application, "ktk_review", received_at)
        # A rent-to-own application gets its number when it is registered: the one it came with
        # (portal), else the next in KTK's own series, ЖА-<year of registration>-<id, 7 digits>.
        application.registration_number = (data.get("registration_number")
                                           or f"ЖА-{clock.registered_on.year}-{application.id:07d}")
        application.registration_date = clock.registered_on
        clock_service.sync_subject_due(session, application)
    elif data.get("registration_number"):
        transition(session, application, "registered", actor=actor, ctx=ctx,
                   fields={"registration_number": data["registration_number"], "received_at": received_at})
    session.flush()
    return application


def create_complaint(
    session: Session,
    data: dict[str, Any],
    *,
    level: str,
    received_at: datetime,
    actor: User | None = None,
    ctx: clock_service.DeadlineContext | None = None,
) -> Complaint:
    """Register a complaint: its registration day by the rule and its 5 / 15 working-day clock."""
    if level not in ("provider", "quality_body"):
        raise _invalid("level", "not_in_list")
    channel = data.get("channel")
    if channel not in ("paper", "electronic"):
        raise _invalid("channel", "not_in_list")
    for name in ("complainant_name", "subject"):
        if not str(data.get(name) or "").strip():
            raise DomainError("missing_field", field=name, to_status="registered", kind="complaint")
    ctx = ctx or clock_service.load_context(session)
    received_at = parse_datetime(received_at)
    registration = ctx.calendar.registration(received_at)
    allowed = ("application_id", "recipient_id", "batch_id", "parent_id", "complainant_id_number",
               "complainant_name", "complainant_contact", "subject", "responsible_id")
    complaint = Complaint(level=level, channel=channel, received_at=received_at,
                          registration_date=registration.day, status="registered",
                          **{k: data[k] for k in allowed if data.get(k) not in (None, "")})
    session.add(complaint)
    session.flush()
    clock_service.start_clock(session, ctx, complaint, complaint_policy(complaint), received_at)
    clock_service.sync_subject_due(session, complaint)
    session.add(StatusEvent(kind="transition", at=received_at, actor_id=actor.id if actor else None,
                            complaint_id=complaint.id, from_status=None, to_status="registered",
                            payload={"level": level, "channel": channel}))
    session.flush()
    return complaint
