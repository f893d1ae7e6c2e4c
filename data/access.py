"""Who may do what, and which rows each role sees. Every query that lists items goes through
the scope functions here, so no page can forget them.

- reviewer: their own queue and the applications of their department (and unassigned ones);
  acts on the applications assigned to them; complaints they are responsible for.
- manager: reads everything; assigns reviewers; reports.
- akimat: only their akimat's lists and recipients; no other personal data.
- admin: users, calendar, policies, jobs, audit; reads everything.
"""
from __future__ import annotations

from sqlalchemy import Select, false, or_, select, true

from data.models import Application, Complaint, ListBatch, Recipient, User

PERMISSIONS: dict[str, frozenset[str]] = {
    "reviewer": frozenset({"applications.read", "applications.act", "applications.create", "complaints.read",
                           "complaints.act", "lists.read", "recipients.read", "recipients.notify", "deadlines.read",
                           "iin.read", "reports.run", "overview.read"}),
    "manager": frozenset({"applications.read", "applications.assign", "complaints.read", "complaints.assign",
                          "lists.read", "recipients.read", "deadlines.read", "iin.read", "reports.run",
                          "overview.read"}),
    "akimat": frozenset({"lists.read", "lists.upload", "recipients.read", "iin.read"}),
    "admin": frozenset({"applications.read", "complaints.read", "lists.read", "lists.upload", "recipients.read",
                        "deadlines.read", "overview.read", "reports.run", "users.admin", "calendar.admin",
                        "policies.admin", "jobs.admin", "audit.read", "iin.reveal", "applications.create",
                        "complaints.act", "recipients.notify"}),
}

# IINs (personal data, seed 001 consent form) are shown in full ("iin.read") to the roles whose
# work needs them: reviewers (they check the applicant), managers (they answer for the cases and
# the exported reports) and akimat uploaders, who see only their own akimat's recipients, whose
# IINs they uploaded and must correct and resend. Admins run accounts, the calendar and the audit
# and do not need them: they see IINs masked and may reveal one item's ("iin.reveal"), which is
# written to the audit trail (action "iin_reveal").
IIN_FULL_ROLES = frozenset(role for role, granted in PERMISSIONS.items() if "iin.read" in granted)
IIN_REVEAL_ROLES = frozenset(role for role, granted in PERMISSIONS.items() if "iin.reveal" in granted)


def can(user: User | None, permission: str) -> bool:
    return user is not None and user.is_active and permission in PERMISSIONS.get(user.role, frozenset())


def mask_iin(value: str | None) -> str:
    """``900101300123`` → ``90********23``: enough to tell rows apart, not enough to identify."""
    if not value:
        return ""
    if len(value) < 6:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def scope_applications(query: Select, user: User) -> Select:
    if user.role in ("manager", "admin"):
        return query
    if user.role == "reviewer":
        colleagues = select(User.id).where(User.department == user.department) if user.department else None
        conditions = [Application.reviewer_id == user.id, Application.reviewer_id.is_(None)]
        if colleagues is not None:
            conditions.append(Application.reviewer_id.in_(colleagues))
        return query.where(or_(*conditions))
    return query.where(false())


def scope_complaints(query: Select, user: User) -> Select:
    if user.role in ("manager", "admin"):
        return query
    if user.role == "reviewer":
        # EXISTS on the complained-about application (found by its primary key) rather than
        # IN over every application of the department: one lookup per complaint row.
        # correlated to the complaint only: a query that itself joins applications (the overview
        # filtered by kind or akimat) must not correlate the inner applications away
        in_scope = scope_applications(select(Application.id).where(Application.id == Complaint.application_id),
                                      user).correlate(Complaint).exists()
        return query.where(or_(Complaint.responsible_id == user.id, Complaint.responsible_id.is_(None), in_scope))
    return query.where(false())


def scope_batches(query: Select, user: User) -> Select:
    if user.role == "akimat":
        return query.where(ListBatch.akimat_id == user.akimat_id) if user.akimat_id else query.where(false())
    return query.where(true()) if can(user, "lists.read") else query.where(false())


def scope_recipients(query: Select, user: User) -> Select:
    if user.role == "akimat":
        return query.where(Recipient.akimat_id == user.akimat_id) if user.akimat_id else query.where(false())
    return query if can(user, "recipients.read") else query.where(false())


def may_act_on(user: User, application: Application) -> bool:
    """A reviewer acts on what is assigned to them (or unassigned, taking it); nobody else changes status."""
    if not can(user, "applications.act"):
        return False
    return application.reviewer_id in (None, user.id)
