"""The drop folder: ``<inbox>/<KATO>/<file>`` goes through the same import pipeline.

Layout (created as needed, beside each akimat's files)::

    <inbox>/<KATO>/list.xlsx                      a new file
    <inbox>/<KATO>/processing/<stamp>-<id>-list.xlsx   claimed by one process while it runs
    <inbox>/<KATO>/processed/<stamp>-list.xlsx    read (loaded, even with row errors)
    <inbox>/<KATO>/processed/<stamp>-list.xlsx.result.json
    <inbox>/<KATO>/processed/<stamp>-list.xlsx.errors-kk.xlsx   (and -ru) when rows have errors
    <inbox>/<KATO>/failed/<stamp>-list.xlsx       not loaded: unreadable, a resend, unknown akimat
    <inbox>/<KATO>/failed/<stamp>-list.xlsx.result.json

Half-written files are left alone: names that say so (``*.part``, ``*.tmp``, ``*.crdownload``,
``*.partial``, ``*.filepart``, ``*.download``, ``~$*``, ``.*``) are never picked up, and any
other file only once it has not been modified for ``KTK_INBOX_SETTLE_SECONDS`` (default 10 s,
checked against the real clock); a file whose size or modification time changed while it was
being claimed goes back. Senders that can should write ``NAME.part`` and rename it when done.

A file is claimed by an atomic ``rename`` into ``processing/`` before anything else, so two
processes (or two scheduler runs) never handle the same file: the loser's rename fails and it
moves on. The content hash makes a file that comes back (a copy, a crash between loading and
moving) a recognized resend, not a second load. Claims older than ``STALE_CLAIM_SECONDS``
(a process died) are put back into the folder.

The received time is when the file arrived: the later of its modification and status-change
times (a copy keeps the old modification time; the rename into the folder sets the other),
never later than ``now``.
"""
from __future__ import annotations

import json
import logging
import os
import re
import time as _time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from data import config
from data.db import session_scope
from data.imports.errors import ImportFileError, Limits
from data.imports.loader import import_file, sanitize_file_name
from data.imports.report import write_report
from data.models import utcnow

log = logging.getLogger(__name__)

PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".filepart", ".swp", ".lock")
WORK_DIRS = ("processing", "processed", "failed")
STALE_CLAIM_SECONDS = 30 * 60
KATO = re.compile(r"[0-9]{9}")


def default_inbox_dir() -> Path:
    configured = os.environ.get("KTK_INBOX_DIR", "").strip()
    return Path(configured) if configured else Path(config.INSTANCE_DIR) / "inbox"


def default_settle_seconds() -> float:
    try:
        return float(os.environ.get("KTK_INBOX_SETTLE_SECONDS", "10"))
    except ValueError:
        return 10.0


@dataclass
class InboxItem:
    """One file handled: where it went and what the import said."""

    name: str
    akimat: str
    outcome: str  # processed | failed
    status: str | None = None  # the batch status (loaded, validated, rejected), None without a batch
    batch_id: int | None = None
    moved_to: str | None = None
    result_path: str | None = None
    reports: list[str] = field(default_factory=list)
    error_code: str | None = None
    duplicate_of_batch: int | None = None


@dataclass
class InboxResult:
    items: list[InboxItem] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)

    @property
    def processed(self) -> list[InboxItem]:
        return [i for i in self.items if i.outcome == "processed"]

    @property
    def failed(self) -> list[InboxItem]:
        return [i for i in self.items if i.outcome == "failed"]


def _stamp(moment: datetime) -> str:
    return moment.astimezone(config.LOCAL_TZ).strftime("%Y%m%d-%H%M%S")


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    counter = 1
    while target.exists():
        stem, dot, ext = name.rpartition(".")
        target = folder / (f"{stem}-{counter}.{ext}" if dot else f"{name}-{counter}")
        counter += 1
    return target


def _is_partial(name: str) -> bool:
    lowered = name.lower()
    return name.startswith((".", "~$")) or lowered.endswith(PARTIAL_SUFFIXES)


def _recover_stale(folder: Path, wall: float, result: InboxResult) -> None:
    processing = folder / "processing"
    if not processing.is_dir():
        return
    for claimed in processing.iterdir():
        try:
            st = claimed.stat()
        except FileNotFoundError:
            continue
        if wall - st.st_ctime < STALE_CLAIM_SECONDS:
            continue
        original = claimed.name.split("-", 3)[-1] if claimed.name.count("-") >= 3 else claimed.name
        try:
            os.rename(claimed, _free_name(folder, original))
            result.skipped.append((str(claimed), "stale_claim_returned"))
        except OSError:
            continue


def process_inbox(engine: Engine, inbox_dir: str | Path | None = None, now: datetime | None = None, *,
                  settle_seconds: float | None = None, limits: Limits | None = None,
                  lang: str | None = None) -> InboxResult:
    """Process every complete new file under ``<inbox_dir>/<KATO>/`` once."""
    root = Path(inbox_dir) if inbox_dir is not None else default_inbox_dir()
    settle = default_settle_seconds() if settle_seconds is None else settle_seconds
    lang = lang or os.environ.get("KTK_INBOX_LANG", "kk")
    result = InboxResult()
    if not root.is_dir():
        root.mkdir(parents=True, exist_ok=True)
        return result
    for folder in sorted(root.iterdir()):
        if not folder.is_dir() or folder.is_symlink():
            continue
        if not KATO.fullmatch(folder.name):
            result.skipped.append((str(folder), "not_an_akimat_folder"))
            continue
        _recover_stale(folder, _time.time(), result)
        for entry in sorted(folder.iterdir()):
            item = _take(engine, folder, entry, now, settle, limits, lang, result)
            if item is not None:
                result.items.append(item)
    return result


def _take(engine: Engine, folder: Path, entry: Path, now: datetime | None, settle: float,
          limits: Limits | None, lang: str, result: InboxResult) -> InboxItem | None:
    if entry.name in WORK_DIRS and entry.is_dir():
        return None
    if entry.is_symlink() or not entry.is_file():
        result.skipped.append((str(entry), "not_a_file"))
        return None
    if _is_partial(entry.name):
        result.skipped.append((str(entry), "partial_name"))
        return None
    try:
        before = entry.stat()
    except FileNotFoundError:
        return None  # another process took it
    if _time.time() - before.st_mtime < settle:
        result.skipped.append((str(entry), "settling"))
        return None

    processing = folder / "processing"
    processing.mkdir(exist_ok=True)
    claimed = processing / f"{_stamp(utcnow())}-{uuid.uuid4().hex[:8]}-{entry.name}"
    try:
        os.rename(entry, claimed)  # atomic: exactly one process wins
    except FileNotFoundError:
        return None
    after = claimed.stat()
    if after.st_size != before.st_size or after.st_mtime_ns != before.st_mtime_ns:
        os.rename(claimed, _free_name(folder, entry.name))  # still being written: next time
        result.skipped.append((str(entry), "still_writing"))
        return None

    arrived = datetime.fromtimestamp(max(before.st_mtime, before.st_ctime), tz=timezone.utc)
    received_at = min(arrived, now) if now is not None else min(arrived, utcnow())
    try:
        outcome = import_file(engine, claimed, akimat=folder.name, file_name=entry.name, received_at=received_at,
                              now=now, source_kind="inbox", limits=limits)
    except ImportFileError as exc:  # unknown akimat, unreadable file: no batch row
        return _finish(folder, claimed, entry.name, received_at, "failed", {
            "status": None, "akimat": folder.name, "file_name": entry.name, "error_code": exc.code,
            "error": exc.message(lang), "errors": [],
        }, InboxItem(entry.name, folder.name, "failed", error_code=exc.code), engine, lang)
    except Exception:
        log.exception("inbox: %s could not be imported; it stays in the inbox", entry)
        os.rename(claimed, _free_name(folder, entry.name))
        result.skipped.append((str(entry), "error"))
        return None
    where = "processed" if outcome.readable and outcome.error_code is None else "failed"
    item = InboxItem(entry.name, folder.name, where, outcome.status, outcome.batch_id, error_code=outcome.error_code,
                     duplicate_of_batch=outcome.duplicate_of_batch)
    return _finish(folder, claimed, entry.name, received_at, where, outcome.to_dict(lang), item, engine, lang,
                   with_report=bool(outcome.issues))


def _finish(folder: Path, claimed: Path, name: str, received_at: datetime, where: str, payload: dict[str, Any],
            item: InboxItem, engine: Engine, lang: str, with_report: bool = False) -> InboxItem:
    target_dir = folder / where
    target_dir.mkdir(exist_ok=True)
    target = _free_name(target_dir, f"{_stamp(received_at)}-{sanitize_file_name(name)}")
    os.replace(claimed, target)
    item.moved_to = str(target)
    result_path = target.with_name(target.name + ".result.json")
    temporary = result_path.with_name("." + result_path.name + ".part")
    temporary.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    temporary.replace(result_path)
    item.result_path = str(result_path)
    if with_report and item.batch_id is not None:
        with session_scope(engine) as session:
            for report_lang in ("kk", "ru"):
                path = target.with_name(f"{target.name}.errors-{report_lang}.xlsx")
                write_report(session, item.batch_id, path, report_lang)
                item.reports.append(str(path))
    return item
