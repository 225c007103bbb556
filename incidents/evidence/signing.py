"""Sign checkpoints of the ledger with an Ed25519 key kept outside the database.

A checkpoint says "the log held ``size`` events, its last at ``position``, the
RFC 6962 root of their leaves was ``root`` and their chain value ``chain``, at
``time``" (format 2, ADR 0013). Format 1, signed before, has the chain value as
``root`` and no ``chain``; it stays valid. The signature covers a fixed text
statement (:meth:`Checkpoint.statement`) that ``bundle_verifier.py`` rebuilds
on its own. The private key is a PEM file (mode 600) created on first use; only
its public half leaves the machine, in evidence bundles.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from incidents.evidence.errors import SigningKeyError
from incidents.evidence.keyfiles import KeyFile

CHECKPOINT_FORMAT = "incidents-evidence-checkpoint/1"
CHECKPOINT_FORMAT_2 = "incidents-evidence-checkpoint/2"
FORMATS = (1, 2)
MANIFEST_SIGNATURE_CONTEXT = b"incidents-evidence-manifest/1\n"
KEY_ID_HEX = 16
HASH_SIZE = hashlib.sha256().digest_size
SIGNING_KEY_FILE = "evidence-signing-key.pem"


@dataclass(frozen=True)
class Checkpoint:
    """Say, under a signature, how far the log went and what its roots were."""

    size: int
    position: int
    root: bytes
    time: str
    key_id: str
    signature: bytes
    chain: bytes | None = None
    format: int = 1

    @property
    def signed_at(self) -> str:
        """Return when it was signed (UTC, seconds, ``Z``), as JSON names it."""
        return self.time

    def statement(self) -> bytes:
        """Return the exact bytes the signature covers."""
        return checkpoint_statement(
            self.size, self.position, self.root, self.time, self.key_id, self.chain
        )

    def matches(self, size: int, position: int, chain: bytes, root: bytes) -> bool:
        """Tell whether a log of ``size`` events to ``position`` is the one signed.

        ``chain`` and ``root`` are that log's chain value and RFC 6962 root; a
        format-1 checkpoint signed the chain value as its root.
        """
        if (self.size, self.position) != (size, position):
            return False
        if self.format == 1:
            return self.root == chain
        return (self.root, self.chain) == (root, chain)

    def to_json(self) -> dict[str, Any]:
        """Return the checkpoint as JSON-ready data (hashes and signature in hex)."""
        return {
            "format": self.format,
            "size": self.size,
            "position": self.position,
            "root": self.root.hex(),
            "chain": None if self.chain is None else self.chain.hex(),
            "signed_at": self.time,
            "key_id": self.key_id,
            "signature": self.signature.hex(),
        }

    @classmethod
    def from_json(cls, data: object) -> Checkpoint:
        """Read a checkpoint from JSON data; raise ``ValueError`` if malformed.

        Reads both shapes: ``to_json``'s, and the one format-1 checkpoints were
        written in (``format`` as text, ``time``, a base64 signature).
        """
        if not isinstance(data, dict):
            raise ValueError("not a checkpoint (not a JSON object)")
        legacy = data.get("format") == CHECKPOINT_FORMAT
        number = 1 if legacy else data.get("format")
        if number not in FORMATS or isinstance(number, bool):
            raise ValueError(
                f"not a checkpoint (format {FORMATS[0]} or {FORMATS[-1]}, "
                f"or {CHECKPOINT_FORMAT})"
            )
        try:
            size, position = data["size"], data["position"]
            root = bytes.fromhex(data["root"])
            time = data["time"] if legacy else data.get("signed_at", data.get("time"))
            key_id = data["key_id"]
            signature = (
                base64.b64decode(data["signature"], validate=True)
                if legacy
                else bytes.fromhex(data["signature"])
            )
            chain = None if number == 1 else bytes.fromhex(data["chain"])
        except (KeyError, TypeError, ValueError, binascii.Error) as error:
            raise ValueError(f"malformed checkpoint: {error}") from None
        if not (
            _is_count(size)
            and _is_count(position)
            and len(root) == HASH_SIZE
            and (chain is None or len(chain) == HASH_SIZE)
            and isinstance(time, str)
            and isinstance(key_id, str)
        ):
            raise ValueError("malformed checkpoint: wrong field types")
        return cls(size, position, root, time, key_id, signature, chain, number)


def checkpoint_statement(
    size: int,
    position: int,
    root: bytes,
    time: str,
    key_id: str,
    chain: bytes | None = None,
) -> bytes:
    """Return the text a checkpoint's signature covers (format 2 with a chain)."""
    if chain is None:
        text = (
            f"{CHECKPOINT_FORMAT}\nsize {size}\nposition {position}\n"
            f"root {root.hex()}\ntime {time}\nkey {key_id}\n"
        )
    else:
        text = (
            f"{CHECKPOINT_FORMAT_2}\nsize {size}\nposition {position}\n"
            f"root {root.hex()}\nchain {chain.hex()}\nsigned_at {time}\n"
            f"key {key_id}\n"
        )
    return text.encode("ascii")


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """Return a short fingerprint of a public key: SHA-256 of its raw bytes, in hex."""
    raw = public_key.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return hashlib.sha256(raw).hexdigest()[:KEY_ID_HEX]


def utc_now_text() -> str:
    """Return the current UTC time as checkpoints write it (seconds, ``Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class CheckpointSigner(KeyFile[Ed25519PrivateKey]):
    """Sign and check checkpoints with the Ed25519 key in one PEM file."""

    name = "signing key"

    def generate(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.generate()

    def encode(self, key: Ed25519PrivateKey) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def decode(self, path: Path, data: bytes) -> Ed25519PrivateKey:
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as error:
            raise SigningKeyError(
                f"{path} is not an unencrypted PEM private key: {error}"
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError(f"{path} holds a key that is not Ed25519.")
        return key

    def private_key(self) -> Ed25519PrivateKey:
        """Return the private key, creating its file (mode 600) on first use."""
        return self.key()

    def public_key(self) -> Ed25519PublicKey:
        """Return the public key (creating the key pair on first use)."""
        return self.private_key().public_key()

    @property
    def key_id(self) -> str:
        """Return the fingerprint of the public key."""
        return key_id_of(self.public_key())

    def public_key_pem(self) -> bytes:
        """Return the public key as PEM, as evidence bundles publish it."""
        return self.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )

    def sign(
        self,
        *,
        size: int,
        position: int,
        root: bytes,
        chain: bytes | None = None,
        time: str | None = None,
    ) -> Checkpoint:
        """Sign a checkpoint of the ledger at ``position`` (``size`` events).

        With ``chain``, a format-2 checkpoint (``root`` the RFC 6962 root);
        without, format 1 (``root`` the chain value), for tests of old stores.
        """
        key_id = self.key_id
        when = time or utc_now_text()
        statement = checkpoint_statement(size, position, root, when, key_id, chain)
        signature = self.private_key().sign(statement)
        number = 1 if chain is None else 2
        return Checkpoint(size, position, root, when, key_id, signature, chain, number)

    def sign_manifest(self, manifest: bytes) -> bytes:
        """Sign an evidence bundle's manifest (with its own context string)."""
        return self.private_key().sign(MANIFEST_SIGNATURE_CONTEXT + manifest)

    def is_valid(self, checkpoint: Checkpoint) -> bool:
        """Tell whether a checkpoint was signed by this key, unchanged since."""
        if checkpoint.key_id != self.key_id:
            return False
        try:
            self.public_key().verify(checkpoint.signature, checkpoint.statement())
        except InvalidSignature:
            return False
        return True


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def dumps_checkpoint(checkpoint: Checkpoint) -> str:
    """Return a checkpoint as indented JSON text, as files hold it."""
    return json.dumps(checkpoint.to_json(), indent=2) + "\n"


def read_checkpoints(path: Path | str) -> list[Checkpoint]:
    """Read checkpoints kept in a file: one JSON object, a list, or one per line."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except ValueError:
        data = [json.loads(line) for line in text.splitlines() if line.strip()]
    items = data if isinstance(data, list) else [data]
    return [Checkpoint.from_json(item) for item in items]
