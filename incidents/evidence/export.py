"""Write an evidence bundle: the events with their hashes, signed, with a manifest.

A bundle is a directory or a zip file holding ``events.jsonl`` (one event per
line, in log order, with its stored bytes in base64 and its content hash, leaf
and chain value), ``checkpoint.json`` (the signed checkpoint those events lead
to), ``checkpoints.jsonl`` (the earlier signed checkpoints), ``public_key.pem``,
``README.txt``, ``manifest.json`` (SHA-256 and size of each of those files) and
``manifest.sig`` (the manifest's signature). ``bundle_verifier.py`` checks it
offline. Everything is streamed: memory does not grow with the log.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from incidents.evidence.errors import BundleExistsError, EvidenceMismatchError
from incidents.evidence.hashing import GENESIS, link, notification_content
from incidents.evidence.log_reading import iter_notifications
from incidents.evidence.merkle import Frontier
from incidents.evidence.signing import Checkpoint, dumps_checkpoint, utc_now_text

if TYPE_CHECKING:
    from eventsourcing.persistence import ApplicationRecorder

    from incidents.evidence.ledger import Ledger
    from incidents.evidence.signing import CheckpointSigner

BUNDLE_FORMAT = "incidents-evidence-bundle/1"
EVENTS = "events.jsonl"
CHECKPOINT = "checkpoint.json"
CHECKPOINTS = "checkpoints.jsonl"
PUBLIC_KEY = "public_key.pem"
README = "README.txt"
MANIFEST = "manifest.json"
MANIFEST_SIGNATURE = "manifest.sig"

README_TEXT = """\
Evidence bundle of the mediation incident log
=============================================

events.jsonl       every event in log order: position, aggregate_id, version,
                   topic, state (the stored bytes, base64), content, leaf, chain
checkpoint.json    the signed checkpoint {format 2, size, position, root, chain,
                   signed_at} that the events lead to (root = RFC 6962 root of
                   their leaves, chain = chain value of the last event)
checkpoints.jsonl  the earlier signed checkpoints, which the events must pass by
public_key.pem     the Ed25519 public key that signed them (key_id = first 16 hex
                   digits of the SHA-256 of its raw 32 bytes)
manifest.json      the SHA-256 and size of each file above
manifest.sig       the Ed25519 signature of manifest.json (base64)

Check it offline with bundle_verifier.py (needs Python 3.11 and `cryptography`):

    python3 bundle_verifier.py THIS_BUNDLE --key-id KEY_ID_YOU_TRUST \\
        [--checkpoint A_CHECKPOINT_YOU_KEPT.json ...]

or, where the service is installed: incidents verify-bundle THIS_BUNDLE.
"""


@dataclass(frozen=True)
class BundleSummary:
    """Say what a bundle holds: how many events, up to where, and its checkpoint."""

    events: int
    position: int
    head: bytes
    checkpoint: Checkpoint
    files: dict[str, dict[str, Any]]


class _Hashing(io.RawIOBase):
    # Counts and hashes what goes through to the file underneath.

    def __init__(self, target: IO[bytes]) -> None:
        super().__init__()
        self._target = target
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._target.write(chunk)
        self.digest.update(chunk)
        self.size += len(chunk)
        return len(chunk)


class _Target:
    # Where the files of a bundle go: a directory or a zip archive.

    def __init__(
        self, *, directory: Path | None = None, archive: IO[bytes] | None = None
    ) -> None:
        self._directory = directory
        self._zip = (
            zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED)
            if archive is not None
            else None
        )
        self.files: dict[str, dict[str, Any]] = {}

    @contextlib.contextmanager
    def open(self, name: str, *, listed: bool = True) -> Iterator[IO[bytes]]:
        raw: IO[bytes]
        if self._zip is not None:
            raw = self._zip.open(name, "w", force_zip64=True)
        elif self._directory is not None:
            raw = (self._directory / name).open("wb")
        else:  # pragma: no cover - the constructor sets one of the two
            raise ValueError("A bundle needs a directory or an archive.")
        hashing = _Hashing(raw)
        buffered = io.BufferedWriter(hashing, buffer_size=1 << 16)
        try:
            yield buffered
            buffered.flush()
        finally:
            raw.close()
        if listed:
            self.files[name] = {
                "sha256": hashing.digest.hexdigest(),
                "bytes": hashing.size,
            }

    def write(self, name: str, data: bytes, *, listed: bool = True) -> None:
        with self.open(name, listed=listed) as file:
            file.write(data)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def _write_bundle(
    recorder: ApplicationRecorder,
    ledger: Ledger,
    signer: CheckpointSigner,
    checkpoint: Checkpoint,
    target: _Target,
) -> BundleSummary:
    """Write the events up to a checkpoint, and the rest of the bundle, to a target."""
    earlier = [
        stored
        for stored in ledger.checkpoints()
        if stored.position <= checkpoint.position and stored.size < checkpoint.size
    ]
    for stored in earlier:
        if not signer.is_valid(stored):
            raise EvidenceMismatchError(
                f"The stored checkpoint of size {stored.size} is not validly signed "
                "by the signing key: run `incidents verify`."
            )
    events, position, chain, root = _write_events(recorder, checkpoint, earlier, target)
    if not checkpoint.matches(events, position, chain, root):
        raise EvidenceMismatchError(
            f"The stored events up to position {checkpoint.position} do not lead to "
            f"the checkpoint being exported (size {checkpoint.size}): run "
            "`incidents verify`."
        )
    target.write(CHECKPOINT, dumps_checkpoint(checkpoint).encode("ascii"))
    target.write(
        CHECKPOINTS,
        "".join(json.dumps(stored.to_json()) + "\n" for stored in earlier).encode(
            "ascii"
        ),
    )
    target.write(PUBLIC_KEY, signer.public_key_pem())
    target.write(README, README_TEXT.encode("utf-8"))
    manifest = {
        "format": BUNDLE_FORMAT,
        "created_at": utc_now_text(),
        "events": events,
        "position": position,
        "head": chain.hex(),
        "key_id": checkpoint.key_id,
        "files": dict(sorted(target.files.items())),
    }
    manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode(
        "ascii"
    )
    target.write(MANIFEST, manifest_bytes, listed=False)
    signature = base64.b64encode(signer.sign_manifest(manifest_bytes)) + b"\n"
    target.write(MANIFEST_SIGNATURE, signature, listed=False)
    return BundleSummary(events, position, chain, checkpoint, dict(target.files))


def _write_events(
    recorder: ApplicationRecorder,
    checkpoint: Checkpoint,
    earlier: list[Checkpoint],
    target: _Target,
) -> tuple[int, int, bytes, bytes]:
    pending = sorted(earlier, key=lambda stored: stored.position)
    chain, count, position = GENESIS, 0, 0
    tree = Frontier()
    with target.open(EVENTS) as file:
        for notification in iter_notifications(recorder, 1, checkpoint.position):
            content = notification_content(notification)
            added = link(chain, notification.id, content)
            chain, count, position = added.chain, count + 1, notification.id
            tree.append(added.leaf)
            line = {
                "position": notification.id,
                "aggregate_id": str(notification.originator_id),
                "version": notification.originator_version,
                "topic": notification.topic,
                "state": base64.b64encode(notification.state).decode("ascii"),
                "content": content.hex(),
                "leaf": added.leaf.hex(),
                "chain": chain.hex(),
            }
            file.write(json.dumps(line, separators=(",", ":")).encode("ascii") + b"\n")
            while pending and pending[0].position <= position:
                stored = pending.pop(0)
                if not stored.matches(count, position, chain, tree.root()):
                    raise EvidenceMismatchError(
                        f"The stored events do not lead to the checkpoint of size "
                        f"{stored.size}: run `incidents verify`."
                    )
    return count, position, chain, tree.root()


def export_to_path(
    recorder: ApplicationRecorder,
    ledger: Ledger,
    signer: CheckpointSigner,
    checkpoint: Checkpoint,
    path: Path,
) -> BundleSummary:
    """Write a bundle to a new directory, or to a new file if the path ends in .zip."""
    if path.exists() and not (path.is_dir() and not any(path.iterdir())):
        raise BundleExistsError(f"{path} already exists: name a new bundle.")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written under a temporary name and renamed when complete: a bundle that is
    # there is whole.
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    zipped = path.suffix.lower() == ".zip"
    try:
        if zipped:
            with partial.open("wb") as file:
                target = _Target(archive=file)
                try:
                    summary = _write_bundle(
                        recorder, ledger, signer, checkpoint, target
                    )
                finally:
                    target.close()
            os.replace(partial, path)
        else:
            partial.mkdir()
            summary = _write_bundle(
                recorder, ledger, signer, checkpoint, _Target(directory=partial)
            )
            if path.exists():
                path.rmdir()
            partial.rename(path)
    except BaseException:
        if partial.is_dir():
            shutil.rmtree(partial)
        else:
            partial.unlink(missing_ok=True)
        raise
    return summary


def export_to_zip(
    recorder: ApplicationRecorder,
    ledger: Ledger,
    signer: CheckpointSigner,
    checkpoint: Checkpoint,
    file: IO[bytes],
) -> BundleSummary:
    """Write a bundle as a zip archive into an open binary file."""
    target = _Target(archive=file)
    try:
        return _write_bundle(recorder, ledger, signer, checkpoint, target)
    finally:
        target.close()
