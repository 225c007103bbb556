"""Writers racing on one incident lose nothing, duplicate nothing, break no rule.

Every command carries a unique marker (note text or reason), so the history tells
which commands were stored, and how often. IncidentLog reloads and retries a save
that loses the race; when it gives up (``ConcurrentWriteError``) nothing was
stored, and the writer here counts it and sends the command again.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import pytest
from argon2 import PasswordHasher

from incidents.application import IncidentLog, load_default_offices
from incidents.application.store import IncidentStore
from incidents.errors import (
    ConcurrentWriteError,
    FollowUpNotScheduledError,
    IncidentClosedError,
)
from incidents.persistence import environment_for

if TYPE_CHECKING:
    from tests.conftest import OpenLog

WRITERS = 8
COMMANDS_PER_WRITER = 12
PROCESSES = 4
FOLLOW_UPS_RACED = 4
# A writer that keeps losing is starved, not merely unlucky: fail rather than spin.
MAX_RESENDS = 50
START_TIMEOUT = 30

SETUPS = [
    pytest.param(("memory", False), id="memory-one-log"),
    pytest.param(("sqlite", False), id="sqlite-one-log"),
    pytest.param(("sqlite", True), id="sqlite-log-per-writer"),
    pytest.param(
        ("postgres", False), id="postgres-one-log", marks=pytest.mark.postgres
    ),
    pytest.param(
        ("postgres", True), id="postgres-log-per-writer", marks=pytest.mark.postgres
    ),
]


@dataclass
class Writers:
    """Say which log each writer uses, and how to name the setup in output."""

    label: str
    logs: list[IncidentLog]


@dataclass
class Tally:
    """Count what one writer sent, what was accepted, and what it resent."""

    writer: int
    sent: int = 0
    accepted: list[str] = field(default_factory=list)
    resent_after_conflict: int = 0


class LostRaces:
    """Count the saves IncidentLog retried after losing a race (its back-offs)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()
        # The staticmethod itself, so that putting it back restores it as it was.
        self._original = vars(IncidentStore)["_back_off"]

    def __enter__(self) -> LostRaces:
        IncidentStore._back_off = self._back_off
        return self

    def __exit__(self, *exc_info: object) -> None:
        IncidentStore._back_off = self._original

    def _back_off(self, attempt: int) -> None:
        with self._lock:
            self.count += 1
        self._original(attempt)


@pytest.fixture(params=SETUPS)
def writers(request: pytest.FixtureRequest, make_log: OpenLog) -> Writers:
    """Return WRITERS logs on one store: the same log, or one log per writer."""
    store, log_per_writer = request.param
    if store == "memory":
        url = "memory://"
    else:
        url = str(request.getfixturevalue(f"{store}_url"))
    if log_per_writer:
        return Writers(
            request.node.callspec.id, [make_log(url) for _ in range(WRITERS)]
        )
    return Writers(request.node.callspec.id, [make_log(url)] * WRITERS)


def report(log: IncidentLog) -> UUID:
    result = log.report_incident(
        actor="amina",
        office="nanterre-centre",
        occurred_at=datetime.now(UTC) - timedelta(hours=1),
        category="threat",
        severity=3,
        target="mediator",
        summary="Several people at the counter at once.",
        contact={"email": "visitor@example.fr"},
    )
    incident_id: UUID = result.incident["id"]
    return incident_id


def send(tally: Tally, command: Callable[[], Any]) -> Any:
    """Run a command, sending it again each time the log gave up on a race."""
    for _ in range(MAX_RESENDS):
        try:
            return command()
        except ConcurrentWriteError:
            tally.resent_after_conflict += 1
    pytest.fail(f"Still losing the race after {MAX_RESENDS} sends.")


def write_commands(
    log: IncidentLog,
    incident_id: UUID,
    writer: int,
    count: int,
    wait_for_the_others: Callable[[], object],
) -> Tally:
    """Apply ``count`` commands, each carrying a unique marker, to the incident."""
    tally = Tally(writer)
    follow_up_id = uuid4()
    wait_for_the_others()
    for step in range(count):
        marker = f"w{writer}-c{step}"
        kind = step % 4
        if kind == 0:
            follow_up_id = uuid4()
            command = _command(
                log.schedule_follow_up,
                incident_id,
                actor=f"writer-{writer}",
                kind="staff_support",
                due_on=date(2026, 12, 1),
                follow_up_id=follow_up_id,
                note=marker,
            )
        elif kind == 1:
            command = _command(
                log.add_note, incident_id, actor=f"writer-{writer}", text=marker
            )
        elif kind == 2:
            command = _command(
                log.record_de_escalation,
                incident_id,
                actor=f"writer-{writer}",
                techniques=["active_listening"],
                outcome="calmed",
                note=marker,
            )
        elif step % 8 == 3:
            command = _command(
                log.cancel_follow_up,
                incident_id,
                follow_up_id,
                actor=f"writer-{writer}",
                reason=marker,
            )
        else:
            command = _command(
                log.complete_follow_up,
                incident_id,
                follow_up_id,
                actor=f"writer-{writer}",
                note=marker,
            )
        tally.sent += 1
        send(tally, command)
        tally.accepted.append(marker)
    return tally


def _command(
    method: Callable[..., Any], *args: Any, **kwargs: Any
) -> Callable[[], Any]:
    return lambda: method(*args, **kwargs)


def marker_of(event: dict[str, Any]) -> str:
    data = event["data"]
    for name in ("text", "note", "reason"):
        value = data.get(name)
        if isinstance(value, str) and value.startswith("w"):
            return value
    raise AssertionError(f"No marker in {event['type']} {data}")


def check_nothing_lost_or_duplicated(
    history: list[dict[str, Any]], tallies: list[Tally]
) -> int:
    """Check the history against what the writers saw accepted; return its size."""
    assert [event["version"] for event in history] == list(range(1, len(history) + 1))
    assert history[0]["type"] == "Reported"
    stored = [marker_of(event) for event in history[1:]]
    accepted = [marker for tally in tallies for marker in tally.accepted]
    duplicated = [marker for marker, n in Counter(stored).items() if n > 1]
    assert duplicated == []
    assert sorted(stored) == sorted(accepted)
    for tally in tallies:
        own = [m for m in stored if m.split("-")[0] == f"w{tally.writer}"]
        assert own == tally.accepted  # Each writer's commands in the order sent.
    return len(stored)


def print_numbers(setup: str, tallies: list[Tally], found: int, lost: int) -> None:
    sent = sum(tally.sent for tally in tallies)
    accepted = sum(len(tally.accepted) for tally in tallies)
    resent = sum(tally.resent_after_conflict for tally in tallies)
    print(
        f"\n[{setup}] writers={len(tallies)} commands sent={sent} accepted={accepted} "
        f"found in history={found} races lost and retried by IncidentLog={lost} "
        f"ConcurrentWriteError resent by the test={resent}"
    )


def test_threads_writing_to_one_incident_lose_and_duplicate_nothing(
    writers: Writers,
):
    incident_id = report(writers.logs[0])
    start = threading.Barrier(WRITERS, timeout=START_TIMEOUT)

    with LostRaces() as lost, ThreadPoolExecutor(WRITERS) as pool:
        futures = [
            pool.submit(
                write_commands,
                log,
                incident_id,
                writer,
                COMMANDS_PER_WRITER,
                start.wait,
            )
            for writer, log in enumerate(writers.logs)
        ]
        tallies = [future.result() for future in futures]

    history = writers.logs[-1].get_incident_history(incident_id)
    found = check_nothing_lost_or_duplicated(history, tallies)
    print_numbers(writers.label, tallies, found, lost.count)
    assert found == WRITERS * COMMANDS_PER_WRITER
    incident = writers.logs[0].get_incident(incident_id)
    assert len(incident["notes"]) == WRITERS * COMMANDS_PER_WRITER // 4
    assert incident["version"] == len(history)


def test_racers_on_one_rule_leave_one_winner_and_give_the_rest_the_rule(
    writers: Writers,
):
    log = writers.logs[0]
    incident_id = report(log)
    follow_up_ids = [uuid4() for _ in range(FOLLOW_UPS_RACED)]
    for follow_up_id in follow_up_ids:
        log.schedule_follow_up(
            incident_id,
            actor="amina",
            kind="manager_report",
            due_on="2026-12-01",
            follow_up_id=follow_up_id,
        )

    resent = Counter[str]()

    def race(command: Callable[[int], Any]) -> dict[int, str]:
        """Run the command in every writer at once; return each writer's outcome."""
        start = threading.Barrier(WRITERS, timeout=START_TIMEOUT)

        def racer(writer: int) -> str:
            tally = Tally(writer)
            start.wait()
            try:
                send(tally, lambda: command(writer))
            except (FollowUpNotScheduledError, IncidentClosedError) as error:
                return type(error).__name__
            finally:
                resent[f"writer-{writer}"] += tally.resent_after_conflict
            return "won"

        with ThreadPoolExecutor(WRITERS) as pool:
            return dict(enumerate(pool.map(racer, range(WRITERS))))

    def resolve(writer: int, follow_up_id: UUID) -> Any:
        # Half the racers cancel the follow-up, the other half complete it.
        if writer % 2:
            return writers.logs[writer].cancel_follow_up(
                incident_id, follow_up_id, actor=f"writer-{writer}", reason="Moot."
            )
        return writers.logs[writer].complete_follow_up(
            incident_id, follow_up_id, actor=f"writer-{writer}"
        )

    def close(writer: int) -> Any:
        return writers.logs[writer].close_incident(
            incident_id, actor=f"writer-{writer}", resolution="resolved_on_site"
        )

    with LostRaces() as lost:
        races = [
            race(lambda writer, f=follow_up_id: resolve(writer, f))
            for follow_up_id in follow_up_ids
        ]
        races.append(race(close))

    refusals = [FollowUpNotScheduledError.__name__] * FOLLOW_UPS_RACED
    refusals.append(IncidentClosedError.__name__)
    winners = []
    for outcomes, refusal in zip(races, refusals, strict=True):
        assert Counter(outcomes.values()) == {"won": 1, refusal: WRITERS - 1}
        winners.extend(writer for writer, won in outcomes.items() if won == "won")
    history = log.get_incident_history(incident_id)
    assert [event["version"] for event in history] == list(range(1, len(history) + 1))
    raced = history[1 + FOLLOW_UPS_RACED :]
    assert [event["actor"] for event in raced] == [f"writer-{w}" for w in winners]
    assert [event["type"] for event in raced] == [
        *("FollowUpCancelled" if w % 2 else "FollowUpCompleted" for w in winners[:-1]),
        "Closed",
    ]
    assert [event["data"]["follow_up_id"] for event in raced[:-1]] == follow_up_ids
    print(
        f"\n[{writers.label}] {len(races)} races of {WRITERS} writers: "
        f"won={len(winners)} refused by the rule={len(races) * (WRITERS - 1)} "
        f"races lost and retried by IncidentLog={lost.count} "
        f"ConcurrentWriteError resent by the test={resent.total()}"
    )


def open_log_in_process(database_url: str) -> IncidentLog:
    return IncidentLog(
        environment_for(database_url),
        password_hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
    )


def write_in_process(
    writer: int, start: Any, database_url: str, incident_id: UUID, count: int
) -> tuple[Tally, int]:
    """Open a log of its own, then write commands once every process is ready."""
    log = open_log_in_process(database_url)
    try:
        with LostRaces() as lost:
            tally = write_commands(log, incident_id, writer, count, start.wait)
    finally:
        log.close()
    return tally, lost.count


def open_in_process(writer: int, start: Any, database_url: str) -> int:
    """Open the log and load the offices at the same moment as the other processes."""
    start.wait()
    log = open_log_in_process(database_url)
    try:
        return log.ensure_offices(load_default_offices())
    finally:
        log.close()


def report_from_process(
    target: Callable[..., Any], writer: int, start: Any, results: Any, *args: Any
) -> None:
    try:
        results.put((writer, "ok", target(writer, start, *args)))
    except BaseException as error:
        results.put((writer, "error", repr(error)))
        raise


def run_in_processes(target: Callable[..., Any], *args: Any) -> list[Any]:
    """Run ``target(writer, start_barrier, *args)`` in PROCESSES spawned processes."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES, timeout=START_TIMEOUT)
    results = context.Queue()
    processes = [
        context.Process(
            target=report_from_process, args=(target, writer, start, results, *args)
        )
        for writer in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    try:
        reports = sorted(results.get(timeout=START_TIMEOUT * 2) for _ in processes)
    finally:
        for process in processes:
            process.join(timeout=START_TIMEOUT)
            if process.is_alive():
                process.kill()
                process.join()
        results.close()
        results.join_thread()
    errors = [
        f"process {writer}: {value}"
        for writer, status, value in reports
        if status != "ok"
    ]
    assert errors == []
    assert [process.exitcode for process in processes] == [0] * PROCESSES
    return [value for _, _, value in reports]


def test_processes_writing_to_one_incident_lose_and_duplicate_nothing(
    durable_database_url: str, make_log: OpenLog
):
    log = make_log(durable_database_url)
    incident_id = report(log)

    outcomes = run_in_processes(
        write_in_process, durable_database_url, incident_id, COMMANDS_PER_WRITER
    )

    tallies = [tally for tally, _ in outcomes]
    history = log.get_incident_history(incident_id)
    found = check_nothing_lost_or_duplicated(history, tallies)
    store = durable_database_url.partition(":")[0]
    lost = sum(count for _, count in outcomes)
    print_numbers(f"{store}, {PROCESSES} processes", tallies, found, lost)
    assert found == PROCESSES * COMMANDS_PER_WRITER


def test_processes_opening_an_empty_store_at_once_all_start(
    durable_database_url: str, make_log: OpenLog
):
    added = run_in_processes(open_in_process, durable_database_url)

    log = make_log(durable_database_url, load_offices=False)
    offices = load_default_offices()
    assert sorted(added) == [0] * (PROCESSES - 1) + [len(offices)]
    assert len(log.list_offices()) == len(offices)
