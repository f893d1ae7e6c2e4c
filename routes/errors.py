"""Safe error responses: no stack trace ever reaches a user.

- An unhandled exception (500): the traceback is logged (logger ``ktk.errors``) with a short
  incident id (uuid4 hex, 12 characters); the user gets only that id, in Kazakh or Russian: a
  small HTML page for page requests, JSON ``{"error": <message>, "incident": <id>}`` for the
  Dash endpoints (``/_dash-…``, e.g. a callback that raised) and the file routes (``/files/…``).
  ``assets/errors.js`` shows the JSON message in the page when a callback fails.
- 404 for paths that are not Dash pages (files, assets, unknown Dash resources): the same two
  shapes. Dash pages have their own "not found" layout (pages/not_found_404.py).
- Other HTTP errors (400, 401, 403, 405, 429, …) keep their own responses; so do exceptions
  with a handler of their own: Flask picks the most specific handler class, so e.g. the
  database-unavailable handler (OperationalError → 503) wins over this generic one.
"""
from __future__ import annotations

import logging
import uuid

from flask import Flask, Response, g, jsonify, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException, NotFound

from data.i18n import DEFAULT_LANG, normalize_lang, t

log = logging.getLogger("ktk.errors")

JSON_PREFIXES = ("/_dash-", "/files/")


def new_incident() -> str:
    return uuid.uuid4().hex[:12]


def wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES) or (
        request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json")


def error_lang() -> str:
    """The user's language without touching the database (which may be what failed)."""
    try:
        cookie = request.cookies.get("lang")
        if cookie:
            return normalize_lang(cookie)
        from flask_login import current_user

        row = getattr(current_user, "row", None) if current_user and current_user.is_authenticated else None
        return normalize_lang(getattr(row, "lang", None))
    except Exception:  # noqa: BLE001 - an error page must not fail on the language
        return DEFAULT_LANG


def html_page(title: str, text: str, lang: str, status: int, extra: str = "") -> Response:
    home = t("errorpage.home", lang)
    body = f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · ҚТК</title>
<link rel="stylesheet" href="/assets/00_bootstrap.min.css"><link rel="stylesheet" href="/assets/10_app.css">
<link rel="stylesheet" href="/assets/20_audit.css"></head>
<body><main class="error-page card"><div class="card-body p-4">
<h1 class="h4 mb-3">{escape(title)}</h1>
<p>{escape(text)}</p>{extra}
<p class="mb-0"><a class="btn btn-primary btn-sm" href="/">{escape(home)}</a></p>
</div></main></body></html>"""
    return Response(body, status=status, mimetype="text/html")


def internal_error(error: Exception):
    """Every exception without a handler of its own: log it with an id, show only the id."""
    if isinstance(error, HTTPException):
        return error  # 400/401/403/405/… keep their own response
    incident = new_incident()
    g.incident_id = incident  # the JSON log lines of this request carry it too
    log.error("incident %s: unhandled %s on %s %s", incident, type(error).__name__, request.method, request.path,
              exc_info=(type(error), error, error.__traceback__))
    lang = error_lang()
    if wants_json():
        return jsonify({"error": t("errorpage.short", lang, incident=incident), "incident": incident}), 500
    extra = f'<p class="text-muted">{escape(t("errorpage.incident", lang, incident=""))}' \
            f'<span class="incident">{escape(incident)}</span></p>'
    return html_page(t("errorpage.title", lang), t("errorpage.text", lang), lang, 500, extra)


def not_found(error: NotFound):
    lang = error_lang()
    if wants_json():
        return jsonify({"error": t("notfound.short", lang), "path": request.path[:200]}), 404
    return html_page(t("notfound.title", lang), t("notfound.text", lang), lang, 404)


def register(server: Flask) -> None:
    server.register_error_handler(Exception, internal_error)
    server.register_error_handler(404, not_found)
