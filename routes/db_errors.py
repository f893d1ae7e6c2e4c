"""When the database goes away: a clear 503 answer instead of a stack trace, and nothing else.

Pages get a calm HTML page in the user's language (from the language cookie: the user's row is
in the database that is not answering), callbacks and other requests JSON with the same
message. Nothing is cached about the failure: the next request tries the database again
(PostgreSQL connections are pre-pinged), so the app recovers by itself when it is back.
A generic 500 handler for every other error lives in routes/errors.py; Flask picks the most
specific handler, so database outages are answered here.
"""
from __future__ import annotations

import logging

from flask import Flask, g, jsonify, request
from markupsafe import escape
from sqlalchemy import exc as sa_exc

from data.i18n import normalize_lang, t

log = logging.getLogger("ktk.web")

# Connection refused or dropped, server restarting, pool exhausted: the database is unavailable.
UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, sa_exc.DisconnectionError)
RETRY_AFTER_SECONDS = 30

PAGE = """<!doctype html>
<html lang="{lang}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="stylesheet" href="/assets/00_bootstrap.min.css">
  <link rel="stylesheet" href="/assets/10_app.css">
</head>
<body class="login-body">
  <main class="login-card card" style="max-width: 520px">
    <div class="card-body">
      <div class="login-brand">{brand}</div>
      <h1 class="h4 mb-3">{title}</h1>
      <div class="alert alert-warning" role="alert" id="db-unavailable">{text}</div>
      <a class="btn btn-primary" href="{again}">{retry}</a>
      <p class="text-muted small mt-3 mb-0">{request_label}: <code>{request_id}</code></p>
    </div>
  </main>
</body>
</html>
"""


def _lang() -> str:
    return normalize_lang(request.cookies.get("lang"))


def wants_json() -> bool:
    """Callbacks, uploads and JSON requests get JSON; page loads and form posts (sign-in) HTML."""
    if request.path.startswith("/_dash-") or request.is_json:
        return True
    if request.path.startswith("/files/") and request.method != "GET":
        return True
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def database_unavailable(error: Exception):
    lang = _lang()
    request_id = g.get("request_id", "")
    detail = str(getattr(error, "orig", None) or error).strip()
    log.error("database unavailable during %s %s: %s", request.method, request.path,
              detail.splitlines()[0][:300] if detail else type(error).__name__)
    title = t("hardening.db_down.title", lang)
    text = t("hardening.db_down.text", lang)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if wants_json():
        body = {"error": "database_unavailable", "title": title, "message": text, "request_id": request_id}
        return jsonify(body), 503, headers
    again = request.full_path.rstrip("?")
    html = PAGE.format(lang=lang, title=escape(title), brand=escape(t("app.brand", lang)), text=escape(text),
                       again=escape(again), retry=escape(t("hardening.db_down.retry", lang)),
                       request_label=escape(t("hardening.request_id", lang)), request_id=escape(request_id))
    headers["Content-Type"] = "text/html; charset=utf-8"
    return html, 503, headers


def register(server: Flask) -> None:
    for error_class in UNAVAILABLE:
        server.register_error_handler(error_class, database_unavailable)
