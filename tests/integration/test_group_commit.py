"""Reports that arrive together share a transaction, and lose nothing by it.

Group commit (ADR 0018) stores the saves waiting at one moment in one
transaction, sealed in order, and answers each only after that commit. These
tests race real writers on a SQLite file and on PostgreSQL, put one report that
cannot be stored into a batch, and kill a writing process mid-batch.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError, OperationalError

from incidents.application import IncidentLog
from incidents.errors import ReportConflictError, StorageUnavailableError
from incidents.evidence import Evidence
from tests.conftest import OpenLog, ledger_key_path, signing_key_path

INCIDENTS = str(Path(sys.executable).with_name("incidents"))
REPORT: dict[str, Any] = {
    "office": "colombes-aragon",
    "category": "waiting_time",
    "severity": 1,
    "target": "mediator",
    "summary": "Attente au guichet.",
}


def _report(log: IncidentLog, **overrides: Any) -> Any:
    fields = {
        **REPORT,
        "occurred_at": datetime.now(UTC) - timedelta(minutes=5),
        **overrides,
    }
    return log.report_incident(actor="mediator", **fields)


def _in_threads(*work: Any) -> tuple[list[threading.Thread], list[Any], list[Any]]:
    """Start one thread per callable; return them, their results and errors."""
    results: list[Any] = []
    errors: list[Any] = []

    def run(call: Any) -> None:
        try:
            results.append(call())
        except Exception as error:  # The test looks at every answer.
            errors.append(error)

    threads = [threading.Thread(target=run, args=(call,)) for call in work]
    for thread in threads:
        thread.start()
    return threads, results, errors


def _wait_until(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_racing_writers_store_every_report_and_note_sealed_in_order(
    durable_database_url: str, make_log: OpenLog
):
    log = make_log(durable_database_url)
    noted = _report(log).incident["id"]
    ids = [[uuid4() for _ in range(6)] for _ in range(16)]

    def reporter(mine: list[UUID]) -> list[UUID]:
        return [_report(log, incident_id=one).incident["id"] for one in mine]

    def noter() -> None:
        for _ in range(3):
            log.add_note(noted, actor="mediator", text="Rappel.")

    threads, _, errors = _in_threads(
        *(lambda mine=mine: reporter(mine) for mine in ids),
        *(noter for _ in range(6)),
    )
    for thread in threads:
        thread.join(120)

    assert errors == []
    for mine in ids:
        for one in mine:
            assert log.get_incident(one)["version"] == 1
    assert log.get_incident(noted)["version"] == 1 + 6 * 3
    verified = Evidence(log).verify()
    assert verified.ok, verified.first_problem
    assert verified.position == log.recorder.max_notification_id()


def test_saves_waiting_together_share_one_transaction_answered_after_it(
    durable_database_url: str, make_log: OpenLog
):
    log = make_log(durable_database_url)
    before = log.group_commit.transactions
    with log.group_commit.paused():
        threads, results, errors = _in_threads(*(lambda: _report(log),) * 8)
        _wait_until(lambda: log.group_commit.waiting() == 8)
        time.sleep(0.05)
        # Nobody is answered before the commit.
        assert all(thread.is_alive() for thread in threads)
        assert results == []
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert len(results) == 8
    assert log.group_commit.transactions == before + 1
    positions = sorted(result.position for result in results)
    assert positions == list(range(positions[0], positions[0] + 8))
    for result in results:
        # Each save is told the position of its own event.
        [stored] = log.recorder.select_notifications(result.position, 1)
        assert stored.originator_id == result.incident["id"]
    assert Evidence(log).verify().ok


def test_a_batch_with_one_report_that_cannot_be_stored_answers_each_alone(
    durable_database_url: str, make_log: OpenLog
):
    log = make_log(durable_database_url)
    taken = uuid4()
    before = log.group_commit.transactions
    with log.group_commit.paused():
        threads, results, errors = _in_threads(
            *(lambda: _report(log),) * 5,
            # Two reports of one id, with different content, in one batch.
            lambda: _report(log, incident_id=taken, summary="Première version."),
            lambda: _report(log, incident_id=taken, summary="Autre version."),
        )
        _wait_until(lambda: log.group_commit.waiting() == 7)
    for thread in threads:
        thread.join(60)

    # The batch failed as a whole; then each report was tried alone.
    assert log.group_commit.transactions == before + 1 + 7
    assert len(results) == 6
    assert all(result.created for result in results)
    assert [type(error) for error in errors] == [ReportConflictError]
    stored = log.get_incident(taken)
    assert stored["summary"] in {"Première version.", "Autre version."}
    assert stored["version"] == 1
    for result in results:
        assert log.get_incident(result.incident["id"])["version"] == 1
    verified = Evidence(log).verify()
    assert verified.ok, verified.first_problem
    assert verified.position == log.recorder.max_notification_id()


def _five_saves_meeting(
    log: IncidentLog, monkeypatch: Any, answers: list[Exception]
) -> tuple[list[int], list[Any], list[Any]]:
    """Queue five reports as one batch, the recorder raising ``answers`` in turn.

    Return the sizes of the inserts tried, the results and the errors.
    """
    recorder = log.group_commit.recorder
    calls: list[int] = []

    def unanswered(events: Any, **kwargs: Any) -> Any:
        calls.append(len(events))
        time.sleep(0.3)  # the recorder's own attempts, shortened
        raise answers[min(len(calls), len(answers)) - 1]

    monkeypatch.setattr(recorder, "insert_events", unanswered)
    with log.group_commit.paused():
        threads, results, errors = _in_threads(*(lambda: _report(log),) * 5)
        _wait_until(lambda: log.group_commit.waiting() == 5)
    for thread in threads:
        thread.join(60)
    monkeypatch.undo()
    return calls, results, errors


def test_a_database_that_does_not_answer_refuses_the_batch_and_its_queue_at_once(
    durable_database_url: str, make_log: OpenLog, monkeypatch: Any
):
    log = make_log(durable_database_url)
    head = log.recorder.max_notification_id()
    down = OperationalError("server closed the connection unexpectedly")

    calls, results, errors = _five_saves_meeting(log, monkeypatch, [down])

    # One try for all five: not one more per report, each 0.3 s in turn.
    assert calls == [5]
    assert results == []
    assert [type(error) for error in errors] == [StorageUnavailableError] * 5
    # Each thread raised an error of its own, caused by the database's.
    assert len({id(error) for error in errors}) == 5
    assert log.recorder.max_notification_id() == head
    assert _report(log).created  # the next save tries the database afresh


def test_once_the_database_stops_answering_a_batch_tried_one_by_one_stops_too(
    durable_database_url: str, make_log: OpenLog, monkeypatch: Any
):
    log = make_log(durable_database_url)
    conflict = IntegrityError("a report of this id is already stored")
    down = OperationalError("server closed the connection unexpectedly")

    calls, results, errors = _five_saves_meeting(log, monkeypatch, [conflict, down])

    # The batch, then the first save alone: the four others are not tried.
    assert calls == [5, 1]
    assert results == []
    assert [type(error) for error in errors] == [StorageUnavailableError] * 5
    assert log.group_commit.waiting() == 0


def test_the_same_report_twice_in_one_batch_is_stored_once(
    durable_database_url: str, make_log: OpenLog
):
    log = make_log(durable_database_url)
    same, occurred = uuid4(), datetime.now(UTC) - timedelta(minutes=5)
    with log.group_commit.paused():
        threads, results, errors = _in_threads(
            *(lambda: _report(log, incident_id=same, occurred_at=occurred),) * 3
        )
        _wait_until(lambda: log.group_commit.waiting() == 3)
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert sorted(result.created for result in results) == [False, False, True]
    assert log.get_incident(same)["version"] == 1


WRITER = """
import sys, threading, uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from incidents.bootstrap import open_incident_log
from incidents.evidence import LedgerSettings
keys = LedgerSettings(
    signing_key_path=Path(sys.argv[2]), ledger_key_path=Path(sys.argv[3])
)
log = open_incident_log(sys.argv[1], ledger=keys)
lock = threading.Lock()
def write():
    while True:
        chosen = uuid.uuid4()
        log.report_incident(
            actor="mediator", office="colombes-aragon", category="waiting_time",
            severity=1, target="mediator", summary="Attente au guichet.",
            occurred_at=datetime.now(UTC) - timedelta(minutes=5),
            incident_id=chosen,
        )
        with lock:  # Acknowledged: the report returned.
            print(chosen, flush=True)
threads = [threading.Thread(target=write, daemon=True) for _ in range(16)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
"""


def test_every_acknowledged_report_survives_a_kill_mid_batch(
    durable_database_url: str, make_log: OpenLog, tmp_path: Path
):
    make_log(durable_database_url).close()  # Tables and offices, once.
    writer = subprocess.Popen(
        [
            *(sys.executable, "-c", WRITER, durable_database_url),
            *(str(signing_key_path()), str(ledger_key_path())),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    acknowledged: list[str] = []
    assert writer.stdout is not None
    deadline = time.monotonic() + 60
    while len(acknowledged) < 300 and time.monotonic() < deadline:
        line = writer.stdout.readline()
        if not line:
            break
        acknowledged.append(line.strip())
    os.kill(writer.pid, signal.SIGKILL)  # Writers are mid-batch by now.
    acknowledged += writer.stdout.read().split()
    writer.stdout.close()
    writer.wait(30)
    assert len(acknowledged) >= 300

    log = make_log(durable_database_url)
    for incident_id in acknowledged:
        assert log.get_incident(UUID(incident_id))["version"] == 1
    log.close()
    verified = subprocess.run(
        [INCIDENTS, "verify"],
        env={
            **os.environ,
            "INCIDENTS_DATABASE_URL": durable_database_url,
            "INCIDENTS_INSTANCE_PATH": str(tmp_path / "instance"),
            "INCIDENTS_SIGNING_KEY_PATH": str(signing_key_path()),
            "INCIDENTS_LEDGER_KEY_PATH": str(ledger_key_path()),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
