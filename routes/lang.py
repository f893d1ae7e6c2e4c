"""The language switch: remembered in a cookie and, when signed in, on the user."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import Flask, redirect, request
from flask_login import current_user

from data.db import session_scope
from data.i18n import LANGS
from data.models import User

LANG_COOKIE = "lang"


def switch_language(lang: str):
    parsed = urlparse(request.referrer or "/")
    target = (parsed.path or "/") + (("?" + parsed.query) if parsed.query else "")
    response = redirect(target if target.startswith("/") and not target.startswith("//") else "/")
    if lang in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        if current_user.is_authenticated:
            with session_scope() as s:
                user = s.get(User, current_user.id)
                if user is not None:
                    user.lang = lang
    return response


def register(server: Flask) -> None:
    server.add_url_rule("/lang/<lang>", "switch_language", switch_language)
