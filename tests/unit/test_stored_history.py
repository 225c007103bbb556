"""Read back events stored by an earlier layout of the code: topics outlive modules.

``data/events-stored-before-the-split.json`` holds the rows the recorder stored
for one incident's whole life, a person's and two offices', written by the code
before ``incidents/application.py`` and ``incidents/domain.py`` were split into
packages. Wherever the classes live now, every row must still decode and rebuild.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import pytest

from incidents.domain import MediatorDay, OpeningHours, Shift
from tests.unit.conftest import log_of_stored_rows
from tests.unit.test_event_topics import DESIGNED_EVENTS

# Designed after these rows were stored: test_stored_rota.py reads theirs back.
LATER_AGGREGATES = (Shift, MediatorDay, OpeningHours)

STORED = Path(__file__).parent / "data" / "events-stored-before-the-split.json"
# Events designed since: their stored samples are in a file of their own
# (tests/unit/test_stored_notification_history.py).
DESIGNED_SINCE = frozenset(
    {
        "incidents:User.MailSettingsChanged",
        "incidents:User.NotificationPreferencesChanged",
        "incidents:Notification.NotificationPlanned",
        "incidents:Notification.DeliveryAttempted",
        "incidents:Notification.NotificationSent",
        "incidents:Notification.DeliveryFailed",
        "incidents:Notification.NotificationRead",
    }
)
INCIDENT_ID = UUID("0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0")


@pytest.fixture
def rows():
    return json.loads(STORED.read_text(encoding="utf-8"))


@pytest.fixture
def old_log(rows):
    return log_of_stored_rows(rows)


def test_the_stored_rows_hold_every_designed_event(rows):
    designed = {
        f"incidents:{aggregate.__name__}.{name}"
        for aggregate, names in DESIGNED_EVENTS.items()
        if aggregate not in LATER_AGGREGATES
        for name in names
    } - DESIGNED_SINCE

    assert {row["topic"] for row in rows} >= designed | {
        "incidents:User.TokenIssued",
        "incidents:User.TokenRevoked",
        "incidents:UserLogged",
        "incidents:ContactDisclosed",
    }


def test_every_stored_row_decodes_to_the_class_of_its_topic(old_log, rows):
    notifications = old_log.recorder.select_notifications(1, len(rows) + 1)

    assert [n.topic for n in notifications] == [row["topic"] for row in rows]
    for notification in notifications:
        event = old_log.mapper.to_domain_event(notification)
        assert notification.topic == type(event).TOPIC


def test_the_stored_incident_rebuilds_as_it_was_left(old_log):
    incident = old_log.get_incident(INCIDENT_ID)

    assert incident["version"] == 13
    assert incident["status"] == "open"
    assert incident["severity"] == 2
    assert incident["category"] == "verbal_incivility"
    assert incident["occurred_at"] == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert incident["contact"] is None
    assert incident["contact_erased"] is True
    assert [e["to"] for e in incident["escalations"]] == ["office_manager"]
    assert [(f["kind"], f["due_on"], f["status"]) for f in incident["follow_ups"]] == [
        ("manager_report", date(2026, 3, 4), "completed"),
        ("association_debrief", date(2026, 3, 9), "cancelled"),
    ]
    assert [n["text"] for n in incident["notes"]] == ["Point fait en réunion."]


def test_the_stored_history_reads_in_order_with_its_types(old_log):
    history = old_log.get_incident_history(INCIDENT_ID)

    assert [event["type"] for event in history] == [
        "Reported",
        "DeEscalationRecorded",
        "Escalated",
        "SeverityReassessed",
        "FollowUpScheduled",
        "FollowUpScheduled",
        "FollowUpCompleted",
        "FollowUpCancelled",
        "NoteAdded",
        "Amended",
        "Closed",
        "Reopened",
        "PersonalDataErased",
    ]
    assert [event["version"] for event in history] == list(range(1, 14))
    assert old_log.get_incident(INCIDENT_ID, version=1)["category"] == "waiting_time"


def test_the_stored_people_offices_and_disclosures_read_back(old_log):
    alice = old_log.get_user("alice")

    assert [user["name"] for user in old_log.list_users()] == ["alice"]
    assert alice["role"] == "officer"
    assert alice["offices"] == ["colombes-aragon", "nanterre-centre"]
    assert alice["is_active"] is True
    assert [office["code"] for office in old_log.list_offices()] == [
        "colombes-aragon",
        "nanterre-centre",
    ]
    disclosures = old_log.list_disclosures(incident_id=INCIDENT_ID)
    assert [(d["viewer"], d["channel"]) for d in disclosures] == [
        ("responsable", "page")
    ]
