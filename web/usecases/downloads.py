"""Make the files people download, each download recorded before it is made.

The JSON API (bearer tokens) and the pages (sessions) offer the same files: the
incident list for some filters, an office's figures. Who took which file with
which parameters is recorded first (``ReportDownloaded``), so that a file found
outside can be traced; a download that cannot be recorded is not made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from web import get_incident_log
from web.usecases import report_pdf, reports, spreadsheets
from web.usecases.read_your_writes import fresh_read_models
from web.usecases.reports import ReportScope

SUMMARY_HEADER = ("key", "label", "value")
KINDS = ("csv", "xlsx")


@dataclass(frozen=True)
class Download:
    """A file to send: its name, its media type and its bytes."""

    name: str
    content_type: str
    body: bytes


def incident_list(
    person: Mapping[str, Any],
    filters: Mapping[str, Any],
    kind: str,
    *,
    channel: str,
) -> Download:
    """Return every incident the list gives for ``filters`` (see incident_filters)."""
    name = f"incidents.{kind}"
    shown = {key: value for key, value in filters.items() if key != "offices"}
    _record(person, name, shown, channel)
    rows = spreadsheets.incident_rows(fresh_read_models().all_incidents(**filters))
    return _made(name, kind, "incidents", spreadsheets.LIST_COLUMNS, rows)


def office_figures(
    person: Mapping[str, Any],
    office: str,
    kind: str,
    *,
    from_: date | None,
    to: date | None,
    as_of: datetime | None,
    language: str,
    channel: str,
) -> Download:
    """Return an office's figures over a range of days: one row per figure."""
    parameters = {
        "office": office,
        "from": from_,
        "to": to,
        "as_of": as_of,
        "lang": language,
    }
    _record(person, f"summary.{kind}", parameters, channel)
    summary = fresh_read_models().office_summary(
        office, from_=from_, to=to, as_of=as_of
    )
    rows = spreadsheets.summary_rows(summary, language)
    return _made(f"summary-{office}.{kind}", kind, office, SUMMARY_HEADER, rows)


def report(
    person: Mapping[str, Any], scope: ReportScope, kind: str, *, channel: str
) -> Download:
    """Return the report of offices over a period: a PDF, or its figures' sheet.

    The sheet (CSV or XLSX) holds the figures of the PDF's annex: one row per
    figure of the offices' summary.
    """
    offices = "-".join(scope.offices)
    name = f"report-{offices}-{scope.from_}-{scope.to}.{kind}"
    if kind == "pdf":
        report_pdf.check_pdf_available()
    _record(person, f"report.{kind}", scope.parameters(), channel)
    if kind == "pdf":
        figures = reports.report_figures(scope)
        body = report_pdf.pdf_bytes(figures, scope)
        return Download(name, report_pdf.PDF_TYPE, body)
    summary = fresh_read_models().office_summary(
        list(scope.offices), from_=scope.from_, to=scope.to, as_of=scope.as_of
    )
    rows = spreadsheets.summary_rows(summary, scope.language)
    return _made(name, kind, offices, SUMMARY_HEADER, rows)


def _record(
    person: Mapping[str, Any], what: str, parameters: Mapping[str, Any], channel: str
) -> None:
    shown = {
        "from" if name == "from_" else name: value for name, value in parameters.items()
    }
    get_incident_log().record_download(
        what, shown, actor=person["name"], channel=channel
    )


def _made(
    name: str,
    kind: str,
    sheet: str,
    header: tuple[str, ...],
    rows: list[list[spreadsheets.Cell]],
) -> Download:
    if kind == "csv":
        return Download(
            name, spreadsheets.CSV_TYPE, spreadsheets.csv_bytes(header, rows)
        )
    return Download(
        name,
        spreadsheets.XLSX_TYPE,
        spreadsheets.xlsx_bytes(sheet[:31], header, rows),  # Excel's longest name
    )
