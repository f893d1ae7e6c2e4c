"""Builders for tests: users, items in any status reached through allowed transitions."""
from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Akimat, Application, Guarantor, Recipient, User
from data.statuses import WORKFLOWS, Transition
from data.workflows import create_application, create_complaint, transition

START = datetime(2026, 3, 2, 10, 0)  # Monday, local time


def user(session: Session, username: str = "rev1", role: str = "reviewer") -> User:
    existing = session.scalar(select(User).where(User.username == username))
    if existing:
        return existing
    u = User(username=username, full_name=f"Тест {username}", role=role)
    session.add(u)
    session.flush()
    return u


def akimat(session: Session, kato: str = "710000000") -> Akimat:
    return session.scalar(select(Akimat).where(Akimat.kato == kato))


def valid_fields(session: Session, rule: Transition, at: datetime) -> dict[str, Any]:
    reviewer = user(session)
    values: dict[str, Any] = {
        "registration_number": "ҚТК-2026-0001",
        "reviewer_id": reviewer.id,
        "responsible_id": reviewer.id,
        "refusal_reason": "incomplete_documents",
        "refusal_text": "Құжаттар толық емес",
        "remarks": "Шарт көшірмесін қоса беріңіз",
        "revision_due": (at + timedelta(days=10)).date(),
        "agreement_number": "ҚК-17",
        "agreement_date": at.date(),
        "contract_number": "Ш-2026/55",
        "contract_date": at.date(),
        "payment_confirmed_at": at,
        "comment": "Түсініктеме",
        "extension_reason": "additional_study",
        "extension_days": 3,
        "outcome": "upheld",
        "answer_text": "Шағым қанағаттандырылды",
    }
    if "application_id" in rule.requires:
        values["application_id"] = new_item(session, "rent_to_own").id
    return {name: values[name] for name in rule.requires}


def new_item(session: Session, kind: str, *, guarantors: bool = False, at: datetime | None = None):
    at = at or START.replace(tzinfo=_tz())
    if kind in ("correction", "rent_to_own"):
        app = create_application(
            session, kind,
            {"applicant_name": "Әлиев Нұрлан Серікұлы", "applicant_iin": "900101300123",
             "akimat_id": akimat(session).id, "consent_personal_data": True},
            received_at=at,
        )
        if kind == "correction":
            app.status = "creating"  # as imported from the portal, before sending
            session.flush()
        if guarantors:
            session.add(Guarantor(application_id=app.id, iin="850505400321", full_name="Кепілгер Асқар"))
            session.flush()
            session.refresh(app)
        return app
    if kind == "complaint":
        return create_complaint(session, {"channel": "electronic", "complainant_name": "Сәрсенова Айгүл",
                                          "subject": "Өтінім мерзімі бұзылды"},
                                level="provider", received_at=at)
    recipient = Recipient(iin=f"9{session.scalar(select(Recipient.id).order_by(Recipient.id.desc())) or 0:011d}",
                          full_name="Ахметов Бекзат", category="budget_employee", akimat_id=akimat(session).id)
    session.add(recipient)
    session.flush()
    return recipient


def _tz():
    from data.config import LOCAL_TZ

    return LOCAL_TZ


def path_to(kind: str, status: str, guarantors: bool) -> list[Transition]:
    """Shortest chain of allowed transitions from the initial status to ``status``."""
    workflow = WORKFLOWS[kind]
    initial = "creating" if kind == "correction" else workflow.initial
    queue = deque([(initial, [])])
    seen = {initial}
    while queue:
        current, path = queue.popleft()
        if current == status:
            return path
        for rule in workflow.allowed_from(current):
            if rule.guard == "has_guarantors" and not guarantors:
                continue
            if rule.guard == "no_guarantors" and guarantors:
                continue
            if rule.target not in seen:
                seen.add(rule.target)
                queue.append((rule.target, path + [rule]))
    raise AssertionError(f"{status} unreachable in {kind}")


def item_in(session: Session, kind: str, status: str, *, guarantors: bool | None = None):
    """An item of ``kind`` brought to ``status`` through allowed transitions only."""
    if guarantors is None:
        guarantors = status == "contract_guarantor_signing"
    item = new_item(session, kind, guarantors=guarantors)
    at = START.replace(tzinfo=_tz())
    for step, rule in enumerate(path_to(kind, status, guarantors), start=1):
        when = at + timedelta(hours=step)
        transition(session, item, rule.target, fields=valid_fields(session, rule, when), at=when)
    return item
