"""Rebuild any history of one incident from its stored events, at every version.

Hypothesis draws a report and a sequence of commands. Each command runs against
the incident in memory; a small model of the rules says whether it must be
refused, and with which error. Accepted commands are saved one by one, so that
afterwards the stored events can be compared with what memory holds, version by
version.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidents.application import IncidentLog
from incidents.domain import AMENDABLE_FIELDS, Incident
from incidents.errors import (
    FollowUpNotFoundError,
    FollowUpNotScheduledError,
    FollowUpsStillScheduledError,
    IncidentAlreadyOpenError,
    IncidentClosedError,
    InvalidInputError,
    NothingToChangeError,
    NothingToEraseError,
)
from incidents.vocabulary import (
    Category,
    EscalationTarget,
    FollowUpKind,
    Outcome,
    PartyRole,
    Resolution,
    Target,
    Technique,
    Trigger,
)

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
# Few ids, so that some commands name a follow-up twice or one never scheduled.
FOLLOW_UP_IDS = [UUID(int=n) for n in range(1, 4)]
ACCEPTED_WHEN_CLOSED = {"reopen", "add_note", "erase_personal_data"}
FOLLOW_UP_STATUS_AFTER = {
    "schedule_follow_up": "scheduled",
    "complete_follow_up": "completed",
    "cancel_follow_up": "cancelled",
}

EVENT_OF = {
    "record_de_escalation": Incident.DeEscalationRecorded,
    "escalate": Incident.Escalated,
    "reassess_severity": Incident.SeverityReassessed,
    "schedule_follow_up": Incident.FollowUpScheduled,
    "complete_follow_up": Incident.FollowUpCompleted,
    "cancel_follow_up": Incident.FollowUpCancelled,
    "add_note": Incident.NoteAdded,
    "amend": Incident.Amended,
    "close": Incident.Closed,
    "reopen": Incident.Reopened,
    "erase_personal_data": Incident.PersonalDataErased,
}


def codes(vocabulary: Any) -> st.SearchStrategy[str]:
    return st.sampled_from([member.value for member in vocabulary])


texts = st.sampled_from(["Calme.", "Usager revenu.", "Vu avec l'encadrant."])
optional_texts = st.none() | texts
instants = st.datetimes(
    # Hypothesis wants naive bounds; the drawn time zones make them aware.
    min_value=datetime(2021, 3, 1),
    max_value=datetime(2026, 3, 1),
    timezones=st.sampled_from(
        [timezone(timedelta(hours=hours)) for hours in (-5, 0, 1, 2, 9)]
    ),
)
parties = st.lists(
    st.fixed_dictionaries(
        {
            "role": codes(PartyRole),
            "count": st.integers(1, 4),
            "description": st.none() | st.just("groupe"),
        }
    ),
    max_size=3,
)

reports = st.fixed_dictionaries(
    {
        "occurred_at": instants,
        "category": codes(Category),
        "severity": st.integers(0, 4),
        "target": codes(Target),
        "trigger": st.none() | codes(Trigger),
        "summary": texts,
        "parties": parties,
        "contact": st.none() | st.just({"name": "M. X", "phone": "0612345678"}),
    }
)


def command(name: str, **arguments: st.SearchStrategy[Any]) -> st.SearchStrategy:
    return st.tuples(st.just(name), st.fixed_dictionaries(arguments))


amendments = st.fixed_dictionaries(
    {},
    optional={
        "category": codes(Category),
        "target": codes(Target),
        "trigger": st.none() | codes(Trigger),
        "summary": texts,
        "parties": parties,
        "occurred_at": instants,
    },
).filter(bool)
follow_up_ids = st.sampled_from(FOLLOW_UP_IDS)

commands = st.one_of(
    command(
        "record_de_escalation",
        techniques=st.lists(codes(Technique), min_size=1, max_size=3, unique=True),
        outcome=codes(Outcome),
        note=optional_texts,
    ),
    command("escalate", to=codes(EscalationTarget), note=optional_texts),
    command("reassess_severity", severity=st.integers(0, 4), reason=texts),
    command(
        "schedule_follow_up",
        follow_up_id=follow_up_ids,
        kind=codes(FollowUpKind),
        due_on=st.dates(date(2026, 3, 1), date(2026, 6, 30)),
        assignee=optional_texts,
        note=optional_texts,
    ),
    command("complete_follow_up", follow_up_id=follow_up_ids, note=optional_texts),
    command("cancel_follow_up", follow_up_id=follow_up_ids, reason=texts),
    command("add_note", text=texts),
    command("amend", changes=amendments, reason=texts),
    command("close", resolution=codes(Resolution), note=optional_texts),
    command("reopen", reason=texts),
    command("erase_personal_data", reason=texts),
)


@dataclass
class Model:
    """Track just enough to say which commands the rules refuse."""

    severity: int
    amendable: dict[str, Any]
    has_contact: bool
    closed: bool = False
    erased: bool = False
    follow_ups: dict[UUID, str] = field(default_factory=dict)

    def refusal(self, name: str, arguments: dict[str, Any]) -> type[Exception] | None:
        """Return the error the command must raise, or None if it is allowed."""
        follow_up = self.follow_ups.get(arguments.get("follow_up_id", UUID(int=0)))
        if self.closed and name not in ACCEPTED_WHEN_CLOSED:
            return IncidentClosedError
        if name == "reopen" and not self.closed:
            return IncidentAlreadyOpenError
        if name == "reassess_severity" and arguments["severity"] == self.severity:
            return NothingToChangeError
        if name == "schedule_follow_up" and follow_up is not None:
            return InvalidInputError
        if name in {"complete_follow_up", "cancel_follow_up"}:
            if follow_up is None:
                return FollowUpNotFoundError
            if follow_up != "scheduled":
                return FollowUpNotScheduledError
        if name == "close" and "scheduled" in self.follow_ups.values():
            return FollowUpsStillScheduledError
        if name == "amend" and all(
            self.amendable[key] == value for key, value in arguments["changes"].items()
        ):
            return NothingToChangeError
        if name == "erase_personal_data" and (self.erased or not self.has_contact):
            return NothingToEraseError
        return None

    def apply(self, name: str, arguments: dict[str, Any]) -> None:
        """Record the effect of an accepted command."""
        if name in FOLLOW_UP_STATUS_AFTER:
            self.follow_ups[arguments["follow_up_id"]] = FOLLOW_UP_STATUS_AFTER[name]
        elif name == "reassess_severity":
            self.severity = arguments["severity"]
        elif name == "amend":
            self.amendable.update(copy.deepcopy(arguments["changes"]))
        elif name in {"close", "reopen"}:
            self.closed = name == "close"
        elif name == "erase_personal_data":
            self.erased = True


def state(incident: Incident) -> dict[str, Any]:
    return {
        name: value
        for name, value in vars(incident).items()
        if name != "_pending_events"
    }


def run(incident: Incident, name: str, arguments: dict[str, Any]) -> None:
    extra = {"now": NOW} if name == "amend" else {}
    getattr(incident, name)(actor="someone", **arguments, **extra)


@settings(max_examples=100, deadline=None)
@given(report=reports, steps=st.lists(commands, min_size=12, max_size=40))
def test_an_incident_rebuilt_from_its_events_equals_the_one_built_in_memory(
    report, steps
):
    log = IncidentLog({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=lambda: NOW)
    incident = Incident.report(
        actor="someone", office="colombes-aragon", now=NOW, **report
    )
    log.save(incident)
    snapshots = [copy.deepcopy(incident.to_dict())]
    model = Model(
        severity=incident.severity,
        amendable=copy.deepcopy(
            {name: getattr(incident, name) for name in AMENDABLE_FIELDS}
        ),
        has_contact=incident.contact is not None,
    )
    applied: list[type] = [Incident.Reported]

    for name, arguments in steps:
        expected = model.refusal(name, arguments)
        before = incident.to_dict()
        if expected is not None:
            with pytest.raises(expected) as raised:
                run(incident, name, arguments)
            assert type(raised.value) is expected, (name, arguments)
            # A refused command leaves neither an event to save nor a trace.
            assert incident.pending_events == []
            assert incident.to_dict() == before
            continue
        run(incident, name, arguments)
        assert [type(e) for e in incident.pending_events] == [EVENT_OF[name]]
        log.save(incident)
        model.apply(name, arguments)
        applied.append(EVENT_OF[name])
        snapshots.append(copy.deepcopy(incident.to_dict()))

    assert incident.version == len(applied) == len(snapshots)
    assert incident.is_closed == model.closed

    rebuilt = log.repository.get(incident.id)
    assert rebuilt.to_dict() == incident.to_dict()
    assert state(rebuilt) == state(incident)
    assert rebuilt == incident

    for version, snapshot in enumerate(snapshots, start=1):
        assert log.get_incident(incident.id, version=version) == snapshot

    history = log.get_incident_history(incident.id)
    assert [item["type"] for item in history] == [cls.__name__ for cls in applied]
