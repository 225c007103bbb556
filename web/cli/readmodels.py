"""Rebuild the read models from the first event, or check them against a rebuild."""

from __future__ import annotations

import click

from web.cli.common import open_log, reports_errors
from web.cli.progress import Progress

MAX_DIFFERENCES_SHOWN = 50


@click.command()
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Rebuild into scratch tables and compare them with the live ones.",
)
@reports_errors
def replay(check_only: bool) -> None:
    """Rebuild every read model from the first event, then swap them in."""
    from projections.projector import Projector
    from projections.replay import check, rebuild

    log = open_log()
    projector = Projector(log)
    head = log.recorder.max_notification_id() or 0
    label = "Checking" if check_only else "Rebuilding"
    with Progress(label, head) as shown:
        if check_only:
            result = check(
                projector, progress=lambda batch: shown.advance(batch.applied)
            )
        else:
            rebuilt = rebuild(
                projector, progress=lambda batch: shown.advance(batch.applied)
            )
    if not check_only:
        click.echo(
            f"Rebuilt the read models from {rebuilt.events} events in "
            f"{rebuilt.seconds:.2f} s ({rebuilt.events_per_second:,.0f} events/s)."
        )
        return
    for difference in result.differences[:MAX_DIFFERENCES_SHOWN]:
        click.echo(difference.describe())
    hidden = len(result.differences) - MAX_DIFFERENCES_SHOWN
    if hidden > 0:
        click.echo(f"... and {hidden} more differences.")
    if result.differences:
        raise click.ClickException(
            f"{len(result.differences)} read-model rows differ from a rebuild "
            f"at position {result.position}: run `incidents replay` to rebuild."
        )
    click.echo(f"The read models match a rebuild from the {result.position} events.")
