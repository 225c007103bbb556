"""The office summary equals a direct count over the events, now and as of a time.

Hypothesis draws a history over a few offices: reports, then commands that the
rules accept (de-escalations, escalations, reassessments, amendments, follow-ups
scheduled, completed and cancelled, closes and reopens). The expected summary is
recomputed here from each incident's stored events, following DESIGN.md, without
using any code of ``projections``.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from incidents.application import IncidentLog, load_default_offices
from incidents.vocabulary import (
    Category,
    EscalationTarget,
    FollowUpKind,
    Outcome,
    Resolution,
    Severity,
    Target,
    Technique,
    Trigger,
)
from projections import replay
from projections.projector import Projector
from projections.queries import ReadModels

PARIS = ZoneInfo("Europe/Paris")
OFFICES = [office["code"] for office in load_default_offices()[:3]]
# Fixed once per session: occurred_at stays in the past, due dates around today.
NOW = datetime.now(UTC)
TODAY = NOW.astimezone(PARIS).date()
ACTOR = "mediator-1"
OFFICER = "officer-1"

SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def codes(vocabulary: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from([member.value for member in vocabulary])


past_instants = st.integers(1, 21 * 24 * 60).map(
    lambda minutes: NOW - timedelta(minutes=minutes)
)
due_dates = st.sampled_from([-5, -1, 0, 0, 1, 4]).map(
    lambda days: TODAY + timedelta(days=days)
)
reports = st.fixed_dictionaries(
    {
        "office": st.sampled_from(OFFICES),
        "occurred_at": past_instants,
        "category": codes(Category),
        "severity": codes(Severity),
        "target": codes(Target),
        "trigger": st.none() | codes(Trigger),
    }
)


def day_ranges() -> st.SearchStrategy[tuple[date | None, date | None]]:
    days = st.integers(-24, 1).map(lambda offset: TODAY + timedelta(days=offset))
    return st.tuples(st.none() | days, st.none() | days).map(
        lambda pair: (
            (min(pair), max(pair)) if None not in pair else pair  # type: ignore[type-var]
        )
    )


# The history.


@dataclass
class History:
    """Say what was written: the incidents, the commands, instants between them."""

    log: IncidentLog
    incident_ids: list[UUID] = field(default_factory=list)
    # Every command sent, as (method of IncidentLog, args, kwargs), ids included,
    # so that another log can be sent the same commands.
    sent: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = field(
        default_factory=list
    )
    # (an instant after a command, how many commands were sent before it)
    checkpoints: list[tuple[datetime, int]] = field(default_factory=list)

    def send(self, method: str, *args: Any, **kwargs: Any) -> None:
        getattr(self.log, method)(*args, **kwargs)
        self.sent.append((method, args, kwargs))


def new_log() -> IncidentLog:
    log = IncidentLog({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    log.ensure_offices(load_default_offices())
    return log


def make_history(
    data: st.DataObject,
    log: IncidentLog,
    *,
    after_each: Callable[[int], object] = lambda count: None,
    max_commands: int = 40,
) -> History:
    """Draw and run a valid history; call ``after_each`` after every command."""
    history = History(log)
    count = data.draw(st.integers(1, max_commands), label="commands")
    for _ in range(count):
        if not history.incident_ids or data.draw(st.integers(0, 4)) == 0:
            incident_id = uuid4()
            report = data.draw(reports, label="report")
            history.send(
                "report_incident",
                actor=ACTOR,
                summary="Tension.",
                incident_id=incident_id,
                **report,
            )
            history.incident_ids.append(incident_id)
        else:
            incident_id = data.draw(st.sampled_from(history.incident_ids))
            if not send_command(data, history, incident_id):
                continue
        after_each(len(history.sent))
        history.checkpoints.append((datetime.now(UTC), len(history.sent)))
    return history


def send_command(data: st.DataObject, history: History, incident_id: UUID) -> bool:
    """Send one command the rules accept on an incident; tell whether one was."""
    incident = history.log.get_incident(incident_id)
    scheduled = [f["id"] for f in incident["follow_ups"] if f["status"] == "scheduled"]
    if incident["status"] == "closed":
        names = ["reopen", "note"]
    else:
        names = ["de_escalate", "escalate", "reassess", "amend", "schedule", "note"]
        names += ["complete", "cancel"] if scheduled else ["close"]
    name = data.draw(st.sampled_from(names), label="command")
    send = history.send
    if name == "de_escalate":
        techniques = st.lists(codes(Technique), min_size=1, max_size=3, unique=True)
        send(
            "record_de_escalation",
            incident_id,
            actor=ACTOR,
            techniques=data.draw(techniques),
            outcome=data.draw(codes(Outcome)),
        )
    elif name == "escalate":
        send(
            "escalate_incident",
            incident_id,
            actor=ACTOR,
            to=data.draw(codes(EscalationTarget)),
        )
    elif name == "reassess":
        severity = data.draw(
            codes(Severity).filter(lambda value: value != incident["severity"])
        )
        send(
            "reassess_severity",
            incident_id,
            actor=OFFICER,
            severity=severity,
            reason="Revu.",
        )
    elif name == "amend":
        changes = data.draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "category": codes(Category),
                    "target": codes(Target),
                    "trigger": st.none() | codes(Trigger),
                    "occurred_at": past_instants,
                },
            )
        )
        changes = {k: v for k, v in changes.items() if incident[k] != v}
        if not changes:
            return False
        send(
            "amend_incident",
            incident_id,
            actor=ACTOR,
            changes=changes,
            reason="Correction.",
        )
    elif name == "schedule":
        send(
            "schedule_follow_up",
            incident_id,
            actor=ACTOR,
            follow_up_id=uuid4(),
            kind=data.draw(codes(FollowUpKind)),
            due_on=data.draw(due_dates),
        )
    elif name == "complete":
        send(
            "complete_follow_up",
            incident_id,
            data.draw(st.sampled_from(scheduled)),
            actor=ACTOR,
        )
    elif name == "cancel":
        follow_up_id = data.draw(st.sampled_from(scheduled))
        send(
            "cancel_follow_up",
            incident_id,
            follow_up_id,
            actor=ACTOR,
            reason="Sans objet.",
        )
    elif name == "close":
        send(
            "close_incident",
            incident_id,
            actor=OFFICER,
            resolution=data.draw(codes(Resolution)),
        )
    elif name == "reopen":
        send("reopen_incident", incident_id, actor=OFFICER, reason="Revenu.")
    else:
        send("add_note", incident_id, actor=ACTOR, text="Note.")
    return True


# The expected summary, recomputed from the events.


@dataclass
class Known:
    """What the events recorded up to some time say about one incident."""

    office: str
    occurred_at: datetime
    category: str
    severity: int
    target: str
    trigger: str | None
    status: str = "open"
    closed_at: datetime | None = None
    outcomes: list[str] = field(default_factory=list)
    escalations: list[str] = field(default_factory=list)
    follow_ups: dict[Any, tuple[str, date]] = field(default_factory=dict)


def fold(events: list[dict[str, Any]], as_of: datetime | None) -> Known | None:
    known: Known | None = None
    for stored in events:
        if as_of is not None and stored["recorded_at"] > as_of:
            break
        kind, data = stored["type"], stored["data"]
        if kind == "Reported":
            known = Known(
                office=data["office"],
                occurred_at=data["occurred_at"],
                category=data["category"],
                severity=data["severity"],
                target=data["target"],
                trigger=data["trigger"],
            )
            continue
        assert known is not None
        if kind == "DeEscalationRecorded":
            known.outcomes.append(data["outcome"])
        elif kind == "Escalated":
            known.escalations.append(data["to"])
        elif kind == "SeverityReassessed":
            known.severity = data["severity"]
        elif kind == "Amended":
            for name, value in data["changes"].items():
                setattr(known, name, value)
        elif kind == "FollowUpScheduled":
            known.follow_ups[data["follow_up_id"]] = ("scheduled", data["due_on"])
        elif kind == "FollowUpCompleted":
            due_on = known.follow_ups[data["follow_up_id"]][1]
            known.follow_ups[data["follow_up_id"]] = ("completed", due_on)
        elif kind == "FollowUpCancelled":
            due_on = known.follow_ups[data["follow_up_id"]][1]
            known.follow_ups[data["follow_up_id"]] = ("cancelled", due_on)
        elif kind == "Closed":
            known.status, known.closed_at = "closed", stored["recorded_at"]
        elif kind == "Reopened":
            known.status, known.closed_at = "open", None
    return known


def expected_summary(
    history: History,
    office: str,
    *,
    from_: date | None = None,
    to: date | None = None,
    as_of: datetime | None = None,
    today: date = TODAY,
) -> dict[str, Any]:
    """Count, following DESIGN.md, straight from each incident's events."""
    incidents: list[Known] = []
    for incident_id in history.incident_ids:
        known = fold(history.log.get_incident_history(incident_id), as_of)
        if known is None or known.office != office:
            continue
        day = known.occurred_at.astimezone(PARIS).date()
        if (from_ is None or day >= from_) and (to is None or day <= to):
            incidents.append(known)
    outcomes = Counter(o for known in incidents for o in known.outcomes)
    attempts = sum(outcomes.values())
    follow_ups = [f for known in incidents for f in known.follow_ups.values()]
    hours = sorted(
        (known.closed_at - known.occurred_at).total_seconds() / 3600
        for known in incidents
        if known.closed_at is not None
    )

    def count(values: list[Any], vocabulary: Any) -> dict[str, int]:
        counter = Counter(values)
        return {str(member.value): counter[member.value] for member in vocabulary}

    return {
        "office": office,
        "from": from_.isoformat() if from_ else None,
        "to": to.isoformat() if to else None,
        "as_of": (
            as_of.astimezone(UTC).isoformat(timespec="microseconds") if as_of else None
        ),
        "incidents": {
            "total": len(incidents),
            "open": sum(known.status == "open" for known in incidents),
            "by_category": count([k.category for k in incidents], Category),
            "by_severity": count([k.severity for k in incidents], Severity),
            "by_target": count([k.target for k in incidents], Target),
            "by_trigger": count([k.trigger for k in incidents], Trigger),
        },
        "de_escalations": {
            "total": attempts,
            "by_outcome": {code.value: outcomes[code.value] for code in Outcome},
            "calmed_rate": outcomes["calmed"] / attempts if attempts else 0,
        },
        "escalations": {
            "by_target": count(
                [to for known in incidents for to in known.escalations],
                EscalationTarget,
            )
        },
        "follow_ups": {
            "scheduled": len(follow_ups),
            "completed": sum(status == "completed" for status, _ in follow_ups),
            "cancelled": sum(status == "cancelled" for status, _ in follow_ups),
            "open": sum(status == "scheduled" for status, _ in follow_ups),
            "overdue": sum(
                status == "scheduled" and due_on < today
                for status, due_on in follow_ups
            ),
        },
        "time_to_close_hours": {
            "median": round(statistics.median(hours), 2) if hours else None,
            # Nearest rank: the smallest value with at least 90 % at or below it.
            "p90": round(hours[math.ceil(0.9 * len(hours)) - 1], 2) if hours else None,
        },
    }


def assert_same_summary(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    """Compare two summaries; the calmed rate may be rounded (to 4 decimals)."""
    actual_rate = actual["de_escalations"]["calmed_rate"]
    expected_rate = expected["de_escalations"]["calmed_rate"]
    assert abs(actual_rate - expected_rate) <= 0.5e-4, (actual_rate, expected_rate)
    strip = {**actual["de_escalations"], "calmed_rate": None}
    assert {**actual, "de_escalations": strip} == {
        **expected,
        "de_escalations": {**expected["de_escalations"], "calmed_rate": None},
    }


def summaries(read_models: ReadModels, ranges: list[Any]) -> list[dict[str, Any]]:
    return [
        read_models.office_summary(office, from_=from_, to=to, today=TODAY)
        for office in OFFICES
        for from_, to in ranges
    ]


# The properties.


@SETTINGS
@given(data=st.data(), ranges=st.lists(day_ranges(), min_size=1, max_size=3))
def test_office_summary_equals_a_count_over_the_events(
    data: st.DataObject, ranges: list[tuple[date | None, date | None]]
) -> None:
    log = new_log()
    projector = Projector(log)
    history = make_history(data, log, after_each=lambda _: projector.catch_up())
    read_models = ReadModels(projector)
    for office in OFFICES:
        for from_, to in [(None, None), *ranges]:
            assert_same_summary(
                read_models.office_summary(office, from_=from_, to=to, today=TODAY),
                expected_summary(history, office, from_=from_, to=to),
            )
    # Overdue is relative to the day asked for.
    for days in (-1, 1, 10):
        other_day = TODAY + timedelta(days=days)
        for office in OFFICES:
            assert_same_summary(
                read_models.office_summary(office, today=other_day),
                expected_summary(history, office, today=other_day),
            )
    summary = [expected_summary(history, office) for office in OFFICES]
    event(f"incidents: {min(sum(s['incidents']['total'] for s in summary), 5)}+")
    if any(s["follow_ups"]["overdue"] for s in summary):
        event("some follow-up overdue")
    if any(s["time_to_close_hours"]["median"] is not None for s in summary):
        event("some incident closed")
    if any(s["de_escalations"]["total"] for s in summary):
        event("some de-escalation")


@SETTINGS
@given(data=st.data(), ranges=st.lists(day_ranges(), min_size=1, max_size=2))
def test_incremental_processing_equals_a_rebuild(
    data: st.DataObject, ranges: list[tuple[date | None, date | None]]
) -> None:
    log = new_log()
    each = Projector(log)  # catches up after every command
    small = Projector(log, batch_size=3)  # in batches of 3, every few commands
    every = data.draw(st.integers(2, 5), label="catch up every")

    def after_each(count: int) -> None:
        each.catch_up()
        if count % every == 0:
            small.catch_up()

    make_history(data, log, after_each=after_each)
    small.catch_up()
    head = log.recorder.max_notification_id()
    assert each.position() == small.position() == head
    ranges = [(None, None), *ranges]
    for projector in (each, small):
        result = replay.check(projector)
        assert result.differences == []
        assert result.position == head
    assert summaries(ReadModels(each), ranges) == summaries(ReadModels(small), ranges)
    before = summaries(ReadModels(each), ranges)
    rebuilt = replay.rebuild(each)
    assert rebuilt.events == head
    assert summaries(ReadModels(each), ranges) == before


@SETTINGS
@given(data=st.data(), range_=day_ranges())
def test_summary_as_of_a_time_equals_the_events_recorded_until_then(
    data: st.DataObject, range_: tuple[date | None, date | None]
) -> None:
    log = new_log()
    projector = Projector(log, batch_size=4)
    history = make_history(data, log)
    projector.catch_up()
    read_models = ReadModels(projector)
    moments = [datetime(2000, 1, 1, tzinfo=UTC)] + [
        moment for moment, _ in history.checkpoints
    ]
    chosen = data.draw(
        st.lists(st.sampled_from(moments), min_size=1, max_size=4, unique=True),
        label="as of",
    )
    from_, to = range_
    for as_of in chosen:
        for office in OFFICES:
            expected = expected_summary(
                history, office, from_=from_, to=to, as_of=as_of
            )
            assert_same_summary(
                read_models.office_summary(
                    office, from_=from_, to=to, as_of=as_of, today=TODAY
                ),
                expected,
            )


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_summary_as_of_a_time_equals_a_log_fed_only_until_then(
    data: st.DataObject,
) -> None:
    """Sending the commands made up to T to a fresh log gives the same counts.

    Closing times differ (events are stamped when written), so durations are left
    out of this comparison; the test above covers them.
    """
    first = new_log()
    history = make_history(data, first, max_commands=20)
    projector = Projector(first)
    projector.catch_up()
    moment, made = data.draw(st.sampled_from(history.checkpoints), label="as of")
    second = new_log()
    for method, args, kwargs in history.sent[:made]:
        getattr(second, method)(*args, **kwargs)
    fresh = Projector(second)
    fresh.catch_up()
    for office in OFFICES:
        then = ReadModels(projector).office_summary(office, as_of=moment, today=TODAY)
        now = ReadModels(fresh).office_summary(office, today=TODAY)
        for summary in (then, now):
            summary.pop("as_of")
            summary.pop("time_to_close_hours")
        assert then == now


def test_p90_is_the_nearest_rank_over_many_closed_incidents() -> None:
    """Eleven closed incidents: the p90 is the 10th smallest duration, not a mean."""
    log = new_log()
    history = History(log)
    for hours in (1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144):
        incident_id = uuid4()
        history.send(
            "report_incident",
            actor=ACTOR,
            office=OFFICES[0],
            occurred_at=NOW - timedelta(hours=hours),
            category="threat",
            severity=2,
            target="staff",
            summary="Tension.",
            incident_id=incident_id,
        )
        history.incident_ids.append(incident_id)
        history.send(
            "close_incident", incident_id, actor=OFFICER, resolution="left_calm"
        )
    projector = Projector(log, batch_size=5)
    projector.catch_up()
    actual = ReadModels(projector).office_summary(OFFICES[0], today=TODAY)
    expected = expected_summary(history, OFFICES[0])
    assert_same_summary(actual, expected)
    durations = actual["time_to_close_hours"]
    assert 88 < durations["p90"] < 90  # the 10th of 11, plus a few seconds
    assert 12 < durations["median"] < 14
