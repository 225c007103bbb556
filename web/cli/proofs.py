"""The auditors' proof commands: prove an incident's events, check a proof offline."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

import click

from web.cli.common import EXIT_FAILED, open_log, reports_errors, write_private


@click.command()
@click.argument("incident_id", type=click.UUID)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the proof to this file (mode 600) instead of standard output.",
)
@reports_errors
def prove(incident_id: UUID, output: Path | None) -> None:
    """Write RFC 6962 inclusion proofs of every event of one incident, as JSON.

    Each event's leaf hash has its audit path to the root of a signed
    checkpoint covering them all. Check it anywhere, offline:

    \b
        incidents prove 3f0c...e1 --output proof.json
        incidents verify-proof proof.json --key-id KEY_ID
    """
    from incidents.evidence import Evidence
    from incidents.evidence.proofs import Prover

    document = Prover(Evidence(open_log())).inclusion(incident_id)
    text = json.dumps(document, indent=2) + "\n"
    checkpoint = document["checkpoint"]
    summary = (
        f"Proved {len(document['leaves'])} events of incident {incident_id} in the "
        f"log of {checkpoint['size']} events signed by key {checkpoint['key_id']}."
    )
    if output is None:
        click.echo(text, nl=False)
    else:
        write_private(output, text)
    click.echo(summary, err=True)


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
