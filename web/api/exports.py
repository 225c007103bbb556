"""Download the incident list and an office's figures (CSV, XLSX), and its report (PDF).

Each download is recorded first (``ReportDownloaded``: who, which file, which
parameters), then the file is made from the read models
(:mod:`web.usecases.downloads`); auditors list the downloads at
``GET /audit/downloads``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response

from incidents.permissions import Action
from web.api.auth import authorized, current_user
from web.api.blueprint import Blueprint
from web.api.schemas.exports import ReportArgsSchema, SummarySheetArgsSchema
from web.api.schemas.incidents import IncidentFilterArgsSchema
from web.usecases import downloads, report_pdf, spreadsheets
from web.usecases.bounds import check_day_range
from web.usecases.downloads import Download
from web.usecases.incident_filters import incident_filters
from web.usecases.reports import report_scope
from web.usecases.scope import visible_office

blp = Blueprint(
    "exports",
    __name__,
    url_prefix="/api/v1",
    description="Files: the incident list, an office's figures, its monthly report.",
)

MEDIA_TYPES = {
    "csv": "text/csv",
    "xlsx": spreadsheets.XLSX_TYPE,
    "pdf": report_pdf.PDF_TYPE,
}
BINARY = {"type": "string", "format": "binary"}
LIST = "Every incident the list gives for these filters (not a page)."
FIGURES = "One row per figure: its key, its label, its value."
REPORT = "The printable report of the office over the period (PDF)."


def _documented(kind: str, what: str) -> Callable[[Any], Any]:
    return blp.response(200, BINARY, content_type=MEDIA_TYPES[kind], description=what)


def _incident_list(args: dict[str, Any], kind: str) -> Response:
    person = current_user()
    filters = incident_filters(person, args)
    return sent(downloads.incident_list(person, filters, kind, channel="api"))


def _figures(args: dict[str, Any], code: str, kind: str) -> Response:
    person = current_user()
    visible_office(person, code)
    check_day_range(args)
    made = downloads.office_figures(
        person,
        code,
        kind,
        from_=args.get("from_"),
        to=args.get("to"),
        as_of=args.get("as_of"),
        language=args["lang"],
        channel="api",
    )
    return sent(made)


@blp.get("/incidents.csv")
@authorized(Action.READ)
@blp.arguments(IncidentFilterArgsSchema, location="query")
@_documented("csv", LIST)
def incidents_csv(args: dict[str, Any]) -> Response:
    """Download the incident list as CSV (UTF-8 with BOM, ';', CRLF)."""
    return _incident_list(args, "csv")


@blp.get("/incidents.xlsx")
@authorized(Action.READ)
@blp.arguments(IncidentFilterArgsSchema, location="query")
@_documented("xlsx", LIST)
def incidents_xlsx(args: dict[str, Any]) -> Response:
    """Download the incident list as an XLSX workbook."""
    return _incident_list(args, "xlsx")


@blp.get("/offices/<code>/summary.csv")
@authorized(Action.READ)
@blp.arguments(SummarySheetArgsSchema, location="query")
@_documented("csv", FIGURES)
def summary_csv(args: dict[str, Any], code: str) -> Response:
    """Download an office's figures as CSV, one row per figure."""
    return _figures(args, code, "csv")


@blp.get("/offices/<code>/summary.xlsx")
@authorized(Action.READ)
@blp.arguments(SummarySheetArgsSchema, location="query")
@_documented("xlsx", FIGURES)
def summary_xlsx(args: dict[str, Any], code: str) -> Response:
    """Download an office's figures as an XLSX workbook, one row per figure."""
    return _figures(args, code, "xlsx")


@blp.get("/offices/<code>/report.pdf")
@authorized(Action.READ)
@blp.arguments(ReportArgsSchema, location="query")
@_documented("pdf", REPORT)
def report(args: dict[str, Any], code: str) -> Response:
    """Download an office's report over a period, now or as known at a time.

    Key figures against the period before and a year earlier, incidents by
    week, category, severity, trigger and hour, de-escalations, follow-ups,
    the presence of mediators and the severe incidents; never a contact.
    """
    person = current_user()
    visible_office(person, code)
    scope = report_scope(
        [code],
        from_=args.get("from_"),
        to=args.get("to"),
        as_of=args.get("as_of"),
        language=args["lang"],
    )
    return sent(downloads.report(person, scope, "pdf", channel="api"))


def sent(made: Download) -> Response:
    """Answer a file to download."""
    response = Response(made.body, content_type=made.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{made.name}"'
    return response
