"""Issue, list and revoke the API tokens people use as bearer tokens."""

from __future__ import annotations

from uuid import UUID

import click

from web.cli.common import Group, cli_actor, open_log, reports_errors


@click.group(cls=Group)
def tokens() -> None:
    """Issue, list and revoke the API tokens people use as bearer tokens."""


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


@tokens.command("list")
@click.argument("name", required=False)
@reports_errors
def list_tokens(name: str | None) -> None:
    """List the live API tokens (id, owner, label): one person's, or everyone's."""
    log = open_log(reading=True)
    people = [log.get_user(name)] if name is not None else log.list_users()
    count = 0
    for user in people:
        for token in user["tokens"]:
            count += 1
            click.echo(f"{token['id']}  {user['name']:<16} {token['label'] or ''}")
    click.echo(f"{count} live token(s).", err=True)


@tokens.command("revoke")
@click.argument("name")
@click.argument("token_id", type=click.UUID)
@click.option("--reason", required=True, help="Why the token must open nothing more.")
@reports_errors
def revoke_token(name: str, token_id: UUID, reason: str) -> None:
    """Revoke an API token of a person, by its id (`incidents tokens list`)."""
    log = open_log()
    log.revoke_token(name, token_id, actor=cli_actor(), reason=reason)
    click.echo(f"Revoked token {token_id} of {name}.")
