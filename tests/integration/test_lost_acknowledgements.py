"""A write committed whose answer was lost is stored once, never applied twice.

A connection can break just after the database committed a write and before
the answer came back; the recorder then retries the insert, which meets the
rows it had just written and raises IntegrityError. The command must count as
done, as it is, rather than be applied again at the next version.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from incidents.application import IncidentLog


def _report(log: IncidentLog) -> Any:
    log.register_user(actor="test", name="mediator", role="mediator")
    return log.report_incident(
        actor="mediator",
        office="colombes-aragon",
        occurred_at=datetime.now(UTC) - timedelta(minutes=5),
        category="waiting_time",
        severity=1,
        target="mediator",
        summary="Attente au guichet.",
    ).incident["id"]


def _lose_the_next_answer(
    log: IncidentLog, monkeypatch: pytest.MonkeyPatch
) -> list[int]:
    """Commit the next insert, then raise as a retried insert would."""
    real_insert = log.recorder.insert_events
    lost: list[int] = []

    def insert_then_lose_the_answer(*args: Any, **kwargs: Any) -> Any:
        if not lost:
            lost.append(len(real_insert(*args, **kwargs)))
            raise IntegrityError("duplicate key: the retried insert met its own rows")
        return real_insert(*args, **kwargs)

    monkeypatch.setattr(log.recorder, "insert_events", insert_then_lose_the_answer)
    return lost


def test_a_note_whose_answer_was_lost_is_stored_once(
    incident_log: IncidentLog, monkeypatch: pytest.MonkeyPatch
):
    incident_id = _report(incident_log)
    lost = _lose_the_next_answer(incident_log, monkeypatch)

    result = incident_log.add_note(
        incident_id, actor="mediator", text="Rappeler le responsable."
    )

    assert lost == [1]
    assert result.incident["version"] == 2
    history = incident_log.get_incident_history(incident_id)
    assert [event["type"] for event in history] == ["Reported", "NoteAdded"]
    assert result.position == incident_log.recorder.max_notification_id()


def test_a_change_of_person_whose_answer_was_lost_is_stored_once(
    incident_log: IncidentLog, monkeypatch: pytest.MonkeyPatch
):
    incident_log.register_user(actor="test", name="officer", role="officer")
    before = incident_log.get_user("officer")["version"]
    _lose_the_next_answer(incident_log, monkeypatch)

    incident_log.change_role("officer", actor="admin", role="auditor")

    after = incident_log.get_user("officer")
    assert after["role"] == "auditor"
    assert after["version"] == before + 1


def test_a_version_taken_by_another_writer_is_still_retried(
    incident_log: IncidentLog, monkeypatch: pytest.MonkeyPatch
):
    incident_id = _report(incident_log)
    real_insert = incident_log.recorder.insert_events
    raced: list[bool] = []

    def another_writer_first(*args: Any, **kwargs: Any) -> Any:
        if not raced:
            raced.append(True)
            monkeypatch.setattr(incident_log.recorder, "insert_events", real_insert)
            incident_log.add_note(incident_id, actor="mediator", text="Une autre note.")
            return real_insert(*args, **kwargs)  # Meets the other writer's row.
        return real_insert(*args, **kwargs)

    monkeypatch.setattr(incident_log.recorder, "insert_events", another_writer_first)

    result = incident_log.add_note(incident_id, actor="mediator", text="Ma note.")

    history = incident_log.get_incident_history(incident_id)
    assert [event["type"] for event in history] == [
        "Reported",
        "NoteAdded",
        "NoteAdded",
    ]
    assert result.incident["version"] == 3
