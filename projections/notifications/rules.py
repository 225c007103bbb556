"""Say which facts of the log call for a notification, and what they change.

Pure functions over facts: given a batch of facts and the incidents' rows they
refer to, :func:`evaluate` returns the rows to write and the *hits* (a kind of
notification about a subject in an office). Who receives a hit is
:mod:`.recipients`'s to say; follow-ups falling overdue are found by date, not
by a fact (:meth:`.store.NotifierStore.overdue_follow_ups`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from projections.facts import Fact

INCIDENT = "incidents:Incident."
NOTIFICATION = "incidents:Notification."
# Escalations that reach people outside the office: worth telling at once.
ALARMING_ESCALATIONS = frozenset({"police", "emergency_services"})
DEFAULT_MIN_SEVERITY = 3


@dataclass(frozen=True)
class Hit:
    """Say that a kind of notification is due about a subject in an office."""

    kind: str
    subject: str
    office: str
    incident_id: str
    follow_up_id: str | None = None
    assignee: str | None = None


@dataclass
class Effects:
    """Hold what a batch of facts changes, and the notifications it calls for."""

    incidents: dict[str, dict[str, Any]] = field(default_factory=dict)
    follow_ups: list[tuple[str, Any]] = field(default_factory=list)
    messages: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)


def incident_ids(facts: Sequence[Fact]) -> set[str]:
    """Return the ids of the incidents a batch of facts is about."""
    return {
        fact.originator_id
        for fact in facts
        if (fact.kind.topic or "").startswith(INCIDENT)
    }


def evaluate(
    facts: Sequence[Fact],
    known: dict[str, dict[str, Any]],
    *,
    since: int,
    min_severity: int = DEFAULT_MIN_SEVERITY,
) -> Effects:
    """Apply facts in order to the incidents' rows; say what they call for.

    Facts at or before ``since`` only change rows: they were stored before the
    notifier first ran, and nobody is told about them now.
    """
    effects = Effects()
    rows = {key: dict(row) for key, row in known.items()}
    for fact in facts:
        topic = fact.kind.topic or ""
        if topic.startswith(INCIDENT):
            _incident_fact(
                fact,
                rows,
                effects,
                fires=fact.position > since,
                min_severity=min_severity,
            )
        elif topic.startswith(NOTIFICATION):
            _notification_fact(fact, effects)
    return effects


def _incident_fact(
    fact: Fact,
    rows: dict[str, dict[str, Any]],
    effects: Effects,
    *,
    fires: bool,
    min_severity: int,
) -> None:
    name, key = fact.kind.name, fact.originator_id
    if name == "Reported":
        new_row = {
            "office": fact.get("office"),
            "category": fact.get("category"),
            "severity": int(fact.get("severity")),
            "occurred_at": fact.get("occurred_at"),
            "recorded_at": fact.recorded_at,
        }
        rows[key] = effects.incidents[key] = new_row
        if fires and new_row["severity"] >= min_severity:
            effects.hits.append(Hit("severe_incident", key, new_row["office"], key))
        return
    if key not in rows:  # Never seen reported: nothing to say about it.
        return
    row = rows[key]
    if name == "SeverityReassessed":
        row["severity"] = int(fact.get("severity"))
        effects.incidents[key] = row
        if fires and row["severity"] >= min_severity:
            effects.hits.append(Hit("severe_incident", key, row["office"], key))
    elif name == "Amended":
        changes = fact.get("changes") or {}
        for column in ("office", "category", "occurred_at"):
            if column in changes:
                row[column] = changes[column]
        effects.incidents[key] = row
    elif name == "Escalated":
        if fires and fact.get("to") in ALARMING_ESCALATIONS:
            effects.hits.append(Hit("escalation", key, row["office"], key))
    elif name == "FollowUpScheduled":
        effects.follow_ups.append(
            (
                "put",
                {
                    "follow_up_id": fact.get("follow_up_id"),
                    "incident_id": key,
                    "due_on": fact.get("due_on"),
                    "assignee": fact.get("assignee"),
                },
            )
        )
    elif name in {"FollowUpCompleted", "FollowUpCancelled"}:
        status = "completed" if name == "FollowUpCompleted" else "cancelled"
        effects.follow_ups.append(("end", (fact.get("follow_up_id"), status)))


def _notification_fact(fact: Fact, effects: Effects) -> None:
    name, key, at = fact.kind.name, fact.originator_id, fact.recorded_at
    if name == "NotificationPlanned":
        channel = fact.get("channel")
        effects.messages.append(
            (
                "put",
                key,
                {
                    "id": key,
                    "key": fact.get("key"),
                    "kind": fact.get("kind"),
                    "recipient": fact.get("recipient"),
                    "channel": channel,
                    "office": fact.get("office"),
                    "incident_id": fact.get("incident_id"),
                    "follow_up_id": fact.get("follow_up_id"),
                    "created_at": at,
                    "state": "pending" if channel == "mail" else "bell",
                    "attempts": 0,
                    "updated_at": at,
                },
            )
        )
    elif name == "DeliveryAttempted":
        effects.messages.append(
            (
                "update",
                key,
                {"state": "sending", "attempts": fact.get("attempt"), "updated_at": at},
            )
        )
    elif name == "NotificationSent":
        effects.messages.append(
            ("update", key, {"state": "sent", "last_error": None, "updated_at": at})
        )
    elif name == "DeliveryFailed":
        effects.messages.append(
            (
                "update",
                key,
                {
                    "state": "failed",
                    "last_error": fact.get("error"),
                    "retry_at": fact.get("retry_at"),
                    "updated_at": at,
                },
            )
        )
    elif name == "NotificationRead":
        effects.messages.append(("update", key, {"read_at": at}))
