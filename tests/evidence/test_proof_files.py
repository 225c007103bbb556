"""Proof files checked offline: intact ones pass; any changed hash is refused."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import pytest

from incidents.evidence import bundle_verifier as verifier
from incidents.evidence import hashing, merkle
from incidents.evidence.signing import CheckpointSigner

if TYPE_CHECKING:
    from pathlib import Path

TOPIC = "incidents.domain:Incident.NoteAdded"
INCIDENT = str(uuid4())


@dataclass
class Log:
    """A log's leaves, as the ledger holds them, and the events behind some."""

    positions: list[int]
    leaves: list[bytes]
    events: dict[int, dict[str, Any]]

    def subtree(self) -> merkle.SubtreeHasher:
        return merkle.SubtreeHasher.over(self.leaves)

    def checkpoint(self, signer: CheckpointSigner, size: int) -> dict[str, Any]:
        root = merkle.root(self.leaves[:size])
        chain = hashing.GENESIS
        for leaf in self.leaves[:size]:
            chain = hashing.next_chain(chain, leaf)
        signed = signer.sign(
            size=size, position=self.positions[size - 1], root=root, chain=chain
        )
        return signed.to_json()


def make_log(size: int, ours: tuple[int, ...] = (2, 9, 30)) -> Log:
    """Hash ``size`` events at positions with gaps; ``ours`` are the incident's."""
    log = Log([], [], {})
    for index in range(size):
        position = 1 + index + index // 7  # Sequences leave gaps on PostgreSQL.
        aggregate = INCIDENT if index in ours else str(uuid4())
        state = f'{{"text":"note {index}"}}'.encode()
        content = hashing.content_hash(aggregate, index + 1, TOPIC, state)
        log.positions.append(position)
        log.leaves.append(hashing.leaf_hash(position, content))
        log.events[index] = {
            "aggregate_id": aggregate,
            "version": index + 1,
            "topic": TOPIC,
            "state": base64.b64encode(state).decode(),
            "content": content.hex(),
        }
    return log


@pytest.fixture
def signer(tmp_path: Path) -> CheckpointSigner:
    return CheckpointSigner(tmp_path / "keys" / "signing.pem")


def prove(
    log: Log, signer: CheckpointSigner, size: int, ours=(2, 9, 30), events=False
) -> dict[str, Any]:
    """Write what `incidents prove` gives: leaves, paths, the signed checkpoint."""
    leaves = [
        {
            "position": log.positions[index],
            "index": index,
            "hash": log.leaves[index].hex(),
            "audit_path": [
                node.hex()
                for node in merkle.inclusion_proof(index, size, log.subtree())
            ],
            **(log.events[index] if events else {}),
        }
        for index in ours
    ]
    return {
        "format": verifier.INCLUSION_FORMAT,
        "checkpoint": log.checkpoint(signer, size),
        "leaves": leaves,
        "public_key": signer.public_key_pem().decode(),
    }


def extend(log: Log, signer: CheckpointSigner, old: int, new: int) -> dict[str, Any]:
    """Write a consistency proof file: two signed checkpoints and the proof."""
    proof = merkle.consistency_proof(old, new, log.subtree())
    return {
        "format": verifier.CONSISTENCY_FORMAT,
        "old": log.checkpoint(signer, old),
        "new": log.checkpoint(signer, new),
        "proof": [node.hex() for node in proof],
        "public_key": signer.public_key_pem().decode(),
    }


def check(document: dict[str, Any], tmp_path: Path, **options: Any):
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(document))
    report = verifier.verify_proof_file(path, **options)
    assert report.ok == (not report.problems)
    return report


def flip_hex(text: str, at: int = 0) -> str:
    return text[:at] + ("1" if text[at] == "0" else "0") + text[at + 1 :]


def test_an_incidents_events_are_proven_in_the_signed_log(signer, tmp_path):
    log = make_log(45)
    document = prove(log, signer, 45, events=True)

    report = check(document, tmp_path)

    assert report.ok, report.problems
    assert (report.kind, report.leaves, report.size) == ("inclusion", 3, 45)
    assert report.key_id == signer.key_id
    assert report.describe()[0] == (
        f"Proof valid: 3 events are in the log of 45 events signed by key "
        f"{signer.key_id}."
    )
    assert check(document, tmp_path, key_id=signer.key_id).ok
    trusted = signer.public_key_pem()
    del document["public_key"]
    assert check(document, tmp_path, public_key_pem=trusted).ok


def test_every_changed_hash_of_every_audit_path_is_refused_at_its_leaf(
    signer, tmp_path
):
    document = prove(make_log(45), signer, 45)
    for number, entry in enumerate(document["leaves"]):
        for at, node in enumerate(entry["audit_path"]):
            for digit in (0, 63):
                entry["audit_path"][at] = flip_hex(node, digit)
                found = check(document, tmp_path).problems
                entry["audit_path"][at] = node

                assert len(found) == 1
                assert found[0].startswith(f"leaves[{number}] (position")
                assert "does not lead to the checkpoint's root" in found[0]


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("hash", flip_hex),
        ("index", lambda index: index + 1),
        ("audit_path", lambda path: path[:-1]),
        ("audit_path", lambda path: [*path, path[0]]),
        ("audit_path", lambda path: path[::-1]),
    ],
)
def test_a_changed_leaf_index_or_path_is_refused(signer, tmp_path, field, change):
    document = prove(make_log(45), signer, 45)
    entry = document["leaves"][1]
    entry[field] = change(entry[field])

    found = check(document, tmp_path).problems

    assert len(found) == 1
    assert found[0].startswith("leaves[1]")


@pytest.mark.parametrize(
    ("field", "change", "says"),
    [
        ("state", lambda state: "A" + state[1:], "does not match its fields"),
        ("version", lambda version: version + 1, "does not match its fields"),
        ("aggregate_id", lambda _: str(uuid4()), "does not match its fields"),
        ("content", flip_hex, "does not match its fields"),
        ("position", lambda position: position + 1, "not the leaf of its position"),
    ],
)
def test_an_event_that_differs_from_its_proven_leaf_is_refused(
    signer, tmp_path, field, change, says
):
    document = prove(make_log(45), signer, 45, events=True)
    entry = document["leaves"][2]
    entry[field] = change(entry[field])

    found = check(document, tmp_path).problems

    assert [problem.split(":")[0] for problem in found] == ["leaves[2]"]
    assert says in found[0]


def test_leaves_out_of_order_or_past_the_checkpoint_are_refused(signer, tmp_path):
    log = make_log(45)
    document = prove(log, signer, 45)
    document["leaves"][1:] = document["leaves"][:0:-1]
    found = check(document, tmp_path).problems
    assert len(found) == 1
    assert "does not come after the leaf before it" in found[0]

    document = prove(log, signer, 30, ours=(2, 9))
    document["leaves"].append(prove(log, signer, 31)["leaves"][2])
    found = check(document, tmp_path).problems
    assert len(found) == 1
    assert found[0].startswith("leaves[2]")
    assert "lies past the checkpoint" in found[0]

    document["leaves"] = []
    assert check(document, tmp_path).problems == [
        "leaves: missing or empty: the file proves nothing."
    ]


def test_a_changed_or_foreign_checkpoint_is_refused(signer, tmp_path):
    log = make_log(45)
    document = prove(log, signer, 45)
    for field, value in [
        ("root", flip_hex(document["checkpoint"]["root"])),
        ("size", 44),
    ]:
        changed = {**document, "checkpoint": {**document["checkpoint"], field: value}}
        assert "signature does not verify" in check(changed, tmp_path).problems[0]

    intruder = CheckpointSigner(tmp_path / "intruder.pem")
    forged = prove(log, intruder, 45)
    assert check(forged, tmp_path).ok  # Carries its own key: compare the key id.
    found = check(forged, tmp_path, public_key_pem=signer.public_key_pem()).problems
    assert found == [
        f"checkpoint: names key {intruder.key_id}, but the key is {signer.key_id}: "
        "it was signed with another key."
    ]
    found = check(forged, tmp_path, key_id=signer.key_id).problems
    assert found == [
        f"public_key: key {intruder.key_id} is not key {signer.key_id}, the one you "
        "trust: the proof was signed by someone else."
    ]

    del document["public_key"]
    assert check(document, tmp_path).problems == [
        "public_key: missing: pass the public key you trust (--public-key)."
    ]


def test_a_newer_checkpoint_is_proven_to_extend_an_older_one(signer, tmp_path):
    log = make_log(300)
    for old, new in [(1, 300), (13, 300), (256, 300), (300, 300)]:
        report = check(extend(log, signer, old, new), tmp_path)
        assert report.ok, (old, new, report.problems)
        assert (report.kind, report.old_size, report.size) == ("consistency", old, new)
    assert report.describe()[0] == (
        f"Proof valid: the log of 300 events extends the log of 300 events, both "
        f"signed by key {signer.key_id}."
    )


def test_every_changed_hash_of_a_consistency_proof_is_refused(signer, tmp_path):
    document = extend(make_log(300), signer, 13, 300)
    for at, node in enumerate(document["proof"]):
        document["proof"][at] = flip_hex(node, 5)
        found = check(document, tmp_path).problems
        document["proof"][at] = node

        assert len(found) == 1
        assert found[0].startswith("proof: does not show")


def test_a_rewritten_history_does_not_extend_the_checkpoint_held_before(
    signer, tmp_path
):
    log = make_log(300)
    held = log.checkpoint(signer, 100)
    log.leaves[40] = hashing.leaf_hash(log.positions[40], bytes(32))
    rewritten = extend(log, signer, 100, 300)
    assert check(rewritten, tmp_path).ok  # Consistent with itself...

    rewritten["old"] = held
    found = check(rewritten, tmp_path).problems

    assert len(found) == 1  # ...not with what the auditor held.
    assert "history up to the old checkpoint was rewritten" in found[0]


def test_checkpoints_given_in_the_wrong_order_are_refused(signer, tmp_path):
    document = extend(make_log(300), signer, 13, 300)
    document["old"], document["new"] = document["new"], document["old"]

    found = check(document, tmp_path).problems

    assert len(found) == 1
    assert "cannot extend the old checkpoint's 300" in found[0]


def test_what_is_not_a_proof_file_is_refused(tmp_path):
    path = tmp_path / "proof.json"
    for text, says in [
        ("{", "not valid JSON"),
        ('{"format": "incidents-evidence-checkpoint/1"}', "not a proof file"),
        ("[]", "not a proof file"),
    ]:
        path.write_text(text)
        assert says in verifier.verify_proof_file(path).problems[0]
    assert "cannot be read" in verifier.verify_proof_file(tmp_path / "no").problems[0]


def test_the_offline_verifier_checks_proof_files_copied_out_alone(signer, tmp_path):
    log = make_log(45)
    copy = tmp_path / "elsewhere" / "bundle_verifier.py"
    copy.parent.mkdir()
    shutil.copy(verifier.__file__, copy)
    intact, changed = tmp_path / "intact.json", tmp_path / "changed.json"
    intact.write_text(json.dumps(prove(log, signer, 45)))
    document = extend(log, signer, 7, 45)
    document["proof"][0] = flip_hex(document["proof"][0])
    changed.write_text(json.dumps(document))

    def run(*arguments: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-I", str(copy), *map(str, arguments)],
            capture_output=True,
            text=True,
            cwd=copy.parent,
            timeout=60,
            check=False,
        )

    passed = run(intact, "--key-id", signer.key_id)
    refused = run(changed)
    misused = run(intact, "--checkpoint", intact)

    assert (passed.returncode, refused.returncode, misused.returncode) == (0, 1, 2)
    assert passed.stdout.startswith("Proof valid: 3 events"), passed.stderr
    assert "Proof REJECTED (1 problems)" in refused.stdout
    assert "--checkpoint applies to bundles" in misused.stderr


def test_a_format_1_checkpoint_is_no_anchor_for_a_proof(signer, tmp_path):
    log = make_log(45)
    document = prove(log, signer, 45)
    root = merkle.root(log.leaves)
    document["checkpoint"] = signer.sign(
        size=45, position=log.positions[44], root=root
    ).to_json()

    found = check(document, tmp_path).problems

    assert found == [
        "checkpoint: a format-1 checkpoint signs the chain value, not the tree's "
        "root: proofs need a format-2 checkpoint."
    ]
