"""Akimat tenant lists for the pages: the batch list with its ``list_upload`` clock, one batch in
detail (counts, file, sender, row errors, recipients), who may upload for which akimat, and the
"SMS sent" bulk action.

Every read goes through ``data.access.scope_batches`` / ``scope_recipients``: an akimat user
sees only their own akimat's batches and recipients; a batch outside the user's scope is the
same as a batch that does not exist (``None``), so the pages and file routes answer 404 and ids
do not leak.

The ``list_upload`` clock (2 working days from the registration of the receipt) is started by
the loader when a file was read and stopped when it was loaded; ``timing`` says where it stands:
``on_time`` / ``late`` (stopped on or before / after the due date), ``open`` (running, due date
not passed) or ``overdue`` (running, past the due date); ``None`` when there is no clock (the
file could not be read, or it was a resend).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from data import audit
from data.access import can, scope_batches, scope_recipients
from data.config import LOCAL_TZ
from data.errors import DomainError
from data.i18n import t
from data.imports.report import column_label, issue_message
from data.models import Akimat, Clock, ListBatch, Recipient, User
from data.models.list_errors import ListRowError
from data.queries.registry import calendar, workday_counter
from data.recipients import NotifyResult, notify_recipients

BATCH_STATUSES = ("received", "validated", "loaded", "rejected")
LIST_LIMIT = 200
ERRORS_SHOWN = 500
RECIPIENTS_SHOWN = 50
SUBMISSION_POLICY = "applicant_submission"


class ListPageError(DomainError):
    """A problem with a request of the list pages; message ``listpage.error.<code>``."""

    def message(self, lang: str = "kk") -> str:
        return t(f"listpage.error.{self.code}", lang, **self.params)


# -- the batch list ------------------------------------------------------------------------------
@dataclass
class BatchRow:
    id: int
    akimat_id: int
    akimat_kato: str
    akimat_kk: str
    akimat_ru: str
    file_name: str
    size_bytes: int
    sha256: str
    file_format: str | None
    received_at: datetime
    registration_date: date
    status: str
    rows_total: int
    rows_loaded: int
    rows_invalid: int
    rows_already_listed: int
    rows_duplicate: int
    error_code: str | None
    error_params: dict[str, Any] | None
    duplicate_of_id: int | None
    uploaded_by: str | None
    loaded_at: datetime | None
    source: str | None
    due_date: date | None = None
    stopped_on: date | None = None
    clock_running: bool = False
    timing: str | None = None  # on_time | late | open | overdue
    days_left: int | None = None  # working days from today to the due date (negative: overdue)

    def akimat(self, lang: str) -> str:
        return self.akimat_ru if lang == "ru" else self.akimat_kk

    @property
    def received_local(self) -> datetime:
        return self.received_at.astimezone(LOCAL_TZ)


def _batch_query():
    """A batch has at most one ``list_upload`` clock (started when the file was read; a
    validated-only batch keeps it when it is loaded later), so a plain outer join suffices."""
    clock = aliased(Clock)
    return select(
        ListBatch.id, ListBatch.akimat_id, Akimat.kato, Akimat.name_kk, Akimat.name_ru, ListBatch.file_name,
        ListBatch.size_bytes, ListBatch.sha256, ListBatch.file_format, ListBatch.received_at,
        ListBatch.registration_date, ListBatch.status, ListBatch.rows_total, ListBatch.rows_loaded,
        ListBatch.rows_invalid, ListBatch.rows_already_listed, ListBatch.rows_duplicate, ListBatch.error_code,
        ListBatch.error_params, ListBatch.duplicate_of_id, User.full_name, ListBatch.loaded_at, ListBatch.source,
        clock.due_date, clock.stopped_on, clock.stopped_at,
    ).join(Akimat, Akimat.id == ListBatch.akimat_id) \
        .outerjoin(User, User.id == ListBatch.uploaded_by_id) \
        .outerjoin(clock, and_(clock.batch_id == ListBatch.id, clock.policy_code == "list_upload"))


def _to_batch(session: Session, row, today: date) -> BatchRow:
    (ident, akimat_id, kato, name_kk, name_ru, file_name, size, sha, fmt, received, registered, status, total,
     loaded, invalid, already, duplicate, error_code, error_params, duplicate_of, sender, loaded_at, source,
     due, stopped_on, stopped_at) = row
    batch = BatchRow(ident, akimat_id, kato, name_kk, name_ru, file_name, size or 0, sha, fmt, received, registered,
                     status, total or 0, loaded or 0, invalid or 0, already or 0, duplicate or 0, error_code,
                     error_params, duplicate_of, sender, loaded_at, source, due, stopped_on,
                     due is not None and stopped_at is None)
    batch.timing = timing(due, stopped_on, stopped_at is None, today)
    if batch.clock_running and due is not None:
        batch.days_left = workday_counter(calendar(session)).between(today, due)
    return batch


def timing(due: date | None, stopped_on: date | None, running: bool, today: date) -> str | None:
    if due is None:
        return None
    if running:
        return "overdue" if today > due else "open"
    return "on_time" if stopped_on is not None and stopped_on <= due else "late"


@dataclass
class BatchList:
    rows: list[BatchRow]
    total: int


def list_batches(session: Session, user: User, today: date, *, akimat_id: int | None = None,
                 status: str | None = None, limit: int = LIST_LIMIT) -> BatchList:
    """The user's batches, newest first (at most ``limit``), and how many there are in all."""
    where = []
    if akimat_id is not None:
        where.append(ListBatch.akimat_id == akimat_id)
    if status in BATCH_STATUSES:
        where.append(ListBatch.status == status)
    query = scope_batches(_batch_query().where(*where), user) \
        .order_by(ListBatch.received_at.desc(), ListBatch.id.desc()).limit(max(1, min(limit, 1000)))
    total = session.scalar(scope_batches(select(func.count()).select_from(ListBatch).where(*where), user)) or 0
    return BatchList([_to_batch(session, r, today) for r in session.execute(query)], total)


def get_batch(session: Session, user: User, batch_id: Any, today: date) -> BatchRow | None:
    """One batch, or None when it does not exist or is outside the user's scope."""
    ident = parse_id(batch_id)
    if ident is None:
        return None
    row = session.execute(scope_batches(_batch_query().where(ListBatch.id == ident), user)).first()
    return _to_batch(session, row, today) if row is not None else None


def parse_id(value: Any) -> int | None:
    text = str(value or "").strip()
    if not text.isdigit() or len(text) > 12:
        return None
    return int(text)


def batch_akimats(session: Session, user: User) -> list[tuple[int, str, str, str]]:
    """(id, KATO, kk name, ru name) of the akimats that have batches the user sees (the filter)."""
    ids = scope_batches(select(ListBatch.akimat_id).distinct(), user).subquery()
    return [tuple(r) for r in session.execute(
        select(Akimat.id, Akimat.kato, Akimat.name_kk, Akimat.name_ru).where(Akimat.id.in_(select(ids)))
        .order_by(Akimat.kato))]


# -- uploading ------------------------------------------------------------------------------------
def upload_akimats(session: Session, user: User | None) -> list[tuple[int, str, str, str]]:
    """The akimats this user may upload a list for: an akimat user only their own; KTK staff
    with ``lists.upload`` any."""
    if not can(user, "lists.upload"):
        return []
    query = select(Akimat.id, Akimat.kato, Akimat.name_kk, Akimat.name_ru).order_by(Akimat.kato)
    if user.role == "akimat":
        if not user.akimat_id:
            return []
        query = query.where(Akimat.id == user.akimat_id)
    return [tuple(r) for r in session.execute(query)]


def upload_target(session: Session, user: User, requested: Any) -> Akimat:
    """The akimat an upload is for. An akimat user: their own (asking for another is refused);
    staff: the one they picked (required)."""
    if not can(user, "lists.upload"):
        raise ListPageError("forbidden")
    text = str(requested or "").strip()
    if user.role == "akimat":
        if not user.akimat_id:
            raise ListPageError("no_akimat")
        if text and parse_id(text) != user.akimat_id:
            raise ListPageError("other_akimat")
        return session.get(Akimat, user.akimat_id)
    if not text:
        raise ListPageError("akimat_required")
    ident = parse_id(text)
    found = session.get(Akimat, ident) if ident is not None else None
    if found is None:
        raise ListPageError("unknown_akimat", value=text[:20])
    return found


# -- one batch: errors and recipients ---------------------------------------------------------
@dataclass
class ErrorRow:
    row: int
    column: str
    code: str
    message: str


def batch_errors(session: Session, batch_id: int, lang: str, limit: int = ERRORS_SHOWN) -> tuple[list[ErrorRow], int]:
    """The first ``limit`` row errors of a batch (row order) in ``lang``, and how many in all.
    The caller has already checked that the user sees the batch (``get_batch``)."""
    total = session.scalar(select(func.count()).select_from(ListRowError).where(ListRowError.batch_id == batch_id))
    rows = session.execute(
        select(ListRowError.row, ListRowError.field, ListRowError.column, ListRowError.code, ListRowError.params)
        .where(ListRowError.batch_id == batch_id).order_by(ListRowError.row, ListRowError.id).limit(limit)).all()
    return [ErrorRow(r, column_label(c, f, lang), code, issue_message(code, p, lang)) for r, f, c, code, p in rows], \
        total or 0


@dataclass
class BatchRecipient:
    id: int
    iin: str
    full_name: str
    category: str
    phone: str | None
    status: str
    notified_at: datetime | None
    window_due: date | None
    application_id: int | None


def batch_recipients(session: Session, user: User, batch_id: int, limit: int = RECIPIENTS_SHOWN
                     ) -> tuple[list[BatchRecipient], dict[str, int]]:
    """The first recipients of a batch (with their application window's due date) and the count
    per status."""
    clock = aliased(Clock)
    query = scope_recipients(
        select(Recipient.id, Recipient.iin, Recipient.full_name, Recipient.category, Recipient.phone,
               Recipient.status, Recipient.notified_at, clock.due_date, Recipient.application_id)
        .outerjoin(clock, and_(clock.recipient_id == Recipient.id, clock.policy_code == SUBMISSION_POLICY))
        .where(Recipient.batch_id == batch_id), user) \
        .order_by(Recipient.id).limit(limit)
    rows = [BatchRecipient(*r) for r in session.execute(query)]
    counts = dict(session.execute(scope_recipients(
        select(Recipient.status, func.count()).where(Recipient.batch_id == batch_id), user)
        .group_by(Recipient.status)).all())
    return rows, {status: counts.get(status, 0) for status in ("listed", "notified", "applied", "expired")}


# -- "SMS sent" -----------------------------------------------------------------------------------
def parse_sent_at(text: Any, now: datetime) -> datetime:
    """``dd.mm.yyyy HH:MM`` (or ``dd.mm.yyyy``, meaning now's time of day when today, else 09:30),
    local time; not in the future."""
    raw = " ".join(str(text or "").split())
    if not raw:
        raise ListPageError("sent_required")
    moment = None
    for fmt in ("%d.%m.%Y %H:%M", "%d.%m.%Y", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            moment = datetime.strptime(raw, fmt)
        except ValueError:
            continue
        if fmt in ("%d.%m.%Y", "%Y-%m-%d"):
            local_now = now.astimezone(LOCAL_TZ)
            moment = local_now.replace(second=0, microsecond=0) if moment.date() == local_now.date() \
                else moment.replace(hour=9, minute=30)
            moment = moment.replace(tzinfo=None)
        break
    if moment is None:
        raise ListPageError("sent_format", value=raw[:40])
    moment = moment.replace(tzinfo=LOCAL_TZ)
    if moment > now.astimezone(LOCAL_TZ) + timedelta(minutes=1):
        raise ListPageError("sent_future", value=moment.strftime("%d.%m.%Y %H:%M"))
    return moment


def mark_notified(session: Session, user: User, batch_id: int, sent_text: Any, *, now: datetime,
                  today: date, ip: str | None = None) -> NotifyResult:
    """The listed recipients of a batch the user sees are notified (SMS sent at ``sent_text``):
    each one's 15-calendar-day ``applicant_submission`` clock starts. Written to the audit trail."""
    if not can(user, "recipients.notify"):
        raise ListPageError("forbidden")
    batch = get_batch(session, user, batch_id, today)
    if batch is None:
        raise ListPageError("no_batch")
    sent_at = parse_sent_at(sent_text, now)
    if sent_at < batch.received_at.astimezone(LOCAL_TZ) - timedelta(minutes=1):
        raise ListPageError("sent_before_received", received=batch.received_local.strftime("%d.%m.%Y %H:%M"))
    if batch.status != "loaded":
        raise ListPageError("not_loaded")
    actor = session.get(User, user.id)
    result = notify_recipients(session, batch_id=batch.id, sent_at=sent_at, actor=actor, at=now)
    if not result.count:
        raise ListPageError("nothing_to_notify")
    audit.record(session, "recipients_notified", actor=actor, entity="list_batch", entity_id=batch.id,
                 detail=audit.message("audit.msg.recipients_notified", sent_at=sent_at.isoformat(),
                                      notified=result.count, skipped=len(result.skipped)),
                 ip=ip)
    return result


def window_due(session: Session, recipient_id: int) -> date | None:
    """The due date of a recipient's application window (its latest ``applicant_submission`` clock)."""
    return session.scalar(select(Clock.due_date).where(Clock.recipient_id == recipient_id,
                                                       Clock.policy_code == SUBMISSION_POLICY)
                          .order_by(Clock.id.desc()).limit(1))


__all__ = [
    "BATCH_STATUSES", "BatchList", "BatchRecipient", "BatchRow", "ErrorRow", "ListPageError", "batch_akimats",
    "batch_errors", "batch_recipients", "get_batch", "list_batches", "mark_notified", "parse_id", "parse_sent_at",
    "timing", "upload_akimats", "upload_target", "window_due",
]
