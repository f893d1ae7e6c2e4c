"""Flask CLI commands (``flask --app app ...``): thin wrappers over ``data/``.

Every module of this package that defines ``register(server)`` is registered.
"""
from __future__ import annotations

import importlib
import pkgutil

from flask import Flask


def register(server: Flask) -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        hook = getattr(module, "register", None)
        if callable(hook):
            hook(server)
