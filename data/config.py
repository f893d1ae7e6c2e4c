"""Settings read from the environment, with the embedded defaults."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("KTK_INSTANCE_DIR", PROJECT_ROOT / "instance"))

LOCAL_TZ = ZoneInfo("Asia/Almaty")


def default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'ktk.sqlite3'}"


def database_url() -> str:
    """The database named by DATABASE_URL, else the SQLite file under instance/."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return default_database_url()
    # Heroku-style URLs and bare "postgresql://" both go through psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _parse_hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class WorkingHours:
    """Working hours as the half-open local interval [opens, closes)."""

    opens: time = time(9, 30)
    closes: time = time(19, 0)

    @classmethod
    def from_env(cls) -> "WorkingHours":
        return cls(
            opens=_parse_hhmm(os.environ.get("KTK_WORK_OPENS", "09:30")),
            closes=_parse_hhmm(os.environ.get("KTK_WORK_CLOSES", "19:00")),
        )
