"""Write an office's report over a period to a file: PDF, CSV or XLSX."""

from __future__ import annotations

import os
import tempfile
from datetime import date, datetime
from pathlib import Path

import click

from web.cli.common import cli_actor, open_log, reports_errors

KINDS = ("pdf", "csv", "xlsx")


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    from incidents.values import day

    return day("from/to", value)


def _instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    from incidents.values import instant

    return instant("as-of", value)


@click.command()
@click.option(
    "--office",
    "offices",
    multiple=True,
    required=True,
    help="An office's code; repeat it for a group of offices.",
)
@click.option("--from", "from_", metavar="YYYY-MM-DD", help="First day (occurred).")
@click.option("--to", metavar="YYYY-MM-DD", help="Last day (occurred).")
@click.option(
    "--as-of",
    metavar="TIME",
    help="As the log knew it then: ISO 8601 with a zone, e.g. 2026-12-01T08:00Z.",
)
@click.option(
    "--lang",
    type=click.Choice(["fr", "en"]),
    default="fr",
    show_default=True,
    help="The report's language.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="The file to write: its suffix (.pdf, .csv, .xlsx) says which.",
)
@reports_errors
def report(
    offices: tuple[str, ...],
    from_: str | None,
    to: str | None,
    as_of: str | None,
    lang: str,
    output: Path,
) -> None:
    """Write the report of offices over a period (last month without --from/--to).

    The PDF holds the key figures against the period before and a year earlier,
    the incidents by week, category, severity, trigger and hour, de-escalations,
    follow-ups, the presence of mediators and the severe incidents; the CSV and
    XLSX hold every figure, one row each. The download is recorded for auditors.

    \b
    Examples:
      incidents report --office 92004 --from 2026-11-01 --to 2026-11-30 \\
        --output novembre.pdf
      incidents report --office 92004 --office 92012 --lang en --output last.xlsx
    """
    kind = output.suffix.lower().lstrip(".")
    if kind not in KINDS:
        raise click.BadParameter(
            "give a file ending in .pdf, .csv or .xlsx", param_hint="--output"
        )
    if not output.parent.is_dir():
        raise click.BadParameter(
            f"the folder {output.parent} does not exist", param_hint="--output"
        )
    from web import create_app
    from web.usecases import downloads
    from web.usecases.reports import report_scope

    log = open_log()
    known = {office["code"] for office in log.list_offices()}
    unknown = [code for code in offices if code not in known]
    if unknown:
        raise click.BadParameter(
            f"no office {', '.join(unknown)} (see the offices' codes)",
            param_hint="--office",
        )
    app = create_app({"INCIDENT_LOG": log, "FOLLOW_LOG": False, "NOTIFY": False})
    from projections.projector import Projector

    # The read models as the log stands now (another process may keep them).
    Projector(log).catch_up()
    with app.app_context():
        scope = report_scope(
            list(offices),
            from_=_day(from_),
            to=_day(to),
            as_of=_instant(as_of),
            language=lang,
        )
        made = downloads.report({"name": cli_actor()}, scope, kind, channel="cli")
    _write_whole(output, made.body)
    click.echo(
        f"Wrote {output} ({len(made.body)} bytes): {', '.join(scope.offices)}, "
        f"{scope.from_} to {scope.to}."
    )
    log.close()


def _write_whole(path: Path, body: bytes) -> None:
    """Write a file whole or not at all: a temporary file beside it, renamed."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(body)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
