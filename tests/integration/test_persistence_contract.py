"""The log behaves the same in memory, in a SQLite file and in PostgreSQL.

Each test runs once per store (``database_url``); the tests about restarting run on
the two stores that outlive a log (``durable_database_url``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import pytest

from incidents.application import IncidentLog, WriteResult, load_default_offices
from incidents.errors import (
    IncidentNotFoundError,
    InvalidInputError,
    ReportConflictError,
    UserAlreadyExistsError,
    UserDeactivatedError,
    UserNotFoundError,
)

if TYPE_CHECKING:
    from tests.conftest import OpenLog

OCCURRED_AT = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
PASSWORD = "correct horse battery"

FULL_HISTORY = [
    "Reported",
    "DeEscalationRecorded",
    "Escalated",
    "SeverityReassessed",
    "FollowUpScheduled",
    "FollowUpScheduled",
    "FollowUpCompleted",
    "FollowUpCancelled",
    "Amended",
    "NoteAdded",
    "PersonalDataErased",
    "Closed",
    "NoteAdded",
    "Reopened",
    "Closed",
]


def report(log: IncidentLog, **changes: Any) -> WriteResult:
    fields: dict[str, Any] = {
        "actor": "amina",
        "office": "nanterre-centre",
        "occurred_at": OCCURRED_AT,
        "category": "verbal_incivility",
        "severity": 2,
        "target": "staff",
        "trigger": "queue",
        "summary": "Raised voice at the counter after a long wait.",
        "parties": [{"role": "visitor", "count": 1}],
        "contact": {"name": "M. Martin", "phone": "+33 6 12 34 56 78"},
        "client_ref": "phone-7/42",
        **changes,
    }
    return log.report_incident(**fields)


def record_full_history(log: IncidentLog) -> tuple[UUID, list[WriteResult]]:
    """Report an incident and apply every command to it; return each result."""
    reported = report(log, incident_id=uuid4())
    incident_id = reported.incident["id"]
    completed, cancelled = uuid4(), uuid4()
    commands = [
        lambda: log.record_de_escalation(
            incident_id,
            actor="amina",
            techniques=["active_listening", "explanation"],
            outcome="partially_calmed",
            note="Offered a seat.",
        ),
        lambda: log.escalate_incident(incident_id, actor="amina", to="office_manager"),
        lambda: log.reassess_severity(
            incident_id, actor="amina", severity=3, reason="Threats were made."
        ),
        lambda: log.schedule_follow_up(
            incident_id,
            actor="amina",
            kind="staff_support",
            due_on=date(2026, 12, 1),
            follow_up_id=completed,
        ),
        lambda: log.schedule_follow_up(
            incident_id,
            actor="amina",
            kind="manager_report",
            due_on="2026-12-02",
            assignee="Office manager",
            follow_up_id=cancelled,
        ),
        lambda: log.complete_follow_up(
            incident_id, completed, actor="amina", note="Talked it over."
        ),
        lambda: log.cancel_follow_up(
            incident_id, cancelled, actor="amina", reason="Reported orally."
        ),
        lambda: log.amend_incident(
            incident_id,
            actor="amina",
            changes={"trigger": "missing_document"},
            reason="The queue was not the cause.",
        ),
        lambda: log.add_note(incident_id, actor="amina", text="Visitor came back."),
        lambda: log.erase_personal_data(
            incident_id, actor="admin", reason="Asked by the visitor."
        ),
        lambda: log.close_incident(
            incident_id, actor="amina", resolution="resolved_on_site"
        ),
        lambda: log.add_note(incident_id, actor="amina", text="Closed, a last word."),
        lambda: log.reopen_incident(incident_id, actor="amina", reason="Came back."),
        lambda: log.close_incident(incident_id, actor="amina", resolution="need_met"),
    ]
    return incident_id, [reported, *(command() for command in commands)]


def test_reporting_again_with_the_same_id_returns_the_stored_incident(
    incident_log: IncidentLog,
):
    incident_id = uuid4()

    first = report(incident_log, incident_id=incident_id)
    again = report(incident_log, incident_id=incident_id)

    assert first.created
    assert not again.created
    assert again.incident == first.incident
    assert again.position >= first.position
    assert len(incident_log.get_incident_history(incident_id)) == 1


def test_reporting_other_content_under_a_used_id_is_refused(
    incident_log: IncidentLog,
):
    incident_id = uuid4()
    report(incident_log, incident_id=incident_id)

    with pytest.raises(ReportConflictError):
        report(incident_log, incident_id=incident_id, severity=4)

    assert incident_log.get_incident(incident_id)["severity"] == 2
    assert len(incident_log.get_incident_history(incident_id)) == 1


def test_every_command_is_recorded_once_and_in_order(incident_log: IncidentLog):
    incident_id, results = record_full_history(incident_log)

    history = incident_log.get_incident_history(incident_id)

    assert [event["type"] for event in history] == FULL_HISTORY
    assert [event["version"] for event in history] == list(
        range(1, len(FULL_HISTORY) + 1)
    )
    assert [result.incident["version"] for result in results] == list(
        range(1, len(FULL_HISTORY) + 1)
    )
    assert history[9]["data"] == {"text": "Visitor came back."}
    assert history[10]["actor"] == "admin"
    incident = incident_log.get_incident(incident_id)
    assert incident == results[-1].incident
    assert incident["status"] == "closed"
    assert incident["resolution"] == "need_met"
    assert incident["severity"] == 3
    assert incident["trigger"] == "missing_document"
    assert incident["contact"] is None
    assert incident["contact_erased"]
    assert [f["status"] for f in incident["follow_ups"]] == ["completed", "cancelled"]
    assert [note["text"] for note in incident["notes"]] == [
        "Visitor came back.",
        "Closed, a last word.",
    ]


def test_an_incident_reads_as_it_was_at_each_version(incident_log: IncidentLog):
    incident_id, results = record_full_history(incident_log)

    assert results[0].incident["contact"] is not None
    for version, result in enumerate(results, start=1):
        # The contact was erased at the end (its key destroyed): no version,
        # however old, shows it any more.
        assert incident_log.get_incident(incident_id, version=version) == {
            **result.incident,
            "contact": None,
        }
    assert incident_log.get_incident(incident_id, version=3)["severity"] == 2
    assert incident_log.get_incident(incident_id, version=12)["status"] == "closed"
    assert incident_log.get_incident(incident_id, version=14)["status"] == "open"
    with pytest.raises(InvalidInputError):
        incident_log.get_incident(incident_id, version=len(results) + 1)
    with pytest.raises(InvalidInputError):
        incident_log.get_incident(incident_id, version=0)
    with pytest.raises(IncidentNotFoundError):
        incident_log.get_incident(uuid4())
    with pytest.raises(IncidentNotFoundError):
        incident_log.get_incident_history(uuid4())


def test_people_and_their_passwords_are_stored(incident_log: IncidentLog):
    incident_log.register_user(
        actor="admin",
        name="amina",
        role="mediator",
        offices=["nanterre-centre"],
        password=PASSWORD,
    )
    incident_log.register_user(actor="admin", name="claire", role="auditor")

    assert incident_log.authenticate("amina", PASSWORD)["name"] == "amina"
    with pytest.raises(UserNotFoundError):
        incident_log.authenticate("amina", "wrong horse battery")
    with pytest.raises(UserNotFoundError):
        incident_log.authenticate("claire", PASSWORD)  # No password set yet.
    with pytest.raises(UserAlreadyExistsError):
        incident_log.register_user(actor="admin", name="amina", role="officer")

    incident_log.set_password("amina", "a new and long one")
    incident_log.change_offices(
        "amina", actor="admin", offices=["colombes-aragon", "nanterre-centre"]
    )
    incident_log.change_role("claire", actor="admin", role="officer")

    with pytest.raises(UserNotFoundError):
        incident_log.authenticate("amina", PASSWORD)
    assert incident_log.authenticate("amina", "a new and long one")["offices"] == [
        "colombes-aragon",
        "nanterre-centre",
    ]
    assert [user["name"] for user in incident_log.list_users()] == ["amina", "claire"]
    assert incident_log.get_user("claire")["role"] == "officer"
    incident_log.deactivate_user("amina", actor="admin", reason="Left the team.")
    with pytest.raises(UserDeactivatedError):
        incident_log.authenticate("amina", "a new and long one")


def test_offices_are_loaded_once(database_url: str, make_log: OpenLog):
    log = make_log(database_url, load_offices=False)
    offices = load_default_offices()
    assert not log.recorder.max_notification_id()

    assert log.ensure_offices(offices) == len(offices)
    assert log.ensure_offices(offices) == 0

    assert [office["code"] for office in log.list_offices()] == sorted(
        office["code"] for office in offices
    )
    added = [e for e in log.iter_history() if e["type"] == "OfficeAdded"]
    assert len(added) == len(offices)


def test_the_log_yields_events_in_strictly_increasing_positions(
    incident_log: IncidentLog,
):
    first = report(incident_log)
    second = report(incident_log, severity=1)
    for incident in (first, second, first):
        incident_log.add_note(
            incident.incident["id"], actor="amina", text="Interleaved note."
        )
    last = incident_log.add_note(second.incident["id"], actor="amina", text="Last.")

    everything = list(incident_log.iter_history())
    in_small_batches = list(incident_log.iter_history(batch=3))

    positions = [event["position"] for event in everything]
    assert positions == sorted(set(positions))
    assert in_small_batches == everything
    assert everything[-1]["position"] == last.position
    assert everything[-1]["data"] == {"text": "Last."}
    from_first = list(incident_log.iter_history(start=first.position))
    assert from_first == [e for e in everything if e["position"] >= first.position]
    assert from_first[0]["type"] == "Reported"


def test_a_second_log_reads_what_the_first_wrote(
    durable_database_url: str, make_log: OpenLog
):
    first = make_log(durable_database_url)
    incident_id, results = record_full_history(first)
    first.register_user(
        actor="admin", name="amina", role="mediator", offices=None, password=PASSWORD
    )
    history = first.get_incident_history(incident_id)
    everything = list(first.iter_history())
    first.close()

    second = make_log(durable_database_url, load_offices=False)

    assert second.get_incident(incident_id) == results[-1].incident
    assert second.get_incident(incident_id, version=5) == {
        **results[4].incident,
        "contact": None,  # erased since, for good
    }
    assert second.get_incident_history(incident_id) == history
    assert list(second.iter_history()) == everything
    assert second.authenticate("amina", PASSWORD)["role"] == "mediator"
    assert [user["name"] for user in second.list_users()] == ["amina"]
    assert second.ensure_offices(load_default_offices()) == 0
    assert len(second.list_offices()) == len(load_default_offices())
    note = second.add_note(incident_id, actor="amina", text="After the restart.")
    assert note.incident["version"] == len(FULL_HISTORY) + 1
    assert note.position > everything[-1]["position"]
