"""The morning digest (08:30 local, working days only): per reviewer and per manager, what is due
today and what is overdue, as one in-app notification and one e-mail per person per day.

- Reviewers get their own open applications (``reviewer_id``) and complaints (``responsible_id``)
  due today or overdue; managers get the totals, the counts per reviewer and the most overdue
  items. Nobody gets an empty digest.
- Working hours only: a run after the office closes (or before 08:00) sends nothing
  (``within_hours``); the scheduled 08:30 run is inside.
- One digest per person per day is a database rule: ``notifications`` is unique on
  ``(user_id, dedup_key)`` with ``dedup_key = "digest:<date>"``; a re-run adds nobody twice.
- E-mail goes out after the notifications are committed, only for the new ones: through SMTP
  when ``KTK_SMTP_HOST`` is set, else as ``.eml`` files in ``INSTANCE_DIR/outbox/``.
- Texts are in each user's language (``User.lang``), keys ``jobs.digest.*`` in data/i18n/jobs.py.
"""
from __future__ import annotations

import re
import smtplib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from data.clocks import load_calendar
from data.config import LOCAL_TZ
from data.i18n import fmt_date, t
from data.models import Application, Complaint, User
from data.models.jobs import Notification
from data.working_calendar import WorkingCalendar

KIND = "digest"
ITEMS_PER_SECTION = 20


@dataclass
class Item:
    type: str  # application | complaint
    id: int
    kind: str  # correction | rent_to_own | complaint
    label: str
    name: str
    due: date
    owner_id: int | None


@dataclass
class Counts:
    due_today: int = 0
    overdue: int = 0


@dataclass
class DigestResult:
    day: date
    working_day: bool
    created: int = 0
    already: int = 0
    emails: list[str] = field(default_factory=list)
    notification_ids: list[int] = field(default_factory=list)


def dedup_key(day: date) -> str:
    return f"{KIND}:{day.isoformat()}"


# -- what is due ------------------------------------------------------------------------------
def _app_item(row) -> Item:
    label = row.registration_number or row.internal_number or f"#{row.id}"
    return Item("application", row.id, row.kind, label, row.applicant_name, row.current_due_date, row.reviewer_id)


def _complaint_item(row) -> Item:
    return Item("complaint", row.id, "complaint", f"#{row.id}", row.complainant_name, row.current_due_date,
                row.responsible_id)


def _per_owner_counts(session: Session, today: date) -> dict[int | None, Counts]:
    counts: dict[int | None, Counts] = defaultdict(Counts)
    for model, owner in ((Application, Application.reviewer_id), (Complaint, Complaint.responsible_id)):
        rows = session.execute(
            select(owner, func.sum(case((model.current_due_date == today, 1), else_=0)),
                   func.sum(case((model.current_due_date < today, 1), else_=0)))
            .where(model.is_open.is_(True), model.current_due_date <= today)
            .group_by(owner)
        )
        for owner_id, due_today, overdue in rows:
            counts[owner_id].due_today += int(due_today or 0)
            counts[owner_id].overdue += int(overdue or 0)
    return counts


def _items_per_owner(session: Session, today: date, owners: set[int], limit: int) -> dict[int, list[Item]]:
    """Up to ``limit`` items per owner and section (due today; overdue, most overdue first)."""
    out: dict[int, list[Item]] = defaultdict(list)
    if not owners:
        return out
    a, c = Application, Complaint
    for model, owner, columns, make in (
        (a, a.reviewer_id, (a.id, a.kind, a.registration_number, a.internal_number, a.applicant_name,
                            a.current_due_date, a.reviewer_id), _app_item),
        (c, c.responsible_id, (c.id, c.complainant_name, c.current_due_date, c.responsible_id), _complaint_item),
    ):
        overdue_flag = case((model.current_due_date < today, 1), else_=0)
        rank = func.row_number().over(partition_by=(owner, overdue_flag),
                                      order_by=(model.current_due_date, model.id)).label("rank")
        inner = (select(*columns, rank)
                 .where(model.is_open.is_(True), model.current_due_date <= today, owner.in_(sorted(owners)))
                 .subquery())
        for row in session.execute(select(inner).where(inner.c.rank <= limit)):
            item = make(row)
            out[item.owner_id].append(item)
    return out


def _most_overdue(session: Session, today: date, limit: int) -> list[Item]:
    a, c = Application, Complaint
    apps = session.execute(
        select(a.id, a.kind, a.registration_number, a.internal_number, a.applicant_name, a.current_due_date,
               a.reviewer_id)
        .where(a.is_open.is_(True), a.current_due_date < today).order_by(a.current_due_date, a.id).limit(limit))
    complaints = session.execute(
        select(c.id, c.complainant_name, c.current_due_date, c.responsible_id)
        .where(c.is_open.is_(True), c.current_due_date < today).order_by(c.current_due_date, c.id).limit(limit))
    items = [_app_item(r) for r in apps] + [_complaint_item(r) for r in complaints]
    return sorted(items, key=lambda i: (i.due, i.type, i.id))[:limit]


# -- texts -----------------------------------------------------------------------------------------
def _kind_label(kind: str, lang: str) -> str:
    return t(f"kind.{kind}.short", lang) if kind != "complaint" else t("jobs.digest.complaint", lang)


def _item_line(item: Item, today: date, cal: WorkingCalendar, lang: str) -> str:
    kind = _kind_label(item.kind, lang)
    if item.due >= today:
        return t("jobs.digest.item_due", lang, label=item.label, name=item.name, kind=kind, due=fmt_date(item.due))
    return t("jobs.digest.item_overdue", lang, label=item.label, name=item.name, kind=kind, due=fmt_date(item.due),
             wd=cal.working_days_between(item.due, today), cd=(today - item.due).days)


def _section(title_key: str, items: list[Item], total: int, today: date, cal, lang: str) -> list[str]:
    if not total:
        return []
    lines = ["", t(title_key, lang, n=total)]
    lines += [_item_line(i, today, cal, lang) for i in items]
    if total > len(items):
        lines.append(t("jobs.digest.more", lang, n=total - len(items)))
    return lines


def _texts(user: User, today: date, counts: Counts, items: list[Item], cal: WorkingCalendar,
           by_reviewer: list[tuple[str | None, Counts]] | None = None) -> tuple[str, str]:
    lang = user.lang if user.lang in ("kk", "ru") else "kk"
    title = t("jobs.digest.title", lang, date=fmt_date(today), due_today=counts.due_today, overdue=counts.overdue)
    lines = [t("jobs.digest.greeting", lang, name=user.full_name), "",
             t("jobs.digest.intro_manager" if by_reviewer is not None else "jobs.digest.intro", lang,
               date=fmt_date(today), due_today=counts.due_today, overdue=counts.overdue)]
    due_items = [i for i in items if i.due == today][:ITEMS_PER_SECTION]
    overdue_items = [i for i in items if i.due < today][:ITEMS_PER_SECTION]
    if by_reviewer is not None:
        if by_reviewer:
            lines += ["", t("jobs.digest.by_reviewer", lang)]
            lines += [t("jobs.digest.reviewer_line", lang, name=name or t("jobs.digest.unassigned", lang),
                        due_today=c.due_today, overdue=c.overdue) for name, c in by_reviewer]
        lines += _section("jobs.digest.most_overdue", overdue_items, counts.overdue, today, cal, lang)
    else:
        lines += _section("jobs.digest.due_today", due_items, counts.due_today, today, cal, lang)
        lines += _section("jobs.digest.overdue", overdue_items, counts.overdue, today, cal, lang)
    lines += ["", t("jobs.digest.footer", lang)]
    return title, "\n".join(lines)


# -- the job -----------------------------------------------------------------------------------------
def create_digests(session: Session, today: date, cal: WorkingCalendar | None = None
                   ) -> tuple[DigestResult, list[tuple[User, Notification]]]:
    """Insert today's digest notifications (none on a non-working day, none twice)."""
    cal = cal or load_calendar(session)
    result = DigestResult(today, cal.is_working_day(today))
    if not result.working_day:
        return result, []
    key = dedup_key(today)
    done = set(session.scalars(select(Notification.user_id).where(Notification.kind == KIND,
                                                                  Notification.dedup_key == key)))
    users = list(session.scalars(
        select(User).where(User.is_active.is_(True), User.role.in_(("reviewer", "manager"))).order_by(User.id)))
    result.already = sum(1 for u in users if u.id in done)
    users = [u for u in users if u.id not in done]
    if not users:
        return result, []
    counts = _per_owner_counts(session, today)
    reviewers = {u.id for u in users if u.role == "reviewer" and u.id in counts}
    items = _items_per_owner(session, today, reviewers, ITEMS_PER_SECTION)
    total = Counts(sum(c.due_today for c in counts.values()), sum(c.overdue for c in counts.values()))
    managers = [u for u in users if u.role == "manager"]
    by_reviewer: list[tuple[str | None, Counts]] = []
    most_overdue: list[Item] = []
    if managers and (total.due_today or total.overdue):
        names = dict(session.execute(select(User.id, User.full_name).where(
            User.id.in_([i for i in counts if i is not None]))).all())
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1].overdue, -kv[1].due_today, str(kv[0])))
        by_reviewer = [(names.get(owner) if owner is not None else None, c) for owner, c in ranked][:15]
        most_overdue = _most_overdue(session, today, ITEMS_PER_SECTION)
    created: list[tuple[User, Notification]] = []
    for user in users:
        if user.role == "reviewer":
            mine = counts.get(user.id)
            if mine is None or not (mine.due_today or mine.overdue):
                continue
            title, body = _texts(user, today, mine, items.get(user.id, []), cal)
            payload = {"day": today.isoformat(), "role": "reviewer", "due_today": mine.due_today,
                       "overdue": mine.overdue,
                       "items": [{"type": i.type, "id": i.id, "due": i.due.isoformat()} for i in items.get(user.id, [])]}
        else:
            if not (total.due_today or total.overdue):
                continue
            title, body = _texts(user, today, total, most_overdue, cal, by_reviewer)
            payload = {"day": today.isoformat(), "role": "manager", "due_today": total.due_today,
                       "overdue": total.overdue,
                       "items": [{"type": i.type, "id": i.id, "due": i.due.isoformat()} for i in most_overdue]}
        note = Notification(user_id=user.id, kind=KIND, dedup_key=key, title=title[:300], body=body, payload=payload)
        session.add(note)
        created.append((user, note))
    session.flush()
    result.created = len(created)
    result.notification_ids = [n.id for _u, n in created]
    return result, created


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "user"


def build_email(user: User, note: Notification, now: datetime, settings: dict[str, Any]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = note.title
    message["From"] = settings.get("mail_from", "noreply@ktk.kz")
    message["To"] = getattr(user, "email", None) or f"{user.username}@{settings.get('mail_domain', 'ktk.kz')}"
    message["Date"] = format_datetime(now.astimezone(LOCAL_TZ))
    message["Message-ID"] = make_msgid("digest", domain=settings.get("mail_domain", "ktk.kz"))
    message.set_content(note.body)
    return message


def deliver(messages: list[tuple[User, EmailMessage]], today: date, settings: dict[str, Any]) -> list[str]:
    """SMTP when configured, else .eml files in the outbox. Returns where each one went."""
    smtp = settings.get("smtp") or {}
    done = []
    if smtp.get("host"):
        with smtplib.SMTP(smtp["host"], int(smtp.get("port") or 25), timeout=30) as client:
            if smtp.get("starttls"):
                client.starttls()
            if smtp.get("user"):
                client.login(smtp["user"], smtp.get("password") or "")
            for _user, message in messages:
                client.send_message(message)
                done.append(f"smtp:{message['To']}")
        return done
    outbox = Path(settings["outbox_dir"])
    outbox.mkdir(parents=True, exist_ok=True)
    for user, message in messages:
        path = outbox / f"{today:%Y%m%d}-digest-{_safe(user.username)}.eml"
        path.write_bytes(bytes(message))
        done.append(str(path))
    return done


def send_digests(session: Session, now: datetime, settings: dict[str, Any]) -> tuple[DigestResult, list]:
    """Create today's notifications; returns the result and the messages to deliver after commit."""
    today = now.astimezone(LOCAL_TZ).date()
    result, created = create_digests(session, today)
    messages = [(user, build_email(user, note, now, settings)) for user, note in created]
    return result, messages


EARLIEST = time(8, 0)  # the digest is scheduled at 08:30, before the office opens (09:30)


def within_hours(now: datetime, cal: WorkingCalendar) -> bool:
    """Whether a digest may go out at ``now``: from 08:00 until the office closes (KTK_WORK_CLOSES,
    19:00). A run caught up after downtime, or started by hand, later in the evening sends
    nothing: "due today" at 23:00 helps nobody, and the next working day has its own digest."""
    moment = now.astimezone(LOCAL_TZ).time()
    return min(EARLIEST, cal.hours.opens) <= moment < cal.hours.closes


def job(ctx) -> dict[str, Any]:
    today = ctx.now.astimezone(LOCAL_TZ).date()
    cal = load_calendar(ctx.session)
    if cal.is_working_day(today) and not within_hours(ctx.now, cal):
        local = ctx.now.astimezone(LOCAL_TZ)
        return {"rows": 0, "outcome": "skipped",
                "summary": {"day": today.isoformat(), "created": 0, "reason": "outside_working_hours",
                            "at": local.strftime("%H:%M")}}
    result, messages = send_digests(ctx.session, ctx.now, ctx.settings)
    summary: dict[str, Any] = {"day": result.day.isoformat(), "created": result.created, "already": result.already}
    if not result.working_day:
        summary["reason"] = "not_working_day"
        return {"rows": 0, "summary": summary, "outcome": "skipped"}

    def send() -> None:
        summary["emails"] = deliver(messages, result.day, ctx.settings)

    ctx.after_commit.append(send)
    return {"rows": result.created, "summary": summary}
