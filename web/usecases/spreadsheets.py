"""Write the incident list and an office's figures as spreadsheets: CSV and XLSX.

CSV is written the way French Excel opens it without a question: UTF-8 with a
byte order mark, ``;`` between cells, CRLF line ends, a header line. A cell that
a spreadsheet would take for a formula (it starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) is prefixed with ``'``, so that text typed by
a person (a summary) can never run as a formula on the officer's computer. In
XLSX every text cell is stored as a string, never as a formula, whatever it
starts with, so the text is kept as it was typed.

A visitor's contact is never in a spreadsheet: the incident list's rows do not
hold one, and the office's figures are counts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from web.usecases.labels import label

Cell = str | int | float | None

# One column per field of an item of GET /incidents, in the API's order.
LIST_COLUMNS = (
    "id",
    "version",
    "position",
    "office",
    "status",
    "occurred_at",
    "recorded_at",
    "modified_at",
    "category",
    "severity",
    "target",
    "trigger",
    "summary",
    "resolution",
    "scheduled_follow_ups",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LANGUAGES = ("fr", "en")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Each section of the office summary, and how its figures are named.
SECTIONS = {
    "incidents": _l("Incidents"),
    "de_escalations": _l("Désescalades"),
    "escalations": _l("Escalades"),
    "follow_ups": _l("Suivis"),
    "time_to_close_hours": _l("Délai de clôture (heures)"),
}
FIGURES = {
    "total": _l("total"),
    "open": _l("en cours"),
    "calmed_rate": _l("part apaisée"),
    "scheduled": _l("prévus"),
    "completed": _l("faits"),
    "cancelled": _l("annulés"),
    "overdue": _l("en retard"),
    "median": _l("médiane"),
    "p90": _l("90e centile"),
}
# Breakdowns by a code of the vocabulary: its name, and the kind of its labels.
BREAKDOWNS = {
    "by_category": (_l("par catégorie"), "category"),
    "by_severity": (_l("par gravité"), "severity"),
    "by_target": (_l("par cible"), "target"),
    "by_trigger": (_l("par déclencheur"), "trigger"),
    "by_outcome": (_l("par issue"), "outcome"),
}


def neutralise(value: Cell) -> Cell:
    """Return a cell's value that no spreadsheet takes for a formula (CSV)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """Return a CSV file: BOM, ``;``, CRLF, header line, formulas neutralised."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(name) for name in header])
    for row in rows:
        writer.writerow(["" if cell is None else neutralise(cell) for cell in row])
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def xlsx_bytes(
    title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> bytes:
    """Return an XLSX workbook of one sheet; text cells are strings, never formulas."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)

    def cells(values: Sequence[Cell]) -> list[Any]:
        made = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                # openpyxl makes a formula of any text starting with "=".
                cell.data_type = "s"
            made.append(cell)
        return made

    sheet.append(cells(header))
    for row in rows:
        sheet.append(cells(row))
    written = io.BytesIO()
    workbook.save(written)
    return written.getvalue()


def incident_rows(items: Iterable[Mapping[str, Any]]) -> list[list[Cell]]:
    """Return the cells of incident list items, one column per field."""
    return [[_cell(item.get(column)) for column in LIST_COLUMNS] for item in items]


def summary_rows(summary: Mapping[str, Any], language: str) -> list[list[Cell]]:
    """Return one row per figure of an office summary: key, label, value."""
    rows: list[list[Cell]] = []
    with force_locale(language):
        for section, figures in summary.items():
            if section not in SECTIONS:
                continue  # office, from, to, as_of: the file's name says them
            for key, value in _leaves(section, figures):
                rows.append([key, figure_label(key), _cell(value)])
    return rows


def figure_label(key: str) -> str:
    """Return the label of a figure's key, in the current language."""
    section, *rest = key.split(".")
    name = str(SECTIONS[section])
    if section == "escalations" and rest[:1] == ["by_target"]:
        figure = label("escalation_target", rest[1])
    elif rest and rest[0] in BREAKDOWNS:
        breakdown, kind = BREAKDOWNS[rest[0]]
        name, figure = f"{name} {breakdown}", label(kind, rest[1])
    else:
        figure = str(FIGURES.get(rest[0], rest[0])) if rest else ""
    return str(gettext("%(name)s : %(figure)s", name=name, figure=figure))


def _leaves(prefix: str, value: Any) -> Iterable[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _leaves(f"{prefix}.{key}", inner)
    else:
        yield prefix, value


def _cell(value: Any) -> Cell:
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)
