"""Load the demonstration: offices, one person per role, weeks of incidents."""

from __future__ import annotations

from datetime import date

import click

from incidents.application import IncidentLog
from web.cli.common import open_log, reports_errors, write_private
from web.cli.progress import Progress
from web.config import default_instance_path

DEMO_CREDENTIALS_FILE = "demo-credentials.txt"


@click.command()
@click.option(
    "--if-empty",
    is_flag=True,
    help="Load nothing when people are already registered.",
)
@click.option("--seed", default=92, show_default=True, help="Seed of the generator.")
@click.option(
    "--weeks",
    default=6,
    show_default=True,
    type=click.IntRange(1, 104),
    help="Weeks of incidents, ending today.",
)
@click.option(
    "--events",
    type=click.IntRange(1, 100_000_000),
    help="Instead of weeks, append about this many events, fast (for sizing).",
)
@reports_errors
def demo(if_empty: bool, seed: int, weeks: int, events: int | None) -> None:
    """Load offices, one person per role and some weeks of realistic incidents.

    With --events N, append the same kind of stories, ending today, until the
    log holds about N more events: a large history written in minutes (the
    people are registered first if the log has none).
    """
    from demo import load_demo

    log = open_log()
    credentials_file = default_instance_path() / DEMO_CREDENTIALS_FILE
    if events is not None and not (if_empty and log.list_users()):
        _append_history(log, events=events, seed=seed)
        return
    if if_empty and log.list_users():
        hint = (
            f" (demo sign-ins are in {credentials_file})"
            if credentials_file.exists()
            else ""
        )
        click.echo(f"The database already holds people: no demo loaded{hint}.")
        return
    result = load_demo(log, today=date.today(), seed=seed, weeks=weeks)
    lines = [
        f"{name:<14} {role:<9} {password}"
        for name, role, password in result.credentials
    ]
    write_private(credentials_file, "\n".join(lines) + "\n")
    click.echo(
        f"Loaded {result.incidents} incidents ({result.events} events) "
        f"over {weeks} weeks."
    )
    click.echo("Sign in with (also kept in " + str(credentials_file) + "):")
    for line in lines:
        click.echo("  " + line)


def _append_history(log: IncidentLog, *, events: int, seed: int) -> None:
    from demo import generate_history, register_people

    if not log.list_users():
        credentials = register_people(log)
        credentials_file = default_instance_path() / DEMO_CREDENTIALS_FILE
        write_private(
            credentials_file,
            "".join(
                f"{name:<14} {role:<9} {password}\n"
                for name, role, password in credentials
            ),
        )
        click.echo(f"Registered the demo's people: sign-ins are in {credentials_file}.")
    click.echo(f"Planning about {events:,} events, then writing them.", err=True)
    with Progress("Writing", events) as shown:
        written = generate_history(
            log, events=events, today=date.today(), seed=seed, progress=shown.update
        )
    click.echo(
        f"Wrote {written.events} events ({written.incidents} incidents, "
        f"{written.first_day} to {written.last_day}) in {written.seconds:.1f} s "
        f"({written.events / written.seconds:,.0f} events/s)."
    )
