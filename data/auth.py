"""Staff accounts: the password rule (seed 003), argon2 hashes, sign-in with lockout.

Five wrong passwords in a row lock the account for ``LOCKOUT``; while locked every attempt is
refused, the right password included, and counts as another failure in the audit trail.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data import audit
from data.errors import DomainError
from data.models import Akimat, User, utcnow
from data.models.user import ROLES

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

_hasher = PasswordHasher()
# A hash to verify against when the user does not exist, so timing does not tell.
_DUMMY_HASH = _hasher.hash("not-a-real-password-Aa1!")


def password_problems(password: str) -> list[str]:
    """The rules of seed 003 that ``password`` breaks (codes), empty when it is acceptable."""
    problems = []
    if len(password) < 8:
        problems.append("length")
    if not re.search(r"[a-zа-яәғқңөұүһі]", password):
        problems.append("lower")
    if not re.search(r"[A-ZА-ЯӘҒҚҢӨҰҮҺІ]", password):
        problems.append("upper")
    if not re.search(r"\d", password):
        problems.append("digit")
    if not re.search(r"[^\w\s]|_", password):
        problems.append("symbol")
    if len(password) > 128:
        problems.append("too_long")
    return problems


def check_password_rule(password: str) -> None:
    problems = password_problems(password or "")
    if problems:
        raise DomainError("weak_password", problems=problems)


def hash_password(password: str) -> str:
    check_password_rule(password)
    return _hasher.hash(password)


def create_user(session: Session, username: str, full_name: str, role: str, password: str, *,
                akimat_kato: str | None = None, department: str | None = None, lang: str = "kk",
                actor: User | None = None) -> User:
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        raise DomainError("invalid_field", field="username", reason_key="username_format")
    if role not in ROLES:
        raise DomainError("invalid_field", field="role", reason_key="not_in_list")
    if session.scalar(select(func.count()).select_from(User).where(User.username == username)):
        raise DomainError("user_exists", username=username)
    full_name = (full_name or "").strip()
    if not full_name or len(full_name) > 200:
        raise DomainError("invalid_field", field="full_name", reason_key="too_long", limit=200)
    akimat_id = None
    if role == "akimat":
        akimat = session.scalar(select(Akimat).where(Akimat.kato == (akimat_kato or "")))
        if akimat is None:
            raise DomainError("unknown_akimat", kato=akimat_kato or "")
        akimat_id = akimat.id
    user = User(username=username, full_name=full_name, role=role, akimat_id=akimat_id,
                department=department, lang=lang if lang in ("kk", "ru") else "kk",
                password_hash=hash_password(password))
    session.add(user)
    session.flush()
    audit.record(session, "user_created", actor=actor, entity="user", entity_id=user.id,
                 after={"username": username, "role": role, "akimat_id": akimat_id})
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    if user is None:
        raise DomainError("unknown_user", username=username)
    return user


def set_password(session: Session, username: str, password: str, *, actor: User | None = None) -> User:
    user = get_user(session, username)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, "password_set", actor=actor, entity="user", entity_id=user.id)
    return user


def deactivate_user(session: Session, username: str, *, actor: User | None = None) -> User:
    user = get_user(session, username)
    user.is_active = False
    audit.record(session, "user_deactivated", actor=actor, entity="user", entity_id=user.id,
                 before={"is_active": True}, after={"is_active": False})
    return user


@dataclass
class SignIn:
    user: User | None
    error: str | None  # None | "bad_credentials" | "locked"


def authenticate(session: Session, username: str, password: str, *, ip: str | None = None,
                 now: datetime | None = None) -> SignIn:
    """Check a sign-in; records it (or the failure) in the audit trail. The caller commits."""
    now = now or utcnow()
    name = (username or "").strip().lower()[:64]
    user = session.scalar(select(User).where(User.username == name))
    if user is None or not user.is_active or not user.password_hash:
        _verify(_DUMMY_HASH, password)
        audit.record(session, "sign_in_failed", actor_name=name, detail=audit.message("audit.msg.sign_in.unknown_user"),
                     ip=ip)
        return SignIn(None, "bad_credentials")
    if user.locked_until is not None and user.locked_until > now:
        user.failed_logins += 1
        audit.record(session, "sign_in_failed", actor=user, detail=audit.message("audit.msg.sign_in.locked"), ip=ip)
        return SignIn(None, "locked")
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + LOCKOUT
        audit.record(session, "sign_in_failed", actor=user, ip=ip,
                     detail=audit.message("audit.msg.sign_in.wrong_password", attempt=user.failed_logins))
        return SignIn(None, "locked" if user.locked_until and user.locked_until > now else "bad_credentials")
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    audit.record(session, "sign_in", actor=user, ip=ip)
    return SignIn(user, None)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
