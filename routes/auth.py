"""Sign-in and sign-out, the gate in front of every page, callback and file route."""
from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict, deque
from datetime import timedelta

from flask import Flask, abort, jsonify, redirect, render_template, request, session as web_session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user

from data import audit
from data.auth import authenticate
from data.db import session_scope
from data.i18n import normalize_lang, t
from data.models import User

# Served without a signed-in user: the sign-in form and the load balancer probe (exact paths),
# the CSS the sign-in page uses and its language switch (prefixes). Nothing else, not even the
# Dash index or its scripts: they would tell an outsider nothing useful, but need not be served.
PUBLIC_PATHS = frozenset({"/login", "/healthz"})
PUBLIC_PREFIXES = ("/assets/", "/lang/")
IDLE_TIMEOUT = timedelta(minutes=30)
IP_WINDOW_SECONDS = 300
IP_MAX_ATTEMPTS = 20

login_manager = LoginManager()


class WebUser:
    """What Flask-Login keeps for a signed-in user (a detached snapshot of the row)."""

    def __init__(self, user: User) -> None:
        self.row = user
        self.id = user.id
        self.role = user.role
        self.lang = user.lang
        self.is_active = user.is_active
        self.is_authenticated = True
        self.is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)


@login_manager.user_loader
def _load(user_id: str):
    if not user_id.isdigit():
        return None
    with session_scope() as s:
        user = s.get(User, int(user_id))
        if user is None or not user.is_active:
            return None
        s.expunge(user)
    return WebUser(user)


class _IpLimiter:
    """At most IP_MAX_ATTEMPTS failed sign-ins per address per window (per process).

    Only failures count: a whole office behind one address signing in at 09:30 is not an attack,
    a stream of wrong passwords is."""

    def __init__(self) -> None:
        self._hits: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def _prune(self, hits: deque, now: float) -> None:
        while hits and now - hits[0] > IP_WINDOW_SECONDS:
            hits.popleft()

    def allow(self, ip: str) -> bool:
        with self._lock:
            hits = self._hits[ip]
            self._prune(hits, time.monotonic())
            return len(hits) < IP_MAX_ATTEMPTS

    def failed(self, ip: str) -> None:
        now = time.monotonic()
        with self._lock:
            hits = self._hits[ip]
            self._prune(hits, now)
            hits.append(now)


limiter = _IpLimiter()


def _lang() -> str:
    return normalize_lang(request.cookies.get("lang"))


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def gate():
    """before_request: nothing but the public paths is served without a signed-in user."""
    path = request.path
    if path in PUBLIC_PATHS or any(path.startswith(prefix) for prefix in PUBLIC_PREFIXES):
        return None
    if current_user.is_authenticated:
        last = web_session.get("seen")
        now = int(time.time())
        if last and now - last > IDLE_TIMEOUT.total_seconds():
            logout_user()
            web_session.clear()
        else:
            web_session["seen"] = now
            return None
    if path.startswith("/_dash-") or request.method != "GET" or path.startswith("/files/"):
        return jsonify({"error": "authentication required"}), 401
    return redirect(url_for("login", next=request.full_path.rstrip("?")))


def login():
    lang = _lang()
    if request.method == "GET":
        # Keep the session's token: a browser's own request for /favicon.ico is redirected here too and
        # must not replace the token of the form already on screen (that sign-in would get a 400).
        # (Only a new session is written: re-sending the cookie could also undo a sign-in made meanwhile.)
        if "csrf" not in web_session:
            web_session["csrf"] = secrets.token_urlsafe(32)
        return render_template("login.html", t=t, lang=lang, csrf=web_session["csrf"], error=None,
                               next=_safe_next(request.args.get("next")), username="")
    token = request.form.get("csrf", "")
    expected = web_session.pop("csrf", None)
    if not expected or not secrets.compare_digest(token, expected):
        abort(400)
    username = request.form.get("username", "")[:64]
    ip = request.remote_addr or ""
    web_session["csrf"] = secrets.token_urlsafe(32)
    if not limiter.allow(ip):
        return render_template("login.html", t=t, lang=lang, csrf=web_session["csrf"],
                               error=t("login.too_many", lang), next=_safe_next(request.form.get("next")),
                               username=username), 429
    chosen_lang = request.cookies.get("lang")
    with session_scope() as s:
        result = authenticate(s, username, request.form.get("password", "")[:256], ip=ip)
        user = result.user
        if user is not None:
            if chosen_lang in ("kk", "ru"):
                user.lang = chosen_lang  # the language picked on the sign-in page is remembered
            s.flush()
            s.expunge(user)
    if user is None:
        limiter.failed(ip)
        key = "login.locked" if result.error == "locked" else "login.bad_credentials"
        return render_template("login.html", t=t, lang=lang, csrf=web_session["csrf"], error=t(key, lang),
                               next=_safe_next(request.form.get("next")), username=username), 401
    web_session.clear()
    login_user(WebUser(user))
    web_session.permanent = True
    web_session["seen"] = int(time.time())
    response = redirect(_safe_next(request.form.get("next")))
    response.set_cookie("lang", user.lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def logout():
    if current_user.is_authenticated:
        with session_scope() as s:
            audit.record(s, "sign_out", actor=s.get(User, current_user.id), ip=request.remote_addr)
    logout_user()
    web_session.clear()
    return redirect(url_for("login"))


def register(server: Flask) -> None:
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
    )
    login_manager.init_app(server)
    server.before_request(gate)
    server.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", logout, methods=["GET", "POST"])

    @server.after_request
    def _secure_cookies(response):
        if request.is_secure:
            server.config["SESSION_COOKIE_SECURE"] = True
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
