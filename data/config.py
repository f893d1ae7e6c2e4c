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


# -- the production profile ------------------------------------------------------------------
# KTK_ENV=production: several gunicorn workers behind the load balancer, the scheduler in its
# own process (python -m jobs), PostgreSQL. The app refuses to start on settings that are only
# good for a laptop: a missing, short or well-known secret key, or a database that is not
# PostgreSQL (SQLite cannot serve several processes writing at once).
MIN_SECRET_LENGTH = 32
KNOWN_SECRETS = frozenset({
    "dev", "development", "secret", "secret-key", "secret_key", "secretkey", "changeme", "change-me",
    "change_me", "default", "ktk", "ktk-secret", "password", "test", "testing", "please-change-me",
    "replace-me", "your-secret-key", "super-secret-key", "flask-secret-key",
})


class ConfigError(RuntimeError):
    """A setting the process cannot run with; the message says which and what to do."""


def environment() -> str:
    return os.environ.get("KTK_ENV", "").strip().lower() or "development"


def is_production() -> bool:
    return environment() == "production"


def secret_key_problem(value: str | None) -> str | None:
    """Why ``value`` is not a production secret key (None when it is acceptable)."""
    value = (value or "").strip()
    if not value:
        return "KTK_SECRET_KEY is not set"
    if value.lower() in KNOWN_SECRETS or len(set(value)) < 8:
        return "KTK_SECRET_KEY is a well-known or trivial value"
    if len(value) < MIN_SECRET_LENGTH:
        return f"KTK_SECRET_KEY is shorter than {MIN_SECRET_LENGTH} characters"
    return None


def secret_key() -> str:
    """The Flask secret key. Production needs a real one from the environment; elsewhere a
    missing key means a random one per start (sessions do not survive a restart)."""
    value = os.environ.get("KTK_SECRET_KEY", "").strip()
    if is_production():
        problem = secret_key_problem(value)
        if problem:
            raise ConfigError(f"{problem}: production (KTK_ENV=production) refuses to start. "
                              "Generate one with: python -c 'import secrets; print(secrets.token_hex(32))'")
        return value
    if value:
        return value
    import secrets

    return secrets.token_hex(32)


def check_production_settings() -> None:
    """Raise ConfigError when KTK_ENV=production and the settings are not fit for it."""
    if not is_production():
        return
    secret_key()
    url = database_url()
    if not url.startswith("postgresql"):
        raise ConfigError("DATABASE_URL must name PostgreSQL in production (KTK_ENV=production); "
                          f"it is {url.split(':', 1)[0]!r}")


def proxy_hops() -> int:
    """How many reverse proxies (load balancers) set X-Forwarded-For/-Proto in front of the app:
    KTK_PROXY_HOPS, default 1 in production (the load balancer), 0 elsewhere."""
    raw = os.environ.get("KTK_PROXY_HOPS", "").strip()
    if not raw:
        return 1 if is_production() else 0
    try:
        hops = int(raw)
    except ValueError as exc:
        raise ConfigError(f"KTK_PROXY_HOPS must be a whole number, not {raw!r}") from exc
    if hops < 0:
        raise ConfigError(f"KTK_PROXY_HOPS must not be negative, not {raw!r}")
    return hops


def json_logging() -> bool:
    """Log JSON lines (one object a line): in production, or with KTK_LOG_JSON=1."""
    flag = os.environ.get("KTK_LOG_JSON", "").strip().lower()
    if flag in ("0", "false", "no", "off"):
        return False
    return is_production() or flag in ("1", "true", "yes", "on")
