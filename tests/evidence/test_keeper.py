"""The keeper seals each event exactly once, follows the log and signs checkpoints."""

from __future__ import annotations

import itertools
import threading
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from incidents.evidence import SigningKeyError, ledger, verification
from incidents.evidence.hashing import GENESIS, link, notification_content
from incidents.evidence.keeper import LedgerKeeper
from incidents.evidence.verification import iter_notifications
from tests.evidence.conftest import write_history

if TYPE_CHECKING:
    from incidents.application import IncidentLog
    from incidents.evidence import Evidence
    from tests.conftest import OpenLog
    from tests.evidence.conftest import MakeEvidence


def expected_rows(log: IncidentLog) -> list[tuple[int, int, bytes, bytes]]:
    chain, rows = GENESIS, []
    for size, notification in enumerate(
        iter_notifications(log.recorder, 1, 2**62), start=1
    ):
        content = notification_content(notification)
        chain = link(chain, notification.id, content).chain
        rows.append((notification.id, size, content, chain))
    return rows


def ledger_rows(evidence: Evidence) -> list[tuple[int, int, bytes, bytes]]:
    return [
        (row.position, row.size, row.content, row.chain)
        for row in evidence.ledger.iter_rows(1, 2**62)
    ]


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return bool(condition())


def test_catching_up_seals_every_event_once_in_small_batches(
    incident_log, make_evidence
):
    head = write_history(incident_log)
    evidence = make_evidence(incident_log, batch_size=7)

    assert evidence.seal() == head
    assert evidence.seal() == 0

    assert ledger_rows(evidence) == expected_rows(incident_log)
    assert evidence.ledger.head().size == head
    assert evidence.verify().ok


def test_another_process_resumes_sealing_where_the_ledger_ends(
    durable_database_url, make_log, make_evidence
):
    log = make_log(durable_database_url)
    first = write_history(log, incidents=2)
    make_evidence(log).seal()
    head = write_history(log, incidents=2)
    later = make_evidence(make_log(durable_database_url, load_offices=False))

    assert later.ledger.head().position == first
    assert later.seal() == head - first
    assert ledger_rows(later) == expected_rows(log)


def test_keepers_racing_in_threads_and_stores_seal_each_event_once(
    durable_database_url, make_log, make_evidence
):
    writer = make_log(durable_database_url)
    keepers = [
        make_evidence(make_log(durable_database_url, load_offices=False), batch_size=5)
        for _ in range(3)
    ]
    stop = threading.Event()
    errors: list[BaseException] = []

    def keep(evidence: Evidence) -> None:
        try:
            while not stop.is_set():
                evidence.seal()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=keep, args=(keeper,)) for keeper in keepers]
    for thread in threads:
        thread.start()
    head = write_history(writer, incidents=10)
    assert wait_until(lambda: keepers[0].ledger.head().position == head)
    stop.set()
    for thread in threads:
        thread.join()

    assert errors == []
    assert ledger_rows(keepers[1]) == expected_rows(writer)
    assert keepers[2].verify().ok


def test_the_keeper_thread_seals_what_is_saved_without_waiting_for_a_poll(
    incident_log, make_evidence
):
    evidence = make_evidence(incident_log)
    evidence.start(poll_interval=60)  # Only the save itself can wake it in time.
    try:
        head = write_history(incident_log, incidents=2)
        assert wait_until(lambda: evidence.ledger.head().position == head)
    finally:
        evidence.stop()
    assert incident_log.save_listeners == []
    assert evidence.verify().ok


def test_the_keeper_thread_signs_a_checkpoint_every_so_many_events(
    incident_log, make_evidence
):
    evidence = make_evidence(incident_log, checkpoint_every=10)
    evidence.start(poll_interval=0.01)
    try:
        head = write_history(incident_log, incidents=4)
        assert wait_until(
            lambda: (
                evidence.ledger.head().position == head
                and any(c.size > head - 10 for c in evidence.checkpoints())
            )
        )
    finally:
        evidence.stop()
    sizes = [checkpoint.size for checkpoint in evidence.checkpoints()]
    assert sizes[0] > 0  # The first as soon as anything was sealed.
    assert all(later - earlier >= 10 for earlier, later in itertools.pairwise(sizes))
    assert all(evidence.signer.is_valid(c) for c in evidence.checkpoints())
    assert evidence.verify().checkpoints == len(sizes)


def test_checkpoints_fall_due_by_count_or_by_time_once_the_ledger_grew(
    incident_log, make_evidence
):
    evidence = make_evidence(incident_log, checkpoint_every=1000)
    keeper = evidence.keeper
    write_history(incident_log, incidents=2)
    evidence.seal()
    first = keeper.checkpoint_if_due()  # The first, as soon as there is one event.
    assert first is not None
    assert first.size == evidence.ledger.head().size
    later = datetime.now(UTC) + timedelta(hours=2)
    assert keeper.checkpoint_if_due(later) is None  # Nothing new since.

    write_history(incident_log, incidents=1)
    evidence.seal()

    assert keeper.checkpoint_if_due() is None  # Neither enough events nor time.
    second = keeper.checkpoint_if_due(later)
    assert second is not None
    assert second.size > first.size
    keeper.checkpoint_every = 1
    write_history(incident_log, incidents=1)
    evidence.seal()
    assert keeper.checkpoint_if_due() is not None


def test_a_checkpoint_of_the_same_size_is_stored_once(incident_log, make_evidence):
    write_history(incident_log, incidents=1)
    evidence = make_evidence(incident_log)

    first = evidence.checkpoint()
    second = evidence.checkpoint()

    assert second == first
    assert evidence.checkpoints() == [first]


def test_an_empty_log_can_be_checkpointed_and_verified(make_log, make_evidence):
    log = make_log("memory://", load_offices=False)
    evidence = make_evidence(log)

    checkpoint = evidence.checkpoint()

    assert (checkpoint.size, checkpoint.root) == (0, GENESIS)
    result = evidence.verify()
    assert result.ok
    assert (result.checked, result.checkpoints) == (0, 1)


def test_a_keeper_without_a_key_seals_but_signs_nothing(incident_log):
    write_history(incident_log, incidents=1)
    keeper = LedgerKeeper(incident_log, checkpoint_every=1)

    assert keeper.catch_up() > 0
    assert keeper.checkpoint_if_due() is None
    with pytest.raises(SigningKeyError, match="No signing key"):
        keeper.checkpoint()


def test_verification_streams_with_memory_that_does_not_grow_with_the_log(
    make_log: OpenLog, make_evidence: MakeEvidence, monkeypatch
):
    monkeypatch.setattr(verification, "READ_BATCH", 20)
    monkeypatch.setattr(ledger, "READ_BATCH", 20)
    peaks = []
    for incidents in (100, 1000):
        log = make_log("memory://")
        write_history(log, incidents=incidents)
        evidence = make_evidence(log)
        evidence.seal()
        pages = {"count": 0, "largest": 0}
        select = log.recorder.select_notifications

        def counting(start, limit, *args, select=select, pages=pages, **kwargs):
            pages["count"] += 1
            pages["largest"] = max(pages["largest"], limit)
            return select(start, limit, *args, **kwargs)

        log.recorder.select_notifications = counting  # type: ignore[method-assign]
        tracemalloc.start()
        try:
            assert evidence.verify().ok
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert pages["largest"] == 20
        assert pages["count"] > incidents * 3 // 20

    # Ten times the events (2,700 more): keeping anything per event would cost
    # over a hundred kilobytes; the peak moves by less than one.
    assert peaks[1] - peaks[0] < 1000
