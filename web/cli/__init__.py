"""Run the ``incidents`` command line: one module per group of commands."""

from __future__ import annotations

import sqlite3

import click
from eventsourcing.persistence import PersistenceError

from web.cli import (
    backups,
    bench,
    demo,
    evidence,
    notify,
    people,
    privacy,
    proofs,
    readmodels,
    reports,
    serving,
    tokens,
)
from web.cli.common import Group, StoreUnusable
from web.cli.failures import describe

# The commands that run until stopped, and log as a service does.
SERVICES = frozenset({"serve", "project", "notify"})


class CommandLine(Group):
    """The root group: any failure left unexplained still ends in one line."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            if ctx.params.get("debug"):
                raise
            if isinstance(error, sqlite3.Error | PersistenceError):
                # The database refused (a full disk, a read-only file): exit 3.
                raise StoreUnusable(describe(error)) from None
            raise click.ClickException(describe(error)) from None


@click.group(cls=CommandLine, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="incidents")
@click.option(
    "--debug", is_flag=True, help="Show the traceback of an unexpected failure."
)
@click.pass_context
def main(context: click.Context, debug: bool) -> None:
    """Keep the incident log of the mediators' post offices.

    The store is named by INCIDENTS_DATABASE_URL (default: a SQLite file in the
    instance folder).
    """
    if context.invoked_subcommand in SERVICES:
        # Services log JSON lines to standard error (docs/operations.md); the
        # other commands speak to a person and keep Python's plain warnings.
        from incidents.errors import IncidentsError
        from web.cli.common import SettingRefused
        from web.logs import configure_logging

        try:
            configure_logging()
        except IncidentsError as error:
            raise SettingRefused(error.message) from None


for command in (
    serving.serve,
    serving.project,
    notify.notify,
    demo.demo,
    readmodels.replay,
    people.users,
    tokens.tokens,
    privacy.erase,
    privacy.retention,
    backups.backup,
    backups.restore,
    bench.bench,
    evidence.verify,
    evidence.checkpoint,
    evidence.export,
    evidence.verify_bundle,
    proofs.prove,
    proofs.verify_proof,
    reports.report,
):
    main.add_command(command)
