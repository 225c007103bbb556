"""Read back the stored rows of the events designed for notifications.

``data/events-stored-with-notifications.json`` holds rows as the recorder stored
them when these events were designed: they must always decode and rebuild.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from incidents.domain.notification import notification_id
from tests.unit.conftest import log_of_stored_rows
from tests.unit.test_stored_history import DESIGNED_SINCE

STORED = Path(__file__).parent / "data" / "events-stored-with-notifications.json"
INCIDENT_ID = "5a1e0c2d-3b4f-4e6a-8c7d-9e0f1a2b3c4d"


@pytest.fixture
def rows():
    return json.loads(STORED.read_text(encoding="utf-8"))


@pytest.fixture
def stored_log(rows):
    return log_of_stored_rows(rows)


def test_the_rows_hold_every_event_designed_since_the_split(rows):
    assert {row["topic"] for row in rows} >= DESIGNED_SINCE


def test_every_row_decodes_and_the_person_rebuilds_as_left(stored_log, rows):
    for notification in stored_log.recorder.select_notifications(1, len(rows) + 1):
        event = stored_log.mapper.to_domain_event(notification)
        assert notification.topic == type(event).TOPIC

    person = stored_log.get_user("paul")
    assert (person["email"], person["language"]) == ("paul@example.fr", "en")
    assert person["notification_preferences"] == {
        "severe_incident": True,
        "escalation": False,
        "follow_up_overdue": True,
        "digest": "weekly",
    }


def test_the_stored_notification_rebuilds_sent_and_read(stored_log):
    notification = stored_log.get_notification(
        notification_id(f"severe_incident:{INCIDENT_ID}:paul")
    )

    assert (notification.kind, notification.recipient) == ("severe_incident", "paul")
    assert (notification.attempts, notification.sent, notification.read) == (
        2,
        True,
        True,
    )
    assert str(notification.incident_id) == INCIDENT_ID
    assert notification.message_id.startswith("<notification-")
