"""Report delivery: the queue of report runs, running them in the background, the "my reports"
list, downloads and the purge of old files.

A run is a row in ``report_runs`` (``data.models.report_run``); all its state lives in the
database, so any web worker can show it and a page polls it. ``submit`` checks and queues a
run, ``run`` produces its file with ``data.reports.generate`` (which writes the export to the
audit trail and masks IINs per role), updating ``progress`` in short transactions of its own.
The file is written in a private work folder and renamed into the reports folder only when
complete; ``file_path`` (relative to the reports folder) is stored only then.

The reports folder is ``$KTK_REPORTS_DIR``, else ``<instance>/reports``; runs are kept
``$KTK_REPORTS_KEEP_DAYS`` days (14). In the web process runs execute on a small thread pool
(``$KTK_REPORT_WORKERS``, 2) started on first use; starting it also marks runs left
``running``/``queued`` by a process of this host that no longer exists as failed.
"""
from __future__ import annotations

import logging
import os
import secrets
import shutil
import socket
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, or_, select, update
from sqlalchemy.orm import Session

from data.access import can
from data.config import INSTANCE_DIR, LOCAL_TZ
from data.db import get_engine, session_scope
from data.errors import DomainError
from data.i18n import fmt_date, normalize_lang, t
from data.models import User
from data.models.base import utcnow
from data.models.report_run import ReportRun

log = logging.getLogger("ktk.reports")

DEFAULT_KEEP_DAYS = 14
MANAGERS = "managers"
AUDIENCE_ROLES = {MANAGERS: frozenset({"manager", "admin"})}
ACTIVE = ("queued", "running")
WORK_PREFIX = ".work-"
PROGRESS_STEP = 0.02  # write progress to the database when it moved this much ...
PROGRESS_SECONDS = 1.0  # ... or this long after the last write
STALE_ELSEWHERE = timedelta(hours=6)  # a run of another host still "running" after this is abandoned
HOST = socket.gethostname()[:100]


# -- settings ----------------------------------------------------------------------------------
def reports_dir() -> Path:
    """Where report files live (read from the environment on every call, so tests can point it)."""
    value = os.environ.get("KTK_REPORTS_DIR", "").strip()
    instance = Path(os.environ.get("KTK_INSTANCE_DIR") or INSTANCE_DIR)
    return Path(value) if value else instance / "reports"


def keep_days() -> int:
    try:
        return max(1, int(os.environ.get("KTK_REPORTS_KEEP_DAYS", DEFAULT_KEEP_DAYS)))
    except ValueError:
        return DEFAULT_KEEP_DAYS


def worker_id() -> str:
    return f"{HOST}:{os.getpid()}"


# -- paths -------------------------------------------------------------------------------------
def resolve_path(relative: str | None, base: Path | None = None) -> Path:
    """The file a run's ``file_path`` names, inside the reports folder; anything that would
    leave it (absolute, ``..``, a symlink pointing out) raises ValueError."""
    if not relative or "\x00" in relative:
        raise ValueError("no report file")
    root = (base or reports_dir()).resolve()
    candidate = Path(relative)
    if candidate.is_absolute() or ".." in candidate.parts:
        raise ValueError("report path outside the reports folder")
    resolved = (root / candidate).resolve()
    if resolved == root or not resolved.is_relative_to(root):
        raise ValueError("report path outside the reports folder")
    return resolved


# -- submit ------------------------------------------------------------------------------------
def check_request(session: Session, kind: str, fmt: str, filters: Any, today: date) -> dict[str, Any]:
    """The filters as stored JSON, or DomainError saying what is wrong with the request (the
    engine's own check: kind, format, period, akimat, reviewer, separator)."""
    from data.reports.filters import ReportFilters, check

    if isinstance(filters, dict) or filters is None:
        filters = ReportFilters.from_json(filters)
    check(session, kind, fmt, filters, today)
    return filters.to_json()


def submit(session: Session, user: User | None, kind: str, fmt: str, filters: Any, *, lang: str,
           now: datetime | None = None) -> ReportRun:
    """Queue a run for ``user``. Refused (DomainError) without ``reports.run`` or for a request
    that cannot be produced; nothing is stored then."""
    if not can(user, "reports.run"):
        raise DomainError("report_run.forbidden")
    now = now or utcnow()
    stored = check_request(session, kind, fmt, filters, now.astimezone(LOCAL_TZ).date())
    run = ReportRun(user_id=user.id, kind=kind, format=fmt, filters=stored, lang=normalize_lang(lang),
                    status="queued", progress=0.0, scheduled=False, audience=None, created_at=now,
                    worker=worker_id(), expires_at=now + timedelta(days=keep_days()))
    session.add(run)
    session.flush()
    return run


def create_system_run(session: Session, kind: str, fmt: str, filters: Any, *, lang: str = "kk",
                      audience: str = MANAGERS, now: datetime | None = None) -> ReportRun:
    """A scheduled run with no owner, shown to ``audience``."""
    now = now or utcnow()
    stored = check_request(session, kind, fmt, filters, now.astimezone(LOCAL_TZ).date())
    run = ReportRun(user_id=None, kind=kind, format=fmt, filters=stored, lang=normalize_lang(lang), status="queued",
                    progress=0.0, scheduled=True, audience=audience, created_at=now, worker=worker_id(),
                    expires_at=now + timedelta(days=keep_days()))
    session.add(run)
    session.flush()
    return run


# -- run -----------------------------------------------------------------------------------------
class _Progress:
    """Writes progress to the run's row in its own short transactions, not too often."""

    def __init__(self, engine: Engine, run_id: int) -> None:
        self.engine, self.run_id = engine, run_id
        self.last_value, self.last_time = 0.0, time.monotonic()

    def __call__(self, value: float) -> None:
        try:
            value = float(value)
        except (TypeError, ValueError):
            return
        if value >= 1.0:  # the engine's last call, after it logged the export: "done" says it
            return
        value = max(0.0, value)
        now = time.monotonic()
        if value <= self.last_value or (value - self.last_value < PROGRESS_STEP
                                        and now - self.last_time < PROGRESS_SECONDS):
            return
        self.last_value, self.last_time = value, now
        sqlite = self.engine.dialect.name == "sqlite"
        try:
            with self.engine.begin() as conn:
                if sqlite:
                    # The report's own session may hold the write lock by now (it logs the
                    # export at the end): do not wait for it, skip this update instead.
                    conn.exec_driver_sql("PRAGMA busy_timeout=300")
                try:
                    conn.execute(update(ReportRun.__table__).where(ReportRun.__table__.c.id == self.run_id)
                                 .values(progress=value))
                finally:
                    if sqlite:
                        conn.exec_driver_sql("PRAGMA busy_timeout=30000")
        except Exception:  # noqa: BLE001 - progress is a courtesy; the run goes on
            log.info("report run %s: progress not recorded this time", self.run_id)


def _claim(engine: Engine, run_id: int, now: datetime) -> bool:
    table = ReportRun.__table__
    with engine.begin() as conn:
        result = conn.execute(update(table).where(table.c.id == run_id, table.c.status == "queued")
                              .values(status="running", started_at=now, worker=worker_id(), progress=0.0))
    return (result.rowcount or 0) == 1


def _finish(engine: Engine, run_id: int, **values: Any) -> None:
    table = ReportRun.__table__
    with engine.begin() as conn:
        conn.execute(update(table).where(table.c.id == run_id).values(finished_at=utcnow(), **values))


def run(run_id: int, *, engine: Engine | None = None, now: datetime | None = None,
        generate: Callable[..., Any] | None = None) -> str:
    """Produce the file of queued run ``run_id``; returns the final status (``done``/``failed``),
    or ``skipped`` when the run was not queued (another worker took it). Never raises for a
    failing report: the failure is stored on the run with a message key."""
    engine = engine or get_engine()
    if not _claim(engine, run_id, utcnow()):
        return "skipped"
    if generate is None:
        from data.reports import generate  # the report engine (catalogue and writers)
    root = reports_dir()
    work = root / f"{WORK_PREFIX}{run_id}-{secrets.token_hex(4)}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        work.mkdir()
        with session_scope(engine) as session:
            row = session.get(ReportRun, run_id)
            user = session.get(User, row.user_id) if row.user_id else None
            if user is not None and not can(user, "reports.run"):
                raise DomainError("report_run.forbidden")
            from data.reports.filters import ReportFilters

            filters = ReportFilters.from_json(row.filters or {})
            kind, fmt, lang = row.kind, row.format, row.lang
            result = generate(session, kind, fmt, filters, user=user, lang=lang, out_dir=work, now=now,
                              progress=_Progress(engine, run_id))
        produced = Path(result.path)
        if not produced.is_file() or not produced.resolve().is_relative_to(work.resolve()):
            raise RuntimeError(f"the report engine did not write its file in the work folder: {produced}")
        suffix = produced.suffix or f".{fmt}"
        final_name = f"{run_id}-{secrets.token_hex(8)}{suffix}"
        os.replace(produced, root / final_name)
        _finish(engine, run_id, status="done", progress=1.0, rows=int(result.rows), file_path=final_name,
                filename=_safe_filename(result.filename, f"report-{run_id}{suffix}"))
        return "done"
    except DomainError as exc:
        log.info("report run %s refused: %s", run_id, exc)
        _fail(engine, run_id, f"error.{exc.code}", _plain_params(exc.params), None)
        return "failed"
    except Exception:  # noqa: BLE001 - every failure is recorded on the run
        log.exception("report run %s failed", run_id)
        detail = "\n".join(traceback.format_exc().rstrip().splitlines()[-12:])[-4000:]
        _fail(engine, run_id, "report_page.error.internal", {"run": run_id}, detail)
        return "failed"
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _fail(engine: Engine, run_id: int, key: str, params: dict | None, detail: str | None) -> None:
    try:
        _finish(engine, run_id, status="failed", error_key=key[:80], error_params=params, error_detail=detail)
    except Exception:  # noqa: BLE001
        log.exception("report run %s: could not record the failure", run_id)


def _plain_params(params: dict[str, Any]) -> dict[str, Any]:
    return {str(k): (v if isinstance(v, (int, float, bool, type(None))) else str(v)) for k, v in params.items()}


def _safe_filename(name: str | None, default: str) -> str:
    """A download name without path separators or control characters."""
    text = "".join(ch for ch in (name or "") if ch.isprintable() and ch not in '/\\"')
    text = text.strip().lstrip(".")
    return (text or default)[:200]


# -- who sees what -------------------------------------------------------------------------------
def visible_to(run_row: ReportRun, user: User | None) -> bool:
    if user is None or not user.is_active:
        return False
    if run_row.user_id == user.id:
        return True
    roles = AUDIENCE_ROLES.get(run_row.audience or "")
    return bool(roles and user.role in roles)


def _visible_condition(user: User):
    conditions = [ReportRun.user_id == user.id]
    for audience, roles in AUDIENCE_ROLES.items():
        if user.role in roles:
            conditions.append(ReportRun.audience == audience)
    return or_(*conditions)


def list_for(session: Session, user: User, *, limit: int = 50) -> list[ReportRun]:
    """The user's own runs and the scheduled ones meant for their role, newest first."""
    if user is None or not user.is_active:
        return []
    query = select(ReportRun).where(_visible_condition(user)).order_by(ReportRun.created_at.desc(),
                                                                       ReportRun.id.desc()).limit(limit)
    return list(session.scalars(query))


def any_active(runs: list[ReportRun]) -> bool:
    return any(r.status in ACTIVE for r in runs)


class NotFound(LookupError):
    """No such run for this user (never says whether it exists for someone else)."""


class Gone(Exception):
    """The run expired (or its file was purged)."""


class NotReady(Exception):
    """The run has no file (yet, or it failed)."""


@dataclass
class Download:
    run: ReportRun
    path: Path
    filename: str
    mime: str


MIMES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "csv": "text/csv", "pdf": "application/pdf"}


def for_download(session: Session, user: User | None, run_id: int, *, now: datetime | None = None) -> Download:
    row = session.get(ReportRun, run_id)
    if row is None or not visible_to(row, user) or not can(user, "reports.run"):
        raise NotFound(run_id)
    if row.expires_at <= (now or utcnow()):
        raise Gone(run_id)
    if row.status != "done" or not row.file_path:
        raise NotReady(run_id)
    try:
        path = resolve_path(row.file_path)
    except ValueError:
        raise NotFound(run_id) from None
    if not path.is_file():
        raise Gone(run_id)
    return Download(row, path, row.filename or path.name, MIMES.get(row.format, "application/octet-stream"))


# -- housekeeping ----------------------------------------------------------------------------------
def purge_expired(session: Session, *, now: datetime | None = None) -> int:
    """Delete expired runs (not active ones) and their files; also leftover work folders more
    than a day old. Returns the number of runs deleted."""
    now = now or utcnow()
    expired = list(session.scalars(select(ReportRun).where(ReportRun.expires_at <= now,
                                                           ReportRun.status.not_in(ACTIVE))))
    for row in expired:
        if row.file_path:
            try:
                resolve_path(row.file_path).unlink(missing_ok=True)
            except (ValueError, OSError):
                log.warning("report run %s: file %r not removed", row.id, row.file_path)
    if expired:
        session.execute(delete(ReportRun).where(ReportRun.id.in_([r.id for r in expired])),
                        execution_options={"synchronize_session": False})
    root = reports_dir()
    if root.is_dir():
        for entry in root.glob(f"{WORK_PREFIX}*"):
            try:
                if entry.is_dir() and time.time() - entry.stat().st_mtime > 86400:
                    shutil.rmtree(entry, ignore_errors=True)
            except OSError:
                pass
    return len(expired)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_interrupted(engine: Engine | None = None, *, now: datetime | None = None) -> int:
    """Mark as failed the runs left queued/running by a process that is gone: on this host a
    pid that no longer exists, on another host after STALE_ELSEWHERE. ``worker`` is set when a
    run is submitted (the process that will start it) and again when it is claimed."""
    engine = engine or get_engine()
    now = now or utcnow()
    failed = 0
    with session_scope(engine) as session:
        for row in session.scalars(select(ReportRun).where(ReportRun.status.in_(ACTIVE))):
            host, _, pid = (row.worker or "").rpartition(":")
            if row.worker and host == HOST and pid.isdigit():
                dead = int(pid) != os.getpid() and not _pid_alive(int(pid))
            else:
                dead = (row.started_at or row.created_at) < now - STALE_ELSEWHERE
            if dead:
                row.status = "failed"
                row.finished_at = now
                row.error_key = "report_page.error.interrupted"
                row.error_params = None
                failed += 1
    return failed


# -- the background pool (web process) ---------------------------------------------------------------
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()
_HOUSEKEEPING_DONE = False


def housekeeping_once() -> None:
    """Once per process (the first time reports are listed or submitted): mark runs of dead
    processes failed and purge expired runs."""
    global _HOUSEKEEPING_DONE
    with _POOL_LOCK:
        if _HOUSEKEEPING_DONE:
            return
        _HOUSEKEEPING_DONE = True
    try:
        recover_interrupted()
        with session_scope() as session:
            purge_expired(session)
    except Exception:  # noqa: BLE001 - housekeeping never stops reports
        log.exception("report housekeeping at start failed")


def _workers() -> int:
    try:
        return max(1, int(os.environ.get("KTK_REPORT_WORKERS", "2")))
    except ValueError:
        return 2


def pool() -> ThreadPoolExecutor:
    """The process's report pool, created on first use (after marking interrupted runs failed)."""
    global _POOL
    housekeeping_once()
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=_workers(), thread_name_prefix="ktk-report")
        return _POOL


def start_background(run_id: int) -> Future:
    """Run ``run_id`` on the pool (call after the submitting transaction committed)."""
    return pool().submit(run, run_id)


# -- presentation helpers (plain text, used by the page and the list) --------------------------------
def filter_summary(filters: dict[str, Any] | None, lang: str, *, akimat_name: Callable[[str], str] | None = None,
                   reviewer_name: Callable[[int], str] | None = None, kind: str | None = None) -> str:
    """One line saying what the run covers: period, kind, akimat, reviewer (the register has no
    default period; with the registry's filter it is that filter)."""
    data = filters or {}
    if data.get("registry"):
        return t("report_page.summary.registry_filter", lang)
    parts = []
    date_from, date_to = _day(data.get("date_from")), _day(data.get("date_to"))
    if date_from or date_to:
        parts.append(f"{fmt_date(date_from) or '…'} – {fmt_date(date_to) or '…'}")
    elif kind != "register":
        parts.append(t("report_page.summary.all_time", lang))
    if data.get("kind"):
        parts.append(t(f"kind.{data['kind']}.short", lang))
    if data.get("akimat_kato"):
        kato = str(data["akimat_kato"])
        parts.append(akimat_name(kato) if akimat_name else kato)
    if data.get("reviewer_id"):
        rid = int(data["reviewer_id"])
        parts.append(reviewer_name(rid) if reviewer_name else f"#{rid}")
    return " · ".join(parts) or t("report_page.summary.everything", lang)


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def local(value: datetime | None) -> datetime | None:
    return value.astimezone(LOCAL_TZ) if value else None
