"""Manage people and their API tokens."""

from __future__ import annotations

import sys
from uuid import UUID

import click

from incidents.errors import InvalidInputError
from incidents.vocabulary import Role
from web.cli.common import cli_actor, open_log, reports_errors


@click.group()
def users() -> None:
    """Manage the people who use the log."""


@users.command("add")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice([role.value for role in Role]),
    help="What the person may do.",
)
@click.option(
    "--office",
    "offices",
    multiple=True,
    metavar="CODE",
    help="An office the person covers (repeat); none means every office.",
)
@click.option("--display-name", default=None, help="How the person is shown.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input.",
)
@reports_errors
def add_user(
    name: str,
    role: str,
    offices: tuple[str, ...],
    display_name: str | None,
    password_stdin: bool,
) -> None:
    """Register a person with a role and the offices they cover."""
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InvalidInputError.field(
                "password", "Standard input held no password."
            )
    log = open_log()
    user = log.register_user(
        actor=cli_actor(),
        name=name,
        role=role,
        offices=list(offices) or None,
        display_name=display_name,
        password=password,
    )
    scope = "every office" if user["offices"] is None else ", ".join(user["offices"])
    click.echo(f"Registered {user['name']} ({user['role']}) for {scope}.")


@click.group()
def tokens() -> None:
    """Issue and revoke the API tokens people use as bearer tokens."""


@tokens.command("issue")
@click.argument("name")
@click.option("--label", default=None, help="What the token is for, e.g. a device.")
@reports_errors
def issue_token(name: str, label: str | None) -> None:
    """Issue an API token for a person; print it alone on the last line.

    The token is shown only this once: the log keeps its hash, never the token.
    """
    log = open_log()
    issued = log.issue_token(name, actor=cli_actor(), label=label)
    described = f" ({label})" if label else ""
    click.echo(
        f"Issued token {issued.token_id}{described} to {name}; "
        "it is shown only now, on the next line:"
    )
    click.echo(issued.token)


@tokens.command("revoke")
@click.argument("name")
@click.argument("token_id", type=click.UUID)
@click.option("--reason", required=True, help="Why the token must open nothing more.")
@reports_errors
def revoke_token(name: str, token_id: UUID, reason: str) -> None:
    """Revoke an API token of a person, by its id."""
    log = open_log()
    log.revoke_token(name, token_id, actor=cli_actor(), reason=reason)
    click.echo(f"Revoked token {token_id} of {name}.")
