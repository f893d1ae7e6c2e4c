"""Logging as JSON lines (one JSON object a line) for production log collectors.

Enabled when KTK_ENV=production or KTK_LOG_JSON=1 (``data.config.json_logging``); otherwise the
plain text format of the development run stays. Every line has ``time`` (UTC, ISO 8601 with
milliseconds), ``level``, ``logger``, ``message``; within a web request also ``request_id``
(the load balancer's X-Request-Id, else a fresh one, echoed in the response header), and
``incident_id`` when the record or the request carries one; ``exc`` holds a traceback.
gunicorn's access log goes through the same formatter (see gunicorn.conf.py) with the request's
method, path, status, bytes, duration and address as fields of their own.
"""
from __future__ import annotations

import json
import logging
import os
import re
import sys
import uuid
from datetime import datetime, timezone
from typing import Any

from data.config import json_logging

REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Attributes every LogRecord has; anything else was passed with ``extra=`` and is kept.
_STANDARD = frozenset(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))) | {"message", "asctime"}


def _request_context() -> dict[str, Any]:
    """request_id / incident_id of the current Flask request, if there is one."""
    flask = sys.modules.get("flask")
    if flask is None:
        return {}
    try:
        if not flask.has_request_context():
            return {}
        g = flask.g
        out = {}
        for key in ("request_id", "incident_id"):
            value = g.get(key)
            if value:
                out[key] = value
        return out
    except Exception:  # noqa: BLE001 - logging must never fail because of the context
        return {}


def _access_fields(atoms: dict[str, Any]) -> dict[str, Any]:
    """The fields of a gunicorn access log record (its ``args`` are gunicorn's atoms)."""

    def atom(key: str) -> Any:
        value = atoms.get(key)
        return None if value in (None, "-") else value

    fields: dict[str, Any] = {
        "remote_addr": atom("h"), "method": atom("m"), "path": atom("U"), "query": atom("q"),
        "status": atom("s"), "bytes": atom("B"), "user_agent": atom("a"), "referer": atom("f"),
    }
    duration = atom("D")  # microseconds
    if duration is not None:
        try:
            fields["duration_ms"] = round(int(duration) / 1000, 1)
        except (TypeError, ValueError):
            pass
    for key, name in (("status", "status"), ("bytes", "bytes")):
        try:
            fields[name] = int(fields[key]) if fields[key] is not None else None
        except (TypeError, ValueError):
            pass
    request_id = atoms.get("{x-request-id}o") or atoms.get("{x-request-id}i")
    if request_id and request_id != "-":
        fields["request_id"] = request_id
    return {key: value for key, value in fields.items() if value is not None}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, context and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        access = record.name == "gunicorn.access" and isinstance(record.args, dict)
        if access:
            atoms = record.args
            message = f'{atoms.get("m", "-")} {atoms.get("U", "-")} {atoms.get("s", "-")}'
        else:
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 - a bad format string must not lose the line
                message = f"{record.msg!r} % {record.args!r}"
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        entry.update(_request_context())
        if access:
            entry.update(_access_fields(record.args))
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        entry["pid"] = record.process
        return json.dumps(entry, ensure_ascii=False, default=str)


def make_handler(stream=None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if json_logging() else logging.Formatter(PLAIN_FORMAT))
    return handler


_MARK = "_ktk_handler"


def configure_logging(level: str | int | None = None, stream=None) -> bool:
    """Install the root handler (JSON lines when enabled); returns whether JSON is on.

    Idempotent: a second call replaces the handler installed by the first. Other handlers (e.g.
    pytest's) are left alone. In plain mode nothing is installed unless nothing else logs.
    """
    root = logging.getLogger()
    level = level or os.environ.get("KTK_LOG_LEVEL", "INFO").upper()
    enabled = json_logging()
    for handler in list(root.handlers):
        if getattr(handler, _MARK, False):
            root.removeHandler(handler)
    already_json = any(isinstance(h.formatter, JsonFormatter) for h in root.handlers)  # e.g. gunicorn's
    if (enabled and not already_json) or not root.handlers:
        handler = make_handler(stream)
        setattr(handler, _MARK, True)
        root.addHandler(handler)
        root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its plugin set-up chatter on every start
    if enabled:
        # Werkzeug's own request lines are text; the JSON access log is gunicorn's.
        logging.getLogger("werkzeug").propagate = True
    return enabled


def gunicorn_logconfig(level: str = "INFO") -> dict[str, Any]:
    """logging.config dict for gunicorn.conf.py: its error and access logs as JSON lines."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "data.logging_setup.JsonFormatter"}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
            "stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        },
    }


def new_request_id(incoming: str | None) -> str:
    """The load balancer's request id when it looks like one, else a fresh one."""
    if incoming and _REQUEST_ID_RE.match(incoming):
        return incoming
    return uuid.uuid4().hex


def install_request_ids(server) -> None:
    """Give every Flask request an id (flask.g.request_id), echoed as X-Request-Id."""
    import flask

    @server.before_request
    def _assign_request_id():
        flask.g.request_id = new_request_id(flask.request.headers.get(REQUEST_ID_HEADER))

    @server.after_request
    def _echo_request_id(response):
        request_id = flask.g.get("request_id")
        if request_id:
            response.headers.setdefault(REQUEST_ID_HEADER, request_id)
        return response
