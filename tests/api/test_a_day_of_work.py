"""A whole day in three offices, by a client that knows only the document.

Mediators report (each report carries an id the phone made up; one is sent
again after a "timeout"), log de-escalations and escalations, schedule and
complete follow-ups; officers amend, reassess, close and reopen. The client
keeps its own ledger of what it did, and at the end of the day reads the
office summaries, timelines, the follow-up board and the lists over real HTTP
(waitress), expecting exactly the figures its ledger gives.

Where DESIGN.md leaves a choice, the client reads it so: a summary's maps
(by_category, ...) may hold zeros, ``calmed_rate`` may be rounded, and
``time_to_close_hours`` runs from when an incident happened (``occurred_at``)
to when it was closed (its ``Closed`` event's ``recorded_at``), p90 by nearest
rank.
"""

from __future__ import annotations

import math
import statistics
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from incidents.application import IncidentLog
from tests.api.live import Client, Server, build_app, register, serving

PARIS = ZoneInfo("Europe/Paris")
A, B, C = "colombes-aragon", "nanterre-centre", "gennevilliers-centre"
PEOPLE: dict[str, tuple[str, list[str] | None]] = {
    "mediator-a": ("mediator", [A]),
    "mediator-bc": ("mediator", [B, C]),
    "officer-ab": ("officer", [A, B]),
    "officer-c": ("officer", [C]),
    "auditor": ("auditor", None),
}
OFFICER_OF = {A: "officer-ab", B: "officer-ab", C: "officer-c"}
INCIDENT = "/incidents/{incident_id}"


@dataclass
class Known:
    """What the client knows of one incident, from what it did to it."""

    id: str
    office: str
    occurred_at: datetime
    category: str
    severity: int
    target: str
    trigger: str | None
    status: str = "open"
    events: list[tuple[str, str]] = field(default_factory=list)  # (type, actor)
    outcomes: list[str] = field(default_factory=list)
    escalations: list[str] = field(default_factory=list)
    # follow-up id: [kind, due_on, status]
    follow_ups: dict[str, list[Any]] = field(default_factory=dict)
    closed_version: int | None = None
    resolution: str | None = None

    @property
    def version(self) -> int:
        return len(self.events)

    @property
    def occurred_on(self) -> date:
        return self.occurred_at.astimezone(PARIS).date()


@dataclass
class Day:
    """The clients of the day, and the ledger of everything they did."""

    server: Server
    today: date
    clients: dict[str, Client] = field(default_factory=dict)
    ledger: dict[str, Known] = field(default_factory=dict)

    def as_(self, who: str) -> Client:
        if who not in self.clients:
            self.clients[who] = self.server.client(who)
        return self.clients[who]

    # Writes: each checks the answer, then goes in the ledger.

    def report(self, who: str, office: str, occurred_at: datetime, **what: Any) -> str:
        body = {
            "id": str(uuid.uuid4()),
            "office": office,
            "occurred_at": occurred_at.isoformat(),
            "summary": "Usager mécontent, échange tendu au guichet.",
            "parties": [{"role": "visitor", "count": 1}],
            **what,
        }
        reply = self.as_(who).post("/incidents", body)
        assert reply.status == 201, reply
        incident = reply.body
        assert incident["id"] == body["id"]
        assert incident["version"] == 1
        assert reply.headers["location"].endswith(f"/incidents/{body['id']}")
        self.ledger[incident["id"]] = Known(
            id=incident["id"],
            office=office,
            occurred_at=occurred_at,
            category=what["category"],
            severity=what["severity"],
            target=what["target"],
            trigger=what.get("trigger"),
            events=[("Reported", who)],
        )
        return str(incident["id"])

    def write(
        self,
        who: str,
        incident_id: str,
        step: str,
        body: dict[str, Any],
        event: str,
        **path: Any,
    ) -> dict[str, Any]:
        known = self.ledger[incident_id]
        reply = self.as_(who).post(
            INCIDENT + step, body, incident_id=incident_id, **path
        )
        assert reply.status == 200, (step, reply)
        incident: dict[str, Any] = reply.body
        known.events.append((event, who))
        assert incident["version"] == known.version
        assert reply.headers["etag"] == f'"{known.version}"'
        return incident

    def de_escalate(
        self, who: str, incident_id: str, techniques: list[str], outcome: str
    ) -> None:
        body = {"techniques": techniques, "outcome": outcome, "note": "Au calme."}
        self.write(who, incident_id, "/de-escalations", body, "DeEscalationRecorded")
        self.ledger[incident_id].outcomes.append(outcome)

    def escalate(self, who: str, incident_id: str, to: str) -> None:
        self.write(who, incident_id, "/escalations", {"to": to}, "Escalated")
        self.ledger[incident_id].escalations.append(to)

    def schedule(self, who: str, incident_id: str, kind: str, due_on: date) -> str:
        known = self.ledger[incident_id]
        body = {"kind": kind, "due_on": due_on.isoformat(), "assignee": "Équipe"}
        incident = self.write(
            who, incident_id, "/follow-ups", body, "FollowUpScheduled"
        )
        (new,) = [f for f in incident["follow_ups"] if f["id"] not in known.follow_ups]
        assert (new["kind"], new["due_on"], new["status"]) == (
            kind,
            due_on.isoformat(),
            "scheduled",
        )
        known.follow_ups[new["id"]] = [kind, due_on, "scheduled"]
        return str(new["id"])

    def complete(self, who: str, incident_id: str, follow_up_id: str) -> None:
        step = "/follow-ups/{follow_up_id}/completion"
        body = {"note": "Fait."}
        self.write(
            who,
            incident_id,
            step,
            body,
            "FollowUpCompleted",
            follow_up_id=follow_up_id,
        )
        self.ledger[incident_id].follow_ups[follow_up_id][2] = "completed"

    def cancel(self, who: str, incident_id: str, follow_up_id: str) -> None:
        step = "/follow-ups/{follow_up_id}/cancellation"
        body = {"reason": "Plus nécessaire."}
        self.write(
            who,
            incident_id,
            step,
            body,
            "FollowUpCancelled",
            follow_up_id=follow_up_id,
        )
        self.ledger[incident_id].follow_ups[follow_up_id][2] = "cancelled"

    def reassess(self, who: str, incident_id: str, severity: int) -> None:
        body = {"severity": severity, "reason": "Menace réitérée."}
        self.write(who, incident_id, "/severity", body, "SeverityReassessed")
        self.ledger[incident_id].severity = severity

    def amend(self, who: str, incident_id: str, **changes: Any) -> None:
        body = {"changes": changes, "reason": "Correction après relecture."}
        incident = self.write(who, incident_id, "/amendments", body, "Amended")
        known = self.ledger[incident_id]
        for name, value in changes.items():
            if name == "occurred_at":
                known.occurred_at = datetime.fromisoformat(value)
            else:
                setattr(known, name, value)
            assert incident[name] == value or name == "occurred_at"

    def note(self, who: str, incident_id: str, text: str) -> None:
        self.write(who, incident_id, "/notes", {"text": text}, "NoteAdded")

    def close(self, who: str, incident_id: str, resolution: str) -> None:
        body = {"resolution": resolution}
        incident = self.write(who, incident_id, "/closure", body, "Closed")
        assert incident["status"] == "closed"
        known = self.ledger[incident_id]
        known.status, known.resolution = "closed", resolution
        known.closed_version = known.version

    def reopen(self, who: str, incident_id: str) -> None:
        body = {"reason": "Plainte déposée, l'affaire reprend."}
        incident = self.write(who, incident_id, "/reopening", body, "Reopened")
        assert incident["status"] == "open"
        known = self.ledger[incident_id]
        known.status, known.resolution, known.closed_version = "open", None, None

    # What the ledger says the reads must show.

    def in_office(
        self, office: str, from_: date | None = None, to: date | None = None
    ) -> list[Known]:
        return [
            known
            for known in self.ledger.values()
            if known.office == office
            and (from_ is None or known.occurred_on >= from_)
            and (to is None or known.occurred_on <= to)
        ]

    def expected_summary(
        self,
        office: str,
        from_: date | None,
        to: date | None,
        closed_hours: dict[str, float],
    ) -> dict[str, Any]:
        incidents = self.in_office(office, from_, to)
        outcomes = Counter(o for known in incidents for o in known.outcomes)
        attempts = sum(outcomes.values())
        follow_ups = [f for known in incidents for f in known.follow_ups.values()]
        hours = sorted(closed_hours[k.id] for k in incidents if k.status == "closed")
        return {
            "office": office,
            "from": from_.isoformat() if from_ else None,
            "to": to.isoformat() if to else None,
            "incidents": {
                "total": len(incidents),
                "open": sum(1 for known in incidents if known.status == "open"),
                "by_category": Counter(known.category for known in incidents),
                "by_severity": Counter(str(known.severity) for known in incidents),
                "by_target": Counter(known.target for known in incidents),
            },
            "de_escalations": {
                "total": attempts,
                "by_outcome": outcomes,
                "calmed_rate": outcomes["calmed"] / attempts if attempts else 0,
            },
            "escalations": {
                "by_target": Counter(
                    e for known in incidents for e in known.escalations
                )
            },
            "follow_ups": {
                "scheduled": len(follow_ups),
                "completed": sum(1 for f in follow_ups if f[2] == "completed"),
                "cancelled": sum(1 for f in follow_ups if f[2] == "cancelled"),
                "open": sum(1 for f in follow_ups if f[2] == "scheduled"),
                "overdue": sum(
                    1 for f in follow_ups if f[2] == "scheduled" and f[1] < self.today
                ),
            },
            "time_to_close_hours": {
                "median": statistics.median(hours) if hours else None,
                "p90": hours[math.ceil(0.9 * len(hours)) - 1] if hours else None,
            },
        }


@pytest.fixture
def day(durable_database_url: str, opened_logs: list[IncidentLog]) -> Iterator[Day]:
    """Serve a fresh store over HTTP, with the people of three offices."""
    app = build_app(durable_database_url, opened_logs)
    tokens = register(app, PEOPLE)
    with serving(app) as server:
        server.tokens.update(tokens)
        now = datetime.now(UTC)
        work = Day(server=server, today=now.astimezone(PARIS).date())
        try:
            yield work
        finally:
            for client in work.clients.values():
                client.close()


def moments(today: date, count: int) -> list[datetime]:
    """Return ``count`` increasing instants of today (Paris), all in the past."""
    now = datetime.now(UTC)
    midnight = datetime.combine(today, time(0), tzinfo=PARIS).astimezone(UTC)
    start = max(now - timedelta(hours=2), midnight)
    step = (now - start) / (count + 1)
    return [start + step * (index + 1) for index in range(count)]


def counts(mapping: dict[str, int]) -> Counter[str]:
    """Drop the zeros a summary may list, to compare with what was done."""
    return Counter({key: value for key, value in mapping.items() if value})


def test_a_day_in_three_offices_adds_up(day: Day):
    today = day.today
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)
    two_days_ago = datetime.combine(
        today - timedelta(days=2), time(15, 0), tzinfo=PARIS
    ).astimezone(UTC)
    t = iter(moments(today, 8))

    # Office A: a queue that calms down, at once closed.
    a1 = day.report(
        "mediator-a",
        A,
        next(t),
        category="waiting_time",
        severity=0,
        target="mediator",
        trigger="queue",
    )
    day.de_escalate("mediator-a", a1, ["active_listening"], "calmed")
    day.close("officer-ab", a1, "resolved_on_site")

    # A report sent again after a timeout is stored once.
    a2 = str(uuid.uuid4())
    body: dict[str, Any] = {
        "id": a2,
        "office": A,
        "occurred_at": next(t).isoformat(),
        "category": "verbal_incivility",
        "severity": 1,
        "target": "staff",
        "trigger": "insufficient_funds",
        "summary": "Insultes au guichet, solde insuffisant.",
        "contact": {"phone": "06 00 00 00 00"},
    }
    phone = day.as_("mediator-a")
    first = phone.post("/incidents", body)
    assert first.status == 201, first
    again = phone.post("/incidents", body)
    assert again.status == 200, again
    assert again.body == first.body
    day.ledger[a2] = Known(
        id=a2,
        office=A,
        occurred_at=datetime.fromisoformat(str(body["occurred_at"])),
        category="verbal_incivility",
        severity=1,
        target="staff",
        trigger="insufficient_funds",
        events=[("Reported", "mediator-a")],
    )
    changed = phone.post("/incidents", {**body, "severity": 2})
    assert changed.status == 409, changed
    day.de_escalate(
        "mediator-a", a2, ["explanation", "moved_aside"], "partially_calmed"
    )
    day.de_escalate("mediator-a", a2, ["handed_to_staff"], "calmed")
    day.escalate("mediator-a", a2, "office_manager")
    report_due = day.schedule("mediator-a", a2, "manager_report", tomorrow)
    day.complete("mediator-a", a2, report_due)
    debrief = day.schedule("mediator-a", a2, "association_debrief", yesterday)
    day.note("mediator-a", a2, "Le responsable a reçu l'usager.")

    # A threat: escalated twice, reassessed, closed, then reopened.
    a3 = day.report(
        "mediator-a", A, next(t), category="threat", severity=2, target="mediator"
    )
    day.de_escalate(
        "mediator-a", a3, ["active_listening", "called_security"], "not_calmed"
    )
    day.escalate("mediator-a", a3, "security")
    day.escalate("officer-ab", a3, "police")
    day.reassess("officer-ab", a3, 3)
    complaint = day.schedule("officer-ab", a3, "complaint", today + timedelta(days=7))
    officer = day.as_("officer-ab")
    refused = officer.post(
        INCIDENT + "/closure", {"resolution": "police_intervention"}, incident_id=a3
    )
    assert refused.status == 409, refused  # A follow-up is still scheduled.
    day.cancel("officer-ab", a3, complaint)
    day.close("officer-ab", a3, "police_intervention")
    read_before = day.ledger[a3].version
    day.reopen("officer-ab", a3)
    stale = officer.post(
        INCIDENT + "/closure",
        {"resolution": "police_intervention"},
        incident_id=a3,
        headers={"If-Match": f'"{read_before}"'},
    )
    assert stale.status == 412, stale

    # Office B: a misunderstanding, amended then closed; an aggression.
    b1 = day.report(
        "mediator-bc",
        B,
        next(t),
        category="misunderstanding",
        severity=0,
        target="visitor",
        trigger="language",
    )
    day.de_escalate("mediator-bc", b1, ["peer_or_interpreter"], "calmed")
    day.amend("officer-ab", b1, category="service_refused", trigger="missing_document")
    day.close("officer-ab", b1, "need_met")
    b2 = day.report(
        "mediator-bc",
        B,
        next(t),
        category="physical_aggression",
        severity=3,
        target="staff",
    )
    day.de_escalate("mediator-bc", b2, ["separated_parties"], "left")
    day.escalate("mediator-bc", b2, "emergency_services")
    day.escalate("mediator-bc", b2, "police")
    support = day.schedule("officer-ab", b2, "staff_support", today)
    # Reported today, but it happened two days ago: not in today's figures.
    b3 = day.report(
        "mediator-bc",
        B,
        two_days_ago,
        category="dispute_between_visitors",
        severity=1,
        target="visitor",
    )

    # Office C: damage to a machine; a theft first reported on the wrong day.
    c1 = day.report(
        "mediator-bc",
        C,
        next(t),
        category="property_damage",
        severity=1,
        target="property",
        trigger="machine_failure",
    )
    day.de_escalate("mediator-bc", c1, ["took_over_task"], "calmed")
    day.escalate("mediator-bc", c1, "office_manager")
    fix = day.schedule("officer-c", c1, "process_improvement", yesterday)
    day.complete("officer-c", c1, fix)
    day.close("officer-c", c1, "resolved_on_site")
    c2 = day.report(
        "mediator-bc", C, two_days_ago, category="theft", severity=2, target="visitor"
    )
    day.amend("officer-c", c2, occurred_at=next(t).isoformat())
    day.de_escalate("mediator-bc", c2, ["deferred"], "partially_calmed")
    referral = day.schedule("mediator-bc", c2, "partner_referral", tomorrow)

    # Nobody sees what happens outside their offices.
    assert day.as_("officer-c").get(INCIDENT, incident_id=a1).status == 404
    offices = day.as_("mediator-bc").ok("GET", "/offices")
    assert [o["code"] for o in offices["items"]] == sorted([B, C])

    # Timelines: every event, in order, with its actor and contiguous versions.
    closed_hours: dict[str, float] = {}
    for known in day.ledger.values():
        timeline = day.as_("auditor").ok(
            "GET", INCIDENT + "/timeline", incident_id=known.id
        )
        items = timeline["items"]
        assert timeline["total"] == known.version
        assert [(i["type"], i["actor"]) for i in items] == known.events
        assert [i["version"] for i in items] == list(range(1, known.version + 1))
        positions = [i["position"] for i in items]
        assert positions == sorted(positions)
        if known.closed_version is not None:
            closed = datetime.fromisoformat(
                items[known.closed_version - 1]["recorded_at"]
            )
            closed_hours[known.id] = (closed - known.occurred_at).total_seconds() / 3600
        incident = day.as_(OFFICER_OF[known.office]).ok(
            "GET", INCIDENT, incident_id=known.id
        )
        assert incident["version"] == known.version
        assert incident["position"] == positions[-1]
        assert (incident["status"], incident["resolution"]) == (
            known.status,
            known.resolution,
        )
        assert (incident["category"], incident["severity"], incident["target"]) == (
            known.category,
            known.severity,
            known.target,
        )
        assert [d["outcome"] for d in incident["de_escalations"]] == known.outcomes
        assert [e["to"] for e in incident["escalations"]] == known.escalations
        assert {
            f["id"]: [f["kind"], date.fromisoformat(f["due_on"]), f["status"]]
            for f in incident["follow_ups"]
        } == known.follow_ups
        assert datetime.fromisoformat(incident["occurred_at"]) == known.occurred_at

    # Office summaries, for today and for the whole history, as the ledger says.
    for office in (A, B, C):
        ranges: tuple[tuple[date | None, date | None], ...] = (
            (today, today),
            (None, None),
        )
        for from_, to in ranges:
            query = {"from": str(from_), "to": str(to)} if from_ else {}
            for who in (OFFICER_OF[office], "auditor"):
                summary = day.as_(who).ok(
                    "GET", "/offices/{code}/summary", code=office, query=query
                )
                expected = day.expected_summary(office, from_, to, closed_hours)
                assert_summary(summary, expected)
        nothing = day.as_("auditor").ok(
            "GET",
            "/offices/{code}/summary",
            code=office,
            query={"from": tomorrow.isoformat(), "to": tomorrow.isoformat()},
        )
        assert nothing["incidents"]["total"] == 0
        assert nothing["follow_ups"]["scheduled"] == 0

    # Spot-check a few figures by hand, so the ledger itself is checked too.
    a_today = day.as_("officer-ab").ok(
        "GET", "/offices/{code}/summary", code=A, query={"from": today.isoformat()}
    )
    assert a_today["incidents"]["total"] == 3
    assert a_today["incidents"]["open"] == 2
    assert a_today["de_escalations"]["total"] == 4
    assert a_today["de_escalations"]["calmed_rate"] == pytest.approx(0.5)
    assert counts(a_today["escalations"]["by_target"]) == {
        "office_manager": 1,
        "security": 1,
        "police": 1,
    }
    assert a_today["follow_ups"] == {
        "scheduled": 3,
        "completed": 1,
        "cancelled": 1,
        "open": 1,
        "overdue": 1,
    }
    b_all = day.as_("officer-ab").ok("GET", "/offices/{code}/summary", code=B)
    assert b_all["incidents"]["total"] == 3
    assert counts(b_all["incidents"]["by_category"])["service_refused"] == 1
    c_today = day.as_("officer-c").ok(
        "GET",
        "/offices/{code}/summary",
        code=C,
        query={"from": today.isoformat(), "to": today.isoformat()},
    )
    assert c_today["incidents"]["total"] == 2  # The theft, as amended, is today's.

    # Office timelines: today's events of each office, in log order.
    for office in (A, B, C):
        timeline = day.as_(OFFICER_OF[office]).ok(
            "GET",
            "/offices/{code}/timeline",
            code=office,
            query={"from": today.isoformat(), "to": today.isoformat()},
        )
        mine = [k for k in day.ledger.values() if k.office == office]
        assert timeline["total"] == sum(k.version for k in mine)
        items = timeline["items"]
        assert len(items) == timeline["total"]
        assert [i["position"] for i in items] == sorted(i["position"] for i in items)
        assert Counter((i["incident_id"], i["type"]) for i in items) == Counter(
            (k.id, event) for k in mine for event, _ in k.events
        )

    # The follow-up board: open ones only, overdue first, then by due date.
    board = day.as_("officer-ab").ok("GET", "/follow-ups")
    assert [(i["id"], i["overdue"]) for i in board["items"]] == [
        (debrief, True),
        (support, False),
    ]
    assert board["total"] == 2
    overdue = day.as_("officer-ab").ok("GET", "/follow-ups", query={"overdue": "true"})
    assert [i["id"] for i in overdue["items"]] == [debrief]
    in_b = day.as_("officer-ab").ok("GET", "/follow-ups", query={"office": B})
    assert [i["id"] for i in in_b["items"]] == [support]
    c_board = day.as_("officer-c").ok("GET", "/follow-ups")
    assert [(i["id"], i["incident_id"]) for i in c_board["items"]] == [(referral, c2)]

    # Lists: newest first, filtered as asked.
    listed = day.as_("officer-ab").ok("GET", "/incidents", query={"office": A})
    assert [i["id"] for i in listed["items"]] == [a3, a2, a1]
    assert listed["total"] == 3
    everything = day.as_("auditor").ok("GET", "/incidents")
    by_time = sorted(day.ledger.values(), key=lambda k: k.occurred_at, reverse=True)
    assert [i["id"] for i in everything["items"]] == [k.id for k in by_time]
    assert everything["total"] == len(day.ledger) == 8
    filters: list[tuple[dict[str, Any], list[str]]] = [
        ({"status": "closed"}, [b1, a1]),
        ({"category": "threat"}, [a3]),
        ({"severity": 3}, [b2, a3]),
        ({"office": B, "from": today.isoformat(), "to": today.isoformat()}, [b2, b1]),
        ({"office": B, "to": (today - timedelta(days=1)).isoformat()}, [b3]),
    ]
    for query, expected_ids in filters:
        found = day.as_("officer-ab").ok("GET", "/incidents", query=query)
        assert [i["id"] for i in found["items"]] == expected_ids, query
        assert found["total"] == len(expected_ids)
    paged = day.as_("auditor").ok("GET", "/incidents", query={"page_size": 3})
    second = day.as_("auditor").ok(
        "GET", "/incidents", query={"page_size": 3, "page": 2}
    )
    assert [i["id"] for i in paged["items"] + second["items"]] == [
        k.id for k in by_time[:6]
    ]


def assert_summary(summary: dict[str, Any], expected: dict[str, Any]) -> None:
    """Compare a summary with what the ledger says, zeros in maps aside."""
    assert summary["office"] == expected["office"]
    assert (summary["from"], summary["to"]) == (expected["from"], expected["to"])
    incidents, want = summary["incidents"], expected["incidents"]
    assert (incidents["total"], incidents["open"]) == (want["total"], want["open"])
    for name in ("by_category", "by_severity", "by_target"):
        assert counts(incidents[name]) == want[name], name
    de_escalations = summary["de_escalations"]
    assert de_escalations["total"] == expected["de_escalations"]["total"]
    assert (
        counts(de_escalations["by_outcome"])
        == (expected["de_escalations"]["by_outcome"])
    )
    assert de_escalations["calmed_rate"] == pytest.approx(
        expected["de_escalations"]["calmed_rate"], abs=1e-4
    )
    assert (
        counts(summary["escalations"]["by_target"])
        == (expected["escalations"]["by_target"])
    )
    assert summary["follow_ups"] == expected["follow_ups"]
    hours, want_hours = summary["time_to_close_hours"], expected["time_to_close_hours"]
    for name in ("median", "p90"):
        if want_hours[name] is None:
            assert hours[name] is None, name
        else:
            assert hours[name] == pytest.approx(want_hours[name], abs=0.01), name
