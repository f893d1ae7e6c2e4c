"""Errors about a whole file (it cannot be read at all) and the limits against abuse."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from data.errors import DomainError
from data.i18n import t


class ImportFileError(DomainError):
    """The file cannot be loaded at all; the message (kk/ru) names the problem.

    Codes (stable): ``empty_file``, ``not_a_spreadsheet``, ``corrupt``, ``encrypted``,
    ``no_iin_column``, ``no_rows``, ``file_too_large``, ``too_many_rows``,
    ``unzipped_too_large``, ``compression_ratio``, ``too_many_members``, ``unknown_akimat``,
    ``load_failed``. Messages are ``import.file.<code>`` in data/i18n/imports.py.
    """

    def message(self, lang: str = "kk") -> str:
        return file_error_message(self.code, self.params, lang)


def file_error_message(code: str, params: dict[str, Any] | None, lang: str) -> str:
    shown = dict(params or {})
    for key in ("limit_bytes", "size_bytes", "unzipped_bytes"):
        if key in shown and isinstance(shown[key], (int, float)):
            shown[key.replace("_bytes", "_mb")] = f"{shown[key] / (1024 * 1024):,.1f}".replace(",", " ")
    return t(f"import.file.{code}", lang, **shown)


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass(frozen=True)
class Limits:
    """Limits against abuse; the defaults can be changed by environment variables."""

    max_bytes: int = 50 * 1024 * 1024  # the file as sent
    max_rows: int = 200_000  # non-empty data rows
    max_unzipped: int = 500 * 1024 * 1024  # all members of an xlsx, uncompressed
    max_ratio: int = 200  # uncompressed / compressed, for members larger than ratio_from
    ratio_from: int = 1024 * 1024
    max_members: int = 2000  # files inside an xlsx

    @classmethod
    def from_env(cls) -> "Limits":
        return cls(
            max_bytes=_env_int("KTK_IMPORT_MAX_BYTES", cls.max_bytes),
            max_rows=_env_int("KTK_IMPORT_MAX_ROWS", cls.max_rows),
            max_unzipped=_env_int("KTK_IMPORT_MAX_UNZIPPED", cls.max_unzipped),
            max_ratio=_env_int("KTK_IMPORT_MAX_RATIO", cls.max_ratio),
        )
