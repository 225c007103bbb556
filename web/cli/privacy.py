"""Erase visitors' contact details: one incident, or by the retention policy."""

from __future__ import annotations

import os
from uuid import UUID

import click

from incidents.personal_data import (
    DEFAULT_RETENTION_MONTHS,
    retention_cutoff,
    retention_reason,
)
from web.cli.common import cli_actor, open_log, reports_errors


@click.command()
@click.argument("incident_id", type=click.UUID)
@click.option("--reason", required=True, help="Why the contact must be erased.")
@reports_errors
def erase(incident_id: UUID, reason: str) -> None:
    """Erase the visitor's contact details from an incident, for good."""
    log = open_log()
    log.erase_personal_data(incident_id, actor=cli_actor(), reason=reason)
    click.echo(f"Erased the contact of incident {incident_id}.")


@click.group()
def retention() -> None:
    """Apply the retention policy to visitors' contact details."""


@retention.command("apply")
@click.option(
    "--months",
    type=click.IntRange(1, 600),
    default=lambda: int(
        os.environ.get("INCIDENTS_RETENTION_MONTHS") or DEFAULT_RETENTION_MONTHS
    ),
    show_default=f"INCIDENTS_RETENTION_MONTHS or {DEFAULT_RETENTION_MONTHS}",
    help="Months after closing after which a contact is erased.",
)
@reports_errors
def apply_retention(months: int) -> None:
    """Erase the contacts of incidents closed longer ago than the period.

    Safe to run daily: an incident already erased is not touched again.
    """
    from projections.projector import Projector
    from projections.queries import ReadModels
    from projections.retention import erase_contacts_closed_before

    log = open_log()
    cutoff = retention_cutoff(log.clock(), months)
    due = erase_contacts_closed_before(
        log,
        ReadModels(Projector(log)),
        cutoff=cutoff,
        reason=retention_reason(months),
    )
    for incident_id in due:
        click.echo(f"Erased the contact of incident {incident_id}.")
    click.echo(
        f"{len(due)} contact(s) erased: incidents closed before "
        f"{cutoff.date().isoformat()} ({months} months)."
    )
