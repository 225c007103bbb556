"""Manage the people who use the log: register, list, change, deactivate."""

from __future__ import annotations

import click

from incidents.vocabulary import Role
from web.cli.common import Group, cli_actor, open_log, reports_errors
from web.cli.passwords import new_password

ROLES = click.Choice([role.value for role in Role])
PASSWORD_STDIN = click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input "
    "(otherwise it is asked twice at the terminal).",
)
OFFICES = click.option(
    "--office",
    "offices",
    multiple=True,
    metavar="CODE",
    help="An office the person covers (repeat); none means every office.",
)


def _scope(offices: list[str] | None) -> str:
    return "every office" if offices is None else ", ".join(offices)


@click.group(cls=Group)
def users() -> None:
    """Manage the people who use the log."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=ROLES, help="What the person may do.")
@OFFICES
@click.option("--display-name", default=None, help="How the person is shown.")
@click.option(
    "--email", default=None, metavar="ADDR", help="Where notifications are sent."
)
@click.option(
    "--language",
    type=click.Choice(["fr", "en"]),
    default=None,
    help="The language of the person's mail (default fr).",
)
@PASSWORD_STDIN
@click.option(
    "--no-password",
    is_flag=True,
    help="Register a person who cannot sign in on the pages (API tokens only).",
)
@reports_errors
def add_user(
    name: str,
    role: str,
    offices: tuple[str, ...],
    display_name: str | None,
    email: str | None,
    language: str | None,
    password_stdin: bool,
    no_password: bool,
) -> None:
    """Register a person with a role and the offices they cover.

    \b
    Examples:
      incidents users add amina --role mediator --office nanterre-centre
      incidents users add paul --role officer --office nanterre-centre \\
          --email paul@example.fr --language en --no-password
      printf '%s\\n' "$PASSWORD" | incidents users add paul --role officer \\
          --password-stdin
    """
    if no_password and password_stdin:
        raise click.UsageError("Give --password-stdin or --no-password, not both.")
    password = None if no_password else new_password(from_stdin=password_stdin)
    log = open_log()
    user = log.register_user(
        actor=cli_actor(),
        name=name,
        role=role,
        offices=list(offices) or None,
        display_name=display_name,
        password=password,
        email=email,
        language=language,
    )
    click.echo(
        f"Registered {user['name']} ({user['role']}) for {_scope(user['offices'])}."
    )


@users.command("list")
@reports_errors
def list_users() -> None:
    """List every person: name, role, offices, state and API tokens."""
    people = open_log(reading=True).list_users()
    for user in people:
        state = "active" if user["is_active"] else "deactivated"
        click.echo(
            f"{user['name']:<16} {user['role']:<9} {state:<11} "
            f"{len(user['tokens'])} token(s)  {_scope(user['offices'])}"
        )
    click.echo(f"{len(people)} person(s).", err=True)


@users.command("set-password")
@click.argument("name")
@PASSWORD_STDIN
@reports_errors
def set_password(name: str, password_stdin: bool) -> None:
    """Give a person a new password (only its argon2 hash is kept)."""
    log = open_log()
    log.get_user(name)  # An unknown name is refused before the password is asked.
    log.set_password(name, new_password(from_stdin=password_stdin))
    click.echo(f"Set a new password for {name}.")


@users.command("set-role")
@click.argument("name")
@click.argument("role", type=ROLES)
@reports_errors
def set_role(name: str, role: str) -> None:
    """Give a person another role."""
    user = open_log().change_role(name, actor=cli_actor(), role=role)
    click.echo(f"{user['name']} is now {user['role']}.")


@users.command("set-offices")
@click.argument("name")
@OFFICES
@reports_errors
def set_offices(name: str, offices: tuple[str, ...]) -> None:
    """Change the offices a person covers; without --office, every office."""
    user = open_log().change_offices(
        name, actor=cli_actor(), offices=list(offices) or None
    )
    click.echo(f"{user['name']} now covers {_scope(user['offices'])}.")


@users.command("set-email")
@click.argument("name")
@click.option("--email", default=None, metavar="ADDR", help="The new address.")
@click.option("--no-email", is_flag=True, help="Remove the address.")
@click.option(
    "--language",
    type=click.Choice(["fr", "en"]),
    default=None,
    help="The language of the person's mail.",
)
@reports_errors
def set_email(
    name: str, email: str | None, no_email: bool, language: str | None
) -> None:
    """Change where a person's notifications go, and in which language."""
    if email is not None and no_email:
        raise click.UsageError("Give --email or --no-email, not both.")
    if email is None and not no_email and language is None:
        raise click.UsageError("Give --email, --no-email or --language.")
    user = open_log().change_mail_settings(
        name,
        actor=cli_actor(),
        email=None if no_email else (email if email is not None else ...),
        language=language if language is not None else ...,
    )
    where = "no address" if user["email"] is None else "an address"
    click.echo(f"{user['name']} now has {where}, in {user['language']}.")


@users.command("deactivate")
@click.argument("name")
@click.option("--reason", required=True, help="Why the person loses their rights.")
@reports_errors
def deactivate(name: str, reason: str) -> None:
    """Withdraw a person's rights (sign-in and tokens), keeping their history."""
    user = open_log().deactivate_user(name, actor=cli_actor(), reason=reason)
    click.echo(f"Deactivated {user['name']}: they can no longer sign in or use tokens.")
