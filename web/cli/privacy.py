"""Erase visitors' contact details: one incident, or by the retention policy."""

from __future__ import annotations

from uuid import UUID

import click

from incidents.personal_data import (
    DEFAULT_RETENTION_MONTHS,
    retention_cutoff,
    retention_reason,
)
from web.cli.common import Group, cli_actor, open_log, reports_errors
from web.config import whole_number

MAX_RETENTION_MONTHS = 600


@click.command()
@click.argument("incident_id", type=click.UUID)
@click.option("--reason", required=True, help="Why the contact must be erased.")
@reports_errors
def erase(incident_id: UUID, reason: str) -> None:
    """Erase the visitor's contact details from an incident, for good."""
    log = open_log()
    log.erase_personal_data(incident_id, actor=cli_actor(), reason=reason)
    click.echo(f"Erased the contact of incident {incident_id}.")


@click.group(cls=Group)
def retention() -> None:
    """Apply the retention policy to visitors' contact details."""


@retention.command("apply")
@click.option(
    "--months",
    type=click.IntRange(1, MAX_RETENTION_MONTHS),
    show_default=f"INCIDENTS_RETENTION_MONTHS or {DEFAULT_RETENTION_MONTHS}",
    help="Months after closing after which a contact is erased.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="List the incidents whose contact is due; erase nothing.",
)
@click.option(
    "--yes",
    "confirmed",
    is_flag=True,
    help="Erase without asking (for timers and cron).",
)
@reports_errors
def apply_retention(months: int | None, dry_run: bool, confirmed: bool) -> None:
    """Erase the contacts of incidents closed longer ago than the period.

    Safe to run daily: an incident already erased is not touched again.

    \b
    Examples:
      incidents retention apply --dry-run
      incidents retention apply --months 24 --yes
    """
    from projections.projector import Projector
    from projections.queries import ReadModels
    from projections.retention import contacts_due, erase_contacts

    if months is None:
        months = whole_number(
            "INCIDENTS_RETENTION_MONTHS",
            default=DEFAULT_RETENTION_MONTHS,
            low=1,
            high=MAX_RETENTION_MONTHS,
        )
    log = open_log()
    cutoff = retention_cutoff(log.clock(), months)
    due = contacts_due(ReadModels(Projector(log)), cutoff=cutoff)
    period = f"incidents closed before {cutoff.date().isoformat()} ({months} months)"
    if dry_run:
        for incident_id in due:
            click.echo(f"Would erase the contact of incident {incident_id}.")
        click.echo(f"{len(due)} contact(s) due: {period}. Nothing erased (--dry-run).")
        return
    if due and not confirmed:
        click.confirm(
            f"Erase the contacts of {len(due)} incident(s), for good?", abort=True
        )
    for incident_id in erase_contacts(log, due, retention_reason(months)):
        click.echo(f"Erased the contact of incident {incident_id}.")
    click.echo(f"{len(due)} contact(s) erased: {period}.")
