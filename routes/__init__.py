"""Plain Flask routes beside the Dash app: sign-in, language, health, uploads, downloads.

Every module here that defines ``register(server)`` is registered by app.py.
"""
from __future__ import annotations

import importlib
import pkgutil

from flask import Flask


def register_all(server: Flask) -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        hook = getattr(module, "register", None)
        if callable(hook):
            hook(server)
