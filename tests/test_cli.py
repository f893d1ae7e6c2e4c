"""The stable command line, run as operators run it: `flask --app app ...` in a subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def flask(url: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=url)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def migrated(scratch_db_url) -> str:
    result = flask(scratch_db_url, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    return scratch_db_url


def test_unmigrated_database_is_refused_with_a_clear_message(scratch_db_url):
    result = flask(scratch_db_url, "deadline", "ktk_review", "2026-03-06T20:00", "--lang", "ru")
    assert result.returncode != 0
    assert "flask --app app db upgrade" in result.stderr
    assert "База данных не обновлена" in result.stderr


def test_deadline_json_and_calendar_overrides(migrated):
    result = flask(migrated, "deadline", "ktk_review", "2026-03-06T20:00", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["registered"] == "2026-03-10"
    assert data["due"] == "2026-03-26"
    assert "26.03.2026" in data["explanation"]

    # Complaint registered Wed 06.05.2026 10:00 -> 5th working day Fri 15.05.2026.
    result = flask(migrated, "deadline", "complaint_provider", "2026-05-06T10:00")
    assert result.stdout.splitlines()[0] == "2026-05-15"

    # An admin declares Wed 13.05.2026 a day off: the same complaint is now due Mon 18.05.
    result = flask(migrated, "calendar", "add-holiday", "2026-05-13", "--name", "Test decree")
    assert result.returncode == 0, result.stderr
    result = flask(migrated, "deadline", "complaint_provider", "2026-05-06T10:00", "--json")
    assert json.loads(result.stdout)["due"] == "2026-05-18"

    # And declares Sat 16.05.2026 a working day: the 5th working day is now that Saturday.
    assert flask(migrated, "calendar", "add-workday", "2026-05-16").returncode == 0
    result = flask(migrated, "deadline", "complaint_provider", "2026-05-06T10:00", "--json")
    assert json.loads(result.stdout)["due"] == "2026-05-16"

    listing = flask(migrated, "calendar", "list", "--year", "2026")
    assert "2026-05-13\tholiday\tTest decree" in listing.stdout
    assert "2026-05-16\tworkday" in listing.stdout
    assert flask(migrated, "calendar", "remove", "2026-05-16").returncode == 0
    result = flask(migrated, "deadline", "complaint_provider", "2026-05-06T10:00", "--json")
    assert json.loads(result.stdout)["due"] == "2026-05-18"


def test_every_policy_answers(migrated):
    from data.policies import CATALOGUE

    for policy in CATALOGUE:
        args = ["deadline", policy.code, "2026-04-01T11:00", "--json"]
        if policy.unit == "set":
            args += ["--due", "2026-04-12"]  # a Sunday: rolls to Monday 13.04
        result = flask(migrated, *args)
        assert result.returncode == 0, (policy.code, result.stderr)
        data = json.loads(result.stdout)
        assert data["due"] and data["registered"] == "2026-04-01"
        if policy.unit == "set":
            assert data["due"] == "2026-04-13"


def test_wrong_policy_code_and_date_are_clear_errors(migrated):
    result = flask(migrated, "deadline", "ktk_reveiw", "2026-03-06")
    assert result.returncode != 0
    assert "ktk_reveiw" in result.stderr and "ktk_review" in result.stderr
    result = flask(migrated, "deadline", "ktk_review", "06/03/2026", "--lang", "ru")
    assert result.returncode != 0
    assert "Неверная дата «06/03/2026»" in result.stderr
    result = flask(migrated, "deadline", "otbasy_queue_registration", "2026-03-06", "--variant", "vip")
    assert result.returncode != 0 and "emergency" in result.stderr
