"""A notification: planned once per key, claimed by one sender, retried, read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from incidents.domain.notification import Notification, notification_id
from incidents.errors import NotificationNotFoundError

LEASE = timedelta(seconds=120)


def plan(log, recipient="paul", channel="mail"):
    incident = uuid4()
    assert log.plan_notification(
        rule="severe_incident",
        subject=str(incident),
        kind="severe_incident",
        recipient=recipient,
        channel=channel,
        office="colombes-aragon",
        incident_id=incident,
    )
    return notification_id(f"severe_incident:{incident}:{recipient}")


def claim(log, key, now):
    return log.claim_delivery(
        key, now=now, lease=LEASE, claimant="test", message_id="<m@example.fr>"
    )


def test_of_two_senders_only_one_wins_the_claim(log):
    key = plan(log)
    now = datetime.now(UTC)
    first, second = log.get_notification(key), log.get_notification(key)

    first.claim(claimant="a", message_id="<m@example.fr>")
    second.claim(claimant="b", message_id="<m@example.fr>")

    assert log._save_once(first) is not None
    assert log._save_once(second) is None
    assert claim(log, key, now) is None, "claimed, within its lease"


def test_a_claim_without_outcome_is_taken_over_after_its_lease(log):
    key = plan(log)
    now = datetime.now(UTC)
    assert claim(log, key, now) is not None

    assert claim(log, key, now + LEASE / 2) is None
    taken = claim(log, key, now + LEASE * 2)
    assert taken is not None
    assert taken.attempts == 2


def test_a_failed_attempt_waits_for_its_retry_time_and_a_sent_one_never_goes_again(
    log,
):
    key = plan(log)
    now = datetime.now(UTC)
    log.record_delivery(
        claim(log, key, now), error="SMTPServerDisconnected", retry_at=now + LEASE
    )

    assert claim(log, key, now + LEASE / 2) is None
    sent = claim(log, key, now + LEASE)
    log.record_delivery(sent)
    assert claim(log, key, now + LEASE * 100) is None
    assert log.get_notification(key).sent


def test_a_bell_notification_is_never_mailed(log):
    key = plan(log, channel="bell")

    assert claim(log, key, datetime.now(UTC)) is None


def test_only_its_recipient_marks_it_read_once(log):
    key = plan(log)

    with pytest.raises(NotificationNotFoundError):
        log.mark_notification_read(key, reader="someone-else")
    log.mark_notification_read(key, reader="paul")
    log.mark_notification_read(key, reader="paul")

    types = [type(event) for event in log.events.get(key)]
    assert types == [Notification.NotificationPlanned, Notification.NotificationRead]
    with pytest.raises(NotificationNotFoundError):
        log.mark_notification_read(uuid4(), reader="paul")
