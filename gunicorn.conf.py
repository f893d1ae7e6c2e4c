"""gunicorn settings for the production web process: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Everything comes from the environment (see the README, "Production"):

- ``KTK_BIND`` (default ``0.0.0.0:8050``), ``KTK_WEB_WORKERS`` (default ``2 × CPUs + 1``, at most
  8), ``KTK_WEB_THREADS`` (default 4: Dash fires several callbacks per page at once),
  ``KTK_WEB_TIMEOUT`` seconds (default 120: the largest export and report callbacks), ``KTK_LOG_LEVEL``.
- Logs go to stderr (error log) and stdout (access log) as JSON lines when KTK_ENV=production or
  KTK_LOG_JSON=1, one object a line with the request's method, path, status, duration and id.

No scheduler runs in these workers: the jobs are a process of their own, ``python -m jobs``.
"""
from __future__ import annotations

import multiprocessing
import os

from data.config import json_logging
from data.logging_setup import gunicorn_logconfig


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return max(1, int(raw))
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None


bind = os.environ.get("KTK_BIND", "0.0.0.0:8050")
workers = _int("KTK_WEB_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8))
threads = _int("KTK_WEB_THREADS", 4)
worker_class = "gthread"
timeout = _int("KTK_WEB_TIMEOUT", 120)
graceful_timeout = 30
keepalive = 5
max_requests = _int("KTK_WEB_MAX_REQUESTS", 2000)  # recycle workers now and then
max_requests_jitter = 200
preload_app = False  # each worker imports the app itself: no engine or pool shared across fork
forwarded_allow_ips = os.environ.get("KTK_FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_protocol = False
control_socket_disable = True  # no runtime control socket in the home directory
limit_request_line = 8190
loglevel = os.environ.get("KTK_LOG_LEVEL", "info").lower()
errorlog = "-"
accesslog = "-"
# Kept short: the JSON formatter reads the request's fields from gunicorn's atoms, not this text.
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(D)sus %({x-request-id}o)s'
if json_logging():
    logconfig_dict = gunicorn_logconfig(os.environ.get("KTK_LOG_LEVEL", "INFO").upper())
