"""Writing and searching the audit trail. Rows are only ever inserted.

A row's human-readable ``detail`` is stored in no language: services write ``message(key,
**params)`` (a translation key under ``audit.msg.`` and its parameters, as JSON) and the audit
page turns it into the reader's language when it shows the row (``parse_message``). Older rows
hold a plain text, which is shown as stored.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.config import LOCAL_TZ
from data.models import User
from data.models.audit import AuditEntry

MESSAGE_PREFIX = "audit.msg."


def message(key: str, **params: str | int | float | bool | None) -> str:
    """A ``detail`` to be read in the reader's language: the message key (``audit.msg.…``, in the
    translation table) and its parameters (plain values; dates as ISO text), stored as JSON."""
    if not key.startswith(MESSAGE_PREFIX):
        raise ValueError(f"audit message keys start with {MESSAGE_PREFIX!r}: {key!r}")
    return json.dumps({"msg": key, "params": params}, ensure_ascii=False, sort_keys=True)


def parse_message(detail: str | None) -> tuple[str, dict[str, Any]] | None:
    """``(key, params)`` of a detail written by ``message``; None for any other detail (a plain
    text of an older row, or the JSON facts of an export)."""
    if not detail or not detail.startswith('{"msg": '):
        return None
    try:
        data = json.loads(detail)
    except ValueError:
        return None
    key, params = data.get("msg"), data.get("params")
    if not isinstance(key, str) or not key.startswith(MESSAGE_PREFIX) or not isinstance(params, dict):
        return None
    return key, params


def record(session: Session, action: str, *, actor: User | None = None, entity: str | None = None,
           entity_id: Any = None, before: dict | None = None, after: dict | None = None,
           detail: str | None = None, ip: str | None = None, actor_name: str | None = None) -> AuditEntry:
    entry = AuditEntry(action=action, actor_id=actor.id if actor else None,
                       actor_name=actor.username if actor else actor_name, entity=entity,
                       entity_id=None if entity_id is None else str(entity_id),
                       before=before, after=after, detail=detail, ip=ip)
    session.add(entry)
    session.flush()
    return entry


def search(session: Session, *, text: str | None = None, action: str | None = None,
           actor_id: int | None = None, day_from: date | None = None, day_to: date | None = None,
           limit: int = 500) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(min(limit, 5000))
    if action:
        query = query.where(AuditEntry.action == action)
    if actor_id:
        query = query.where(AuditEntry.actor_id == actor_id)
    if day_from:
        query = query.where(AuditEntry.at >= datetime.combine(day_from, datetime.min.time(), LOCAL_TZ))
    if day_to:
        query = query.where(AuditEntry.at < datetime.combine(day_to + timedelta(days=1), datetime.min.time(), LOCAL_TZ))
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            AuditEntry.detail.ilike(pattern, escape="\\") | AuditEntry.entity_id.ilike(pattern, escape="\\")
            | AuditEntry.actor_name.ilike(pattern, escape="\\")
        )
    return list(session.scalars(query))
