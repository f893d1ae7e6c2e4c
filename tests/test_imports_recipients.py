"""Recipients after loading: SMS sent (15-calendar-day window), expired, linked to an application."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from data import config
from data.clocks import clocks_of, open_clock
from data.imports import import_list
from data.models import ClockEvent, Recipient, StatusEvent
from data.recipients import expire_recipients, link_application, notify_recipients
from data.workflows import create_application
from tests.conftest import local
from tests.factories import user
from tests.test_imports_support import akimat, kk_row, person, write_xlsx


@pytest.fixture(autouse=True)
def instance_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / "instance")


def load(session, tmp_path, count: int = 3):
    area = akimat(session)
    people = [person() for _ in range(count)]
    result = import_list(session, write_xlsx(tmp_path / "l.xlsx", [kk_row(p, i) for i, p in enumerate(people)]),
                         akimat=area.kato, received_at=local(2026, 3, 2, 10, 0), now=local(2026, 3, 2, 11, 0))
    recipients = list(session.scalars(select(Recipient).where(Recipient.batch_id == result.batch_id)
                                      .order_by(Recipient.id)))
    assert len(recipients) == count
    return result.batch_id, recipients


def test_notify_starts_the_15_day_window_from_the_sms_date(session, tmp_path):
    batch_id, recipients = load(session, tmp_path)
    operator = user(session, "sms_operator", role="reviewer")
    sent = local(2026, 3, 6, 12, 0)
    result = notify_recipients(session, batch_id=batch_id, sent_at=sent, actor=operator)
    assert result.count == 3 and result.skipped == []
    for recipient in recipients:
        assert recipient.status == "notified" and recipient.notified_at == sent
        clock = open_clock(session, recipient, "applicant_submission")
        # 06.03 + 15 calendar days = Sat 21.03 (Nauryz); 21-25.03 are days off -> Thu 26.03.
        assert clock.started_at == sent and clock.registered_on == date(2026, 3, 6)
        assert clock.due_date == date(2026, 3, 26)
        events = session.scalars(select(StatusEvent).where(StatusEvent.recipient_id == recipient.id)
                                 .order_by(StatusEvent.id)).all()
        assert [(e.from_status, e.to_status) for e in events] == [(None, "listed"), ("listed", "notified")]
        assert events[-1].actor_id == operator.id
    again = notify_recipients(session, batch_id=batch_id, sent_at=sent)
    assert again.count == 0 and again.skipped == [(r.id, "notified") for r in recipients]


def test_notify_chosen_recipients_with_text_time(session, tmp_path):
    _, recipients = load(session, tmp_path)
    result = notify_recipients(session, recipient_ids=[recipients[1].id], sent_at="2026-04-01T18:30")
    assert result.notified == [recipients[1].id]
    assert [r.status for r in recipients] == ["listed", "notified", "listed"]
    assert recipients[1].notified_at == local(2026, 4, 1, 18, 30)
    assert open_clock(session, recipients[1], "applicant_submission").due_date == date(2026, 4, 16)
    assert notify_recipients(session, recipient_ids=[], sent_at="2026-04-01T18:30").count == 0
    with pytest.raises(ValueError):
        notify_recipients(session, sent_at="2026-04-01T18:30")


def test_expire_marks_only_windows_that_ended(session, tmp_path):
    _, recipients = load(session, tmp_path, 3)
    notify_recipients(session, recipient_ids=[r.id for r in recipients[:2]], sent_at=local(2026, 3, 6, 12, 0))
    notify_recipients(session, recipient_ids=[recipients[2].id], sent_at=local(2026, 3, 20, 12, 0))
    versions = [r.version for r in recipients]
    assert expire_recipients(session, date(2026, 3, 26)) == 0  # the due day itself is still in time
    assert expire_recipients(session, date(2026, 3, 27)) == 2
    for recipient in recipients:
        session.refresh(recipient)
    assert [r.status for r in recipients] == ["expired", "expired", "notified"]
    assert [r.version for r in recipients[:2]] == [v + 1 for v in versions[:2]]
    for recipient in recipients[:2]:
        (clock,) = [c for c in clocks_of(session, recipient) if c.policy_code == "applicant_submission"]
        assert clock.stopped_at == local(2026, 3, 27, 0, 0) and clock.stopped_on == date(2026, 3, 27)
        assert clock.state == "stopped" and clock.due_date == date(2026, 3, 26)
        assert [e.kind for e in clock.events] == ["start", "stop"]
        last = session.scalars(select(StatusEvent).where(StatusEvent.recipient_id == recipient.id)
                               .order_by(StatusEvent.id.desc())).first()
        assert (last.from_status, last.to_status, last.at) == ("notified", "expired", local(2026, 3, 27, 0, 0))
    assert open_clock(session, recipients[2], "applicant_submission").stopped_at is None
    assert expire_recipients(session, date(2026, 3, 27)) == 0
    assert session.scalar(select(ClockEvent.note).join(ClockEvent.clock)
                          .where(ClockEvent.kind == "stop", ClockEvent.clock_id.in_(
                              [c.id for c in clocks_of(session, recipients[0])]))) == "expired"


def test_link_application_marks_the_recipient_applied(session, tmp_path):
    _, (notified, listed, expired) = load(session, tmp_path, 3)
    notify_recipients(session, recipient_ids=[notified.id, expired.id], sent_at=local(2026, 3, 6, 12, 0))
    expired.status = "expired"
    session.flush()

    def apply(iin: str, kind: str = "rent_to_own"):
        return create_application(session, kind, {"applicant_name": "Өтініш беруші", "applicant_iin": iin,
                                                  "consent_personal_data": True},
                                  received_at=local(2026, 3, 10, 11, 0))

    application = apply(notified.iin)
    assert link_application(session, application) is notified
    assert notified.status == "applied" and notified.application_id == application.id
    clock = [c for c in clocks_of(session, notified) if c.policy_code == "applicant_submission"][0]
    assert clock.stopped_at == local(2026, 3, 10, 11, 0) and clock.stopped_on <= clock.due_date

    early = apply(listed.iin)  # applied before any SMS
    assert link_application(session, early) is listed and listed.status == "applied"
    assert link_application(session, apply(expired.iin)) is None and expired.status == "expired"
    assert link_application(session, apply("900101300017")) is None
    assert link_application(session, apply(notified.iin)) is None  # already applied
    correction = create_application(session, "correction", {"applicant_name": "ЖШС", "applicant_iin": listed.iin},
                                    received_at=local(2026, 3, 10, 11, 0))
    assert link_application(session, correction) is None
