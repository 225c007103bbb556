"""The Ed25519 signing key and the checkpoints it signs."""

from __future__ import annotations

import base64
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


def test_a_format_2_checkpoint_signs_the_tree_root_and_the_chain(tmp_path):
    signer = CheckpointSigner(tmp_path / "key.pem")
    chain = bytes(range(1, 33))
    checkpoint = signer.sign(size=10, position=12, root=ROOT, chain=chain)

    assert (checkpoint.format, checkpoint.chain) == (2, chain)
    assert checkpoint.statement().startswith(b"incidents-evidence-checkpoint/2\n")
    assert signer.is_valid(checkpoint)
    for changed in (
        replace(checkpoint, chain=bytes(32)),
        replace(checkpoint, root=chain, chain=ROOT),
        replace(checkpoint, format=1, chain=None),
    ):
        assert not signer.is_valid(changed)
    data = checkpoint.to_json()
    assert set(data) == {
        "format",
        "size",
        "position",
        "root",
        "chain",
        "signed_at",
        "key_id",
        "signature",
    }
    assert (data["format"], data["chain"]) == (2, chain.hex())
    assert data["signature"] == checkpoint.signature.hex()
    assert Checkpoint.from_json(data) == checkpoint
    assert checkpoint.matches(10, 12, chain, ROOT)
    assert not checkpoint.matches(10, 12, ROOT, ROOT)


def test_a_format_1_checkpoint_in_its_old_shape_is_still_read_and_valid(tmp_path):
    signer = CheckpointSigner(tmp_path / "key.pem")
    checkpoint = signer.sign(size=3, position=4, root=ROOT)
    old_shape = {
        "format": "incidents-evidence-checkpoint/1",
        "size": 3,
        "position": 4,
        "root": ROOT.hex(),
        "time": checkpoint.time,
        "key_id": checkpoint.key_id,
        "signature": base64.b64encode(checkpoint.signature).decode(),
    }

    read = Checkpoint.from_json(old_shape)

    assert read == checkpoint
    assert (read.format, read.chain, read.signed_at) == (1, None, checkpoint.time)
    assert signer.is_valid(read)
    assert read.matches(3, 4, ROOT, bytes(32))  # Its root is the chain value.
    assert Checkpoint.from_json(checkpoint.to_json()) == checkpoint
