"""Clients racing on one incident over real HTTP: nothing lost, nothing twice.

Two (then eight) people write to the same incident at once, each from its own
thread and keep-alive connection to waitress: notes and de-escalations, some
sent blind, some with ``If-Match`` naming the version the client just read.
Every write answered 2xx must be in the timeline exactly once, at the version
its answer gave; every other write must have been refused with 409 or 412
(412 only for a write that named a version) and be nowhere in the timeline;
the versions are contiguous. Then they all race to complete the same
follow-up (one wins, the others get 409), and one phone sends the same report
on several connections at once (one 201, the others 200, stored once). Never a
500. On SQLite and PostgreSQL; the counts are printed (``pytest -s``).
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from incidents.application import IncidentLog
from tests.api.live import Client, Reply, Server, build_app, register, serving

OFFICE = "colombes-aragon"
MOST_CLIENTS = 8
WRITES_PER_CLIENT = {2: 12, 8: 6}
INCIDENT = "/incidents/{incident_id}"


@dataclass(frozen=True)
class Attempt:
    """One write a client sent, and what it was answered."""

    marker: str
    kind: str
    if_match: int | None
    status: int
    version: int | None
    position: int | None


@pytest.fixture
def server(
    durable_database_url: str, opened_logs: list[IncidentLog]
) -> Iterator[Server]:
    """Serve a fresh store over HTTP, with an officer and eight mediators."""
    app = build_app(durable_database_url, opened_logs)
    people: dict[str, tuple[str, list[str] | None]] = {"officer": ("officer", [OFFICE])}
    people.update(
        {f"mediator-{n}": ("mediator", [OFFICE]) for n in range(MOST_CLIENTS)}
    )
    tokens = register(app, people)
    with serving(app, threads=MOST_CLIENTS) as live:
        live.tokens.update(tokens)
        yield live


def write(client: Client, incident_id: str, marker: str, round_: int) -> Attempt:
    """Send one write: a note or a de-escalation, blind or with If-Match."""
    kind = "notes" if round_ % 2 == 0 else "de-escalations"
    body: dict[str, Any] = (
        {"text": marker}
        if kind == "notes"
        else {"techniques": ["active_listening"], "outcome": "calmed", "note": marker}
    )
    headers: dict[str, str] = {}
    if_match = None
    if round_ % 3 != 0:  # Two writes in three name the version just read.
        read = client.get(INCIDENT, incident_id=incident_id)
        assert read.status == 200, read
        if_match = int(read.body["version"])
        assert read.headers["etag"] == f'"{if_match}"'
        headers["If-Match"] = f'"{if_match}"'
    reply = client.post(
        f"{INCIDENT}/{kind}", body, incident_id=incident_id, headers=headers
    )
    return outcome(marker, kind, reply, if_match)


def race(
    server: Server,
    clients: int,
    act: Callable[[Client, int], list[Attempt]],
    *,
    who: Callable[[int], str] = lambda number: f"mediator-{number}",
) -> list[Attempt]:
    """Let the clients act at once, each on its own connection and thread."""
    start = threading.Barrier(clients)
    attempts: list[Attempt] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(number: int) -> None:
        client = server.client(who(number))
        try:
            start.wait(timeout=30)
            done = act(client, number)
            with lock:
                attempts.extend(done)
        except BaseException as error:  # Shown by the test, not lost in a thread.
            with lock:
                errors.append(error)
        finally:
            client.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a client hung"
    assert not errors, errors
    return attempts


def outcome(marker: str, kind: str, reply: Reply, if_match: int | None) -> Attempt:
    ok = 200 <= reply.status < 300
    return Attempt(
        marker=marker,
        kind=kind,
        if_match=if_match,
        status=reply.status,
        version=reply.body["version"] if ok else None,
        position=reply.body["position"] if ok else None,
    )


def marker_of(item: dict[str, Any]) -> str | None:
    """Return the text a write carried: a note's text, a de-escalation's note."""
    data: dict[str, str | None] = item["data"]
    return data.get("text") or data.get("note")


def print_counts(what: str, attempts: list[Attempt], found: int) -> None:
    by_status = Counter(a.status for a in attempts)
    accepted = sum(n for status, n in by_status.items() if 200 <= status < 300)
    refused = {s: n for s, n in sorted(by_status.items()) if not 200 <= s < 300}
    print(
        f"\n{what}: sent {len(attempts)}, accepted {accepted} "
        f"{dict(sorted((s, n) for s, n in by_status.items() if s < 300))}, "
        f"refused {refused}, found {found} in the timeline"
    )


def store(server: Server) -> str:
    """Name the kind of store the server runs on, for the printed counts."""
    url = str(server.app.config["DATABASE_URL"])
    return url.split(":", 1)[0]


REPORT = {
    "office": OFFICE,
    "category": "dispute_between_visitors",
    "severity": 1,
    "target": "visitor",
    "summary": "Deux usagers se disputent une place dans la file.",
}


@pytest.mark.parametrize("clients", [2, MOST_CLIENTS])
def test_one_report_sent_on_several_connections_is_stored_once(
    server: Server, clients: int
):
    body = {
        **REPORT,
        "id": str(uuid.uuid4()),
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
    }

    def send(client: Client, number: int) -> list[Attempt]:
        reply = client.post("/incidents", body)
        return [outcome(f"c{number}", "report", reply, None)]

    # The same phone, retrying on fresh connections while the first is in flight.
    attempts = race(server, clients, send, who=lambda number: "mediator-0")

    officer = server.client("officer")
    timeline = officer.ok("GET", INCIDENT + "/timeline", incident_id=body["id"])
    print_counts(
        f"{store(server)}, {clients} copies of one report", attempts, timeline["total"]
    )
    assert sorted(a.status for a in attempts) == [200] * (clients - 1) + [201]
    assert {a.version for a in attempts} == {1}
    assert [item["type"] for item in timeline["items"]] == ["Reported"]
    listed = officer.ok("GET", "/incidents", query={"office": OFFICE})
    assert [item["id"] for item in listed["items"]] == [body["id"]]
    officer.close()


@pytest.mark.parametrize("clients", [2, MOST_CLIENTS])
def test_racing_clients_lose_nothing_and_store_nothing_twice(
    server: Server, clients: int
):
    officer = server.client("officer")
    reported = officer.ok(
        "POST",
        "/incidents",
        {
            **REPORT,
            "occurred_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        },
    )
    incident_id = reported["id"]

    def append(client: Client, number: int) -> list[Attempt]:
        return [
            write(client, incident_id, f"c{number}-w{round_}", round_)
            for round_ in range(WRITES_PER_CLIENT[clients])
        ]

    attempts = race(server, clients, append)

    accepted = [a for a in attempts if 200 <= a.status < 300]
    refused = Counter(a.status for a in attempts if not 200 <= a.status < 300)
    timeline = officer.ok(
        "GET", INCIDENT + "/timeline", incident_id=incident_id, query={"page_size": 200}
    )
    items = timeline["items"]
    found = Counter(marker_of(item) for item in items[1:])
    print_counts(
        f"{store(server)}, {clients} clients appending", attempts, sum(found.values())
    )

    assert len(attempts) == clients * WRITES_PER_CLIENT[clients]
    assert set(refused) <= {409, 412}, refused
    assert all(a.if_match is not None for a in attempts if a.status == 412)
    # Every accepted write is there once, at the version its answer gave.
    assert timeline["total"] == len(items) == 1 + len(accepted)
    assert [item["version"] for item in items] == list(range(1, len(items) + 1))
    positions = [item["position"] for item in items]
    assert positions == sorted(set(positions))
    assert found == Counter(a.marker for a in accepted)
    by_version = {item["version"]: item for item in items}
    for attempt in accepted:
        assert attempt.version is not None
        item = by_version[attempt.version]
        assert marker_of(item) == attempt.marker
        assert item["position"] == attempt.position
        assert item["type"] == (
            "NoteAdded" if attempt.kind == "notes" else "DeEscalationRecorded"
        )
        if attempt.if_match is not None:
            assert attempt.version == attempt.if_match + 1
    # A blind write that loses the race is retried by the server, or is 409.
    assert all(a.status != 412 for a in attempts if a.if_match is None)
    # What the incident shows agrees with its timeline.
    incident = officer.ok("GET", INCIDENT, incident_id=incident_id)
    assert incident["version"] == len(items)
    assert len(incident["de_escalations"]) == sum(
        1 for a in accepted if a.kind == "de-escalations"
    )

    # Then they all race to complete the same follow-up: one does, the rest
    # are told it is done (409), and it is completed once.
    scheduled = officer.ok(
        "POST",
        INCIDENT + "/follow-ups",
        {"kind": "association_debrief", "due_on": date.today().isoformat()},
        incident_id=incident_id,
    )
    (follow_up,) = scheduled["follow_ups"]

    def complete(client: Client, number: int) -> list[Attempt]:
        reply = client.post(
            INCIDENT + "/follow-ups/{follow_up_id}/completion",
            {"note": f"done-{number}"},
            incident_id=incident_id,
            follow_up_id=follow_up["id"],
        )
        return [outcome(f"done-{number}", "completion", reply, None)]

    completions = race(server, clients, complete)
    after = officer.ok("GET", INCIDENT + "/timeline", incident_id=incident_id)
    completed = [i for i in after["items"] if i["type"] == "FollowUpCompleted"]
    print_counts(
        f"{store(server)}, {clients} clients completing one follow-up",
        completions,
        len(completed),
    )
    assert sorted(a.status for a in completions) == [200] + [409] * (clients - 1)
    (winner,) = [a for a in completions if a.status == 200]
    assert [marker_of(item) for item in completed] == [winner.marker]
    assert after["total"] == scheduled["version"] + 1
    officer.close()
