"""Check an evidence bundle of the incident log, offline.

This file needs only Python 3.11+ and the ``cryptography`` package: copy it out
of the project and run it where the bundle is::

    python3 bundle_verifier.py BUNDLE [--public-key KEY.pem | --key-id HEX]
                                      [--checkpoint HELD.json ...]

BUNDLE is a directory or a ``.zip`` holding ``events.jsonl`` (every event in log
order, its stored bytes in base64, its content hash, leaf and chain value),
``checkpoint.json`` (the signed checkpoint the events lead to),
``checkpoints.jsonl`` (the earlier signed checkpoints), ``public_key.pem``,
``README.txt``, ``manifest.json`` (the SHA-256 and size of every other file) and
``manifest.sig`` (the manifest's Ed25519 signature, base64).

It recomputes every hash from the events' fields and bytes, and refuses the
bundle, saying which file and line, if anything was changed, removed, added or
moved, or if a signature does not verify. A bundle re-signed whole with another
key is only caught when you name the key you trust (``--public-key`` or
``--key-id``, from the service's operator). ``--checkpoint`` checks that the
bundle's history extends checkpoints you kept from earlier.

It also checks proof files, given instead of BUNDLE (``PROOF.json``): the
inclusion proofs of ``incidents prove`` (these events are in the log a signed
checkpoint describes) and consistency proofs (the log of a newer signed
checkpoint extends an older one), RFC 6962 audit paths checked as RFC 9162
section 2.1 spells it out.

Exit status: 0 when the bundle is intact, 1 when it is not, 2 on a usage error.
The hashes (see the project's ADRs 0008 and 0012)::

    content = SHA-256( u32(len(id)) || id || u64(version)
                       || u32(len(topic)) || topic || SHA-256(state) )
    leaf_p  = SHA-256( u64(p) || content_p )
    chain_0 = 32 zero bytes;  chain_p = SHA-256( chain_(p-1) || leaf_p )

    Merkle tree over the leaves in log order (RFC 6962 section 2.1):
    MTH({}) = SHA-256("");  MTH({leaf}) = SHA-256(0x00 || leaf)
    MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])),
                k the largest power of two smaller than n
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
import zipfile
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeGuard

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

BUNDLE_FORMAT = "incidents-evidence-bundle/1"
CHECKPOINT_FORMAT = "incidents-evidence-checkpoint/1"
CHECKPOINT_FORMAT_2 = "incidents-evidence-checkpoint/2"
MANIFEST_CONTEXT = b"incidents-evidence-manifest/1\n"
INCLUSION_FORMAT = "incidents-inclusion-proof/1"
CONSISTENCY_FORMAT = "incidents-consistency-proof/1"

EVENTS = "events.jsonl"
CHECKPOINT = "checkpoint.json"
CHECKPOINTS = "checkpoints.jsonl"
PUBLIC_KEY = "public_key.pem"
README = "README.txt"
MANIFEST = "manifest.json"
MANIFEST_SIGNATURE = "manifest.sig"
LISTED_FILES = (EVENTS, CHECKPOINT, CHECKPOINTS, PUBLIC_KEY, README)

GENESIS = bytes(32)
EMPTY_TREE_ROOT = hashlib.sha256(b"").digest()
KEY_ID_HEX = 16
PROGRESS_EVERY = 1000  # Events checked between two calls of ``progress``.
SMALL_FILE = 1 << 20  # Every file but events.jsonl is read whole, up to this.
CHUNK = 1 << 16


@dataclass
class BundleReport:
    """Say what a bundle holds and everything found wrong with it."""

    events: int = 0
    position: int = 0
    head: str = GENESIS.hex()
    key_id: str | None = None
    signed_at: str | None = None
    held_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Tell whether the bundle is intact."""
        return not self.problems

    def describe(self) -> list[str]:
        """Return the report as lines of text for a person."""
        if self.ok:
            held = (
                f"; it extends every checkpoint you hold ({self.held_checked})"
                if self.held_checked
                else ""
            )
            return [
                f"Bundle intact: {self.events} events up to position "
                f"{self.position}, head {self.head}, signed at {self.signed_at} "
                f"by key {self.key_id}{held}.",
                "Compare the key with the one the service's operator publishes, "
                "or pass --key-id/--public-key.",
            ]
        return [
            f"Bundle REJECTED ({len(self.problems)} problems):",
            *(f"  {problem}" for problem in self.problems),
        ]


@dataclass(frozen=True)
class _Checkpoint:
    # Format 1 signed the chain value as ``root``; format 2 signs the RFC 6962
    # root as ``root`` and the chain value as ``chain``.
    size: int
    position: int
    root: bytes
    time: str
    key_id: str
    signature: bytes
    origin: str
    chain: bytes | None = None

    def statement(self) -> bytes:
        if self.chain is None:
            return (
                f"{CHECKPOINT_FORMAT}\nsize {self.size}\nposition {self.position}\n"
                f"root {self.root.hex()}\ntime {self.time}\nkey {self.key_id}\n"
            ).encode("ascii")
        return (
            f"{CHECKPOINT_FORMAT_2}\nsize {self.size}\nposition {self.position}\n"
            f"root {self.root.hex()}\nchain {self.chain.hex()}\n"
            f"signed_at {self.time}\nkey {self.key_id}\n"
        ).encode("ascii")

    def describes(self, size: int, position: int, chain: bytes, root: bytes) -> bool:
        """Tell whether this is the log of ``size`` events with these roots."""
        if (self.size, self.position) != (size, position):
            return False
        if self.chain is None:
            return self.root == chain
        return (self.root, self.chain) == (root, chain)


class _Tree:
    """Keep the peaks of the RFC 6962 tree of the leaves seen so far."""

    def __init__(self) -> None:
        self.size = 0
        self.peaks: list[bytes] = []

    def append(self, leaf: bytes) -> None:
        node, index = merkle_leaf(leaf), self.size
        while index & 1:
            node, index = merkle_node(self.peaks.pop(), node), index >> 1
        self.peaks.append(node)
        self.size += 1

    def root(self) -> bytes:
        if not self.peaks:
            return EMPTY_TREE_ROOT
        node = self.peaks[-1]
        for peak in reversed(self.peaks[:-1]):
            node = merkle_node(peak, node)
        return node


# The hashes, written out again on purpose (see the module's docstring).


def content_hash(aggregate_id: str, version: int, topic: str, state: bytes) -> bytes:
    """Return the content hash of one event."""
    aggregate, name = aggregate_id.encode("utf-8"), topic.encode("utf-8")
    return hashlib.sha256(
        len(aggregate).to_bytes(4, "big")
        + aggregate
        + version.to_bytes(8, "big")
        + len(name).to_bytes(4, "big")
        + name
        + hashlib.sha256(state).digest()
    ).digest()


def leaf_hash(position: int, content: bytes) -> bytes:
    """Return the leaf of the event at a position."""
    return hashlib.sha256(position.to_bytes(8, "big") + content).digest()


def merkle_leaf(leaf: bytes) -> bytes:
    """Return the tree's node for an event's leaf: SHA-256(0x00 || leaf)."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def merkle_node(left: bytes, right: bytes) -> bytes:
    """Return the tree's node above two others: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Tell whether an audit path puts a leaf at ``index`` (RFC 9162 2.1.3.2)."""
    if not 0 <= index < size:
        return False
    sides = _proof_sides(index, size - 1, len(proof))
    if sides is None:
        return False
    r = merkle_leaf(leaf)
    for p, on_the_left in zip(proof, sides, strict=True):
        r = merkle_node(p, r) if on_the_left else merkle_node(r, p)
    return r == root


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
) -> bool:
    """Tell whether a proof shows one tree extends another (RFC 9162 2.1.4.2)."""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:  # Every tree extends the empty one.
        return not proof and old_root == EMPTY_TREE_ROOT
    if not proof:
        return False
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    sides = _proof_sides(fn, sn, len(path) - 1)
    if sides is None:
        return False
    fr = sr = path[0]
    for c, on_the_left in zip(path[1:], sides, strict=True):
        if on_the_left:
            fr, sr = merkle_node(c, fr), merkle_node(c, sr)
        else:
            sr = merkle_node(sr, c)
    return fr == old_root and sr == new_root


def _proof_sides(fn: int, sn: int, count: int) -> list[bool] | None:
    """Run RFC 9162's loop over ``count`` hashes: is each on the left of the path?

    ``None`` when the path is too long or too short for the tree (``sn``
    reaches 0 early, or not at the end).
    """
    sides = []
    for _ in range(count):
        if sn == 0:
            return None
        on_the_left = bool(fn & 1) or fn == sn
        if on_the_left:
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        sides.append(on_the_left)
        fn, sn = fn >> 1, sn >> 1
    return sides if sn == 0 else None


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """Return the fingerprint of a public key, as checkpoints name it."""
    raw = public_key.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return hashlib.sha256(raw).hexdigest()[:KEY_ID_HEX]


# Reading a bundle.


class _Source:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        if path.is_file():
            self._zip = zipfile.ZipFile(path)

    def names(self) -> list[str]:
        if self._zip is not None:
            return self._zip.namelist()
        return sorted(
            child.name + ("/" if child.is_dir() else "")
            for child in self.path.iterdir()
        )

    def open(self, name: str) -> IO[bytes]:
        if self._zip is not None:
            return self._zip.open(name)
        return (self.path / name).open("rb")

    def read_small(self, name: str) -> bytes:
        with self.open(name) as file:
            data = file.read(SMALL_FILE + 1)
        if len(data) > SMALL_FILE:
            raise ValueError(f"larger than {SMALL_FILE} bytes")
        return data

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def verify_bundle(
    path: Path | str,
    *,
    public_key_pem: bytes | None = None,
    key_id: str | None = None,
    held: Sequence[dict[str, Any]] = (),
    progress: Callable[[int], None] | None = None,
) -> BundleReport:
    """Check a bundle (a directory or a zip); return what it holds and its problems.

    ``progress``, if given, is told every so many events checked.
    """
    report = BundleReport()
    bundle = Path(path)
    if not bundle.is_dir() and not zipfile.is_zipfile(bundle):
        report.problems.append(f"{bundle}: neither a directory nor a zip file.")
        return report
    source = _Source(bundle)
    try:
        _Check(source, report, public_key_pem, key_id, held, progress).run()
    except (OSError, zipfile.BadZipFile) as error:
        report.problems.append(f"{bundle}: cannot be read: {error}")
    finally:
        source.close()
    return report


class _Check:
    def __init__(
        self,
        source: _Source,
        report: BundleReport,
        trusted_pem: bytes | None,
        trusted_key_id: str | None,
        held: Sequence[dict[str, Any]],
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.source = source
        self.report = report
        self.trusted_pem = trusted_pem
        self.trusted_key_id = trusted_key_id
        self.held = held
        self.progress = progress
        self.key: Ed25519PublicKey | None = None
        self.manifest_raw = b""

    def problem(self, where: str, what: str) -> None:
        self.report.problems.append(f"{where}: {what}")

    def run(self) -> None:
        names = self.source.names()
        manifest = self._manifest(names)
        self.key = self._public_key(names)
        if manifest is not None:
            self._files(names, manifest)
        checkpoint = self._bundle_checkpoint(names)
        checkpoints = [*self._earlier_checkpoints(names), *self._held_checkpoints()]
        if checkpoint is not None:
            checkpoints.append(checkpoint)
        if EVENTS in names:
            self._events(checkpoints, checkpoint)
        if manifest is not None and not self.report.problems:
            self._manifest_summary(manifest)

    # The manifest and the files it lists.

    def _manifest(self, names: list[str]) -> dict[str, Any] | None:
        if MANIFEST not in names:
            self.problem(MANIFEST, "missing.")
            return None
        try:
            raw = self.source.read_small(MANIFEST)
            manifest = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            self.problem(MANIFEST, f"not valid JSON ({error}).")
            return None
        if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
            self.problem(MANIFEST, f"not a manifest of format {BUNDLE_FORMAT}.")
            return None
        self.manifest_raw = raw
        return manifest

    def _public_key(self, names: list[str]) -> Ed25519PublicKey | None:
        if PUBLIC_KEY not in names:
            self.problem(PUBLIC_KEY, "missing.")
            return None
        try:
            pem = self.source.read_small(PUBLIC_KEY)
            key = serialization.load_pem_public_key(pem)
        except ValueError as error:
            self.problem(PUBLIC_KEY, f"not a PEM public key ({error}).")
            return None
        if not isinstance(key, Ed25519PublicKey):
            self.problem(PUBLIC_KEY, "not an Ed25519 public key.")
            return None
        self.report.key_id = key_id_of(key)
        if self.trusted_pem is not None:
            trusted = serialization.load_pem_public_key(self.trusted_pem)
            if not isinstance(trusted, Ed25519PublicKey) or key_id_of(
                trusted
            ) != key_id_of(key):
                self.problem(
                    PUBLIC_KEY,
                    f"key {key_id_of(key)} is not the public key you trust: the "
                    "bundle was signed by someone else.",
                )
        if self.trusted_key_id is not None and (
            self.trusted_key_id.lower() != key_id_of(key)
        ):
            self.problem(
                PUBLIC_KEY,
                f"key {key_id_of(key)} is not key {self.trusted_key_id}, the one "
                "you trust: the bundle was signed by someone else.",
            )
        return key

    def _files(self, names: list[str], manifest: dict[str, Any]) -> None:
        self._manifest_signature(names)
        files = manifest.get("files")
        if not isinstance(files, dict):
            self.problem(MANIFEST, "has no table of files.")
            return
        for name in sorted(set(LISTED_FILES) - set(files)):
            self.problem(MANIFEST, f"does not list {name}.")
        for name in sorted(set(files) - set(LISTED_FILES)):
            self.problem(MANIFEST, f"lists {name}, which no bundle holds.")
        seen: set[str] = set()
        for name in names:
            if name in seen:
                self.problem(name, "appears twice in the bundle.")
            seen.add(name)
            if name not in (*LISTED_FILES, MANIFEST, MANIFEST_SIGNATURE):
                self.problem(name, "is not part of a bundle (added).")
        for name in LISTED_FILES:
            if name not in seen:
                self.problem(name, "missing.")
                continue
            expected = files.get(name)
            if not isinstance(expected, dict):
                continue
            digest, size = self._digest(name)
            if digest != expected.get("sha256") or size != expected.get("bytes"):
                self.problem(
                    name,
                    "its SHA-256 or size differs from the manifest: the file "
                    "was changed.",
                )

    def _manifest_signature(self, names: list[str]) -> None:
        if MANIFEST_SIGNATURE not in names:
            self.problem(MANIFEST_SIGNATURE, "missing.")
            return
        try:
            signature = base64.b64decode(
                self.source.read_small(MANIFEST_SIGNATURE).strip(), validate=True
            )
        except (ValueError, binascii.Error):
            self.problem(MANIFEST_SIGNATURE, "not base64.")
            return
        if self.key is not None and not _signed(
            self.key, signature, MANIFEST_CONTEXT + self.manifest_raw
        ):
            self.problem(
                MANIFEST,
                "its signature (manifest.sig) does not verify with public_key.pem: "
                "the manifest was edited, or signed with another key.",
            )

    def _digest(self, name: str) -> tuple[str, int]:
        digest, size = hashlib.sha256(), 0
        with self.source.open(name) as file:
            while chunk := file.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
        return digest.hexdigest(), size

    def _manifest_summary(self, manifest: dict[str, Any]) -> None:
        for name, found in (
            ("events", self.report.events),
            ("position", self.report.position),
            ("head", self.report.head),
        ):
            if manifest.get(name) != found:
                self.problem(
                    MANIFEST,
                    f"says {name} {manifest.get(name)!r}, events.jsonl {found!r}.",
                )

    # Checkpoints.

    def _bundle_checkpoint(self, names: list[str]) -> _Checkpoint | None:
        if CHECKPOINT not in names:
            self.problem(CHECKPOINT, "missing.")
            return None
        try:
            data = json.loads(self.source.read_small(CHECKPOINT))
        except (ValueError, UnicodeDecodeError) as error:
            self.problem(CHECKPOINT, f"not valid JSON ({error}).")
            return None
        checkpoint = self._checkpoint(data, CHECKPOINT, self.key)
        if checkpoint is not None:
            self.report.signed_at = checkpoint.time
        return checkpoint

    def _earlier_checkpoints(self, names: list[str]) -> list[_Checkpoint]:
        if CHECKPOINTS not in names:
            return []  # Reported with the files.
        found = []
        with self.source.open(CHECKPOINTS) as file:
            for number, line in enumerate(file, start=1):
                where = f"{CHECKPOINTS} line {number}"
                try:
                    data = json.loads(line)
                except (ValueError, UnicodeDecodeError) as error:
                    self.problem(where, f"not valid JSON ({error}).")
                    continue
                checkpoint = self._checkpoint(data, where, self.key)
                if checkpoint is not None:
                    found.append(checkpoint)
        return found

    def _held_checkpoints(self) -> list[_Checkpoint]:
        key = self.key
        if self.trusted_pem is not None:
            trusted = serialization.load_pem_public_key(self.trusted_pem)
            key = trusted if isinstance(trusted, Ed25519PublicKey) else None
        found = []
        for number, data in enumerate(self.held, start=1):
            checkpoint = self._checkpoint(data, f"held checkpoint {number}", key)
            if checkpoint is not None:
                found.append(checkpoint)
                self.report.held_checked += 1
        return found

    def _checkpoint(
        self, data: object, where: str, key: Ed25519PublicKey | None
    ) -> _Checkpoint | None:
        return _signed_checkpoint(data, where, key, self.report.problems)

    # The events.

    def _events(
        self, checkpoints: list[_Checkpoint], final: _Checkpoint | None
    ) -> None:
        pending = deque(sorted(checkpoints, key=lambda c: (c.position, c.origin)))
        chain, count, position = GENESIS, 0, 0
        tree = _Tree()
        with self.source.open(EVENTS) as file:
            for number, line in enumerate(file, start=1):
                if self.progress is not None and number % PROGRESS_EVERY == 0:
                    self.progress(PROGRESS_EVERY)
                where = f"{EVENTS} line {number}"
                event = _parse_event(line)
                if isinstance(event, str):
                    self.problem(where, event)
                    return
                at = f"{where} (position {event['position']})"
                if event["position"] <= position:
                    self.problem(
                        at,
                        f"does not come after position {position}: lines were "
                        "reordered or repeated.",
                    )
                    return
                content = content_hash(
                    event["aggregate_id"],
                    event["version"],
                    event["topic"],
                    event["state"],
                )
                if content != event["content"]:
                    self.problem(
                        at,
                        "its content hash does not match its fields and bytes: "
                        "the event was changed.",
                    )
                    return
                leaf = leaf_hash(event["position"], content)
                expected = hashlib.sha256(chain + leaf).digest()
                if leaf != event["leaf"] or expected != event["chain"]:
                    self.problem(
                        at,
                        "its chain value does not follow from the line before: a "
                        "line was removed, added or moved before it.",
                    )
                    return
                chain, count, position = expected, count + 1, event["position"]
                tree.append(leaf)
                while pending and pending[0].position <= position:
                    checkpoint = pending.popleft()
                    if not checkpoint.describes(count, position, chain, tree.root()):
                        self.problem(
                            at,
                            "the events up to here do not lead to the root of the "
                            f"checkpoint of size {checkpoint.size} (position "
                            f"{checkpoint.position}, {checkpoint.time}, from "
                            f"{checkpoint.origin}): history was rewritten.",
                        )
                        return
        self.report.events, self.report.position = count, position
        self.report.head = chain.hex()
        for checkpoint in pending:
            self.problem(
                EVENTS,
                f"ends at position {position} ({count} events), before position "
                f"{checkpoint.position} of the checkpoint of size {checkpoint.size} "
                f"(from {checkpoint.origin}): lines were removed from the end, or "
                "the bundle is older than that checkpoint.",
            )
        if final is not None and position > final.position:
            self.problem(
                EVENTS,
                f"goes on past position {final.position}, where checkpoint.json "
                "ends: lines were added at the end.",
            )


def _signed_checkpoint(
    data: object, where: str, key: Ed25519PublicKey | None, problems: list[str]
) -> _Checkpoint | None:
    """Return the checkpoint if it is one and ``key`` signed it; else say why not."""
    checkpoint = _parse_checkpoint(data, where)
    if checkpoint is None:
        problems.append(f"{where}: not a valid checkpoint.")
        return None
    if key is None:
        return None  # The missing or unusable key is reported already.
    if checkpoint.key_id != key_id_of(key):
        problems.append(
            f"{where}: names key {checkpoint.key_id}, but the key is "
            f"{key_id_of(key)}: it was signed with another key."
        )
        return None
    if not _signed(key, checkpoint.signature, checkpoint.statement()):
        problems.append(
            f"{where}: its signature does not verify: the checkpoint was altered "
            "or re-signed with another key."
        )
        return None
    return checkpoint


def _tree_checkpoint(
    data: object, where: str, key: Ed25519PublicKey | None, problems: list[str]
) -> _Checkpoint | None:
    """Return a signed checkpoint of the tree's root (format 2) for a proof."""
    checkpoint = _signed_checkpoint(data, where, key, problems)
    if checkpoint is not None and checkpoint.chain is None:
        problems.append(
            f"{where}: a format-1 checkpoint signs the chain value, not the "
            "tree's root: proofs need a format-2 checkpoint."
        )
        return None
    return checkpoint


def _parse_checkpoint(data: object, origin: str) -> _Checkpoint | None:
    # Format 1 was written with "format" as text, "time" and a base64
    # signature; formats 1 and 2 now as numbers, "signed_at" and hex.
    if not isinstance(data, dict):
        return None
    number, legacy = data.get("format"), data.get("format") == CHECKPOINT_FORMAT
    if not legacy and (type(number) is not int or number not in (1, 2)):
        return None
    try:
        checkpoint = _Checkpoint(
            size=data["size"],
            position=data["position"],
            root=bytes.fromhex(data["root"]),
            time=data["time"] if legacy else data["signed_at"],
            key_id=data["key_id"],
            signature=(
                base64.b64decode(data["signature"], validate=True)
                if legacy
                else bytes.fromhex(data["signature"])
            ),
            origin=origin,
            chain=None if legacy or number == 1 else bytes.fromhex(data["chain"]),
        )
    except (KeyError, TypeError, ValueError, binascii.Error):
        return None
    if not (
        _is_count(checkpoint.size)
        and _is_count(checkpoint.position)
        and len(checkpoint.root) == len(GENESIS)
        and len(checkpoint.chain or GENESIS) == len(GENESIS)
        and isinstance(checkpoint.time, str)
        and isinstance(checkpoint.key_id, str)
    ):
        return None
    return checkpoint


def _parse_event(line: bytes) -> dict[str, Any] | str:
    try:
        data = json.loads(line)
    except (ValueError, UnicodeDecodeError) as error:
        return f"not valid JSON ({error}): a line was cut or changed."
    if not isinstance(data, dict):
        return "not a JSON object."
    try:
        event = {
            "position": data["position"],
            "aggregate_id": data["aggregate_id"],
            "version": data["version"],
            "topic": data["topic"],
            "state": base64.b64decode(data["state"], validate=True),
            "content": bytes.fromhex(data["content"]),
            "leaf": bytes.fromhex(data["leaf"]),
            "chain": bytes.fromhex(data["chain"]),
        }
    except KeyError as error:
        return f"has no {error} field."
    except (TypeError, ValueError, binascii.Error) as error:
        return f"has a malformed field ({error})."
    if not (
        _is_count(event["position"])
        and event["position"] > 0
        and _is_count(event["version"])
        and isinstance(event["aggregate_id"], str)
        and isinstance(event["topic"], str)
    ):
        return "has a field of the wrong type."
    return event


def _signed(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# Proof files.


@dataclass
class ProofReport:
    """Say what a proof file proves, or everything found wrong with it."""

    kind: str = "unknown"
    key_id: str | None = None
    size: int = 0
    old_size: int = 0
    leaves: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Tell whether the proof holds."""
        return not self.problems

    def describe(self) -> list[str]:
        """Return the report as lines of text for a person."""
        if not self.ok:
            return [
                f"Proof REJECTED ({len(self.problems)} problems):",
                *(f"  {problem}" for problem in self.problems),
            ]
        if self.kind == "inclusion":
            found = (
                f"Proof valid: {self.leaves} events are in the log of {self.size} "
                f"events signed by key {self.key_id}."
            )
        else:
            found = (
                f"Proof valid: the log of {self.size} events extends the log of "
                f"{self.old_size} events, both signed by key {self.key_id}."
            )
        return [
            found,
            "Compare the key with the one the service's operator publishes, "
            "or pass --key-id/--public-key.",
        ]


def verify_proof_file(
    path: Path | str, public_key_pem: bytes | None = None, *, key_id: str | None = None
) -> ProofReport:
    """Check an inclusion or consistency proof file against its signed checkpoints.

    The key is ``public_key_pem`` when given, else the file's own
    ``public_key``, which then must have the fingerprint ``key_id`` if given.
    """
    report = ProofReport()
    name = Path(path).name
    try:
        data = json.loads(Path(path).read_bytes())
    except OSError as error:
        report.problems.append(f"{name}: cannot be read: {error}")
        return report
    except (ValueError, UnicodeDecodeError) as error:
        report.problems.append(f"{name}: not valid JSON ({error}).")
        return report
    if not isinstance(data, dict) or data.get("format") not in (
        INCLUSION_FORMAT,
        CONSISTENCY_FORMAT,
    ):
        report.problems.append(
            f"{name}: not a proof file ({INCLUSION_FORMAT} or {CONSISTENCY_FORMAT})."
        )
        return report
    key = _proof_key(data, public_key_pem, key_id, report)
    if data["format"] == INCLUSION_FORMAT:
        _check_inclusion(data, key, report)
    else:
        _check_consistency(data, key, report)
    return report


def _proof_key(
    data: dict[str, Any],
    trusted_pem: bytes | None,
    trusted_key_id: str | None,
    report: ProofReport,
) -> Ed25519PublicKey | None:
    pem = trusted_pem
    if pem is None:
        carried = data.get("public_key")
        if not isinstance(carried, str):
            report.problems.append(
                "public_key: missing: pass the public key you trust (--public-key)."
            )
            return None
        pem = carried.encode("ascii", "replace")
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as error:
        report.problems.append(f"public_key: not a PEM public key ({error}).")
        return None
    if not isinstance(key, Ed25519PublicKey):
        report.problems.append("public_key: not an Ed25519 public key.")
        return None
    report.key_id = key_id_of(key)
    if trusted_key_id is not None and trusted_key_id.lower() != report.key_id:
        report.problems.append(
            f"public_key: key {report.key_id} is not key {trusted_key_id}, the one "
            "you trust: the proof was signed by someone else."
        )
    return key


def _check_inclusion(
    data: dict[str, Any], key: Ed25519PublicKey | None, report: ProofReport
) -> None:
    report.kind = "inclusion"
    checkpoint = _tree_checkpoint(
        data.get("checkpoint"), "checkpoint", key, report.problems
    )
    leaves = data.get("leaves")
    if not isinstance(leaves, list) or not leaves:
        report.problems.append("leaves: missing or empty: the file proves nothing.")
        return
    if checkpoint is None:
        return
    report.size = checkpoint.size
    last = (-1, 0)
    for number, entry in enumerate(leaves):
        where = f"leaves[{number}]"
        proven = _parse_proven_leaf(entry)
        if isinstance(proven, str):
            report.problems.append(f"{where}: {proven}")
            continue
        position, index, leaf, path = proven
        where = f"{where} (position {position}, index {index})"
        if index <= last[0] or position <= last[1]:
            report.problems.append(
                f"{where}: does not come after the leaf before it (index "
                f"{last[0]}, position {last[1]})."
            )
        elif index >= checkpoint.size or position > checkpoint.position:
            report.problems.append(
                f"{where}: lies past the checkpoint ({checkpoint.size} events, up "
                f"to position {checkpoint.position})."
            )
        elif not verify_inclusion(leaf, index, checkpoint.size, path, checkpoint.root):
            report.problems.append(
                f"{where}: its audit path does not lead to the checkpoint's root: "
                "the leaf, its index or a hash of its path was changed, or the "
                "event is not in that log."
            )
        else:
            report.leaves += 1
        last = (index, position)


def _parse_proven_leaf(entry: object) -> tuple[int, int, bytes, list[bytes]] | str:
    """Read one leaf of an inclusion proof, checked against its event if it has it."""
    if not isinstance(entry, dict):
        return "not a JSON object."
    position, index = entry.get("position"), entry.get("index")
    leaf, path = _hash_of(entry.get("hash")), _hashes_of(entry.get("audit_path"))
    if not (_is_count(position) and position > 0 and _is_count(index)):
        return "its position or index is not a count."
    if leaf is None or path is None:
        return "its hash or audit_path is not 64-hex hashes."
    content = _event_content(entry)
    if isinstance(content, str):
        return content
    if content is not None and leaf_hash(position, content) != leaf:
        return "its hash is not the leaf of its position and content."
    return position, index, leaf, path


def _event_content(entry: dict[str, Any]) -> bytes | str | None:
    """Return the content hash a leaf carries, or that its event's fields give."""
    content = _hash_of(entry.get("content"))
    if "content" in entry and content is None:
        return "its content is not a 64-hex hash."
    if "state" not in entry:
        return content
    aggregate_id, version, topic = (
        entry.get(name) for name in ("aggregate_id", "version", "topic")
    )
    try:
        state = base64.b64decode(entry["state"], validate=True)
    except (TypeError, ValueError, binascii.Error):
        return "its state is not base64."
    if not (
        isinstance(aggregate_id, str) and _is_count(version) and isinstance(topic, str)
    ):
        return "its aggregate_id, version or topic is missing or malformed."
    recomputed = content_hash(aggregate_id, version, topic, state)
    if content not in (None, recomputed):
        return "its content hash does not match its fields and bytes."
    return recomputed


def _check_consistency(
    data: dict[str, Any], key: Ed25519PublicKey | None, report: ProofReport
) -> None:
    report.kind = "consistency"
    old = _tree_checkpoint(data.get("old"), "old", key, report.problems)
    new = _tree_checkpoint(data.get("new"), "new", key, report.problems)
    proof = _hashes_of(data.get("proof"))
    if proof is None:
        report.problems.append("proof: not a list of 64-hex hashes.")
    if old is None or new is None or proof is None:
        return
    report.old_size, report.size = old.size, new.size
    if (new.size, new.position) < (old.size, old.position) or (
        (new.size == old.size) != (new.position == old.position)
    ):
        report.problems.append(
            f"new: its {new.size} events up to position {new.position} cannot "
            f"extend the old checkpoint's {old.size} up to position {old.position}."
        )
    elif not verify_consistency(old.size, new.size, old.root, new.root, proof):
        report.problems.append(
            "proof: does not show that the new checkpoint's log extends the old "
            "one's: history up to the old checkpoint was rewritten, or a hash of "
            "the proof was changed."
        )


def _hash_of(value: object) -> bytes | None:
    if not isinstance(value, str) or len(value) != 2 * len(GENESIS):
        return None
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None


def _hashes_of(values: object) -> list[bytes] | None:
    if not isinstance(values, list):
        return None
    hashes = [_hash_of(value) for value in values]
    return None if None in hashes else [h for h in hashes if h is not None]


def read_checkpoint_file(path: Path | str) -> list[dict[str, Any]]:
    """Read checkpoints kept in a file: one JSON object, or one per line."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except ValueError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return data if isinstance(data, list) else [data]


def main(argv: Sequence[str] | None = None) -> int:
    """Check the bundle named on the command line; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="bundle_verifier.py",
        description="Check an evidence bundle of the incident log, offline.",
    )
    parser.add_argument(
        "bundle", type=Path, help="a bundle directory or .zip, or a proof file"
    )
    parser.add_argument(
        "--public-key", type=Path, help="PEM file of the public key you trust"
    )
    parser.add_argument("--key-id", help="fingerprint of the key you trust (16 hex)")
    parser.add_argument(
        "--checkpoint",
        type=Path,
        action="append",
        default=[],
        help="a checkpoint you kept earlier, which the bundle must extend",
    )
    args = parser.parse_args(argv)
    try:
        pem = args.public_key.read_bytes() if args.public_key else None
        held = [item for path in args.checkpoint for item in read_checkpoint_file(path)]
    except (OSError, ValueError) as error:
        parser.error(str(error))
    report: BundleReport | ProofReport
    if args.bundle.is_file() and not zipfile.is_zipfile(args.bundle):
        if held:
            parser.error("--checkpoint applies to bundles, not to proof files")
        report = verify_proof_file(args.bundle, pem, key_id=args.key_id)
    else:
        report = verify_bundle(
            args.bundle, public_key_pem=pem, key_id=args.key_id, held=held
        )
    for line in report.describe():
        print(line)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
