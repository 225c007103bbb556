"""Correct what was reported by amendment: some fields only, always with a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incidents.domain import AMENDABLE_FIELDS, Incident
from incidents.errors import InvalidInputError, NothingToChangeError
from incidents.values import CLOCK_SKEW

NEW_VALUES = {
    "category": "threat",
    "target": "staff",
    "trigger": None,
    "summary": "Menaces envers l'agent, pas envers la médiatrice.",
    "parties": [{"role": "visitor", "count": 2, "description": None}],
    "occurred_at": datetime(2026, 3, 2, 8, 45, tzinfo=UTC),
}


def test_the_amendable_fields_are_those_of_the_design():
    assert set(AMENDABLE_FIELDS) == set(NEW_VALUES)


@pytest.mark.parametrize("field", list(NEW_VALUES))
def test_amends_each_amendable_field_saying_why(incident, now, field):
    original = incident.to_dict()

    incident.amend(
        actor="officer-1",
        changes={field: NEW_VALUES[field]},
        reason="Erreur de saisie.",
        now=now,
    )

    (event,) = incident.collect_events()
    assert isinstance(event, Incident.Amended)
    assert event.changes == {field: NEW_VALUES[field]}
    assert (event.reason, event.actor) == ("Erreur de saisie.", "officer-1")
    assert getattr(incident, field) == NEW_VALUES[field]
    changed = incident.to_dict()
    assert changed[field] != original[field]
    unchanged = set(original) - {field, "version", "modified_at", "amendments"}
    assert {name: changed[name] for name in unchanged} == {
        name: original[name] for name in unchanged
    }
    assert [(a.changes, a.reason) for a in incident.amendments] == [
        ({field: NEW_VALUES[field]}, "Erreur de saisie.")
    ]


def test_records_only_the_values_that_change(incident, now):
    incident.amend(
        actor="officer-1",
        changes={"category": "verbal_incivility", "target": "staff"},
        reason="Cible corrigée.",
        now=now,
    )

    (event,) = incident.collect_events()
    assert event.changes == {"target": "staff"}


@pytest.mark.parametrize(
    "field", ["severity", "office", "contact", "status", "resolution", "client_ref"]
)
def test_refuses_to_amend_a_field_that_is_not_amendable(incident, now, field):
    with pytest.raises(InvalidInputError) as raised:
        incident.amend(
            actor="officer-1",
            changes={field: "x", "category": "threat"},
            reason="Essai.",
            now=now,
        )

    assert list(raised.value.errors) == ["changes"]
    assert f"Cannot amend {field}: only " in raised.value.message
    assert ", ".join(AMENDABLE_FIELDS) in raised.value.message
    assert incident.category == "verbal_incivility"
    assert incident.collect_events() == []


@pytest.mark.parametrize("changes", [{}, None, ["category"]])
def test_refuses_an_amendment_without_changes(incident, now, changes):
    with pytest.raises(InvalidInputError, match="changes: Give at least one of"):
        incident.amend(actor="officer-1", changes=changes, reason="Rien.", now=now)

    assert incident.collect_events() == []


@pytest.mark.parametrize("reason", [None, "", "  "])
def test_refuses_an_amendment_without_a_reason(incident, now, reason):
    with pytest.raises(InvalidInputError, match="reason: This text is required"):
        incident.amend(
            actor="officer-1", changes={"category": "threat"}, reason=reason, now=now
        )

    assert incident.category == "verbal_incivility"
    assert incident.collect_events() == []


def test_refuses_an_amendment_that_changes_nothing(incident, now):
    with pytest.raises(NothingToChangeError, match="changes nothing"):
        incident.amend(
            actor="officer-1",
            changes={"category": "verbal_incivility", "trigger": "queue"},
            reason="Pareil.",
            now=now,
        )

    assert incident.collect_events() == []


def test_refuses_to_amend_occurred_at_into_the_future(incident, now):
    with pytest.raises(InvalidInputError, match="is in the future") as raised:
        incident.amend(
            actor="officer-1",
            changes={"occurred_at": now + CLOCK_SKEW + timedelta(seconds=1)},
            reason="Heure corrigée.",
            now=now,
        )

    assert list(raised.value.errors) == ["changes.occurred_at"]
    assert incident.collect_events() == []


def test_refuses_to_amend_occurred_at_to_a_time_without_a_time_zone(incident, now):
    with pytest.raises(InvalidInputError, match="Give a time zone") as raised:
        incident.amend(
            actor="officer-1",
            changes={"occurred_at": "2026-03-02T08:00:00"},
            reason="Heure corrigée.",
            now=now,
        )

    assert list(raised.value.errors) == ["changes.occurred_at"]


def test_the_log_amends_against_its_own_clock(new_log, payload, now):
    later = now + timedelta(hours=2)
    log = new_log(clock=lambda: later)
    incident_id = log.report_incident(**payload()).incident["id"]

    result = log.amend_incident(
        incident_id,
        actor="officer-1",
        changes={"occurred_at": later},
        reason="Heure corrigée.",
    )

    assert result.incident["occurred_at"] == later
    with pytest.raises(InvalidInputError, match="is in the future"):
        log.amend_incident(
            incident_id,
            actor="officer-1",
            changes={"occurred_at": later + timedelta(minutes=6)},
            reason="Heure corrigée.",
        )


def test_the_original_report_stays_in_the_history(log, reported):
    incident_id = reported()

    log.amend_incident(
        incident_id, actor="officer-1", changes={"category": "theft"}, reason="Vol."
    )

    history = log.get_incident_history(incident_id)
    assert [item["type"] for item in history] == ["Reported", "Amended"]
    assert history[0]["data"]["category"] == "verbal_incivility"
    assert history[1]["data"]["changes"] == {"category": "theft"}
    assert log.get_incident(incident_id, version=1)["category"] == "verbal_incivility"
    assert log.get_incident(incident_id)["category"] == "theft"
