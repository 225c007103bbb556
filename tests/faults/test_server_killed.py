"""A server killed with ``kill -9`` under load loses nothing it acknowledged.

Six phones report incidents (each with its own id) and add notes to them, as fast
as a real ``incidents serve`` answers. Once enough writes were acknowledged the
process is killed with SIGKILL, requests still in flight. After a restart, every
write answered 2xx is in the store exactly once, at the version its answer gave;
a write that got no answer is there once or not at all; the read models catch up
and equal a rebuild (``incidents replay --check``), and the history verifies
(``incidents verify``). On SQLite and PostgreSQL.
"""

from __future__ import annotations

import http.client
import signal
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from incidents.errors import IncidentNotFoundError
from tests.faults.conftest import (
    PREFIX,
    Service,
    call,
    run_command,
    service_environment,
    start_service,
)

if TYPE_CHECKING:
    from tests.conftest import OpenLog

OFFICE = "colombes-aragon"
PHONES = 6
ACKNOWLEDGED_BEFORE_KILL = 200
LOAD_TIMEOUT = 30
REQUEST_TIMEOUT = 10


@dataclass(frozen=True)
class Sent:
    """One write a phone sent, and what it was answered (``None``: no answer)."""

    kind: str
    incident_id: str
    marker: str | None
    status: int | None
    version: int | None


def report_body(incident_id: str) -> dict[str, object]:
    return {
        "id": incident_id,
        "office": OFFICE,
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=10)).isoformat(),
        "category": "waiting_time",
        "severity": 1,
        "target": "staff",
        "summary": "Attente longue au guichet, le ton monte.",
    }


def phone(
    service: Service, token: str, number: int, sent: list[Sent], lock: threading.Lock
) -> None:
    """Report and add notes until the server stops answering."""
    connection = service.connect(REQUEST_TIMEOUT)
    mine: list[str] = []
    step = 0
    try:
        while True:
            marker = None
            if not mine or step % 3 == 0:
                kind, incident_id = "report", str(uuid.uuid4())
                path, body = f"{PREFIX}/incidents", report_body(incident_id)
            else:
                kind, incident_id = "note", mine[step % len(mine)]
                marker = f"p{number}-s{step}"
                path, body = f"{PREFIX}/incidents/{incident_id}/notes", {"text": marker}
            try:
                reply = call(connection, "POST", path, body, token=token)
            except (OSError, http.client.HTTPException):
                with lock:
                    sent.append(Sent(kind, incident_id, marker, None, None))
                return
            ok = 200 <= reply.status < 300
            with lock:
                sent.append(
                    Sent(
                        kind,
                        incident_id,
                        marker,
                        reply.status,
                        reply.body["version"] if ok else None,
                    )
                )
            if kind == "report" and ok:
                mine.append(incident_id)
            step += 1
    finally:
        connection.close()


def test_a_server_killed_under_load_keeps_every_acknowledged_write(
    durable_database_url: str, make_log: OpenLog, tmp_path: Path
):
    log = make_log(durable_database_url)
    tokens = []
    for number in range(PHONES):
        name = f"mediator-{number}"
        log.register_user(actor="test", name=name, role="mediator", offices=[OFFICE])
        tokens.append(log.issue_token(name, actor="test").token)
    environment = service_environment(durable_database_url, tmp_path)
    output = tmp_path / "service.log"
    service = start_service(environment, output)
    sent: list[Sent] = []
    lock = threading.Lock()
    phones = [
        threading.Thread(target=phone, args=(service, tokens[n], n, sent, lock))
        for n in range(PHONES)
    ]
    try:
        for thread in phones:
            thread.start()
        deadline = time.monotonic() + LOAD_TIMEOUT
        while sum(1 for s in sent if s.status is not None) < ACKNOWLEDGED_BEFORE_KILL:
            service.check_running()
            assert time.monotonic() < deadline, f"too slow: {len(sent)} answered"
            time.sleep(0.005)
        service.process.send_signal(signal.SIGKILL)
        for thread in phones:
            thread.join(timeout=LOAD_TIMEOUT)
    finally:
        if service.process.poll() is None:
            service.process.kill()
        service.process.wait(timeout=30)
    assert not any(thread.is_alive() for thread in phones), "a phone hung"
    assert service.process.returncode == -signal.SIGKILL

    answered = [s for s in sent if s.status is not None]
    acknowledged = [s for s in answered if 200 <= s.status < 300]  # type: ignore[operator]
    unanswered = [s for s in sent if s.status is None]
    # Nothing but success before the kill: each phone writes to its own incidents.
    assert answered == acknowledged, Counter(s.status for s in answered)
    assert len(unanswered) == PHONES  # Each phone learnt of the kill by one write.

    restarted = start_service(environment, output)
    try:
        ready = restarted.wait_until_ready()
        sample = acknowledged[-1]
        served = restarted.get(
            f"{PREFIX}/incidents/{sample.incident_id}", token=tokens[0]
        )
        assert served.status == 200, served
    finally:
        assert restarted.stop() == 0, restarted.tail()

    # Every acknowledged write is stored once, where its answer said.
    reader = make_log(durable_database_url, load_offices=False)
    incident_ids = {s.incident_id for s in sent if s.kind == "report"}
    histories = {}
    for incident_id in incident_ids:
        try:
            histories[incident_id] = reader.get_incident_history(uuid.UUID(incident_id))
        except IncidentNotFoundError:
            continue  # Allowed only for a report that got no answer (below).
    notes: Counter[str] = Counter()
    at_version: dict[str, tuple[str, int]] = {}

    def stored_as_answered(write: Sent) -> bool:
        if write.kind == "report":
            return write.incident_id in histories
        return notes[write.marker or ""] == 1 and at_version[write.marker or ""] == (
            write.incident_id,
            write.version,
        )

    for incident_id, history in histories.items():
        assert [e["version"] for e in history] == list(range(1, len(history) + 1))
        assert [e["type"] for e in history].count("Reported") == 1
        for event in history[1:]:
            marker = event["data"]["text"]
            notes[marker] += 1
            at_version[marker] = (incident_id, event["version"])
    found = [write for write in acknowledged if stored_as_answered(write)]
    assert found == acknowledged
    sent_markers = {s.marker for s in sent if s.marker is not None}
    assert set(notes) <= sent_markers
    assert max(notes.values()) == 1
    in_flight_stored = sum(
        1
        for s in unanswered
        if s.incident_id in histories
        and (s.kind == "report" or notes[s.marker or ""] == 1)
    )
    events = sum(len(history) for history in histories.values())

    verified, verify_output = run_command(environment, "verify")
    assert verified == 0, verify_output
    assert "Verified" in verify_output
    checked, check_output = run_command(environment, "replay", "--check")
    assert checked == 0, check_output
    assert "The read models match a rebuild" in check_output

    store = durable_database_url.partition(":")[0]
    print(
        f"[{store}] kill -9 under load: sent {len(sent)} writes, acknowledged "
        f"{len(acknowledged)}, found {len(found)} of them after restart; "
        f"{len(unanswered)} in flight at the kill, {in_flight_stored} of those "
        f"stored; {events} incident events, read models at {ready['read_models']}; "
        "incidents verify and replay --check pass"
    )
