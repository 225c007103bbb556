"""Phones that send again: after a timeout, or after losing a race, until accepted.

A phone whose report times out (the database held its write lock longer than
the phone waited) sends the same report, same id, again: it is stored once,
whichever copy the server stored first. Eight phones append to one incident at
once, each sending its write again after a 409 or a 412 until it is accepted:
every write is in the history exactly once and the version counts them all.
Over real HTTP (waitress), on SQLite and PostgreSQL.

``tests/api/test_racing_clients.py`` checks what the losers of a race are
answered; here they insist, as a phone's outbox does.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from incidents.application import IncidentLog
from tests.api.live import Client, Server, build_app, register, serving
from tests.api.test_racing_clients import Attempt, marker_of, outcome, race

OFFICE = "colombes-aragon"
PHONES = 8
WRITES_EACH = 5
MOST_SENDS = 60
TIMED_OUT_AFTER = 0.5
INCIDENT = "/incidents/{incident_id}"


@pytest.fixture
def server(
    durable_database_url: str, opened_logs: list[IncidentLog]
) -> Iterator[Server]:
    """Serve a fresh store over HTTP, with an officer and eight mediators."""
    app = build_app(durable_database_url, opened_logs)
    people: dict[str, tuple[str, list[str] | None]] = {"officer": ("officer", [OFFICE])}
    people.update({f"mediator-{n}": ("mediator", [OFFICE]) for n in range(PHONES)})
    tokens = register(app, people)
    with serving(app, threads=PHONES) as live:
        live.tokens.update(tokens)
        yield live


def report_body() -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "office": OFFICE,
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=3)).isoformat(),
        "category": "threat",
        "severity": 2,
        "target": "mediator",
        "summary": "Menaces verbales au guichet des colis.",
    }


@contextlib.contextmanager
def writes_held(server: Server, database_url: str) -> Iterator[None]:
    """Hold the event store's write lock from another connection, as a long
    transaction elsewhere would."""
    recorder = server.log.recorder
    if isinstance(recorder, SQLiteApplicationRecorder):
        lite = sqlite3.connect(recorder.datastore.pool.db_name, isolation_level=None)
        try:
            lite.execute("BEGIN IMMEDIATE")
            yield
            lite.execute("ROLLBACK")
        finally:
            lite.close()
        return
    assert isinstance(recorder, PostgresApplicationRecorder)
    table = f'"{recorder.datastore.schema}".{recorder.events_table_name}'
    with psycopg.connect(database_url, connect_timeout=10) as connection:
        # The same lock every insert takes: reads go on, inserts wait.
        connection.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        yield
        connection.rollback()


def send_and_give_up(server: Server, token: str, body: dict[str, Any]) -> str:
    """Send a report and stop waiting for the answer after a short while."""
    connection = http.client.HTTPConnection(
        server.host, server.port, timeout=TIMED_OUT_AFTER
    )
    try:
        connection.request(
            "POST",
            "/api/v1/incidents",
            body=json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
            },
        )
        response = connection.getresponse()
    except TimeoutError:
        return "timed out"
    finally:
        connection.close()
    return str(response.status)


def store(server: Server) -> str:
    return str(server.app.config["DATABASE_URL"]).partition(":")[0]


def test_a_report_sent_again_after_a_timeout_is_stored_once(
    server: Server, durable_database_url: str
):
    phone = server.client("mediator-0")
    body = report_body()
    answers: list[str] = []
    again: list[Any] = []

    def send_again() -> None:
        reply = phone.post("/incidents", body)
        again.append(reply)

    with writes_held(server, durable_database_url):
        answers.append(send_and_give_up(server, server.tokens["mediator-0"], body))
        # Sent again at once, while the first copy still waits for the lock.
        retry = threading.Thread(target=send_again)
        retry.start()
        time.sleep(0.3)
    retry.join(timeout=30)
    assert not retry.is_alive()
    (first_retry,) = again
    answers.append(str(first_retry.status))
    last = phone.post("/incidents", body)  # Once more, both copies answered.
    answers.append(str(last.status))

    officer = server.client("officer")
    timeline = officer.ok("GET", INCIDENT + "/timeline", incident_id=body["id"])
    listed = officer.ok("GET", "/incidents", query={"office": OFFICE})
    stored = [item["id"] for item in listed["items"]].count(body["id"])
    print(
        f"[{store(server)}] one report, sent 3 times after a timeout: "
        f"answers {answers}, stored {stored} time(s), "
        f"{timeline['total']} event(s) in its timeline"
    )
    phone.close()
    officer.close()

    assert answers[0] == "timed out"
    assert first_retry.status in (200, 201), first_retry  # 201: the retry won
    assert last.status == 200, last
    assert first_retry.body["id"] == last.body["id"] == body["id"]
    assert last.body["version"] == 1
    assert [item["type"] for item in timeline["items"]] == ["Reported"]
    assert stored == 1


def test_eight_phones_sending_again_until_accepted_store_every_write_once(
    server: Server,
):
    officer = server.client("officer")
    body = report_body()
    del body["id"]
    incident = officer.ok("POST", "/incidents", body)
    incident_id = incident["id"]

    def insist(client: Client, number: int) -> list[Attempt]:
        """Add notes, each sent again (after reading the version) until accepted."""
        attempts = []
        for write in range(WRITES_EACH):
            marker = f"p{number}-w{write}"
            for _ in range(MOST_SENDS):
                version = client.ok("GET", INCIDENT, incident_id=incident_id)["version"]
                reply = client.post(
                    INCIDENT + "/notes",
                    {"text": marker},
                    incident_id=incident_id,
                    headers={"If-Match": f'"{version}"'},
                )
                attempts.append(outcome(marker, "notes", reply, version))
                if reply.status == 200:
                    break
                assert reply.status in (409, 412), reply
            else:
                pytest.fail(f"{marker} still refused after {MOST_SENDS} sends")
        return attempts

    attempts = race(server, PHONES, insist)

    accepted = [a for a in attempts if a.status == 200]
    refused = Counter(a.status for a in attempts if a.status != 200)
    timeline = officer.ok(
        "GET", INCIDENT + "/timeline", incident_id=incident_id, query={"page_size": 200}
    )
    found = Counter(marker_of(item) for item in timeline["items"][1:])
    current = officer.ok("GET", INCIDENT, incident_id=incident_id)
    officer.close()
    print(
        f"[{store(server)}] {PHONES} phones sending again until accepted: sent "
        f"{len(attempts)}, accepted {len(accepted)}, refused then sent again "
        f"{dict(sorted(refused.items()))}, found {sum(found.values())} in the "
        f"timeline, version {current['version']}"
    )

    expected = {f"p{n}-w{w}" for n in range(PHONES) for w in range(WRITES_EACH)}
    assert len(accepted) == PHONES * WRITES_EACH
    assert found == Counter(expected)  # Each write once, none lost.
    assert current["version"] == timeline["total"] == 1 + PHONES * WRITES_EACH
    versions = [item["version"] for item in timeline["items"]]
    assert versions == list(range(1, len(versions) + 1))
    by_version = {item["version"]: marker_of(item) for item in timeline["items"]}
    for attempt in accepted:
        assert attempt.if_match is not None
        assert attempt.version == attempt.if_match + 1
        assert by_version[attempt.version] == attempt.marker
