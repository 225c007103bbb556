"""Every write seals its own events, in its own transaction, and signs when due."""

from __future__ import annotations

import hashlib
import itertools
import threading
import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from incidents.evidence import Evidence, ledger, log_reading
from incidents.evidence.hashing import GENESIS, leaf_hash, link, notification_content
from incidents.evidence.log_reading import iter_notifications
from incidents.evidence.merkle import EMPTY_ROOT, Frontier, peak_sizes
from incidents.evidence.sealing import Sealer
from tests.conftest import ledger_settings
from tests.evidence.conftest import OFFICE, write_history

if TYPE_CHECKING:
    from incidents.application import IncidentLog
    from tests.conftest import OpenLog


def merkle_root(leaves: list[bytes]) -> bytes:
    """Return RFC 6962's tree hash of some leaves, straight from its definition."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    split = 1
    while split * 2 < len(leaves):
        split *= 2
    left, right = merkle_root(leaves[:split]), merkle_root(leaves[split:])
    return hashlib.sha256(b"\x01" + left + right).digest()


def expected_rows(log: IncidentLog) -> list[tuple[int, int, bytes, bytes, bytes]]:
    chain, leaves, rows = GENESIS, [], []
    for size, notification in enumerate(
        iter_notifications(log.recorder, 1, 2**62), start=1
    ):
        content = notification_content(notification)
        chain = link(chain, notification.id, content).chain
        leaves.append(leaf_hash(notification.id, content))
        rows.append((notification.id, size, content, chain, merkle_root(leaves)))
    return rows


def ledger_rows(evidence: Evidence) -> list[tuple[int, int, bytes, bytes, bytes]]:
    return [
        (row.position, row.size, row.content, row.chain, row.root)
        for row in evidence.ledger.iter_rows(1, 2**62)
    ]


def test_each_write_seals_its_events_with_chain_and_tree_root(incident_log):
    write_history(incident_log, incidents=3)

    evidence = Evidence(incident_log)

    assert ledger_rows(evidence) == expected_rows(incident_log)
    assert (
        evidence.ledger.head().position == incident_log.recorder.max_notification_id()
    )
    assert evidence.verify().ok


def test_writers_in_threads_and_processes_seal_each_event_once(
    durable_database_url: str, make_log: OpenLog
):
    # Two logs on one store stand for two processes; each has writer threads.
    logs = [make_log(durable_database_url), make_log(durable_database_url)]
    errors: list[BaseException] = []

    def write(log: IncidentLog) -> None:
        try:
            write_history(log, incidents=3)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [
        threading.Thread(target=write, args=(log,)) for log in logs for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    evidence = Evidence(logs[1])
    assert ledger_rows(evidence) == expected_rows(logs[0])
    assert Evidence(logs[0]).verify().ok


def test_a_write_whose_sealing_fails_stores_nothing(incident_log, monkeypatch):
    before = incident_log.recorder.max_notification_id()
    evidence = Evidence(incident_log)
    head = evidence.ledger.head()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("sealing failed")

    monkeypatch.setattr(Sealer, "seal", broken)
    with pytest.raises(RuntimeError, match="sealing failed"):
        write_history(incident_log, incidents=1)
    monkeypatch.undo()

    assert incident_log.recorder.max_notification_id() == before
    assert evidence.ledger.head() == head
    write_history(incident_log, incidents=1)  # The store still takes writes.
    assert evidence.verify().ok


def test_writers_taking_turns_on_one_store_each_extend_the_others_rows(
    durable_database_url: str, make_log: OpenLog
):
    # Each sealer keeps the head it appended: after the other log wrote, that
    # head is no longer the ledger's, and it reads the peaks and checkpoint again.
    first, second = make_log(durable_database_url), make_log(durable_database_url)
    for log in (first, second, first, second, first):
        write_history(log, incidents=1)

    assert ledger_rows(Evidence(second)) == expected_rows(first)
    assert Evidence(first).verify().ok


def test_a_write_rolled_back_after_sealing_leaves_no_row_in_memory(
    durable_database_url: str, make_log: OpenLog, monkeypatch: pytest.MonkeyPatch
):
    log = make_log(durable_database_url)
    write_history(log, incidents=1)
    seal = Sealer.seal

    def sealed_then_refused(self: Sealer, *args: object, **kwargs: object) -> None:
        seal(self, *args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("refused after sealing")

    monkeypatch.setattr(Sealer, "seal", sealed_then_refused)
    with pytest.raises(RuntimeError, match="refused after sealing"):
        write_history(log, incidents=1)
    monkeypatch.undo()
    write_history(log, incidents=2)

    assert ledger_rows(Evidence(log)) == expected_rows(log)
    assert Evidence(log).verify().ok


def test_checkpoints_are_signed_from_the_first_event_then_every_so_many(make_log):
    log = make_log(
        "memory://", load_offices=False, ledger=ledger_settings(checkpoint_every=10)
    )
    evidence = Evidence(log)
    assert evidence.checkpoints() == []

    log.ensure_offices([{"code": OFFICE, "name": "Aragon", "city": "Colombes"}])
    first_write = evidence.ledger.head().size
    head = write_history(log, incidents=8)

    sizes = [checkpoint.size for checkpoint in evidence.checkpoints()]
    assert sizes[0] == first_write  # The first write signed it, as it stored it.
    assert [size // 10 for size in sizes[1:]] == list(range(1, head // 10 + 1))
    assert all(later - earlier <= 10 for earlier, later in itertools.pairwise(sizes))
    assert all(evidence.signer.is_valid(c) for c in evidence.checkpoints())
    assert evidence.verify().checkpoints == len(sizes)


def test_a_checkpoint_falls_due_by_time_on_the_next_write_only(make_log):
    log = make_log("memory://", load_offices=False)
    evidence = Evidence(log)
    sealer = evidence.recorder.sealer
    log.ensure_offices([{"code": OFFICE, "name": "Aragon", "city": "Colombes"}])
    first = evidence.checkpoints()
    assert [checkpoint.size for checkpoint in first] == [evidence.ledger.head().size]

    write_history(log, incidents=1)  # Neither 1,000 events nor an hour later.
    assert evidence.checkpoints() == first

    later = datetime.now(UTC) + timedelta(hours=1, seconds=1)
    sealer.clock = lambda: later
    assert evidence.checkpoints() == first  # An idle store signs nothing.
    log.ensure_offices([{"code": "nanterre", "name": "Parc", "city": "Nanterre"}])
    head = evidence.ledger.head().size
    write_history(log, incidents=1)  # Due again in an hour, or 1,000 events.
    assert [c.size for c in evidence.checkpoints()] == [first[0].size, head]
    assert evidence.checkpoints()[-1].time == later.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_checkpoint_of_the_same_size_is_stored_once(incident_log):
    write_history(incident_log, incidents=1)
    evidence = Evidence(incident_log)

    first = evidence.checkpoint()
    second = evidence.checkpoint()

    assert second == first
    assert evidence.checkpoints()[-1] == first


def test_an_empty_log_can_be_checkpointed_and_verified(make_log):
    log = make_log("memory://", load_offices=False)
    evidence = Evidence(log)

    checkpoint = evidence.checkpoint()

    assert (checkpoint.size, checkpoint.root, checkpoint.chain) == (
        0,
        EMPTY_ROOT,
        GENESIS,
    )
    result = evidence.verify()
    assert result.ok
    assert (result.checked, result.checkpoints) == (0, 1)


def test_verification_streams_with_memory_that_does_not_grow_with_the_log(
    make_log: OpenLog, monkeypatch
):
    monkeypatch.setattr(log_reading, "READ_BATCH", 20)
    monkeypatch.setattr(ledger, "READ_BATCH", 20)
    peaks = []
    for incidents in (100, 1000):
        log = make_log("memory://")
        write_history(log, incidents=incidents)
        evidence = Evidence(log)
        pages = {"count": 0, "largest": 0}
        select = log.recorder.select_notifications

        def counting(start, limit, *args, select=select, pages=pages, **kwargs):
            pages["count"] += 1
            pages["largest"] = max(pages["largest"], limit)
            return select(start, limit, *args, **kwargs)

        log.recorder.select_notifications = counting  # type: ignore[method-assign]
        # tracemalloc counts every thread's allocations: a thread left running by
        # an earlier test can only add to a peak, so the least of three is kept.
        measured = []
        for _ in range(3):
            tracemalloc.start()
            try:
                assert evidence.verify().ok
                measured.append(tracemalloc.get_traced_memory()[1])
            finally:
                tracemalloc.stop()
        peaks.append(min(measured))
        assert pages["largest"] == 20
        assert pages["count"] > incidents * 3 // 20

    # Ten times the events (2,700 more): keeping anything per event would cost
    # over a hundred kilobytes; the peak moves by less than one.
    assert peaks[1] - peaks[0] < 1000


def test_checkpoints_sign_the_tree_root_and_readers_give_leaves_and_peaks(
    make_log: OpenLog,
):
    log = make_log("memory://", ledger=ledger_settings(checkpoint_every=10))
    write_history(log, incidents=5)
    evidence = Evidence(log)

    checkpoint = evidence.checkpoint()
    row = evidence.ledger.row_at(checkpoint.position)

    assert row is not None
    assert checkpoint.format == 2
    assert (checkpoint.root, checkpoint.chain) == (row.root, row.chain)
    leaves = evidence.ledger.leaves(0, checkpoint.size)
    assert merkle_root(leaves) == checkpoint.root
    assert evidence.ledger.leaves(3, 7) == leaves[3:7]
    sizes = peak_sizes(checkpoint.size)
    peaks = evidence.ledger.peaks([*sizes, checkpoint.size + 1])
    assert list(peaks) == sizes
    assert Frontier(checkpoint.size, [peaks[size] for size in sizes]).root() == row.root
    assert all(stored.format == 2 for stored in evidence.checkpoints())


def test_verify_checks_held_checkpoints_of_both_formats(make_log: OpenLog):
    log = make_log("memory://")
    write_history(log, incidents=3)
    evidence = Evidence(log)
    row = evidence.ledger.row_at(evidence.ledger.head().position)
    assert row is not None
    signer = evidence.signer
    format_1 = signer.sign(size=row.size, position=row.position, root=row.chain)
    format_2 = signer.sign(
        size=row.size, position=row.position, root=row.root, chain=row.chain
    )

    assert evidence.verify(held=[format_1, format_2]).ok
    for root, chain in ((row.chain, row.chain), (row.root, row.root)):
        wrong = signer.sign(
            size=row.size, position=row.position, root=root, chain=chain
        )
        first = evidence.verify(held=[wrong]).first_problem
        assert first is not None
        assert first.kind == "checkpoint_mismatch"
