"""The deadlines board: what is overdue, due today, tomorrow and this week, by kind of deadline.

Reads the ``clocks`` table: open clocks (``stopped_at IS NULL``) that are running
(``paused_since IS NULL``; a paused clock waits for someone else; both as one condition,
``coalesce(stopped_at, paused_since) IS NULL``, the partial indexes' own) and due by the end of the
window, joined to their items (applications, complaints, akimat list batches, recipients) and
scoped through ``data.access`` like every list.

Window (working days, the Kazakhstan calendar with overrides):

- ``overdue``: due before today (every one of them, however old);
- ``today``: due today;
- ``tomorrow``: due after today up to the next working day (on a Friday that is Monday, and
  anything due on the weekend in between counts too);
- ``week``: after that, up to the 5th working day after today: a rolling working week, so on
  any weekday the board looks five working days ahead (on Friday: through next Friday) instead
  of emptying out as the calendar week ends.

Groups (policy codes): reviews ``ktk_review``; revisions ``applicant_revision``; state
registrations ``state_registration``; complaints ``complaint_*``; list uploads
``list_upload``; SMS windows ``applicant_submission``; any other policy under ``other``.

Scope: ``me`` = applications whose reviewer and complaints whose responsible officer is the
user; ``team`` = the same for everybody of the user's department (the user alone when they have
none); ``all`` = everything the user may see. Lists and recipients have no responsible person,
so they show under ``all`` only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.sql.elements import True_
from sqlalchemy.orm import Session, aliased

from data.access import scope_applications, scope_batches, scope_complaints, scope_recipients
from data.models import Akimat, Application, Clock, Complaint, ListBatch, Recipient, User
from data.queries.registry import unindexed, workday_counter
from data.working_calendar import WorkingCalendar

GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("reviews", ("ktk_review",)),
    ("revisions", ("applicant_revision",)),
    ("state_registrations", ("state_registration",)),
    ("complaints", ("complaint_provider", "complaint_quality_body", "complaint_extension",
                    "complaint_extension_notice")),
    ("list_uploads", ("list_upload",)),
    ("sms", ("applicant_submission",)),
)
OTHER = "other"
GROUP_OF = {code: name for name, codes in GROUPS for code in codes}
BUCKETS = ("overdue", "today", "tomorrow", "week")
SCOPES = ("me", "team", "all")
WEEK_WORKING_DAYS = 5
TOP = 8


@dataclass(frozen=True)
class Window:
    today: date
    tomorrow: date  # the next working day
    week_end: date  # the 5th working day after today

    def bucket(self, due: date) -> str | None:
        if due < self.today:
            return "overdue"
        if due == self.today:
            return "today"
        if due <= self.tomorrow:
            return "tomorrow"
        if due <= self.week_end:
            return "week"
        return None

    def bounds(self, bucket: str | None) -> tuple[date | None, date]:
        """(after, up to) for one bucket, or the whole window when ``bucket`` is None."""
        if bucket == "overdue":
            return None, self.today - timedelta(days=1)
        if bucket == "today":
            return self.today - timedelta(days=1), self.today
        if bucket == "tomorrow":
            return self.today, self.tomorrow
        if bucket == "week":
            return self.tomorrow, self.week_end
        return None, self.week_end


def board_window(today: date, cal: WorkingCalendar) -> Window:
    return Window(today, cal.next_working_day(today), cal.add_working_days(today, WEEK_WORKING_DAYS))


def group_of(policy_code: str) -> str:
    return GROUP_OF.get(policy_code, OTHER)


@dataclass
class BoardItem:
    group: str
    policy: str
    bucket: str
    due_date: date
    subject: str  # application | complaint | batch | recipient
    subject_id: int
    title: str
    subtitle: str
    responsible: str | None
    days_wd: int
    days_cd: int

    @property
    def href(self) -> str:
        if self.subject == "application":
            return f"/applications/{self.subject_id}"
        if self.subject == "complaint":
            return f"/complaints/{self.subject_id}"
        if self.subject == "batch":
            return f"/lists/{self.subject_id}"
        return f"/recipients?id={self.subject_id}"


@dataclass
class Board:
    window: Window
    scope: str
    bucket: str | None
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # group -> bucket -> count
    items: dict[str, list[BoardItem]] = field(default_factory=dict)  # group -> the most urgent first

    def total(self, bucket: str) -> int:
        return sum(per.get(bucket, 0) for per in self.counts.values())

    def group_total(self, group: str) -> int:
        return sum(self.counts.get(group, {}).values())

    def groups(self) -> list[str]:
        names = [name for name, _codes in GROUPS]
        if self.counts.get(OTHER):
            names.append(OTHER)
        return names


# A running clock: neither stopped nor paused. Written as one expression, the condition of the
# partial indexes of migration 0005, so both databases read running clocks from them (SQLite's
# planner would otherwise take the stopped_at index, whose statistics promise a handful of rows
# for "stopped_at IS NULL" and deliver a hundred thousand).
RUNNING = func.coalesce(Clock.stopped_at, Clock.paused_since).is_(None)


Responsible = aliased(User)


@dataclass(frozen=True)
class _Subject:
    name: str
    model: type
    column: str  # the clock's column pointing at it


SUBJECTS = (
    _Subject("application", Application, "application_id"),
    _Subject("complaint", Complaint, "complaint_id"),
    _Subject("batch", ListBatch, "batch_id"),
    _Subject("recipient", Recipient, "recipient_id"),
)


def _team_ids(user: User):
    if user.department:
        return select(User.id).where(User.department == user.department)
    return None


def _scoped(stmt: Select, subject: _Subject, user: User, scope: str) -> Select | None:
    """``stmt`` (which joins the subject's table) limited to what the user may see in ``scope``;
    None when the scope has nothing of this subject."""
    if subject.name == "application":
        stmt = scope_applications(stmt, user)
        owner = Application.reviewer_id
    elif subject.name == "complaint":
        stmt = scope_complaints(stmt, user)
        owner = Complaint.responsible_id
    elif subject.name == "batch":
        return scope_batches(stmt, user) if scope == "all" else None
    else:
        return scope_recipients(stmt, user) if scope == "all" else None
    if scope == "me":
        return stmt.where(owner == user.id)
    if scope == "team":
        team = _team_ids(user)
        return stmt.where(owner.in_(team) if team is not None else owner == user.id)
    return stmt


def _open_due(stmt: Select, window: Window, bucket: str | None, *, lead: bool = True) -> Select:
    """Running clocks due in the window (or one bucket of it). ``lead=False`` keeps SQLite from
    starting at the clocks' due-date index, so a join starts from the scoped items instead."""
    after, upto = window.bounds(bucket)
    due = Clock.due_date if lead else unindexed(Clock.due_date)
    stmt = stmt.where(RUNNING, due <= upto)
    if after is not None:
        stmt = stmt.where(due > after)
    return stmt


def _mirror(stmt: Select, subject: _Subject, window: Window, bucket: str | None) -> Select:
    """Conditions on the item that a running clock in the window implies: applications and
    complaints mirror their earliest running clock's due date (``current_due_date``, kept by
    data.clocks) and are open while a clock runs. Stated, they let the database start from the
    item's own indexes, e.g. a reviewer's open applications due by the window's end
    (applications (reviewer_id, is_open, current_due_date)), instead of from every running
    clock."""
    if subject.name not in ("application", "complaint"):
        return stmt
    _after, upto = window.bounds(bucket)
    model = subject.model
    return stmt.where(model.is_open.is_(True), model.current_due_date <= upto)


def _join(stmt: Select, subject: _Subject) -> Select:
    return stmt.join(subject.model, subject.model.id == getattr(Clock, subject.column))


SCOPE_OF = {"application": scope_applications, "complaint": scope_complaints, "batch": scope_batches,
            "recipient": scope_recipients}


def unrestricted(subject: _Subject, user: User) -> bool:
    """True when data.access lets the user see every item of this kind (managers, admins; lists
    and recipients for staff): then the board needs no join to count them."""
    where = SCOPE_OF[subject.name](select(subject.model.id), user).whereclause
    return where is None or isinstance(where, True_) or isinstance(getattr(where, "element", None), True_)




def _add(counts: dict, seen: dict, window: Window, subject: str, code: str, due: date, n: int) -> None:
    which = window.bucket(due)
    if which is None:
        return
    per = counts.setdefault(group_of(code), {})
    per[which] = per.get(which, 0) + n
    seen.setdefault(subject, set()).add(code)


def _counts(session: Session, user: User, scope: str, window: Window,
            bucket: str | None) -> tuple[dict[str, dict[str, int]], dict[str, set[str]]]:
    """Counts per group and bucket, and the policy codes seen per kind of item.

    Kinds the user sees entirely are counted in one pass over the running clocks (the partial
    index ix_clocks_running_due answers it alone); the others join their items to apply the
    scope of data.access and the board's me/team choice."""
    counts: dict[str, dict[str, int]] = {}
    seen: dict[str, set[str]] = {}
    joined = []
    free = []
    for subject in SUBJECTS:
        if scope == "all" and unrestricted(subject, user):
            free.append(subject)
        else:
            joined.append(subject)
    if free:
        flags = [getattr(Clock, subject.column).is_not(None) for subject in SUBJECTS]
        stmt = _open_due(select(Clock.policy_code, Clock.due_date, *flags, func.count()), window, bucket)
        stmt = stmt.group_by(Clock.policy_code, Clock.due_date, *flags)
        wanted = {subject.name for subject in free}
        for code, due, *rest in session.execute(stmt):
            *present, n = rest
            for subject, has in zip(SUBJECTS, present):
                if has and subject.name in wanted:
                    _add(counts, seen, window, subject.name, code, due, n)
    for subject in joined:
        stmt = _join(select(Clock.policy_code, Clock.due_date, func.count()).select_from(Clock), subject)
        stmt = _open_due(stmt, window, bucket, lead=False)
        stmt = _scoped(_mirror(stmt, subject, window, bucket), subject, user, scope)
        if stmt is None:
            continue
        stmt = stmt.group_by(Clock.policy_code, Clock.due_date)
        for code, due, n in session.execute(stmt):
            _add(counts, seen, window, subject.name, code, due, n)
    return counts, seen


def _item_columns(subject: _Subject):
    if subject.name == "application":
        return (Application.registration_number, Application.applicant_name, Responsible.full_name), \
            Application.reviewer_id
    if subject.name == "complaint":
        return (Complaint.complainant_name, Complaint.subject, Responsible.full_name), Complaint.responsible_id
    if subject.name == "batch":
        return (ListBatch.file_name, Akimat.name_kk, Akimat.name_ru), ListBatch.akimat_id
    return (Recipient.full_name, Akimat.name_kk, Akimat.name_ru), Recipient.akimat_id


def _top(session: Session, user: User, scope: str, window: Window, bucket: str | None, subject: _Subject,
         codes: list[str], cal: WorkingCalendar, lang: str, top: int) -> list[BoardItem]:
    """The ``top`` earliest-due items of each group among ``codes``: one query per group (a
    group's codes together), walking the running clocks in due-date order."""
    columns, link = _item_columns(subject)
    subject_id = getattr(Clock, subject.column)
    by_group: dict[str, list[str]] = {}
    for code in codes:
        by_group.setdefault(group_of(code), []).append(code)
    items: list[BoardItem] = []
    for group_codes in by_group.values():
        stmt = _join(select(Clock.id, Clock.policy_code, Clock.due_date, subject_id, *columns).select_from(Clock),
                     subject)
        if subject.name in ("application", "complaint"):
            stmt = stmt.outerjoin(Responsible, Responsible.id == link)
        else:
            stmt = stmt.outerjoin(Akimat, Akimat.id == link)
        stmt = _open_due(stmt.where(Clock.policy_code.in_(group_codes)), window, bucket)
        stmt = _scoped(_mirror(stmt, subject, window, bucket), subject, user, scope)
        if stmt is None:
            return []
        stmt = stmt.order_by(Clock.due_date, subject_id, Clock.policy_code).limit(top)
        for _clock_id, policy, due, ident, a, b, c in session.execute(stmt):
            which = window.bucket(due)
            if which is None:
                continue
            working = workday_counter(cal).between(window.today, due)
            if subject.name == "application":
                title, subtitle, responsible = a or f"#{ident}", b or "", c
            elif subject.name == "complaint":
                title, subtitle, responsible = f"№{ident}", a or "", c
            else:
                title, subtitle, responsible = a or f"#{ident}", (c if lang == "ru" else b) or "", None
            items.append(BoardItem(group_of(policy), policy, which, due, subject.name, ident, title, subtitle,
                                   responsible, working, (due - window.today).days))
    return items


def deadline_board(session: Session, user: User, scope: str, today: date, cal: WorkingCalendar, *,
                   bucket: str | None = None, lang: str = "kk", top: int = TOP) -> Board:
    """Counts per group and bucket, and each group's ``top`` most urgent items (earliest due
    first), for ``scope`` (me | team | all) and optionally one ``bucket``."""
    if scope not in SCOPES:
        scope = "all"
    if bucket not in BUCKETS:
        bucket = None
    window = board_window(today, cal)
    board = Board(window, scope, bucket)
    board.counts, seen = _counts(session, user, scope, window, bucket)
    for subject in SUBJECTS:
        codes = sorted(seen.get(subject.name, ()))
        if not codes:
            continue
        for item in _top(session, user, scope, window, bucket, subject, codes, cal, lang, top):
            board.items.setdefault(item.group, []).append(item)
    for group, items in board.items.items():
        items.sort(key=lambda i: (i.due_date, i.subject, i.subject_id, i.policy))
        del items[top:]
    return board

