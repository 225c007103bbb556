"""Proof files of an incident and of two checkpoints, built from a real ledger."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

import pytest

from incidents.evidence import Evidence, bundle_verifier, merkle
from incidents.evidence.proofs import ProofError, Prover
from tests.evidence.conftest import write_history

if TYPE_CHECKING:
    from pathlib import Path


def first_incident(evidence: Evidence) -> UUID:
    return evidence.log.recorder.select_notifications(1, 1)[0].originator_id


def check(document: dict[str, object], tmp_path: Path, **options: object):
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(document))
    return bundle_verifier.verify_proof_file(path, **options)  # type: ignore[arg-type]


def test_an_incidents_events_are_proven_against_the_signed_tree_root(
    incident_log, tmp_path
):
    write_history(incident_log, incidents=5)
    evidence = Evidence(incident_log)
    prover = Prover(evidence)
    incident = first_incident(evidence)

    document = prover.inclusion(incident)

    report = check(document, tmp_path, key_id=evidence.signer.key_id)
    assert report.ok, report.problems
    assert report.leaves == len(document["leaves"]) >= 3
    signed = document["checkpoint"]
    assert signed["position"] >= max(entry["position"] for entry in document["leaves"])
    assert signed["root"] == evidence.ledger.row_at(signed["position"]).root.hex()
    for entry in document["leaves"]:
        row = evidence.ledger.row_at(entry["position"])
        assert (entry["index"], entry["hash"]) == (row.size - 1, row.leaf.hex())


def test_every_hash_of_every_audit_path_changed_is_refused(incident_log, tmp_path):
    write_history(incident_log, incidents=5)
    evidence = Evidence(incident_log)
    document = Prover(evidence).inclusion(first_incident(evidence))
    for number, entry in enumerate(document["leaves"]):
        for at, node in enumerate(entry["audit_path"]):
            entry["audit_path"][at] = ("0" if node[0] != "0" else "1") + node[1:]
            found = check(document, tmp_path).problems
            entry["audit_path"][at] = node
            assert len(found) == 1
            assert found[0].startswith(f"leaves[{number}]")


def test_proofs_match_the_rows_roots_at_every_size(incident_log):
    write_history(incident_log, incidents=4)
    ledger = Evidence(incident_log).ledger
    prover = Prover(Evidence(incident_log))
    rows = list(ledger.iter_rows(1, ledger.head().position))
    for old in rows:
        for new in rows[old.size - 1 :: 3]:
            path = merkle.inclusion_proof(old.size - 1, new.size, prover.subtree)
            assert merkle.verify_inclusion(
                old.leaf, old.size - 1, new.size, path, new.root
            )
            proof = prover.consistency_proof(old.size, new.size)
            assert merkle.verify_consistency(
                old.size, new.size, old.root, new.root, proof
            )


def test_a_newer_checkpoint_is_proven_to_extend_a_held_one(incident_log, tmp_path):
    write_history(incident_log, incidents=2)
    evidence = Evidence(incident_log)
    held = evidence.checkpoint()
    write_history(incident_log, incidents=3)
    prover = Prover(evidence)

    document = prover.consistency(held)

    report = check(document, tmp_path)
    assert report.ok, report.problems
    assert (report.old_size, report.size) == (held.size, evidence.ledger.head().size)
    assert prover.extends(held, evidence.checkpoint())


def test_no_proof_of_an_unknown_incident(incident_log):
    write_history(incident_log, incidents=1)
    prover = Prover(Evidence(incident_log))

    with pytest.raises(ProofError, match="No event of incident"):
        prover.inclusion(uuid4())
