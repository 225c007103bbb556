"""Every command's help says what it does, whole, and every option says what it is."""

from __future__ import annotations

import re

import click
from click.testing import CliRunner

from web.cli import main


def every_command(
    command: click.Command = main, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        for name in command.list_commands(click.Context(command)):
            sub = command.get_command(click.Context(command), name)
            assert sub is not None
            found += every_command(sub, (*path, name))
    return found


def test_no_summary_is_cut_in_a_list_of_commands():
    for path, command in every_command():
        if not isinstance(command, click.Group):
            continue
        shown = CliRunner().invoke(main, [*path, "-h"], terminal_width=80)
        assert shown.exit_code == 0, shown.output
        listed = " ".join(shown.output.split("Commands:", 1)[1].split())
        assert "..." not in listed, (path, shown.output)
        for name in command.list_commands(click.Context(command)):
            sub = command.get_command(click.Context(command), name)
            assert sub is not None
            first_sentence = re.split(r"(?<=\.)\s", " ".join((sub.help or "").split()))[
                0
            ]
            assert first_sentence in listed, (path, name)


def test_every_option_has_help():
    for path, command in every_command():
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                assert param.help, (path, param.name)
