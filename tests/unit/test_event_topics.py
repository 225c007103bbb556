"""Store every event under an explicit topic of its own, which history depends on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from eventsourcing.domain import CanMutateAggregate
from eventsourcing.utils import get_topic, resolve_topic

from incidents.access import User, user_id
from incidents.catalogue import OfficeCatalogue
from incidents.domain import Incident, MediatorDay, OpeningHours, Shift
from incidents.domain.notification import Notification, notification_id
from incidents.domain.shift import ShiftLogged
from incidents.logs import UserLogged

# The events of the design, by aggregate: their topics are part of the stored data.
DESIGNED_EVENTS = {
    Incident: [
        "Reported",
        "DeEscalationRecorded",
        "Escalated",
        "SeverityReassessed",
        "FollowUpScheduled",
        "FollowUpCompleted",
        "FollowUpCancelled",
        "NoteAdded",
        "Amended",
        "Closed",
        "Reopened",
        "PersonalDataErased",
    ],
    User: [
        "Registered",
        "RoleChanged",
        "OfficesChanged",
        "Deactivated",
        "Reactivated",
        "MailSettingsChanged",
        "NotificationPreferencesChanged",
    ],
    OfficeCatalogue: ["Created", "OfficeAdded"],
    Shift: ["ShiftPlanned", "ShiftChanged", "ShiftCancelled"],
    MediatorDay: ["Created", "ShiftBooked", "ShiftReleased"],
    OpeningHours: ["Created", "OpeningHoursChanged"],
    Notification: [
        "NotificationPlanned",
        "DeliveryAttempted",
        "NotificationSent",
        "DeliveryFailed",
        "NotificationRead",
    ],
}


def nested_event_classes(aggregate):
    return {
        name: value
        for name, value in vars(aggregate).items()
        if isinstance(value, type) and issubclass(value, CanMutateAggregate)
    }


def every_event_class():
    classes = [
        event_class
        for aggregate in DESIGNED_EVENTS
        for event_class in nested_event_classes(aggregate).values()
    ]
    return [*classes, UserLogged, ShiftLogged]


@pytest.mark.parametrize("aggregate", list(DESIGNED_EVENTS), ids=lambda a: a.__name__)
def test_every_designed_event_exists_under_its_stable_topic(aggregate):
    for name in DESIGNED_EVENTS[aggregate]:
        stable_topic = f"incidents:{aggregate.__name__}.{name}"
        assert stable_topic == getattr(aggregate, name).TOPIC


@pytest.mark.parametrize("aggregate", list(DESIGNED_EVENTS), ids=lambda a: a.__name__)
def test_every_event_class_nested_in_an_aggregate_has_a_topic_of_its_own(aggregate):
    classes = nested_event_classes(aggregate)
    assert set(DESIGNED_EVENTS[aggregate]) <= set(classes)

    for name, event_class in classes.items():
        # Not one inherited from a base class: that would name another class.
        own_topic = f"incidents:{aggregate.__name__}.{name}"
        assert own_topic == event_class.TOPIC, name
        assert resolve_topic(event_class.TOPIC) is event_class
        assert get_topic(event_class) == event_class.TOPIC


@pytest.mark.parametrize("logged", [UserLogged, ShiftLogged], ids=lambda c: c.__name__)
def test_the_log_events_have_a_topic_of_their_own(logged):
    topic = f"incidents:{logged.__name__}"
    assert vars(logged)["TOPIC"] == topic
    assert get_topic(logged) == topic
    assert resolve_topic(topic) is logged


@pytest.mark.parametrize("aggregate", list(DESIGNED_EVENTS), ids=lambda a: a.__name__)
def test_no_event_class_shares_its_topic_with_another_class(aggregate):
    own = [cls.TOPIC for cls in nested_event_classes(aggregate).values()]
    others = [
        cls.TOPIC
        for cls in every_event_class()
        if cls not in nested_event_classes(aggregate).values()
    ] + [other.TOPIC for other in DESIGNED_EVENTS]

    assert len(set(own)) == len(own)
    assert not set(own) & set(others)


def test_no_topic_depends_on_the_module_an_event_lives_in():
    for event_class in every_event_class():
        assert event_class.TOPIC.startswith("incidents:")
        assert event_class.__module__ not in event_class.TOPIC


def plan_and_deliver_a_notification(log, incident_id):
    log.plan_notification(
        rule="severe_incident",
        subject=str(incident_id),
        kind="severe_incident",
        recipient="alice",
        channel="mail",
        office="colombes-aragon",
        incident_id=incident_id,
    )
    key = f"severe_incident:{incident_id}:alice"
    for outcome in ("failed", "sent"):
        claimed = log.claim_delivery(
            notification_id(key),
            now=datetime.now(UTC) + timedelta(days=1),
            lease=timedelta(seconds=1),
            claimant="test",
            message_id="<m@example.fr>",
        )
        if outcome == "failed":
            log.record_delivery(
                claimed, error="ConnectionRefusedError", retry_at=datetime.now(UTC)
            )
        else:
            log.record_delivery(claimed)
    log.mark_notification_read(notification_id(key), reader="alice")


def test_a_stored_notification_carries_the_topic_of_its_event(log, payload):
    incident_id = log.report_incident(**payload()).incident["id"]
    log.record_de_escalation(
        incident_id, actor="m", techniques=["explanation"], outcome="calmed"
    )
    log.escalate_incident(incident_id, actor="m", to="security")
    log.reassess_severity(incident_id, actor="o", severity=2, reason="Menace.")
    follow_ups = [
        log.schedule_follow_up(
            incident_id, actor="m", kind="staff_support", due_on=date(2026, 3, 9)
        ).incident["follow_ups"][-1]["id"]
        for _ in range(2)
    ]
    log.complete_follow_up(incident_id, follow_ups[0], actor="m")
    log.cancel_follow_up(incident_id, follow_ups[1], actor="o", reason="Inutile.")
    log.add_note(incident_id, actor="m", text="Note.")
    log.amend_incident(
        incident_id, actor="o", changes={"category": "threat"}, reason="Corrigé."
    )
    log.close_incident(incident_id, actor="o", resolution="resolved_on_site")
    log.reopen_incident(incident_id, actor="o", reason="Revenu.")
    log.erase_personal_data(incident_id, actor="admin", reason="RGPD.")
    log.register_user(actor="admin", name="alice", role="mediator")
    log.change_role("alice", actor="admin", role="officer")
    log.change_offices("alice", actor="admin", offices=["colombes-aragon"])
    log.change_mail_settings("alice", actor="admin", email="alice@example.fr")
    log.change_notification_preferences(
        "alice", actor="alice", changes={"digest": "daily"}
    )
    log.deactivate_user("alice", actor="admin", reason="Départ.")
    plan_and_deliver_a_notification(log, incident_id)
    user = log.repository.get(user_id("alice"))
    user.reactivate(actor="admin")
    log.save(user)

    notifications = log.recorder.select_notifications(1, 1000)

    for notification in notifications:
        event = log.mapper.to_domain_event(notification)
        assert notification.topic == type(event).TOPIC
        assert notification.topic == get_topic(type(event))
    stored_topics = {notification.topic for notification in notifications}
    designed_topics = {
        f"incidents:{aggregate.__name__}.{name}"
        for aggregate, names in DESIGNED_EVENTS.items()
        for name in names
    }
    rota_topics = {
        f"incidents:{aggregate.__name__}.{name}"
        for aggregate in (Shift, MediatorDay, OpeningHours)
        for name in DESIGNED_EVENTS[aggregate]
    }
    assert stored_topics == designed_topics - rota_topics | {"incidents:UserLogged"}
