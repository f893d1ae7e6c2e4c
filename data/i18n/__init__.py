"""The translation table: every user-facing string, in Kazakh (default) and Russian.

Strings live in the catalogue modules of this package, one per area, each a dict
``{key: {"kk": ..., "ru": ...}}``. ``t(key, lang, **params)`` formats with ``str.format``.
"""
from __future__ import annotations

import importlib
import pkgutil
from datetime import date, datetime
from functools import lru_cache
from typing import Any

LANGS = ("kk", "ru")
DEFAULT_LANG = "kk"


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        strings = getattr(module, "STRINGS", None)
        if not strings:
            continue
        for key, value in strings.items():
            if key in merged:
                raise RuntimeError(f"translation key {key!r} defined twice ({module_info.name})")
            merged[key] = value
    return merged


def normalize_lang(lang: str | None) -> str:
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str | None = DEFAULT_LANG, **params: Any) -> str:
    """The text for ``key`` in ``lang``; a missing key shows itself rather than crash."""
    entry = catalogue().get(key)
    if entry is None:
        return key
    text = entry.get(normalize_lang(lang)) or entry.get(DEFAULT_LANG) or key
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def fmt_date(value: date | datetime | None) -> str:
    """dd.mm.yyyy, the format both languages use."""
    if value is None:
        return ""
    return value.strftime("%d.%m.%Y")


def fmt_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%d.%m.%Y %H:%M")
