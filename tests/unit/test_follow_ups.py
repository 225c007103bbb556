"""Schedule, complete and cancel follow-ups, and keep an incident open meanwhile."""

from __future__ import annotations

from datetime import date, datetime
from uuid import uuid4

import pytest

from incidents.domain import Incident
from incidents.errors import (
    FollowUpNotFoundError,
    FollowUpNotScheduledError,
    FollowUpsStillScheduledError,
    InvalidInputError,
    NotFoundError,
    RuleViolationError,
)


def schedule(incident, **overrides):
    follow_up_id = overrides.pop("follow_up_id", uuid4())
    incident.schedule_follow_up(
        actor="mediator-1",
        follow_up_id=follow_up_id,
        **{"kind": "association_debrief", "due_on": "2026-03-09", **overrides},
    )
    return follow_up_id


def test_schedules_a_follow_up(incident):
    follow_up_id = schedule(
        incident, kind="manager_report", assignee="Chef d'équipe", note="Rapport."
    )

    (event,) = incident.collect_events()
    assert isinstance(event, Incident.FollowUpScheduled)
    assert (event.follow_up_id, event.kind, event.due_on) == (
        follow_up_id,
        "manager_report",
        date(2026, 3, 9),
    )
    follow_up = incident.follow_ups[follow_up_id]
    assert (follow_up.status, follow_up.assignee) == ("scheduled", "Chef d'équipe")
    assert incident.scheduled_follow_ups() == [follow_up]


@pytest.mark.parametrize(
    ("due_on", "message"),
    [
        ("09/03/2026", "Give a date as YYYY-MM-DD"),
        (datetime(2026, 3, 9, 10, 0), "Give a date without a time"),
        (None, "Give a date as YYYY-MM-DD"),
    ],
)
def test_refuses_a_follow_up_without_a_plain_due_date(incident, due_on, message):
    with pytest.raises(InvalidInputError, match=message) as raised:
        schedule(incident, due_on=due_on)

    assert list(raised.value.errors) == ["due_on"]
    assert incident.collect_events() == []


def test_refuses_a_follow_up_id_already_used_on_the_incident(incident):
    follow_up_id = schedule(incident)
    incident.collect_events()

    with pytest.raises(InvalidInputError, match="is already used") as raised:
        schedule(incident, follow_up_id=follow_up_id, kind="complaint")

    assert list(raised.value.errors) == ["follow_up_id"]
    assert incident.follow_ups[follow_up_id].kind == "association_debrief"
    assert incident.collect_events() == []


def test_completes_a_scheduled_follow_up(incident):
    follow_up_id = schedule(incident)

    incident.complete_follow_up(
        actor="mediator-2", follow_up_id=follow_up_id, note="Débrief fait."
    )

    assert [type(e) for e in incident.collect_events()] == [
        Incident.FollowUpScheduled,
        Incident.FollowUpCompleted,
    ]
    follow_up = incident.follow_ups[follow_up_id]
    assert (follow_up.status, follow_up.outcome_note) == ("completed", "Débrief fait.")
    assert incident.scheduled_follow_ups() == []


def test_cancels_a_scheduled_follow_up_saying_why(incident):
    follow_up_id = schedule(incident)

    incident.cancel_follow_up(
        actor="officer-1", follow_up_id=follow_up_id, reason="Doublon."
    )

    assert [type(e) for e in incident.collect_events()] == [
        Incident.FollowUpScheduled,
        Incident.FollowUpCancelled,
    ]
    assert incident.follow_ups[follow_up_id].status == "cancelled"
    assert incident.scheduled_follow_ups() == []


def test_refuses_to_cancel_a_follow_up_without_a_reason(incident):
    follow_up_id = schedule(incident)
    incident.collect_events()

    with pytest.raises(InvalidInputError, match="reason: This text is required"):
        incident.cancel_follow_up(
            actor="officer-1", follow_up_id=follow_up_id, reason=None
        )

    assert incident.follow_ups[follow_up_id].status == "scheduled"
    assert incident.collect_events() == []


@pytest.mark.parametrize("command", ["complete", "cancel"])
def test_refuses_to_finish_an_unknown_follow_up(incident, command):
    unknown = uuid4()

    with pytest.raises(FollowUpNotFoundError) as raised:
        finish(incident, command, unknown)

    assert isinstance(raised.value, NotFoundError)
    assert f"Follow-up {unknown} not found on incident {incident.id}" in str(
        raised.value
    )
    assert incident.collect_events() == []


def finish(incident, command, follow_up_id):
    if command == "complete":
        incident.complete_follow_up(actor="mediator-1", follow_up_id=follow_up_id)
    else:
        incident.cancel_follow_up(
            actor="mediator-1", follow_up_id=follow_up_id, reason="Plus utile."
        )


@pytest.mark.parametrize(
    ("first", "then", "status"),
    [
        ("complete", "complete", "completed"),
        ("complete", "cancel", "completed"),
        ("cancel", "cancel", "cancelled"),
        ("cancel", "complete", "cancelled"),
    ],
)
def test_refuses_to_finish_a_follow_up_already_finished(incident, first, then, status):
    follow_up_id = schedule(incident)
    finish(incident, first, follow_up_id)
    incident.collect_events()

    with pytest.raises(FollowUpNotScheduledError) as raised:
        finish(incident, then, follow_up_id)

    assert isinstance(raised.value, RuleViolationError)
    assert f"Follow-up {follow_up_id} is already {status}" in raised.value.message
    assert incident.follow_ups[follow_up_id].status == status
    assert incident.collect_events() == []


def test_refuses_to_close_while_a_follow_up_is_scheduled(incident):
    schedule(incident)
    schedule(incident, kind="staff_support")
    incident.collect_events()

    with pytest.raises(FollowUpsStillScheduledError) as raised:
        incident.close(actor="officer-1", resolution="resolved_on_site")

    assert raised.value.count == 2
    assert "still has 2 scheduled follow-up(s)" in raised.value.message
    assert incident.status == "open"
    assert incident.collect_events() == []


def test_closes_once_every_follow_up_is_completed_or_cancelled(incident):
    done = schedule(incident)
    dropped = schedule(incident)
    incident.complete_follow_up(actor="mediator-1", follow_up_id=done)
    incident.cancel_follow_up(actor="officer-1", follow_up_id=dropped, reason="Non.")

    incident.close(actor="officer-1", resolution="resolved_on_site")

    assert [type(e) for e in incident.collect_events()] == [
        Incident.FollowUpScheduled,
        Incident.FollowUpScheduled,
        Incident.FollowUpCompleted,
        Incident.FollowUpCancelled,
        Incident.Closed,
    ]
    assert incident.is_closed


def test_schedules_a_follow_up_through_the_log_with_a_fresh_id(log, reported):
    incident_id = reported()

    result = log.schedule_follow_up(
        incident_id, actor="mediator-1", kind="visitor_watch", due_on="2026-03-05"
    )

    (follow_up,) = result.incident["follow_ups"]
    assert follow_up["status"] == "scheduled"
    assert follow_up["due_on"] == date(2026, 3, 5)
    completed = log.complete_follow_up(incident_id, follow_up["id"], actor="m-1")
    assert completed.incident["follow_ups"][0]["status"] == "completed"
    assert log.get_incident(incident_id)["follow_ups"][0]["due_on"] == date(2026, 3, 5)
