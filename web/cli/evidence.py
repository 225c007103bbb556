"""The auditors' commands: verify the history, sign checkpoints, export evidence."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from incidents.application import IncidentLog
from incidents.evidence.log_reading import reading_progress
from web.cli.common import open_log, reports_errors
from web.cli.progress import Progress

if TYPE_CHECKING:
    from incidents.evidence import Checkpoint, Evidence
    from incidents.evidence.ledger import Head
    from incidents.evidence.proofs import Prover


# Verifiable history (ADRs 0008 and 0011).

# `incidents verify`'s exit code when a key it checks with is missing
# (1: damage found; 2: usage, as click says; 3 is kept for an unreachable store).
MISSING_KEY = 4


def open_evidence(log: IncidentLog) -> Evidence:
    from incidents.evidence import Evidence

    return Evidence(log)


def read_held(*paths: Path) -> list[Checkpoint]:
    """Read every checkpoint of the files an auditor kept; refuse in one line."""
    from incidents.evidence import read_checkpoints

    held: list[Checkpoint] = []
    for path in paths:
        try:
            found = read_checkpoints(path)
        except (OSError, ValueError, UnicodeDecodeError) as error:
            raise click.ClickException(
                f"Cannot read a checkpoint from {path}: {error}"
            ) from None
        if not found:
            raise click.ClickException(f"{path} holds no checkpoint.")
        held.extend(found)
    return held


def _check_keys(held: list[Checkpoint], evidence: Evidence) -> None:
    """Refuse held checkpoints signed by a key the store does not know."""
    if not held or not evidence.signer.exists():
        return  # verify then says the key is missing (exit 4).
    known = evidence.signer.key_id
    for checkpoint in held:
        if checkpoint.key_id != known:
            raise click.ClickException(
                f"A held checkpoint (size {checkpoint.size}) was signed by key "
                f"{checkpoint.key_id}, which this store does not know (its key is "
                f"{known})."
            )


def _check_extensions(held: list[Checkpoint], evidence: Evidence) -> None:
    """Prove, for each held checkpoint of the tree root, that the log extends it."""
    from incidents.evidence.proofs import Prover

    trees = [item for item in held if getattr(item, "format", 1) >= 2]
    if not trees:
        return
    prover, head = Prover(evidence), evidence.ledger.head()
    for checkpoint in trees:
        ok = checkpoint.size <= head.size and merkle_extends(prover, checkpoint, head)
        if not ok:
            raise click.ClickException(
                f"History damaged at position {checkpoint.position} "
                f"(checkpoint_mismatch): the log of {head.size} events does not "
                f"extend the held checkpoint of size {checkpoint.size} (RFC 6962 "
                "consistency proof)."
            )


def merkle_extends(prover: Prover, checkpoint: Checkpoint, head: Head) -> bool:
    """Tell whether the tree at the ledger's head extends a held tree root."""
    from incidents.evidence import merkle

    proof = prover.consistency_proof(checkpoint.size, head.size)
    return merkle.verify_consistency(
        checkpoint.size, head.size, checkpoint.root, head.root, proof
    )


HELD_CHECKPOINTS = click.option(
    "--checkpoint",
    "held",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A checkpoint you kept (JSON), which the history must extend (repeat).",
)


@click.command()
@HELD_CHECKPOINTS
@reports_errors
def verify(held: tuple[Path, ...]) -> None:
    """Check that no stored event was changed, removed, inserted or reordered.

    Every event is hashed again from its stored bytes and compared with the
    ledger and every signed checkpoint, and the log must extend every checkpoint
    of the files you kept (one JSON per line). Exit 1 names the first bad
    position; exit 4 says a key to check with is missing. It writes nothing:

    \b
        incidents verify --checkpoint /safe/place/checkpoints.jsonl
    """
    from incidents.evidence import MissingKeyError

    checkpoints = read_held(*held)
    evidence = open_evidence(open_log(to_verify=True))
    _check_keys(checkpoints, evidence)
    try:
        with reading_the_log("Verifying", evidence):
            result = evidence.verify(held=checkpoints)
    except MissingKeyError as error:
        click.echo(f"Error: {error.message}", err=True)
        raise click.exceptions.Exit(MISSING_KEY) from None
    first = result.first_problem
    if first is not None:
        for problem in result.problems[1:]:
            click.echo(f"Also: {problem.kind}: {problem.reason}", err=True)
        raise click.ClickException(
            f"History damaged at position {first.position} ({first.kind}): "
            f"{first.reason}"
        )
    _check_extensions(checkpoints, evidence)
    click.echo(
        f"Verified {result.checked} events up to position {result.position} "
        f"against the ledger and {result.checkpoints} signed checkpoints."
    )
    click.echo(f"Head: {result.head.hex()}")


@click.command()
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also append the checkpoint to this file as one JSON line (mode 600 "
    "when created), to keep every checkpoint elsewhere.",
)
@reports_errors
def checkpoint(output: Path | None) -> None:
    """Sign a checkpoint of the ledger's head; print it as JSON.

    Keep the JSON outside the service: `incidents verify --checkpoint FILE` and
    `incidents verify-bundle --checkpoint FILE` prove later that the history
    still extends every checkpoint the file holds:

    \b
        incidents checkpoint --output /safe/place/checkpoints.jsonl
        incidents verify --checkpoint /safe/place/checkpoints.jsonl
    """
    from incidents.evidence.signing import dumps_checkpoint

    evidence = open_evidence(open_log())
    signed = evidence.checkpoint()
    text = dumps_checkpoint(signed)
    if output is not None:
        append_line(output, json.dumps(signed.to_json()))
    click.echo(
        f"Checkpoint of {signed.size} events (position {signed.position}) signed "
        f"at {signed.time} by key {signed.key_id}.",
        err=True,
    )
    click.echo(text, nl=False)


@contextlib.contextmanager
def reading_the_log(label: str, evidence: Evidence) -> Iterator[None]:
    """Show the events read so far while a command reads the whole log."""
    with Progress(label, evidence.ledger.head().size) as shown:
        token = reading_progress.set(shown.advance)
        try:
            yield
        finally:
            reading_progress.reset(token)


def append_line(path: Path, line: str) -> None:
    """Append one line to a file, created with mode 600, keeping what it holds."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="ascii") as file:
        file.write(line + "\n")


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@reports_errors
def export(path: Path) -> None:
    """Write an evidence bundle to PATH: a new directory, or a file ending in .zip.

    The bundle holds every event with its hashes, a fresh signed checkpoint,
    the public key and a signed manifest; `incidents verify-bundle` (or a copy
    of incidents/evidence/bundle_verifier.py) checks it offline.
    """
    evidence = open_evidence(open_log())
    with reading_the_log("Exporting", evidence):
        summary = evidence.export(path)
    signed = summary.checkpoint
    click.echo(
        f"Exported {summary.events} events (up to position {summary.position}) "
        f"to {path}, signed at {signed.time} by key {signed.key_id}."
    )
    click.echo(f"Head: {summary.head.hex()}")
    click.echo(
        f"Check it with: incidents verify-bundle {path} --key-id {signed.key_id}"
    )


@click.command("verify-bundle")
@click.argument("path", type=click.Path(exists=True, path_type=Path), metavar="BUNDLE")
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM file of the public key you trust.",
)
@click.option("--key-id", help="Fingerprint (16 hex digits) of the key you trust.")
@HELD_CHECKPOINTS
def verify_bundle(
    path: Path, public_key: Path | None, key_id: str | None, held: tuple[Path, ...]
) -> None:
    """Check an evidence bundle offline; exit 1 saying where it was altered.

    Needs no database: only incidents/evidence/bundle_verifier.py.
    """
    from incidents.evidence import bundle_verifier

    try:
        pem = public_key.read_bytes() if public_key is not None else None
        kept = [
            item for file in held for item in bundle_verifier.read_checkpoint_file(file)
        ]
    except (OSError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    with Progress("Checking events", 0) as shown:
        report = bundle_verifier.verify_bundle(
            path, public_key_pem=pem, key_id=key_id, held=kept, progress=shown.advance
        )
    for line in report.describe():
        click.echo(line, err=not report.ok)
    if not report.ok:
        raise click.exceptions.Exit(1)
