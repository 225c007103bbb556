"""The Ed25519 signing key and the checkpoints it signs."""

from __future__ import annotations

import json
import stat
import threading
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key

from incidents.evidence import Checkpoint, CheckpointSigner, SigningKeyError
from incidents.evidence.signing import read_checkpoints

ROOT = bytes(range(32))


def test_the_key_is_created_on_first_use_readable_only_by_its_owner(tmp_path):
    path = tmp_path / "instance" / "evidence-signing-key.pem"
    signer = CheckpointSigner(path)
    assert not signer.exists()

    key_id = signer.key_id

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert CheckpointSigner(path).key_id == key_id
    assert len(key_id) == 16
    assert b"PRIVATE" not in signer.public_key_pem()


def test_processes_racing_to_create_the_key_end_with_one_key(tmp_path):
    path = tmp_path / "key.pem"
    found: list[str] = []
    barrier = threading.Barrier(6)

    def create() -> None:
        barrier.wait()
        found.append(CheckpointSigner(path).key_id)

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(found)) == 1
    assert [child.name for child in tmp_path.iterdir()] == ["key.pem"]


def test_a_checkpoint_verifies_and_any_change_breaks_its_signature(tmp_path):
    signer = CheckpointSigner(tmp_path / "key.pem")
    checkpoint = signer.sign(size=10, position=12, root=ROOT)

    assert signer.is_valid(checkpoint)
    for altered in [
        replace(checkpoint, size=11),
        replace(checkpoint, position=13),
        replace(checkpoint, root=bytes(32)),
        replace(checkpoint, time="2000-01-01T00:00:00Z"),
        replace(checkpoint, signature=bytes(64)),
    ]:
        assert not signer.is_valid(altered)
    other = CheckpointSigner(tmp_path / "other.pem")
    assert not other.is_valid(checkpoint)
    assert not signer.is_valid(replace(checkpoint, key_id=other.key_id))


def test_a_checkpoint_survives_json_and_a_file(tmp_path):
    signer = CheckpointSigner(tmp_path / "key.pem")
    checkpoint = signer.sign(size=3, position=3, root=ROOT)
    path = tmp_path / "held.json"
    path.write_text(json.dumps(checkpoint.to_json()))

    assert Checkpoint.from_json(json.loads(path.read_text())) == checkpoint
    assert read_checkpoints(path) == [checkpoint]
    lines = tmp_path / "held.jsonl"
    lines.write_text(
        "".join(json.dumps(item.to_json()) + "\n" for item in (checkpoint,) * 2)
    )
    assert read_checkpoints(lines) == [checkpoint, checkpoint]


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"format": "something else"},
        {"format": "incidents-evidence-checkpoint/1", "size": 1},
        {
            "format": "incidents-evidence-checkpoint/1",
            "size": -1,
            "position": 1,
            "root": "00" * 32,
            "time": "t",
            "key_id": "k",
            "signature": "",
        },
        {
            "format": "incidents-evidence-checkpoint/1",
            "size": 1,
            "position": 1,
            "root": "zz",
            "time": "t",
            "key_id": "k",
            "signature": "",
        },
    ],
)
def test_a_malformed_checkpoint_is_refused(data):
    with pytest.raises(ValueError, match="checkpoint"):
        Checkpoint.from_json(data)


def test_a_key_file_that_is_not_an_ed25519_key_is_refused(tmp_path):
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    other_curve = tmp_path / "ec.pem"
    other_curve.write_bytes(
        generate_private_key(SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )

    with pytest.raises(SigningKeyError, match="not an unencrypted PEM"):
        CheckpointSigner(garbage).private_key()
    with pytest.raises(SigningKeyError, match="not Ed25519"):
        CheckpointSigner(other_curve).private_key()


def test_a_key_that_cannot_be_read_or_created_is_reported(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")

    with pytest.raises(SigningKeyError, match=r"signing key .*: Not a directory"):
        CheckpointSigner(blocker / "key.pem").private_key()
