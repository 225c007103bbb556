"""Handle an incident while open, close it, and see what a closed incident accepts."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from incidents.domain import Incident
from incidents.errors import (
    IncidentAlreadyOpenError,
    IncidentClosedError,
    IncidentNotFoundError,
    InvalidInputError,
    NothingToChangeError,
    StaleVersionError,
)
from incidents.vocabulary import Status


def test_records_a_de_escalation_attempt(incident):
    incident.record_de_escalation(
        actor="mediator-1",
        techniques=["active_listening", "moved_aside"],
        outcome="calmed",
        note="Calmé en deux minutes.",
    )

    (event,) = incident.collect_events()
    assert isinstance(event, Incident.DeEscalationRecorded)
    assert event.techniques == ["active_listening", "moved_aside"]
    assert event.actor == "mediator-1"
    assert [(d.techniques, d.outcome) for d in incident.de_escalations] == [
        (["active_listening", "moved_aside"], "calmed")
    ]


@pytest.mark.parametrize(
    ("techniques", "message"),
    [
        ([], "Give at least one code"),
        ("active_listening", "Give a list of codes"),
        (["explanation", "explanation"], "'explanation' is given twice"),
    ],
)
def test_refuses_techniques_that_are_not_a_list_of_distinct_codes(
    incident, techniques, message
):
    with pytest.raises(InvalidInputError, match=message) as raised:
        incident.record_de_escalation(
            actor="mediator-1", techniques=techniques, outcome="calmed"
        )

    assert list(raised.value.errors) == ["techniques"]
    assert incident.collect_events() == []


def test_escalates_an_incident(incident):
    incident.escalate(actor="mediator-1", to="police", note="Appel au 17.")

    assert [type(e) for e in incident.collect_events()] == [Incident.Escalated]
    assert [(e.to, e.note) for e in incident.escalations] == [
        ("police", "Appel au 17.")
    ]


def test_reassesses_the_severity_saying_why(incident):
    incident.reassess_severity(actor="officer-1", severity=3, reason="Coup porté.")

    assert [type(e) for e in incident.collect_events()] == [Incident.SeverityReassessed]
    assert incident.severity == 3


def test_refuses_to_reassess_to_the_same_severity(incident):
    with pytest.raises(NothingToChangeError, match="already at severity 1"):
        incident.reassess_severity(actor="officer-1", severity=1, reason="Pareil.")

    assert incident.collect_events() == []


@pytest.mark.parametrize("severity", [-1, 5])
def test_refuses_to_reassess_to_a_severity_out_of_range(incident, severity):
    with pytest.raises(InvalidInputError, match=r"severity: .*from 0 to 4"):
        incident.reassess_severity(actor="officer-1", severity=severity, reason="x")

    assert incident.severity == 1
    assert incident.collect_events() == []


def test_refuses_to_reassess_the_severity_without_a_reason(incident):
    with pytest.raises(InvalidInputError, match="reason: This text is required"):
        incident.reassess_severity(actor="officer-1", severity=2, reason=" ")

    assert incident.collect_events() == []


def test_closes_an_incident_with_a_resolution(incident):
    incident.close(actor="officer-1", resolution="need_met", note="Colis retrouvé.")

    (event,) = incident.collect_events()
    assert isinstance(event, Incident.Closed)
    assert (event.resolution, event.note, event.actor) == (
        "need_met",
        "Colis retrouvé.",
        "officer-1",
    )
    assert incident.status == Status.CLOSED == "closed"
    assert incident.is_closed
    assert incident.resolution == "need_met"


def test_refuses_to_close_without_a_resolution(incident):
    with pytest.raises(InvalidInputError, match="resolution: None is not one of"):
        incident.close(actor="officer-1", resolution=None)

    assert incident.status == "open"
    assert incident.collect_events() == []


def test_reopens_a_closed_incident_saying_why(closed_incident):
    closed_incident.reopen(actor="officer-1", reason="L'usager est revenu.")

    assert [type(e) for e in closed_incident.collect_events()] == [Incident.Reopened]
    assert closed_incident.status == "open"
    assert closed_incident.resolution is None


def test_refuses_to_reopen_an_open_incident(incident):
    with pytest.raises(IncidentAlreadyOpenError, match="already open") as raised:
        incident.reopen(actor="officer-1", reason="Pour voir.")

    assert str(incident.id) in raised.value.message
    assert incident.collect_events() == []


def test_refuses_to_reopen_without_a_reason(closed_incident):
    with pytest.raises(InvalidInputError, match="reason: This text is required"):
        closed_incident.reopen(actor="officer-1", reason="")

    assert closed_incident.is_closed
    assert closed_incident.collect_events() == []


def test_a_reopened_incident_can_be_closed_again(closed_incident):
    closed_incident.reopen(actor="officer-1", reason="Nouvel élément.")
    closed_incident.close(actor="officer-1", resolution="complaint_filed")

    assert [type(e) for e in closed_incident.collect_events()] == [
        Incident.Reopened,
        Incident.Closed,
    ]
    assert closed_incident.resolution == "complaint_filed"


# What a closed incident refuses, each command in turn.

REFUSED_WHEN_CLOSED = {
    "record a de-escalation": lambda incident: incident.record_de_escalation(
        actor="mediator-1", techniques=["explanation"], outcome="calmed"
    ),
    "escalate": lambda incident: incident.escalate(actor="mediator-1", to="security"),
    "reassess the severity": lambda incident: incident.reassess_severity(
        actor="officer-1", severity=3, reason="Plus grave."
    ),
    "schedule a follow-up": lambda incident: incident.schedule_follow_up(
        actor="mediator-1",
        follow_up_id=uuid4(),
        kind="association_debrief",
        due_on=date(2026, 3, 9),
    ),
    "complete a follow-up": lambda incident: incident.complete_follow_up(
        actor="mediator-1", follow_up_id=uuid4()
    ),
    "cancel a follow-up": lambda incident: incident.cancel_follow_up(
        actor="mediator-1", follow_up_id=uuid4(), reason="Inutile."
    ),
    "amend": lambda incident: incident.amend(
        actor="officer-1",
        changes={"category": "threat"},
        reason="Erreur de saisie.",
        now=incident.occurred_at,
    ),
    "close": lambda incident: incident.close(actor="officer-1", resolution="duplicate"),
}


@pytest.mark.parametrize("action", list(REFUSED_WHEN_CLOSED))
def test_a_closed_incident_refuses_every_command_but_three(closed_incident, action):
    before = closed_incident.to_dict()

    with pytest.raises(IncidentClosedError) as raised:
        REFUSED_WHEN_CLOSED[action](closed_incident)

    assert f"is closed: cannot {action}." in raised.value.message
    assert closed_incident.collect_events() == []
    assert closed_incident.to_dict() == before


def test_a_closed_incident_refuses_a_follow_up_change_before_looking_it_up(
    incident,
):
    follow_up_id = uuid4()
    incident.schedule_follow_up(
        actor="mediator-1",
        follow_up_id=follow_up_id,
        kind="staff_support",
        due_on="2026-03-09",
    )
    incident.complete_follow_up(actor="mediator-1", follow_up_id=follow_up_id)
    incident.close(actor="officer-1", resolution="resolved_on_site")
    incident.collect_events()

    with pytest.raises(IncidentClosedError, match="cannot cancel a follow-up"):
        incident.cancel_follow_up(
            actor="mediator-1", follow_up_id=follow_up_id, reason="Trop tard."
        )


def test_a_closed_incident_accepts_a_note(closed_incident):
    closed_incident.add_note(actor="officer-1", text="Plainte déposée le 3 mars.")

    assert [type(e) for e in closed_incident.collect_events()] == [Incident.NoteAdded]
    assert [note.text for note in closed_incident.notes] == [
        "Plainte déposée le 3 mars."
    ]
    assert closed_incident.is_closed


def test_a_closed_incident_accepts_the_erasure_of_personal_data(closed_incident):
    closed_incident.erase_personal_data(actor="admin", reason="Demande RGPD.")

    assert [type(e) for e in closed_incident.collect_events()] == [
        Incident.PersonalDataErased
    ]
    assert closed_incident.contact is None
    assert closed_incident.is_closed


def test_a_closed_incident_accepts_a_reopening(closed_incident):
    closed_incident.reopen(actor="officer-1", reason="Erreur de clôture.")

    assert [type(e) for e in closed_incident.collect_events()] == [Incident.Reopened]
    assert not closed_incident.is_closed


def test_an_open_incident_accepts_a_note(incident):
    incident.add_note(actor="mediator-1", text="Revenu plus calme.")

    assert [type(e) for e in incident.collect_events()] == [Incident.NoteAdded]


def test_refuses_an_empty_note(incident):
    with pytest.raises(InvalidInputError, match="text: This text is required"):
        incident.add_note(actor="mediator-1", text="   ")

    assert incident.collect_events() == []


# Through the log: versions, staleness and the unknown.


def test_each_command_through_the_log_appends_one_event_and_a_version(log, reported):
    incident_id = reported()

    escalated = log.escalate_incident(incident_id, actor="mediator-1", to="security")
    closed = log.close_incident(
        incident_id, actor="officer-1", resolution="resolved_on_site"
    )

    assert (escalated.incident["version"], closed.incident["version"]) == (2, 3)
    assert closed.position > escalated.position
    assert closed.incident["status"] == "closed"
    history = log.get_incident_history(incident_id)
    assert [item["type"] for item in history] == ["Reported", "Escalated", "Closed"]
    assert [item["actor"] for item in history] == [
        "mediator-1",
        "mediator-1",
        "officer-1",
    ]


def test_refuses_a_write_against_a_stale_version(log, reported):
    incident_id = reported()
    log.add_note(incident_id, actor="mediator-1", text="Premier.")

    with pytest.raises(StaleVersionError) as raised:
        log.add_note(
            incident_id, actor="mediator-2", text="Deuxième.", expected_version=1
        )

    assert (raised.value.expected, raised.value.actual) == (1, 2)
    assert "is at version 2, not 1" in raised.value.message
    assert log.get_incident(incident_id)["version"] == 2


def test_accepts_a_write_against_the_current_version(log, reported):
    incident_id = reported()

    result = log.add_note(
        incident_id, actor="mediator-1", text="Noté.", expected_version=1
    )

    assert result.incident["version"] == 2


def test_a_rule_broken_through_the_log_stores_nothing(log, reported):
    incident_id = reported()
    head = log.recorder.max_notification_id()

    with pytest.raises(IncidentAlreadyOpenError):
        log.reopen_incident(incident_id, actor="officer-1", reason="Pour voir.")

    assert log.recorder.max_notification_id() == head


def test_refuses_a_command_on_an_unknown_incident(log):
    unknown = uuid4()

    with pytest.raises(IncidentNotFoundError, match=f"Incident {unknown} not found"):
        log.add_note(unknown, actor="mediator-1", text="Rien.")


def test_refuses_to_read_an_unknown_incident_or_a_version_never_reached(log, reported):
    incident_id = reported()

    with pytest.raises(IncidentNotFoundError):
        log.get_incident(uuid4())
    with pytest.raises(InvalidInputError, match="has only 1 versions"):
        log.get_incident(incident_id, version=2)
    with pytest.raises(InvalidInputError, match="version: Give a version from 1"):
        log.get_incident(incident_id, version=0)


def test_reads_an_incident_as_it_was_at_an_earlier_version(log, reported):
    incident_id = reported()
    log.close_incident(incident_id, actor="officer-1", resolution="left_calm")

    assert log.get_incident(incident_id, version=1)["status"] == "open"
    assert log.get_incident(incident_id)["status"] == "closed"
