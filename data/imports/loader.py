"""The list import pipeline: receive -> validate -> load (or reject), in one transaction.

``import_list(session, source, akimat=...)`` does everything inside the caller's session:

1. the batch row (akimat, sanitized file name, size, SHA-256, received time and its
   registration day by the working calendar, who sent it) — status ``received``;
2. the same content already sent by the same akimat (SHA-256) -> ``rejected`` with
   ``duplicate_of_id`` and nothing else happens;
3. the original file is archived under ``INSTANCE_DIR/lists/<batch id>/<file name>``;
4. the file is read and checked (data.imports.reader); a file that cannot be read at all ->
   ``rejected`` with one error (code, parameters and the Kazakh message on the batch);
5. rows are validated in plain Python (data.imports.validate); the IINs already listed are
   looked up with one chunked ``IN`` query per 2,000 rows — status ``validated``;
6. inside a SAVEPOINT: recipients inserted with Core executemany (status ``listed``), one
   history event per recipient inserted by a single INSERT ... SELECT, the row errors stored,
   the ``list_upload`` clock started at the received time and stopped at the load time —
   status ``loaded``. Any failure rolls the savepoint back: nothing half-loaded, the batch is
   ``rejected`` (``load_failed``). A unique-IIN conflict with a concurrent import is retried.

``import_file(engine, ...)`` is the same in a unit of work of its own (CLI, drop folder, page).
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import time as _time
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Union

from sqlalchemy import ARRAY, Engine, Integer, String, any_, bindparam, insert, literal, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from data import audit, config
from data.clocks import DeadlineContext, add_event, load_context, start_clock
from data.db import session_scope
from data.imports.errors import ImportFileError, Limits, file_error_message
from data.imports.reader import open_sheet
from data.imports.validate import Issue, RowValidator, Validation
from data.models import Akimat, ListBatch, Recipient, StatusEvent, User, UTCDateTime, utcnow
from data.models.list_errors import ListRowError

Source = Union[bytes, bytearray, str, Path]
INSERT_CHUNK = 10_000
LOADED_STATUSES = ("validated", "loaded")


@dataclass
class ImportResult:
    """What happened to one file (the CLI prints it as JSON, the page shows it)."""

    batch_id: int | None
    status: str  # received | validated | loaded | rejected
    akimat_kato: str
    file_name: str
    size_bytes: int
    sha256: str
    received_at: datetime | None = None
    registration_date: date | None = None
    file_format: str | None = None
    rows_total: int = 0
    rows_loaded: int = 0
    rows_invalid: int = 0
    rows_duplicate: int = 0
    rows_already_listed: int = 0
    duplicate_of_batch: int | None = None
    error_code: str | None = None
    error_params: dict[str, Any] = field(default_factory=dict)
    header_row: int | None = None
    ignored_columns: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    list_upload_due: date | None = None
    archive_path: str | None = None

    @property
    def readable(self) -> bool:
        """The file was read (even with row errors, or as a resend of a loaded file)."""
        return self.status in LOADED_STATUSES or self.error_code == "duplicate_file"

    def error_message(self, lang: str = "kk") -> str | None:
        return file_error_message(self.error_code, self.error_params, lang) if self.error_code else None

    def to_dict(self, lang: str = "kk") -> dict[str, Any]:
        from data.imports.report import issue_message

        return {
            "batch_id": self.batch_id,
            "status": self.status,
            "akimat": self.akimat_kato,
            "file_name": self.file_name,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "file_format": self.file_format,
            "received_at": self.received_at.astimezone(timezone.utc).isoformat() if self.received_at else None,
            "registration_date": self.registration_date.isoformat() if self.registration_date else None,
            "list_upload_due": self.list_upload_due.isoformat() if self.list_upload_due else None,
            "header_row": self.header_row,
            "rows_total": self.rows_total,
            "rows_loaded": self.rows_loaded,
            "rows_invalid": self.rows_invalid,
            "duplicates": self.rows_duplicate,
            "already_listed": self.rows_already_listed,
            "duplicate_of_batch": self.duplicate_of_batch,
            "ignored_columns": list(self.ignored_columns),
            "error_code": self.error_code,
            "error": self.error_message(lang),
            "errors": [
                {"row": i.row, "column": i.column or None, "field": i.field, "code": i.code,
                 "message": issue_message(i.code, i.params, lang), "params": i.params}
                for i in self.issues
            ],
        }


# -- helpers -----------------------------------------------------------------------------------
_UNSAFE = re.compile(r"[^\w.\- ()]+", re.UNICODE)


def sanitize_file_name(name: str | None, default: str = "list") -> str:
    """A safe single file name: no directories, control characters, or leading dots."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" ._")
    name = re.sub(r"_+", "_", name)
    if not name:
        return default
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 8:
            name = stem[: 119 - len(ext)].rstrip(" ._") + "." + ext
        else:
            name = name[:120]
    return name


def archive_root() -> Path:
    return Path(config.INSTANCE_DIR) / "lists"


def archive_path(batch_id: int, file_name: str) -> Path:
    return archive_root() / str(batch_id) / file_name


def _archive(batch: ListBatch, content: bytes) -> Path:
    folder = archive_root() / str(batch.id)
    if folder.exists():  # a rolled-back batch with the same id left it
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / batch.file_name
    temporary = folder / f".{batch.file_name}.part"
    temporary.write_bytes(content)
    os.replace(temporary, target)
    return target


def resolve_akimat(session: Session, akimat: Akimat | int | str) -> Akimat:
    """An Akimat from the object, its id, or its 9-digit KATO code."""
    if isinstance(akimat, Akimat):
        return akimat
    found = None
    if isinstance(akimat, int):
        found = session.get(Akimat, akimat)
    else:
        code = str(akimat).strip()
        found = session.scalar(select(Akimat).where(Akimat.kato == code))
    if found is None:
        raise ImportFileError("unknown_akimat", akimat=str(akimat))
    return found


def _read_source(source: Source, limits: Limits) -> tuple[bytes | None, int, str]:
    """(content or None when over the size limit, size, sha256)."""
    if isinstance(source, (bytes, bytearray)):
        content = bytes(source)
        return (content if len(content) <= limits.max_bytes else None), len(content), \
            hashlib.sha256(content).hexdigest()
    path = Path(source)
    try:
        size = path.stat().st_size
        if size <= limits.max_bytes:
            content = path.read_bytes()
            return content, len(content), hashlib.sha256(content).hexdigest()
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return None, size, digest.hexdigest()
    except OSError as exc:
        raise ImportFileError("unreadable_path", path=str(path), reason=exc.strerror or str(exc)) from None


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _lookup(session: Session, akimat_id: int):
    """Which of a chunk of IINs are already listed: one query per chunk (``IN`` list; on
    PostgreSQL ``= ANY(array)``, one parameter instead of thousands)."""
    columns = select(Recipient.iin, Recipient.batch_id, Recipient.akimat_id)
    if _is_postgresql(session):
        query = columns.where(Recipient.iin == any_(bindparam("iins", type_=ARRAY(String(12)))))
    else:
        query = columns.where(Recipient.iin.in_(bindparam("iins", expanding=True)))

    def lookup(iins: list[str]) -> dict[str, dict[str, Any]]:
        rows = session.execute(query, {"iins": iins}).all()
        return {iin: {"batch_id": batch_id, "other_akimat": other != akimat_id} for iin, batch_id, other in rows}

    return lookup


def _earlier_copy(session: Session, batch: ListBatch) -> ListBatch | None:
    return session.scalars(
        select(ListBatch)
        .where(ListBatch.akimat_id == batch.akimat_id, ListBatch.sha256 == batch.sha256,
               ListBatch.status.in_(LOADED_STATUSES), ListBatch.id != batch.id)
        .order_by(ListBatch.id)
        .limit(1)
    ).first()


def _reject(batch: ListBatch, error: ImportFileError) -> None:
    batch.status = "rejected"
    batch.error_code = error.code
    batch.error_params = _jsonable(error.params)
    batch.error_message = error.message("kk")


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in params.items():
        if isinstance(value, datetime):
            out[key] = value.astimezone(timezone.utc).isoformat()
        elif isinstance(value, date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


def cell_json(value: Any) -> Any:
    """A cell as JSON (dates tagged so the report writes them back as dates)."""
    if isinstance(value, datetime):
        return {"$datetime": value.replace(tzinfo=None).isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            return str(value)
        return value
    return str(value)


def _result(batch: ListBatch, akimat: Akimat, issues: list[Issue] | None = None) -> ImportResult:
    return ImportResult(
        batch_id=batch.id, status=batch.status, akimat_kato=akimat.kato, file_name=batch.file_name,
        size_bytes=batch.size_bytes, sha256=batch.sha256, received_at=batch.received_at,
        registration_date=batch.registration_date, file_format=batch.file_format,
        rows_total=batch.rows_total, rows_loaded=batch.rows_loaded, rows_invalid=batch.rows_invalid,
        rows_duplicate=batch.rows_duplicate, rows_already_listed=batch.rows_already_listed,
        duplicate_of_batch=batch.duplicate_of_id, error_code=batch.error_code,
        error_params=dict(batch.error_params or {}), header_row=batch.header_row,
        ignored_columns=list(batch.ignored_columns or []), issues=list(issues or []),
    )


# -- the pipeline ------------------------------------------------------------------------------
def import_list(
    session: Session,
    source: Source,
    *,
    akimat: Akimat | int | str,
    file_name: str | None = None,
    received_at: datetime | None = None,
    uploaded_by: User | int | None = None,
    now: datetime | None = None,
    validate_only: bool = False,
    limits: Limits | None = None,
    source_kind: str = "upload",
    ctx: DeadlineContext | None = None,
) -> ImportResult:
    """Receive, check and load one list file inside ``session`` (the caller commits).

    Raises ImportFileError only when the akimat is unknown or the path cannot be opened (no
    batch can be recorded); every other problem is in the result (and on the batch row).
    """
    limits = limits or Limits.from_env()
    now = now or utcnow()
    received_at = received_at or now
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=config.LOCAL_TZ)
    akimat_row = resolve_akimat(session, akimat)
    if file_name is None:
        file_name = Path(source).name if isinstance(source, (str, Path)) else "list"
    content, size, sha = _read_source(source, limits)
    ctx = ctx or load_context(session)
    uploader_id = uploaded_by.id if isinstance(uploaded_by, User) else uploaded_by

    batch = ListBatch(
        akimat_id=akimat_row.id, file_name=sanitize_file_name(file_name), size_bytes=size, sha256=sha,
        received_at=received_at, registration_date=ctx.calendar.registration(received_at).day,
        status="received", uploaded_by_id=uploader_id, source=source_kind, created_at=now,
    )
    session.add(batch)
    session.flush()  # on SQLite this first write takes the database lock: imports are serialized

    earlier = _earlier_copy(session, batch)
    if earlier is not None:
        batch.duplicate_of_id = earlier.id
        _reject(batch, ImportFileError("duplicate_file", batch_id=earlier.id,
                                       received=ctx.calendar.to_local(earlier.received_at).strftime("%d.%m.%Y %H:%M")))
        session.flush()
        return _audited(session, "list_import", batch, _result(batch, akimat_row), uploaded_by)
    if content is None:
        _reject(batch, ImportFileError("file_too_large", size_bytes=size, limit_bytes=limits.max_bytes))
        session.flush()
        return _audited(session, "list_import", batch, _result(batch, akimat_row), uploaded_by)

    stored = _archive(batch, content)
    result = _process(session, ctx, batch, akimat_row, content, limits, now, validate_only)
    result.archive_path = str(stored)
    return _audited(session, "list_import", batch, result, uploaded_by)


def load_batch(session: Session, batch_id: int, *, now: datetime | None = None,
               limits: Limits | None = None, actor: User | int | None = None) -> ImportResult:
    """Load a batch that was only validated (``validate_only``), from its archived file."""
    batch = session.get(ListBatch, batch_id)
    if batch is None or batch.status != "validated":
        raise ImportFileError("load_failed")
    akimat_row = session.get(Akimat, batch.akimat_id)
    content = archive_path(batch.id, batch.file_name).read_bytes()
    session.query(ListRowError).filter(ListRowError.batch_id == batch.id).delete(synchronize_session=False)
    ctx = load_context(session)
    result = _process(session, ctx, batch, akimat_row, content, limits or Limits.from_env(), now or utcnow(),
                      False, clock_started=True)
    return _audited(session, "list_load", batch, result, actor)


def _audited(session: Session, action: str, batch: ListBatch, result: ImportResult,
             actor: User | int | None) -> ImportResult:
    """Every received or loaded list in the audit trail: the batch, its outcome and counts."""
    user = actor if isinstance(actor, User) else (session.get(User, actor) if actor else None)
    audit.record(session, action, actor=user, entity="list_batch", entity_id=batch.id,
                 after={"status": batch.status, "file_name": batch.file_name, "akimat_id": batch.akimat_id,
                        "source": batch.source, "rows_total": batch.rows_total, "rows_loaded": batch.rows_loaded,
                        "rows_invalid": batch.rows_invalid, "rows_already_listed": batch.rows_already_listed,
                        "rows_duplicate": batch.rows_duplicate, "duplicate_of_id": batch.duplicate_of_id,
                        "error_code": batch.error_code})
    return result


def _process(session: Session, ctx: DeadlineContext, batch: ListBatch, akimat_row: Akimat, content: bytes,
             limits: Limits, now: datetime, validate_only: bool, clock_started: bool = False) -> ImportResult:
    attempts = 3
    for attempt in range(attempts):
        try:
            sheet = open_sheet(content, limits)
            batch.file_format = sheet.file_format
            batch.header_row = sheet.header.row_index + 1
            batch.headers = list(sheet.header.headers)
            batch.ignored_columns = list(sheet.header.ignored)
            local_received = ctx.calendar.to_local(batch.received_at).date()
            validator = RowValidator(sheet.header, local_received, _lookup(session, akimat_row.id), limits)
            validation = validator.run(sheet.rows)
            if validation.rows_total == 0:
                raise ImportFileError("no_rows")
        except ImportFileError as exc:
            _reject(batch, exc)
            session.flush()
            return _result(batch, akimat_row)
        _count(batch, validation, loaded=0)
        batch.status = "validated"
        issues = sorted(validation.issues, key=lambda i: i.row)
        savepoint = session.begin_nested()
        try:
            due = _load(session, ctx, batch, validation, issues, now, validate_only, clock_started)
            savepoint.commit()
        except IntegrityError:
            savepoint.rollback()
            if attempt + 1 < attempts:  # a concurrent import listed some of these IINs: look again
                _time.sleep(0.05 * (attempt + 1))
                continue
            _reject(batch, ImportFileError("load_failed"))
            session.flush()
            return _result(batch, akimat_row)
        except OperationalError:
            savepoint.rollback()
            raise
        except Exception:
            savepoint.rollback()
            _reject(batch, ImportFileError("load_failed"))
            session.flush()
            return _result(batch, akimat_row)
        result = _result(batch, akimat_row, issues)
        result.list_upload_due = due
        return result
    raise AssertionError("unreachable")


def _count(batch: ListBatch, validation: Validation, loaded: int) -> None:
    batch.rows_total = validation.rows_total
    batch.rows_loaded = loaded
    batch.rows_invalid = validation.rows_invalid
    batch.rows_duplicate = validation.rows_duplicate
    batch.rows_already_listed = validation.rows_already_listed


def _load(session: Session, ctx: DeadlineContext, batch: ListBatch, validation: Validation,
          issues: list[Issue], now: datetime, validate_only: bool, clock_started: bool) -> date | None:
    _store_issues(session, batch.id, issues, validation.values)
    clock = None
    if not clock_started:
        clock = start_clock(session, ctx, batch, "list_upload", batch.received_at)
    if validate_only:
        session.flush()
        return clock.due_date if clock else None
    _insert_recipients(session, batch, validation, now)
    _count(batch, validation, loaded=len(validation.loadable))
    batch.status = "loaded"
    batch.loaded_at = now
    if clock is None:
        from data.clocks import open_clock

        clock = open_clock(session, batch, "list_upload")
    if clock is not None:
        add_event(ctx, clock, "stop", max(now, batch.received_at))
    session.flush()
    return clock.due_date if clock else None


def _store_issues(session: Session, batch_id: int, issues: list[Issue], values: dict[int, list[Any]]) -> None:
    if not issues:
        return
    table = ListRowError.__table__
    seen: set[int] = set()
    rows = []
    for issue in issues:
        first = issue.row not in seen
        seen.add(issue.row)
        rows.append({
            "batch_id": batch_id, "row": issue.row, "field": issue.field, "column": (issue.column or "")[:200] or None,
            "code": issue.code, "params": issue.params,
            "row_values": [cell_json(v) for v in values.get(issue.row, [])] if first else None,
        })
    for start in range(0, len(rows), INSERT_CHUNK):
        session.execute(insert(table), rows[start:start + INSERT_CHUNK])


RECIPIENT_COLUMNS = ("iin", "full_name", "category", "phone", "queue_number", "queue_date", "note",
                     "akimat_id", "batch_id", "status", "created_at", "version")


def _insert_recipients(session: Session, batch: ListBatch, validation: Validation, now: datetime) -> None:
    """Core executemany (PostgreSQL with psycopg: COPY, several times faster); then the
    history events with one INSERT ... SELECT."""
    loadable = validation.loadable
    if not loadable:
        return
    akimat_id = batch.akimat_id
    batch_id = batch.id
    if not (_is_postgresql(session) and _copy_recipients(session, akimat_id, batch_id, loadable, now)):
        statement = insert(Recipient.__table__)
        for start in range(0, len(loadable), INSERT_CHUNK):
            session.execute(statement, [
                {"iin": r.iin, "full_name": r.full_name, "category": r.category, "phone": r.phone,
                 "queue_number": r.queue_number, "queue_date": r.queue_date, "note": r.note,
                 "akimat_id": akimat_id, "batch_id": batch_id, "status": "listed", "created_at": now,
                 "version": 1}
                for r in loadable[start:start + INSERT_CHUNK]
            ])
    # The history of every new recipient starts with "listed from batch N": one set-based INSERT.
    events = StatusEvent.__table__
    source = select(
        Recipient.id,
        literal("transition", String),
        literal(now, UTCDateTime()),
        literal(batch.uploaded_by_id, Integer),
        literal("listed", String),
        literal([], events.c.documents.type),
        literal({"batch_id": batch_id}, events.c.payload.type),
    ).where(Recipient.batch_id == batch_id)
    session.execute(insert(events).from_select(
        ["recipient_id", "kind", "at", "actor_id", "to_status", "documents", "payload"], source))


def _copy_text(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _copy_recipients(session: Session, akimat_id: int, batch_id: int, loadable: list, now: datetime) -> bool:
    """COPY the rows in through psycopg (same connection, same transaction and savepoint)."""
    driver = getattr(session.connection().connection, "driver_connection", None)
    if driver is None or not hasattr(driver, "cursor") or type(driver).__module__.split(".")[0] != "psycopg":
        return False
    created = now.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ")  # naive UTC columns
    statement = f"COPY recipients ({', '.join(RECIPIENT_COLUMNS)}) FROM STDIN"
    tail = f"\t{akimat_id}\t{batch_id}\tlisted\t{created}\t1\n"
    try:
        with driver.cursor() as cursor:
            with cursor.copy(statement) as copy:
                lines = []
                for r in loadable:
                    # COPY's text format; the cleaned values have no tabs or line breaks left.
                    lines.append("\t".join((
                        r.iin, _copy_text(r.full_name), r.category, r.phone,
                        _copy_text(r.queue_number) if r.queue_number is not None else "\\N",
                        r.queue_date.isoformat() if r.queue_date is not None else "\\N",
                        _copy_text(r.note) if r.note is not None else "\\N",
                    )) + tail)
                    if len(lines) >= 5000:
                        copy.write("".join(lines))
                        lines = []
                if lines:
                    copy.write("".join(lines))
    except Exception as exc:
        if str(getattr(exc, "sqlstate", "") or "").startswith("23"):  # a unique IIN taken meanwhile
            raise IntegrityError(statement, None, exc) from exc
        raise
    return True


# -- in a unit of work of its own ------------------------------------------------------------
def import_file(engine: Engine, source: Source, **kwargs: Any) -> ImportResult:
    """``import_list`` in its own transaction (retried when SQLite reports a lock conflict)."""
    for attempt in range(5):
        try:
            with session_scope(engine) as session:
                return import_list(session, source, **kwargs)
        except OperationalError as exc:
            if "locked" not in str(exc).lower() or attempt == 4:
                raise
            _time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")
