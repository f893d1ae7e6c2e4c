"""Accounts: the password rule of seed 003, argon2, lockout after five failures, audit rows."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from data.access import can, mask_iin, scope_applications
from data.auth import MAX_FAILURES, authenticate, create_user, deactivate_user, password_problems, set_password
from data.errors import DomainError
from data.models import Application, User, utcnow
from data.models.audit import AuditEntry


@pytest.mark.parametrize("password,problems", [
    ("Aa1!aaaa", []),
    ("Құпия-сөз1", []),                    # Kazakh letters count as letters
    ("Aa1!aaa", ["length"]),
    ("AA1!AAAA", ["lower"]),
    ("aa1!aaaa", ["upper"]),
    ("Aa!aaaaa", ["digit"]),
    ("Aa1aaaaa", ["symbol"]),
    ("", ["length", "lower", "upper", "digit", "symbol"]),
])
def test_password_rule_of_seed_003(password, problems):
    assert password_problems(password) == problems


def test_weak_password_is_refused_with_the_rule_in_both_languages(session):
    with pytest.raises(DomainError) as excinfo:
        create_user(session, "weak.user", "Әлсіз Пайдаланушы", "reviewer", "password")
    assert "8" in excinfo.value.message("kk") and "спецсимвол" in excinfo.value.message("ru")
    assert session.scalar(select(User).where(User.username == "weak.user")) is None


def test_sign_in_and_lockout_after_five_failures(session):
    user = create_user(session, "aidana", "Айдана Серікқызы", "reviewer", "Strong-Pass1")
    assert user.password_hash.startswith("$argon2")
    assert authenticate(session, "aidana", "Strong-Pass1").user is not None
    now = utcnow()
    for attempt in range(1, MAX_FAILURES + 1):
        result = authenticate(session, "aidana", "wrong", now=now)
        assert result.user is None
    assert result.error == "locked"
    # The sixth attempt in a row is refused even with the right password...
    sixth = authenticate(session, "AIDANA ", "Strong-Pass1", now=now + timedelta(minutes=1))
    assert sixth.user is None and sixth.error == "locked"
    # ...until the lockout period is over.
    assert authenticate(session, "aidana", "Strong-Pass1", now=now + timedelta(minutes=16)).user is not None
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == user.id)).all()
    assert actions.count("sign_in_failed") == MAX_FAILURES + 1 and actions.count("sign_in") == 2


def test_unknown_and_deactivated_users_cannot_sign_in(session):
    create_user(session, "gone", "Кеткен Қызметкер", "manager", "Strong-Pass1")
    deactivate_user(session, "gone")
    assert authenticate(session, "gone", "Strong-Pass1").error == "bad_credentials"
    assert authenticate(session, "nobody", "Strong-Pass1").error == "bad_credentials"
    set_password(session, "gone", "Other-Pass2")
    assert authenticate(session, "gone", "Other-Pass2").user is None  # still deactivated


def test_akimat_user_needs_a_known_akimat(session):
    with pytest.raises(DomainError) as excinfo:
        create_user(session, "akimat.x", "Әкімдік", "akimat", "Strong-Pass1", akimat_kato="999999999")
    assert excinfo.value.code == "unknown_akimat"
    user = create_user(session, "akimat.ast", "Астана әкімдігі", "akimat", "Strong-Pass1", akimat_kato="710000000")
    assert user.akimat.kato == "710000000"


def test_roles_and_masking(session):
    reviewer = User(username="r", full_name="R", role="reviewer", department="A")
    colleague = User(username="c", full_name="C", role="reviewer", department="A")
    stranger = User(username="s", full_name="S", role="reviewer", department="B")
    akimat = User(username="a", full_name="A", role="akimat")
    session.add_all([reviewer, colleague, stranger, akimat])
    session.flush()
    apps = [Application(kind="rent_to_own", status="under_review", applicant_name=n, reviewer_id=rid)
            for n, rid in (("own", reviewer.id), ("colleague", colleague.id), ("stranger", stranger.id),
                           ("unassigned", None))]
    session.add_all(apps)
    session.flush()
    ids = {a.id for a in apps}
    seen = {a.applicant_name for a in session.scalars(scope_applications(select(Application), reviewer))
            if a.id in ids}
    assert seen == {"own", "colleague", "unassigned"}
    assert not list(session.scalars(scope_applications(select(Application), akimat)))
    assert can(reviewer, "applications.act") and not can(akimat, "applications.read")
    assert mask_iin("900101300123") == "90********23"


def test_audit_rows_cannot_be_updated_or_deleted(session):
    from sqlalchemy import delete, update
    from sqlalchemy.exc import DatabaseError

    from data import audit

    entry = audit.record(session, "export", actor_name="manager01", detail="register extract")
    for statement in (update(AuditEntry).where(AuditEntry.id == entry.id).values(detail="edited"),
                      delete(AuditEntry).where(AuditEntry.id == entry.id)):
        nested = session.begin_nested()
        with pytest.raises(DatabaseError) as excinfo:
            session.execute(statement)
        assert "append-only" in str(excinfo.value)
        nested.rollback()
    assert session.get(AuditEntry, entry.id).detail == "register extract"


def test_the_address_limiter_counts_failed_sign_ins_only(monkeypatch):
    import routes.auth as auth_routes

    monkeypatch.setattr(auth_routes, "IP_MAX_ATTEMPTS", 3)
    limiter = auth_routes._IpLimiter()
    for _ in range(50):  # an office behind one address signing in: never refused
        assert limiter.allow("10.0.0.1")
    for _ in range(3):
        limiter.failed("10.0.0.1")
    assert not limiter.allow("10.0.0.1")
    assert limiter.allow("10.0.0.2")  # another address is not affected
    monkeypatch.setattr(auth_routes, "IP_WINDOW_SECONDS", -1)  # the window has passed
    assert limiter.allow("10.0.0.1")
