"""Damage a real store with raw SQL, once per kind, and see verify name it.

Each test seals a history into the ledger (and signs a checkpoint of it), then
changes the stored events (or the ledger) behind the application's back, on a
SQLite file and on PostgreSQL, and checks the first bad position and the kind
of damage that verification reports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from incidents.evidence import (
    Evidence,
    EvidenceMismatchError,
    LedgerDamagedError,
    LedgerKey,
    MissingKeyError,
)
from incidents.evidence.bundle_verifier import verify_bundle
from incidents.evidence.signing import CheckpointSigner
from tests.evidence.conftest import Tamper, write_history

if TYPE_CHECKING:
    from pathlib import Path

    from incidents.application import IncidentLog
    from tests.conftest import OpenLog
    from tests.evidence.conftest import MakeEvidence

BAD = 20


@pytest.fixture
def sealed(
    durable_database_url: str, make_log: OpenLog, make_evidence: MakeEvidence
) -> tuple[IncidentLog, Evidence, Tamper, int]:
    """Return a log of some 35 events, all sealed and checkpointed, and a tamperer."""
    log = make_log(durable_database_url)
    head = write_history(log)
    evidence = make_evidence(log)
    evidence.checkpoint()
    assert evidence.verify().ok
    return log, evidence, Tamper(log, durable_database_url), head


def first(evidence: Evidence) -> tuple[str | None, int | None]:
    problem = evidence.verify().first_problem
    return (None, None) if problem is None else (problem.kind, problem.position)


def test_an_intact_history_verifies(sealed):
    _, evidence, _, head = sealed

    result = evidence.verify()

    assert result.ok
    signed = len(evidence.checkpoints())  # The first write's, and the fixture's.
    assert signed == 2
    assert (result.checked, result.position, result.checkpoints) == (head, head, 2)
    assert result.head == evidence.ledger.head().chain
    assert result.as_dict() == {
        "ok": True,
        "checked": head,
        "head": result.head.hex(),
        "position": head,
        "checkpoints": 2,
    }


def test_a_changed_byte_is_named(sealed):
    _, evidence, tamper, _ = sealed

    tamper.change_byte(BAD)

    assert first(evidence) == ("changed", BAD)
    report = evidence.verification_report()
    assert report["ok"] is False
    assert report["first_bad_position"] == BAD
    assert report["reason"] == "changed"
    assert "were changed" in report["detail"]


def test_a_deleted_event_leaving_a_gap_is_named(sealed):
    _, evidence, tamper, _ = sealed

    tamper.delete(BAD)

    assert first(evidence) == ("deleted", BAD)


def test_a_deleted_event_with_the_later_ones_moved_up_is_named(sealed):
    _, evidence, tamper, _ = sealed

    tamper.delete_and_close_up(BAD)

    assert first(evidence) == ("deleted", BAD)


def test_an_inserted_event_with_the_later_ones_moved_down_is_named(sealed):
    _, evidence, tamper, _ = sealed

    tamper.insert(BAD, copy_of=BAD + 3)

    assert first(evidence) == ("inserted", BAD)


@pytest.mark.parametrize(("one", "other"), [(BAD, BAD + 1), (BAD - 8, BAD + 9)])
def test_two_swapped_events_are_named(sealed, one, other):
    _, evidence, tamper, _ = sealed

    tamper.swap(one, other)

    problem = evidence.verify().first_problem
    assert problem is not None
    assert (problem.kind, problem.position) == ("reordered", one)
    assert f"positions {one} and {other}" in problem.reason


def test_cutting_off_the_newest_events_is_caught_against_the_ledger(sealed):
    _, evidence, tamper, head = sealed

    tamper.cut_after(head - 3)

    assert first(evidence) == ("truncated", head - 2)


def test_cutting_off_events_and_their_ledger_rows_is_caught_against_the_checkpoint(
    sealed,
):
    _, evidence, tamper, head = sealed

    tamper.cut_after(head - 3)
    tamper.cut_ledger_after(head - 3)

    problem = evidence.verify().first_problem
    assert problem is not None
    assert (problem.kind, problem.position) == ("truncated", head - 2)
    assert f"checkpoint of size {head}" in problem.reason


def test_a_ledger_rewritten_to_match_a_changed_event_is_caught_against_the_checkpoint(
    sealed,
):
    # An insider who also read the ledger key: the MACs hold, the checkpoint not.
    _, evidence, tamper, head = sealed

    tamper.change_byte(BAD)
    tamper.reseal_ledger(evidence.ledger_key)

    problem = evidence.verify().first_problem
    assert problem is not None
    assert problem.kind == "checkpoint_mismatch"
    # The checkpoint the first write signed (the offices) narrows it down.
    assert problem.position == evidence.checkpoints()[0].position + 1 < BAD
    assert f"up to position {head}" in problem.reason


def test_a_rewrite_is_located_after_the_last_checkpoint_it_does_not_contradict(
    sealed,
):
    log, evidence, tamper, head = sealed
    later = write_history(log, incidents=2)
    evidence.checkpoint()

    tamper.change_byte(head + 2)
    tamper.reseal_ledger(evidence.ledger_key)

    assert first(evidence) == ("checkpoint_mismatch", head + 1)
    assert later > head


def test_a_ledger_row_rewritten_without_the_key_is_forged_by_its_mac(sealed):
    # No checkpoint covers the rewritten row: only its MAC can give it away.
    log, evidence, tamper, head = sealed
    later = write_history(log, incidents=1)
    assert evidence.ledger.latest_checkpoint().position == head  # type: ignore[union-attr]

    tamper.change_byte(head + 2)
    tamper.reseal_ledger()
    files = tamper.files()

    problem = evidence.verify().first_problem
    assert problem is not None
    assert (problem.kind, problem.position) == ("ledger_forged", head + 2)
    assert "MAC" in problem.reason
    assert later > head + 2
    assert tamper.files() == files  # Verify wrote nothing.


def test_the_same_rewrite_with_the_key_and_no_checkpoint_after_it_passes(sealed):
    # The limit docs/audit.md states: the ledger key and SQL, nothing held after.
    log, evidence, tamper, head = sealed
    write_history(log, incidents=1)

    tamper.change_byte(head + 2)
    tamper.reseal_ledger(evidence.ledger_key)

    assert evidence.verify().ok


def test_a_ledger_row_without_a_mac_is_forged(sealed):
    _, evidence, tamper, _ = sealed

    tamper.sql("UPDATE {chain} SET mac = NULL WHERE position = ?", (BAD,))

    assert first(evidence) == ("ledger_forged", BAD)


def test_a_missing_ledger_key_is_not_damage(sealed, tmp_path: Path):
    log, _, _, _ = sealed
    elsewhere = tmp_path / "nowhere" / "ledger-key"
    evidence = Evidence(log)
    evidence.ledger_key = LedgerKey(elsewhere)

    with pytest.raises(MissingKeyError, match="ledger key"):
        evidence.verify()
    assert not elsewhere.exists()


def test_a_checkpoint_whose_root_was_changed_is_a_forgery(sealed):
    _, evidence, tamper, head = sealed

    tamper.set_checkpoint_root(head, bytes(32))

    problem = evidence.verify().first_problem
    assert problem is not None
    assert problem.kind == "checkpoint_mismatch"
    assert f"size {head}" in problem.reason


def test_a_checkpoint_signed_with_another_key_is_a_forgery(sealed, tmp_path: Path):
    _, evidence, _, head = sealed
    intruder = CheckpointSigner(tmp_path / "intruder.pem")
    forged = intruder.sign(size=head, position=head, root=evidence.ledger.head().chain)

    problem = evidence.verify(held=[forged]).first_problem

    assert problem is not None
    assert problem.kind == "checkpoint_mismatch"
    assert "held checkpoint" in problem.reason


def test_an_altered_ledger_row_is_named(sealed):
    _, evidence, tamper, _ = sealed

    tamper.set_ledger_chain(BAD, bytes(32))

    assert first(evidence) == ("ledger_forged", BAD)


def test_a_truncated_ledger_is_named_and_never_extended_or_signed_again(sealed):
    log, evidence, tamper, _ = sealed

    tamper.cut_ledger_after(BAD)

    assert first(evidence) == ("ledger_forged", BAD + 1)
    with pytest.raises(LedgerDamagedError, match="rows were removed"):
        write_history(log, incidents=1)
    with pytest.raises(LedgerDamagedError):
        evidence.checkpoint()
    assert evidence.ledger.head().position == BAD


def test_signing_is_refused_over_an_altered_ledger(sealed):
    log, evidence, tamper, head = sealed
    write_history(log, incidents=1)

    tamper.set_ledger_chain(head + 1, bytes(32))

    with pytest.raises(LedgerDamagedError, match=f"position {head + 1}"):
        evidence.checkpoint()


def test_an_event_appended_behind_the_application_is_inserted(sealed):
    _, evidence, tamper, head = sealed

    tamper.append(copy_of=BAD)

    assert first(evidence) == ("inserted", head + 1)


def test_an_event_appended_while_the_service_writes_is_inserted(sealed):
    # The service keeps writing, and never seals what it did not write.
    log, evidence, tamper, head = sealed
    tamper.append(copy_of=BAD)
    if tamper.path is None:  # As PostgreSQL numbers a row inserted without one.
        tamper.sql(
            "SELECT setval(pg_get_serial_sequence(?, 'notification_id'), ?)",
            (tamper.names["events"], head + 1),
        )

    later = write_history(log, incidents=1)

    assert later > head + 1
    assert first(evidence) == ("inserted", head + 1)


def test_a_missing_signing_key_is_not_damage(sealed, tmp_path: Path):
    log, _, _, _ = sealed
    elsewhere = tmp_path / "nowhere" / "signing.pem"
    evidence = Evidence(log)
    evidence.signer = CheckpointSigner(elsewhere)

    with pytest.raises(MissingKeyError, match="missing"):
        evidence.verify()
    assert not elsewhere.exists()


def test_erasing_a_contact_leaves_the_history_verifiable(sealed, tmp_path):
    # Crypto-shredding destroys a key, never stored bytes: every hash still holds.
    log, evidence, _, _ = sealed
    with_contact = next(
        event["aggregate_id"]
        for event in log.iter_history()
        if event["type"] == "Reported" and event["data"].get("contact")
    )

    log.erase_personal_data(with_contact, actor="admin-1", reason="Demande")

    result = evidence.verify()
    assert result.ok, result.problems
    assert result.position == log.recorder.max_notification_id()  # Erasure sealed.
    evidence.export(tmp_path / "after-erasure.zip")
    assert verify_bundle(tmp_path / "after-erasure.zip").ok


def test_an_export_refuses_events_that_miss_the_checkpoint_and_leaves_nothing(
    sealed, tmp_path
):
    _, evidence, tamper, _ = sealed
    tamper.change_byte(BAD)

    out = tmp_path / "out"

    with pytest.raises(EvidenceMismatchError, match="do not lead to"):
        evidence.export(out / "bundle.zip")
    with pytest.raises(EvidenceMismatchError):
        evidence.export(out / "bundle")

    assert list(out.iterdir()) == []
