"""Read a new password from standard input or from a prompt typed twice."""

from __future__ import annotations

import sys

import click

from incidents.errors import InvalidInputError


def new_password(*, from_stdin: bool) -> str:
    """Return the password given on stdin, or typed twice at a terminal.

    Without a terminal and without ``from_stdin`` there is no way to ask, and
    the command refuses rather than leave a person who can never sign in.
    """
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise InvalidInputError.field(
                "password", "Standard input held no password."
            )
        return line
    if not sys.stdin.isatty():
        raise click.UsageError(
            "No terminal to ask for the password: give it on standard input "
            "with --password-stdin."
        )
    typed: str = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    return typed
