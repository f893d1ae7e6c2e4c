"""The WSGI entry point for production: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Only the Flask server (with the Dash app on it). No scheduler starts here: under gunicorn every
worker imports this module, and the jobs run in their own process (``python -m jobs``).
``app.main()`` (``python app.py``) is the only web entry that starts a scheduler.
"""
from __future__ import annotations

from app import server as app

application = app  # the name some WSGI servers look for

__all__ = ["app", "application"]
