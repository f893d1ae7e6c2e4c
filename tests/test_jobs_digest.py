"""The morning digest: one per person per day, working days only, in the user's language, as an
in-app notification and an e-mail (an .eml file when SMTP is not configured)."""
from __future__ import annotations

import email
import email.policy
from datetime import date, datetime, timedelta

from sqlalchemy import select

from data.config import LOCAL_TZ
from data.models import Application, CalendarOverride, Complaint
from data.models.jobs import Notification
from jobs import digest
from jobs.digest import create_digests, deliver, dedup_key, send_digests
from tests.conftest import local
from tests.factories import user

TODAY = date(2026, 3, 20)  # Friday before Nauryz


def _app(session, reviewer, due, *, is_open=True, number=None):
    app = Application(kind="rent_to_own", status="under_review", is_open=is_open, applicant_name="Сейітова Дана",
                      reviewer_id=reviewer.id if reviewer else None, current_due_date=due,
                      current_policy="ktk_review", registration_number=number)
    session.add(app)
    return app


def _data(session):
    kk = user(session, "dg_rev_kk")
    ru = user(session, "dg_rev_ru")
    ru.lang = "ru"
    idle = user(session, "dg_rev_idle")
    gone = user(session, "dg_rev_gone")
    gone.is_active = False
    boss = user(session, "dg_boss", role="manager")
    boss.lang = "ru"
    for i in range(2):
        _app(session, kk, TODAY, number=f"ЖА-2026-{i:04d}")
    for days in (1, 6, 30):
        _app(session, kk, TODAY - timedelta(days=days))
    _app(session, kk, TODAY + timedelta(days=3))  # not yet
    _app(session, kk, TODAY - timedelta(days=9), is_open=False)  # closed
    _app(session, ru, TODAY - timedelta(days=1))
    _app(session, gone, TODAY)
    _app(session, None, TODAY - timedelta(days=2))  # unassigned: managers see it
    session.add(Complaint(complainant_name="Шағымданушы", channel="paper", level="provider", subject="с",
                          received_at=local(2026, 3, 10, 10), registration_date=date(2026, 3, 10),
                          responsible_id=kk.id, current_due_date=TODAY - timedelta(days=3)))
    session.flush()
    return kk, ru, idle, gone, boss


def _expected_counts(session, owner_id):
    """(due today, overdue) by plain Python over every open item in the database."""
    due = overdue = 0
    for model, owner in ((Application, "reviewer_id"), (Complaint, "responsible_id")):
        for item in session.scalars(select(model).where(model.is_open.is_(True))):
            if owner_id is not None and getattr(item, owner) != owner_id:
                continue
            if item.current_due_date == TODAY:
                due += 1
            elif item.current_due_date is not None and item.current_due_date < TODAY:
                overdue += 1
    return due, overdue


def test_one_digest_per_person_per_working_day(session, tmp_path):
    kk, ru, idle, gone, boss = _data(session)
    now = datetime(2026, 3, 20, 8, 30, tzinfo=LOCAL_TZ)
    result, messages = send_digests(session, now, {"outbox_dir": tmp_path, "mail_domain": "ktk.test"})
    notes = {n.user_id: n for n in session.scalars(select(Notification).where(Notification.dedup_key == dedup_key(TODAY)))}
    assert {kk.id, ru.id, boss.id} <= set(notes)
    assert idle.id not in notes and gone.id not in notes  # nothing due; deactivated
    assert result.created == len(notes) == len(messages)

    assert _expected_counts(session, kk.id) == (2, 4)
    mine = notes[kk.id]
    assert mine.title == "20.03.2026 шолуы: бүгін мерзімі — 2, мерзімі өткен — 4"
    assert (mine.payload["due_today"], mine.payload["overdue"], len(mine.payload["items"])) == (2, 4, 6)
    assert "ЖА-2026-0000 — Сейітова Дана" in mine.body
    # 30 calendar days before 20.03.2026 is 18.02.2026: 21 working days (8 March fell on a Sunday
    # and moved to Monday 9 March).
    assert "мерзімі 18.02.2026: 21 жұмыс күні (30 күнтізбелік күн) кешікті" in mine.body
    assert notes[ru.id].title == "Сводка на 20.03.2026: срок сегодня — 0, просрочено — 1"
    due, overdue = _expected_counts(session, None)
    assert notes[boss.id].title == f"Сводка на 20.03.2026: срок сегодня — {due}, просрочено — {overdue}"
    assert "Рецензент не назначен" in notes[boss.id].body

    # Again the same day: nobody twice.
    again, messages = send_digests(session, now.replace(hour=15), {"outbox_dir": tmp_path})
    assert (again.created, again.already, messages) == (0, len(notes), [])

    # E-mail: one .eml per new digest, in the outbox.
    sent = deliver([(kk, digest.build_email(kk, mine, now, {"mail_domain": "ktk.test"}))], TODAY,
                   {"outbox_dir": tmp_path, "smtp": {"host": None}})
    [path] = sent
    parsed = email.message_from_bytes(open(path, "rb").read(), policy=email.policy.default)
    assert parsed["Subject"] == mine.title and parsed["To"] == "dg_rev_kk@ktk.test"
    assert parsed.get_content().strip() == mine.body.strip()


def test_no_digest_on_days_off_and_one_on_a_declared_working_saturday(session):
    _data(session)
    for day in (date(2026, 3, 21), date(2026, 3, 23), date(2026, 3, 25)):  # Sat; Nauryz Mon; moved day off
        result, created = create_digests(session, day)
        assert (result.working_day, created) == (False, [])
    session.add(CalendarOverride(day=date(2026, 3, 28), kind="workday", name="Decree"))
    session.flush()
    result, created = create_digests(session, date(2026, 3, 28))
    assert result.working_day and result.created == len(created) > 0


def test_smtp_when_configured(session, monkeypatch, tmp_path):
    kk, *_ = _data(session)
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent.append(("connect", host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            sent.append(("starttls",))

        def login(self, user_, password):
            sent.append(("login", user_))

        def send_message(self, message):
            sent.append(("send", message["To"]))

    monkeypatch.setattr(digest.smtplib, "SMTP", FakeSMTP)
    result, messages = send_digests(session, datetime(2026, 3, 20, 8, 30, tzinfo=LOCAL_TZ), {"outbox_dir": tmp_path})
    smtp = {"host": "mail.ktk.test", "port": 587, "user": "robot", "password": "x", "starttls": True}
    done = deliver(messages, TODAY, {"outbox_dir": tmp_path, "smtp": smtp})
    assert sent[:3] == [("connect", "mail.ktk.test", 587), ("starttls",), ("login", "robot")]
    assert len(done) == len(messages) == result.created and ("send", "dg_rev_kk@ktk.kz") in sent
    assert not list(tmp_path.iterdir())  # nothing written to the outbox
