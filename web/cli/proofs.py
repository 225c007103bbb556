"""The auditors' proof commands: prove an incident's events or a held checkpoint,
check a proof offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import click

from web.cli.common import (
    EXIT_FAILED,
    EXIT_MISSING_KEY,
    open_log,
    reports_errors,
    write_private,
)
from web.cli.evidence import read_held

if TYPE_CHECKING:
    from incidents.evidence import Evidence


@click.command()
@click.argument("incident_id", type=click.UUID, required=False)
@click.option(
    "--checkpoint",
    "held_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Instead of an incident: a checkpoint file you kept (as `incidents "
    "checkpoint --output` writes it); prove that the log extends its last line.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the proof to this file (mode 600) instead of standard output.",
)
@reports_errors
def prove(
    incident_id: UUID | None, held_file: Path | None, output: Path | None
) -> None:
    """Write RFC 6962 proofs, as JSON: an incident's events, or a held checkpoint.

    With INCIDENT_ID, each event of that incident gets its leaf hash and audit
    path to the root of a signed checkpoint covering them all. With
    --checkpoint, the proof that the log of the newest signed checkpoint (one
    is signed at the head if none is there) extends the checkpoint on the
    file's last line. Check either anywhere, offline:

    \b
        incidents prove 3f0c...e1 --output proof.json
        incidents prove --checkpoint held.jsonl --output consistency.json
        incidents verify-proof proof.json --key-id KEY_ID
    """
    if (incident_id is None) == (held_file is None):
        raise click.UsageError("Give either INCIDENT_ID or --checkpoint FILE.")
    from incidents.evidence import Evidence
    from incidents.evidence.proofs import Prover

    evidence = Evidence(open_log())
    if held_file is not None:
        document, summary = _consistency(evidence, held_file)
    else:
        assert incident_id is not None  # noqa: S101 (checked above)
        document = Prover(evidence).inclusion(incident_id)
        checkpoint = document["checkpoint"]
        summary = (
            f"Proved {len(document['leaves'])} events of incident {incident_id} "
            f"in the log of {checkpoint['size']} events signed by key "
            f"{checkpoint['key_id']}."
        )
    text = json.dumps(document, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        write_private(output, text)
    click.echo(summary, err=True)


def _consistency(evidence: Evidence, held_file: Path) -> tuple[dict[str, Any], str]:
    """Return the consistency proof of the file's last checkpoint, and a summary."""
    from incidents.evidence.proofs import Prover

    held = read_held(held_file)[-1]
    if not evidence.signer.exists():
        click.echo(
            f"Error: The held checkpoint cannot be checked: the signing key "
            f"{evidence.signer.key_path} is missing.",
            err=True,
        )
        raise click.exceptions.Exit(EXIT_MISSING_KEY)
    document = Prover(evidence).consistency(held)
    new = document["new"]
    summary = (
        f"Proved that the log of {new['size']} events (position {new['position']}) "
        f"extends the held checkpoint of {held.size} events (position "
        f"{held.position}), both signed by key {new['key_id']}."
    )
    return document, summary


@click.command("verify-proof")
@click.argument("path", type=click.Path(path_type=Path), metavar="FILE")
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM file of the public key you trust (else the file's own key).",
)
@click.option("--key-id", help="Fingerprint (16 hex digits) of the key you trust.")
def verify_proof(path: Path, public_key: Path | None, key_id: str | None) -> None:
    """Check a proof file offline; exit 1 saying which hash does not hold.

    Needs no database, only incidents/evidence/bundle_verifier.py:

    \b
        incidents verify-proof proof.json --key-id 0a1b2c3d4e5f6a7b
    """
    from incidents.evidence import bundle_verifier

    try:
        pem = public_key.read_bytes() if public_key is not None else None
    except OSError as error:
        raise click.UsageError(str(error)) from None
    report = bundle_verifier.verify_proof_file(path, pem, key_id=key_id)
    for line in report.describe():
        click.echo(line, err=not report.ok)
    if not report.ok:
        raise click.exceptions.Exit(EXIT_FAILED)
