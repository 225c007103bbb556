"""A store that refuses writes: 503 with Retry-After, nothing half-written, and back.

Three real faults under a running server (waitress, real HTTP): the SQLite file
made immutable (as a read-only disk would be: even root cannot write, even
through the files already open), the disk full (a small tmpfs filled to the last
byte), and the PostgreSQL server stopped. Meanwhile a write answers 503 with
``{code, status, message, errors}`` and ``Retry-After``, and says whether it was
stored; reads keep working where the database still answers; /readyz says not
ready. Once the cause is removed the service recovers by itself, with no
restart: /readyz is ready again, the refused writes go through when sent again
(once), the read models and the ledger catch up, and the history verifies.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from incidents.application import IncidentLog
from projections import replay
from projections.projector import Projector
from tests import pgserver
from tests.api.live import Reply, Server, build_app, register, serving
from tests.conftest import scratch_database
from tests.faults.conftest import (
    fill,
    full,
    immutable,
    start_postgres,
    stop_postgres,
)
from web.logs import json_formatter

OFFICE = "colombes-aragon"
PEOPLE: dict[str, tuple[str, list[str] | None]] = {
    "mediator": ("mediator", [OFFICE]),
    "auditor": ("auditor", None),
}
INCIDENT = "/incidents/{incident_id}"
# A disk may still take a few writes into space the database already holds.
MOST_WRITES_BEFORE_REFUSAL = 20
RECOVERY_TIMEOUT = 30
CONTACT = {"name": "Visiteur Témoin", "phone": "06 11 22 33 44"}


def report_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "office": OFFICE,
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=30)).isoformat(),
        "category": "verbal_incivility",
        "severity": 1,
        "target": "mediator",
        "summary": "Usager agacé par la file d'attente.",
    }
    body.update(overrides)
    return body


@dataclass
class Outcome:
    """What the fault did, for the printed line."""

    store: str
    fault: str
    refused: list[int] = field(default_factory=list)
    accepted_during_fault: int = 0
    reads: dict[str, int] = field(default_factory=dict)
    recovered_after: float = 0.0
    resent: list[int] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"[{self.store}] {self.fault}: writes refused {self.refused} "
            f"(accepted before the first refusal: {self.accepted_during_fault}), "
            f"reads {self.reads}, ready again {self.recovered_after:.1f} s after "
            f"the cause was removed, no restart; resent {self.resent}"
        )


def assert_unavailable(
    reply: Reply, *, maybe_stored: bool = False, reading: bool = False
) -> None:
    """Check a 503: the error shape, Retry-After, and what it says was stored."""
    assert reply.status == 503, reply
    assert set(reply.body) == {"code", "status", "message", "errors"}
    assert reply.body["code"] == 503
    assert reply.body["status"] == "Service Unavailable"
    assert reply.body["errors"] == {}
    assert int(reply.headers["retry-after"]) > 0
    message = reply.body["message"]
    if reading:
        assert "cannot read its database" in message, message
    elif maybe_stored:
        assert "may or may not have been stored" in message, message
    else:
        assert "nothing was stored" in message, message


def readiness(server: Server) -> Reply:
    """Ask /readyz (outside the API, so not through the API's client)."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=60)
    try:
        connection.request("GET", "/readyz")
        response = connection.getresponse()
        return Reply(response.status, {}, json.loads(response.read()))
    finally:
        connection.close()


def wait_until_ready(server: Server) -> float:
    """Poll /readyz until it says ready and caught up; return how long it took."""
    started = time.monotonic()
    while True:
        reply = readiness(server)
        if reply.status == 200 and reply.body["read_models"]["lag"] == 0:
            return time.monotonic() - started
        assert time.monotonic() - started < RECOVERY_TIMEOUT, reply
        time.sleep(0.1)


def run_fault(
    server: Server,
    fault: AbstractContextManager[object],
    outcome: Outcome,
    *,
    reads_work: bool,
    maybe_stored: bool,
) -> None:
    """Write, fail, read, recover, and check that nothing was half-written."""
    mediator, auditor = server.client("mediator"), server.client("auditor")
    try:
        plain = mediator.ok("POST", "/incidents", report_body())
        with_contact = mediator.ok("POST", "/incidents", report_body(contact=CONTACT))
        mediator.ok(
            "POST", INCIDENT + "/notes", {"text": "avant"}, incident_id=plain["id"]
        )
        wait_until_ready(server)
        refused_report = report_body(id=str(uuid.uuid4()))
        during: list[str] = []

        with fault:
            # A note, sent until the store refuses one (a full disk may first take
            # a few into space it already holds).
            for attempt in range(MOST_WRITES_BEFORE_REFUSAL):
                marker = f"pendant-{attempt}"
                reply = mediator.post(
                    INCIDENT + "/notes", {"text": marker}, incident_id=plain["id"]
                )
                if reply.status != 200:
                    break
                during.append(marker)
            assert_unavailable(reply, maybe_stored=maybe_stored)
            refused_marker = marker
            outcome.refused.append(reply.status)
            outcome.accepted_during_fault = len(during)
            reply = mediator.post("/incidents", refused_report)
            assert_unavailable(reply, maybe_stored=maybe_stored)
            outcome.refused.append(reply.status)

            listed = mediator.get("/incidents", query={"office": OFFICE})
            shown = mediator.get(INCIDENT, incident_id=plain["id"])
            contact = mediator.get(INCIDENT, incident_id=with_contact["id"])
            outcome.reads = {
                "list": listed.status,
                "incident": shown.status,
                "with contact": contact.status,
            }
            if reads_work:
                assert listed.status == 200, listed
                assert plain["id"] in [item["id"] for item in listed.body["items"]]
                assert shown.status == 200, shown
                assert shown.body["version"] == 2 + len(during)
            else:
                assert_unavailable(listed, reading=True)
                assert_unavailable(shown, reading=True)
            # A contact is never shown unless its showing is recorded.
            assert contact.status == 503 or contact.body["contact"] is None, contact
            ready = readiness(server)
            assert ready.status == 503, ready
            assert ready.body["status"] == "unavailable"
            assert ready.body["database"] in {"refusing writes", "unreachable"}

        outcome.recovered_after = wait_until_ready(server)
        # Sent again once the cause is gone: stored now, and once.
        resent_report = mediator.post("/incidents", refused_report)
        current = mediator.ok("GET", INCIDENT, incident_id=plain["id"])
        resent_note = mediator.post(
            INCIDENT + "/notes",
            {"text": refused_marker},
            incident_id=plain["id"],
            headers={"If-Match": f'"{current["version"]}"'},
        )
        outcome.resent = [resent_report.status, resent_note.status]
        assert resent_report.status == 201, resent_report  # It was not stored before.
        assert resent_note.status == 200, resent_note
        wait_until_ready(server)

        timeline = mediator.ok(
            "GET",
            INCIDENT + "/timeline",
            incident_id=plain["id"],
            query={"page_size": 100},
        )
        texts = [item["data"].get("text") for item in timeline["items"][1:]]
        assert texts == ["avant", *during, refused_marker]
        versions = [item["version"] for item in timeline["items"]]
        assert versions == list(range(1, len(versions) + 1))
        listed = mediator.ok("GET", "/incidents", query={"office": OFFICE})
        ids = [item["id"] for item in listed["items"]]
        assert sorted(ids) == sorted(
            [plain["id"], with_contact["id"], refused_report["id"]]
        )
        # What was written after the fault was sealed by the write itself.
        head = server.log.recorder.max_notification_id()
        deadline = time.monotonic() + RECOVERY_TIMEOUT
        while True:
            verification = auditor.ok("GET", "/audit/verify")
            assert verification["ok"] is True, verification
            if verification["position"] == head:
                break
            assert time.monotonic() < deadline, verification
            time.sleep(0.05)
        checked = replay.check(Projector(server.log))
        assert checked.differences == []
        assert checked.position == server.log.recorder.max_notification_id()
    finally:
        mediator.close()
        auditor.close()
    print(outcome.describe())


@contextlib.contextmanager
def served(database_url: str, opened_logs: list[IncidentLog]) -> Iterator[Server]:
    app = build_app(database_url, opened_logs)
    tokens = register(app, PEOPLE)
    with serving(app) as server:
        server.tokens.update(tokens)
        yield server


def test_an_immutable_sqlite_file_refuses_writes_then_recovers(
    sqlite_url: str, opened_logs: list[IncidentLog]
):
    database = Path(sqlite_url.removeprefix("sqlite:///"))
    with served(sqlite_url, opened_logs) as server:
        fault = immutable(database, database.with_name(database.name + "-wal"))
        outcome = Outcome("sqlite", "database file and its WAL made immutable")
        run_fault(server, fault, outcome, reads_work=True, maybe_stored=False)


def test_a_full_disk_refuses_writes_then_recovers(
    small_disk: Path, opened_logs: list[IncidentLog]
):
    url = f"sqlite:///{small_disk / 'incidents.sqlite3'}"

    with served(url, opened_logs) as server:
        outcome = Outcome("sqlite", "disk full (8 MB tmpfs)")
        run_fault(
            server, full(small_disk), outcome, reads_work=True, maybe_stored=False
        )
    while opened_logs:  # Let the disk be unmounted.
        opened_logs.pop().close()


@pytest.mark.postgres
def test_a_stopped_postgresql_refuses_then_recovers_by_itself(
    own_postgres: pgserver.Server, opened_logs: list[IncidentLog]
):
    @contextlib.contextmanager
    def stopped() -> Iterator[None]:
        stop_postgres(own_postgres)
        try:
            yield
        finally:
            start_postgres(own_postgres)

    with scratch_database(own_postgres) as url:
        try:
            with served(url, opened_logs) as server:
                outcome = Outcome("postgresql", "server stopped (pg_ctl stop -m fast)")
                run_fault(
                    server, stopped(), outcome, reads_work=False, maybe_stored=True
                )
        finally:
            while opened_logs:  # Before the database is dropped.
                opened_logs.pop().close()


def test_twenty_seconds_of_refused_writes_log_little(
    small_disk: Path, opened_logs: list[IncidentLog]
):
    url = f"sqlite:///{small_disk / 'incidents.sqlite3'}"
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.addHandler(handler)
    refused = 0
    try:
        with served(url, opened_logs) as server:
            mediator = server.client("mediator")
            mediator.ok("POST", "/incidents", report_body())
            filler = fill(small_disk)
            try:
                until = time.monotonic() + 20
                while time.monotonic() < until:
                    reply = mediator.post("/incidents", report_body())
                    refused += reply.status == 503
            finally:
                filler.unlink()
            mediator.ok("POST", "/incidents", report_body())
            mediator.close()
    finally:
        root.removeHandler(handler)
        while opened_logs:  # Let the disk be unmounted.
            opened_logs.pop().close()

    logged = written.getvalue()
    faults = [
        json.loads(line) for line in logged.splitlines() if "web.fault_log" in line
    ]
    print(
        f"measured: {refused} writes refused in 20 s of full disk logged "
        f"{len(logged.encode()):,} bytes, {len(faults)} lines about the fault"
    )
    assert refused > 100
    assert len(logged.encode()) < 1_000_000
    assert faults[0]["level"] == "error"
    assert sum("exception" in line for line in faults) == 1
    assert faults[-1]["event"].startswith("The database serves requests again")
