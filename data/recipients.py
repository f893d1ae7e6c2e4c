"""Recipients from akimat lists after loading (seed 001 p.7): SMS sent, applied, expired.

``listed`` -> ``notified`` (SMS sent: the 15-calendar-day ``applicant_submission`` clock starts
from the SMS date as it is) -> ``applied`` (linked to their application) | ``expired`` (the
window ended without an application).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import String, and_, exists, insert, literal, select, update
from sqlalchemy.orm import Session

from data import audit
from data.clocks import DeadlineContext, load_context
from data.config import LOCAL_TZ
from data.models import Application, Clock, ClockEvent, Recipient, StatusEvent, User, UTCDateTime, utcnow
from data.workflows import parse_datetime, transition

POLICY = "applicant_submission"
OPEN_STATUSES = ("listed", "notified")


@dataclass
class NotifyResult:
    notified: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (recipient id, its status)

    @property
    def count(self) -> int:
        return len(self.notified)


def notify_recipients(
    session: Session,
    batch_id: int | None = None,
    recipient_ids: Iterable[int] | None = None,
    *,
    sent_at: datetime | str,
    actor: User | None = None,
    at: datetime | None = None,
    ctx: DeadlineContext | None = None,
) -> NotifyResult:
    """Mark the ``listed`` recipients of a batch (or the given ones) as notified by SMS at
    ``sent_at``; each goes through ``data.workflows.transition`` (history, clock). Recipients in
    any other status are skipped and reported."""
    if batch_id is None and recipient_ids is None:
        raise ValueError("give batch_id or recipient_ids")
    sent_at = parse_datetime(sent_at)
    query = select(Recipient).order_by(Recipient.id)
    if batch_id is not None:
        query = query.where(Recipient.batch_id == batch_id)
    if recipient_ids is not None:
        ids = sorted({int(i) for i in recipient_ids})
        if not ids:
            return NotifyResult()
        query = query.where(Recipient.id.in_(ids))
    ctx = ctx or load_context(session)
    result = NotifyResult()
    for recipient in session.scalars(query):
        if recipient.status != "listed":
            result.skipped.append((recipient.id, recipient.status))
            continue
        transition(session, recipient, "notified", actor=actor, fields={"sent_at": sent_at}, at=at or utcnow(),
                   ctx=ctx)
        recipient.notified_at = sent_at
        result.notified.append(recipient.id)
    session.flush()
    return result


def link_application(session: Session, application: Application, *, actor: User | None = None,
                     ctx: DeadlineContext | None = None) -> Recipient | None:
    """Link the listed or notified recipient with the application's IIN as ``applied`` (stops
    their submission clock). None when there is no such recipient (or it already applied or
    expired, or the application is not a rent-to-own one)."""
    if application.kind != "rent_to_own" or not application.applicant_iin:
        return None
    recipient = session.scalar(select(Recipient).where(Recipient.iin == application.applicant_iin.strip()))
    if recipient is None or recipient.status not in OPEN_STATUSES:
        return None
    if application.id is None:
        session.flush()
    at = application.received_at or utcnow()
    if recipient.notified_at is not None and at < recipient.notified_at:
        at = recipient.notified_at
    before = {"status": recipient.status}
    transition(session, recipient, "applied", actor=actor, fields={"application_id": application.id}, at=at,
               ctx=ctx)
    audit.record(session, "status_change", actor=actor, entity="recipient", entity_id=recipient.id, before=before,
                 after={"status": recipient.status, "application_id": application.id})
    return recipient


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=LOCAL_TZ)


def expire_recipients(session: Session, today: date, *, at: datetime | None = None) -> int:
    """Notified recipients whose submission window ended (clock due before ``today``) become
    ``expired``; their clocks stop. Four set-based statements; returns how many expired.

    ``at`` (the moment recorded in the history and on the clocks) defaults to now, or to the
    start of ``today`` when ``today`` is not the current local date.
    """
    at = at or utcnow()
    if at.astimezone(LOCAL_TZ).date() != today:
        at = _start_of(today)
    stopped_on = at.astimezone(LOCAL_TZ).date()
    session.flush()

    open_late_clock = and_(
        Clock.recipient_id == Recipient.id,
        Clock.policy_code == POLICY,
        Clock.stopped_at.is_(None),
        Clock.due_date < today,
    )
    marked = session.execute(
        update(Recipient)
        .where(Recipient.status == "notified", exists().where(open_late_clock))
        .values(status="expired", version=Recipient.version + 1),
        execution_options={"synchronize_session": False},
    ).rowcount or 0
    if not marked:
        return 0

    # The recipients just expired are exactly the expired ones whose clock is still open.
    still_open = and_(Clock.recipient_id == Recipient.id, Clock.policy_code == POLICY, Clock.stopped_at.is_(None))
    events = StatusEvent.__table__
    session.execute(insert(events).from_select(
        ["recipient_id", "kind", "at", "from_status", "to_status", "documents", "payload"],
        select(
            Recipient.id,
            literal("transition", String),
            literal(at, UTCDateTime()),
            literal("notified", String),
            literal("expired", String),
            literal([], events.c.documents.type),
            literal({"due_before": today.isoformat()}, events.c.payload.type),
        ).where(Recipient.status == "expired", exists().where(still_open)),
    ))
    session.execute(insert(ClockEvent.__table__).from_select(
        ["clock_id", "kind", "at", "note"],
        select(Clock.id, literal("stop", String), literal(at, UTCDateTime()), literal("expired", String))
        .join(Recipient, Recipient.id == Clock.recipient_id)
        .where(Recipient.status == "expired", Clock.policy_code == POLICY, Clock.stopped_at.is_(None)),
    ))
    session.execute(
        update(Clock)
        .where(Clock.policy_code == POLICY, Clock.stopped_at.is_(None),
               Clock.recipient_id.in_(select(Recipient.id).where(Recipient.status == "expired")))
        .values(stopped_at=at, stopped_on=stopped_on, state="stopped"),
        execution_options={"synchronize_session": False},
    )
    for obj in list(session.identity_map.values()):
        if isinstance(obj, (Recipient, Clock, ClockEvent)):
            session.expire(obj)
    # One audit row for the whole set-based change (the history has one event per recipient).
    audit.record(session, "recipients_expired", entity="recipient", before={"status": "notified"},
                 after={"status": "expired", "count": marked},
                 detail=audit.message("audit.msg.recipients_expired", day=today.isoformat()))
    return marked


__all__ = ["NotifyResult", "expire_recipients", "link_application", "notify_recipients"]
