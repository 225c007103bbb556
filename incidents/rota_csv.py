"""Read and write a rota as CSV, the form an association's planner already keeps.

UTF-8 (a byte-order mark is accepted), ``;`` or ``,`` between fields, a header
line ``mediator;office;day;start;end``, one shift a line::

    mediator;office;day;start;end
    amina;nanterre-centre;2026-12-07;09:00;12:30

Lines are numbered as a spreadsheet numbers them: the header is line 1. A line
that cannot be read is reported by its number; blank lines are skipped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from incidents.application.rota import PlannedShift
from incidents.errors import InvalidInputError

COLUMNS = ("mediator", "office", "day", "start", "end")
HEADER = ";".join(COLUMNS)
MAX_LINES = 2000


def parse_rota(
    data: bytes, *, allow_sunday: bool = False
) -> list[tuple[int, PlannedShift]]:
    """Return each line's shift with its line number, or raise what was wrong."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInputError.field(
            "file", f"Save the file as UTF-8 (byte {error.start} is not)."
        ) from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InvalidInputError.field("line 1", f"Start with the header {HEADER}.")
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    # Lines as a spreadsheet counts them: a lone carriage return ends one too.
    text = "\n".join(lines)
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        return _read(rows, delimiter, allow_sunday=allow_sunday)
    except csv.Error as error:
        raise InvalidInputError.field(
            f"line {rows.line_num + 1}", f"This is not valid CSV ({error})."
        ) from None


def _read(
    rows: Any, delimiter: str, *, allow_sunday: bool
) -> list[tuple[int, PlannedShift]]:
    header = [name.strip().lower() for name in next(rows)]
    if tuple(header) != COLUMNS:
        raise InvalidInputError.field(
            "line 1",
            f"The header must be {HEADER} (with ; or ,), not {delimiter.join(header)}.",
        )
    plans: list[tuple[int, PlannedShift]] = []
    errors: dict[str, str] = {}
    for row in rows:
        number = rows.line_num
        if number > MAX_LINES:
            raise InvalidInputError.field(
                "file", f"Send at most {MAX_LINES - 1} shifts at a time."
            )
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(COLUMNS):
            errors[f"line {number}"] = (
                f"Give {len(COLUMNS)} fields ({HEADER}), not {len(row)}."
            )
            continue
        cells = dict(zip(COLUMNS, (cell.strip() for cell in row), strict=True))
        plans.append(
            (
                number,
                PlannedShift(
                    mediator=cells["mediator"],
                    office=cells["office"],
                    day=cells["day"],
                    start=cells["start"],
                    end=cells["end"],
                    allow_sunday=allow_sunday,
                ),
            )
        )
    if errors:
        raise InvalidInputError(errors)
    return plans


def write_rota(shifts: Iterable[Mapping[str, Any]]) -> str:
    """Return the planned shifts as a CSV file the import reads back as it is."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(COLUMNS)
    for shift in shifts:
        writer.writerow(
            [
                shift["mediator"],
                shift["office"],
                shift["day"].isoformat(),
                shift["start"],
                shift["end"],
            ]
        )
    return out.getvalue()
