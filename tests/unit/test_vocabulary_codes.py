"""Refuse every code outside the vocabulary, naming the field and the codes allowed."""

from __future__ import annotations

from enum import StrEnum
from uuid import uuid4

import pytest

from incidents.errors import InvalidInputError
from incidents.vocabulary import (
    Category,
    EscalationTarget,
    FollowUpKind,
    Outcome,
    PartyRole,
    Resolution,
    Role,
    Target,
    Technique,
    Trigger,
)

UNKNOWN = "not_a_code"


def command_with(field, value, now):
    """Return the command that carries ``value`` in ``field``."""
    commands = {
        "category": lambda incident: incident.amend(
            actor="o", changes={"category": value}, reason="r", now=now
        ),
        "target": lambda incident: incident.amend(
            actor="o", changes={"target": value}, reason="r", now=now
        ),
        "trigger": lambda incident: incident.amend(
            actor="o", changes={"trigger": value}, reason="r", now=now
        ),
        "techniques": lambda incident: incident.record_de_escalation(
            actor="m", techniques=[value], outcome="calmed"
        ),
        "outcome": lambda incident: incident.record_de_escalation(
            actor="m", techniques=["explanation"], outcome=value
        ),
        "to": lambda incident: incident.escalate(actor="m", to=value),
        "kind": lambda incident: incident.schedule_follow_up(
            actor="m", follow_up_id=uuid4(), kind=value, due_on="2026-03-09"
        ),
        "resolution": lambda incident: incident.close(actor="o", resolution=value),
    }
    return commands[field]


REPORT_FIELDS = [
    ("category", Category),
    ("target", Target),
    ("trigger", Trigger),
]

COMMAND_FIELDS = [
    ("category", "changes.category", Category),
    ("target", "changes.target", Target),
    ("trigger", "changes.trigger", Trigger),
    ("techniques", "techniques", Technique),
    ("outcome", "outcome", Outcome),
    ("to", "to", EscalationTarget),
    ("kind", "kind", FollowUpKind),
    ("resolution", "resolution", Resolution),
]


def assert_refused_listing(error: InvalidInputError, field: str, vocabulary) -> None:
    assert list(error.errors) == [field]
    (message,) = error.errors[field]
    assert message.startswith(f"{UNKNOWN!r} is not one of: ")
    assert message == (
        f"{UNKNOWN!r} is not one of: {', '.join(code.value for code in vocabulary)}."
    )
    assert f"{field}: {message}" in error.message


@pytest.mark.parametrize(("field", "vocabulary"), REPORT_FIELDS)
def test_a_report_refuses_an_unknown_code(report, field, vocabulary):
    with pytest.raises(InvalidInputError) as raised:
        report(**{field: UNKNOWN})

    assert_refused_listing(raised.value, field, vocabulary)


def test_a_report_refuses_an_unknown_party_role(report):
    with pytest.raises(InvalidInputError) as raised:
        report(parties=[{"role": "visitor"}, {"role": UNKNOWN, "count": 2}])

    assert_refused_listing(raised.value, "parties.1.role", PartyRole)


@pytest.mark.parametrize(("name", "field", "vocabulary"), COMMAND_FIELDS)
def test_a_command_refuses_an_unknown_code(incident, now, name, field, vocabulary):
    before = incident.to_dict()

    with pytest.raises(InvalidInputError) as raised:
        command_with(name, UNKNOWN, now)(incident)

    assert_refused_listing(raised.value, field, vocabulary)
    assert incident.collect_events() == []
    assert incident.to_dict() == before


@pytest.mark.parametrize(
    ("name", "vocabulary"),
    [(name, vocabulary) for name, _, vocabulary in COMMAND_FIELDS],
)
def test_a_command_accepts_every_code_of_its_vocabulary(report, now, name, vocabulary):
    for member in vocabulary:
        incident = report(category="other", target="property", trigger=None)
        if (name, member.value) in {
            ("category", "other"),
            ("target", "property"),
        }:
            continue  # Amending to the current value changes nothing.
        command_with(name, member.value, now)(incident)
        assert len(incident.collect_events()) == 1


@pytest.mark.parametrize("value", ["Threat", " threat", "", None, 3])
def test_codes_are_exact_strings(report, value):
    with pytest.raises(InvalidInputError, match=r"category: .* is not one of"):
        report(category=value)


def test_the_enum_members_are_accepted_as_codes(report):
    incident = report(category=Category.THEFT, target=Target.PROPERTY)

    assert (incident.category, incident.target) == ("theft", "property")
    assert type(incident.category) is str


@pytest.mark.parametrize("role", [UNKNOWN, "Admin", None])
def test_registering_a_user_refuses_an_unknown_role(log, role):
    with pytest.raises(InvalidInputError) as raised:
        log.register_user(actor="admin", name="alice", role=role)

    assert list(raised.value.errors) == ["role"]
    assert ", ".join(r.value for r in Role) in raised.value.message


def test_changing_a_role_refuses_an_unknown_role(log):
    log.register_user(actor="admin", name="alice", role="mediator")

    with pytest.raises(InvalidInputError) as raised:
        log.change_role("alice", actor="admin", role=UNKNOWN)

    assert list(raised.value.errors) == ["role"]
    assert "mediator, officer, auditor, admin" in raised.value.message
    assert log.get_user("alice")["role"] == "mediator"


def test_every_vocabulary_is_a_set_of_lower_case_string_codes():
    vocabularies: list[type[StrEnum]] = [
        Category,
        Target,
        Trigger,
        PartyRole,
        Technique,
        Outcome,
        EscalationTarget,
        FollowUpKind,
        Resolution,
        Role,
    ]
    for vocabulary in vocabularies:
        for member in vocabulary:
            assert member.value == member.name.lower()
