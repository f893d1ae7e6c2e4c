"""Per-request context for layouts and callbacks: the language, the database session."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

import flask
from flask_login import current_user as _login_user
from sqlalchemy.orm import Session
from werkzeug.exceptions import Forbidden

from data.access import can
from data.config import LOCAL_TZ
from data.db import session_scope
from data.i18n import DEFAULT_LANG, normalize_lang
from data.models import User

LANG_COOKIE = "lang"


def current_user() -> User | None:
    """The signed-in user's row (a detached snapshot), or None."""
    if not flask.has_request_context() or not _login_user.is_authenticated:
        return None
    return _login_user.row


def current_lang() -> str:
    """The signed-in user's language, else the cookie, else Kazakh."""
    if not flask.has_request_context():
        return DEFAULT_LANG
    cookie = flask.request.cookies.get(LANG_COOKIE)
    if cookie:
        return normalize_lang(cookie)
    user = current_user()
    return normalize_lang(user.lang if user else DEFAULT_LANG)


def require(permission: str) -> User:
    """The current user when they hold ``permission``; else the request is refused (403).

    Every callback that reads or changes protected data calls this first: a Dash callback
    endpoint can be posted to directly, so the layout hiding a button proves nothing.
    """
    user = current_user()
    if not can(user, permission):
        raise Forbidden()
    return user


def today_local() -> date:
    return datetime.now(LOCAL_TZ).date()


@contextmanager
def db() -> Iterator[Session]:
    with session_scope() as session:
        yield session
