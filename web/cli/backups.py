"""Back the whole store up to a file, and restore it."""

from __future__ import annotations

from pathlib import Path

import click

from incidents.persistence import redact
from web.cli.common import database_url, reports_errors
from web.cli.progress import Progress


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@reports_errors
def backup(path: Path) -> None:
    """Copy the whole store to a new file, while the service runs."""
    from incidents.backup import back_up

    with Progress("Copying pages", 0) as shown:

        def copied(done: int, total: int) -> None:
            shown.total = total
            shown.update(done)

        back_up(database_url(), path, progress=copied)
    click.echo(f"Backed up {redact(database_url())} to {path}.")


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.confirmation_option(
    prompt="Replace the whole store with this backup?",
    help="Do not ask for confirmation.",
)
@reports_errors
def restore(path: Path) -> None:
    """Replace the whole store with a backup; stop the service first."""
    from incidents.backup import restore as restore_backup

    restore_backup(database_url(), path)
    click.echo(f"Restored {redact(database_url())} from {path}.")
