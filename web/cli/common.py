"""What every command shares: the store it opens, who acts, how errors end."""

from __future__ import annotations

import functools
import getpass
import os
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

import click
from eventsourcing.persistence import PersistenceError

from incidents.application import IncidentLog
from incidents.bootstrap import open_incident_log
from incidents.errors import (
    IncidentsError,
    StorageUnavailableError,
    StoreNotUsableError,
)
from incidents.persistence import redact, refusal_cause
from web.cli.failures import postgres_reason
from web.config import (
    default_instance_path,
    ledger_settings,
    settings_from_environment,
)

P = ParamSpec("P")
R = TypeVar("R")


# Exit codes (docs/operations.md): 0 done; 1 refused, or damage found; 2 a usage
# error (click's own); 3 the store cannot be used; 4 a key is missing.
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_STORE = 3
EXIT_MISSING_KEY = 4
# A summary is the first sentence of a command's help, however long.
SUMMARY_LIMIT = 1000


class Group(click.Group):
    """A group that lists each command with its whole summary, wrapped, never cut."""

    def format_commands(
        self, ctx: click.Context, formatter: click.HelpFormatter
    ) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=SUMMARY_LIMIT)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class StoreUnusable(click.ClickException):
    """Say that the store cannot be reached or used, with exit code 3."""

    exit_code = EXIT_STORE


class SettingRefused(click.ClickException):
    """Say which setting (environment variable) holds a bad value, with exit code 2."""

    exit_code = EXIT_USAGE


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the domain's errors into a message and exit code 1, the store's into 3."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except StoreNotUsableError as error:
            raise StoreUnusable(error.message) from None
        except StorageUnavailableError as error:
            raise StoreUnusable(
                f"{error.message} ({refusal_cause(error.reason)})"
            ) from None
        except IncidentsError as error:
            raise click.ClickException(error.message) from None
        except PersistenceError as error:
            url = database_url()
            reason = postgres_reason(url) or " ".join(str(error).split())
            raise StoreUnusable(
                f"Cannot use the database {redact(url)}: {reason}"
            ) from None

    return wrapper


def database_url() -> str:
    url: str = settings_from_environment(default_instance_path())["DATABASE_URL"]
    return url


def open_log(*, to_verify: bool = False, reading: bool = False) -> IncidentLog:
    """Open the configured store; to verify it, without writing anything to it.

    A command that only reads (``reading``, or ``to_verify``) still works when
    the store refuses writes (a full disk, a read-only file): it is then opened
    to read only.
    """
    instance_path = default_instance_path()
    settings = settings_from_environment(instance_path)
    return open_incident_log(
        settings["DATABASE_URL"],
        ledger=ledger_settings(settings, instance_path, migrate=not to_verify),
        load_offices=not (to_verify or reading),
        read_only_if_refused=to_verify or reading,
    )


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
