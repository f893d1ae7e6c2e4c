"""Dash callbacks: read inputs, call ``data/``, shape outputs.

``register_all()`` imports every module of this package, which registers its callbacks.
"""
from __future__ import annotations

import importlib
import pkgutil


def register_all() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        importlib.import_module(f"{__name__}.{info.name}")
