"""Signing in, for tests, in the three ways the test modules need:

- ``signed_in(user, lang)``: a Flask test request with ``user`` logged in, for callbacks called
  directly (as Dash would call them on ``/_dash-update-component``);
- ``session_sign_in(client, user, lang)``: a test client whose session already holds a fresh
  sign-in (what Flask-Login keeps after /login), without going through the form;
- ``form_sign_in(client, username, password, ...)``: the real /login form (CSRF token, password
  check, lockout, the sign-in audit row).
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

from data.models import User


@contextmanager
def signed_in(user: User, lang: str = "kk", *, path: str = "/_dash-update-component", method: str = "POST",
              remote_addr: str | None = None) -> Iterator[None]:
    """A test request to ``path`` (a Dash callback's POST unless told) with ``user`` logged in and the
    ``lang`` cookie set; ``remote_addr`` is the caller's address when a test needs a known one."""
    import flask_login

    import app as app_module
    from routes.auth import WebUser

    extra = {"environ_base": {"REMOTE_ADDR": remote_addr}} if remote_addr is not None else {}
    with app_module.server.test_request_context(path, method=method, headers={"Cookie": f"lang={lang}"},
                                                **extra):
        flask_login.login_user(WebUser(user))
        yield


def session_sign_in(client, user: User | int, lang: str = "kk"):
    """Mark ``client``'s session as signed in as ``user`` (a User or its id), language ``lang``."""
    user_id = user if isinstance(user, int) else user.id
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
        session["seen"] = int(time.time())
    client.set_cookie("lang", lang)
    return client


def csrf_of(html: str) -> str:
    """The CSRF token of the sign-in form in ``html``."""
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def form_sign_in(client, username: str, password: str, *, lang: str | None = None,
                 remote_addr: str | None = None):
    """Post the /login form as a browser would (its CSRF token first); the response."""
    if lang is not None:
        client.set_cookie("lang", lang)
    token = csrf_of(client.get("/login").get_data(as_text=True))
    extra = {"environ_base": {"REMOTE_ADDR": remote_addr}} if remote_addr is not None else {}
    return client.post("/login", data={"csrf": token, "username": username, "password": password, "next": "/"},
                       **extra)
