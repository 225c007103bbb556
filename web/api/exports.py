"""Download the incident list and an office's figures as spreadsheets (CSV, XLSX).

Each download is recorded first (``ReportDownloaded``: who, which file, which
parameters), then the file is made from the read models; auditors list the
downloads at ``GET /audit/downloads``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask import Response

from incidents.permissions import Action
from web import get_incident_log, get_read_models
from web.api.auth import authorized, current_user
from web.api.blueprint import Blueprint
from web.api.schemas.exports import SummarySheetArgsSchema
from web.api.schemas.incidents import IncidentFilterArgsSchema
from web.usecases import spreadsheets
from web.usecases.bounds import check_day_range
from web.usecases.incident_filters import incident_filters
from web.usecases.scope import visible_office

blp = Blueprint(
    "exports",
    __name__,
    url_prefix="/api/v1",
    description="Spreadsheets: the incident list and an office's figures.",
)

FORMATS: Mapping[str, tuple[str, str]] = {
    "csv": ("text/csv", spreadsheets.CSV_TYPE),
    "xlsx": (spreadsheets.XLSX_TYPE, spreadsheets.XLSX_TYPE),
}
SUMMARY_HEADER = ("key", "label", "value")
BINARY = {"type": "string", "format": "binary"}


def _documented(kind: str, what: str) -> Callable[[Any], Any]:
    return blp.response(200, BINARY, content_type=FORMATS[kind][0], description=what)


def _incident_list(args: Mapping[str, Any], kind: str) -> Response:
    user = current_user()
    filters = incident_filters(user, args)
    name = f"incidents.{kind}"
    _record(name, args)
    rows = spreadsheets.incident_rows(get_read_models().all_incidents(**filters))
    return _file(name, kind, "incidents", spreadsheets.LIST_COLUMNS, rows)


def _summary(args: Mapping[str, Any], code: str, kind: str) -> Response:
    visible_office(current_user(), code)
    check_day_range(args)
    _record(f"summary.{kind}", {**args, "office": code})
    summary = get_read_models().office_summary(
        code, from_=args.get("from_"), to=args.get("to"), as_of=args.get("as_of")
    )
    rows = spreadsheets.summary_rows(summary, args["lang"])
    return _file(f"summary-{code}.{kind}", kind, code, SUMMARY_HEADER, rows)


@blp.get("/incidents.csv")
@authorized(Action.READ)
@blp.arguments(IncidentFilterArgsSchema, location="query")
@_documented("csv", "Every incident the list gives for these filters (not a page).")
def incidents_csv(args: dict[str, Any]) -> Response:
    """Download the incident list as CSV (UTF-8 with BOM, ';', CRLF)."""
    return _incident_list(args, "csv")


@blp.get("/incidents.xlsx")
@authorized(Action.READ)
@blp.arguments(IncidentFilterArgsSchema, location="query")
@_documented("xlsx", "Every incident the list gives for these filters (not a page).")
def incidents_xlsx(args: dict[str, Any]) -> Response:
    """Download the incident list as an XLSX workbook."""
    return _incident_list(args, "xlsx")


@blp.get("/offices/<code>/summary.csv")
@authorized(Action.READ)
@blp.arguments(SummarySheetArgsSchema, location="query")
@_documented("csv", "One row per figure: its key, its label, its value.")
def summary_csv(args: dict[str, Any], code: str) -> Response:
    """Download an office's figures as CSV, one row per figure."""
    return _summary(args, code, "csv")


@blp.get("/offices/<code>/summary.xlsx")
@authorized(Action.READ)
@blp.arguments(SummarySheetArgsSchema, location="query")
@_documented("xlsx", "One row per figure: its key, its label, its value.")
def summary_xlsx(args: dict[str, Any], code: str) -> Response:
    """Download an office's figures as an XLSX workbook, one row per figure."""
    return _summary(args, code, "xlsx")


def _record(what: str, args: Mapping[str, Any]) -> None:
    parameters = {
        "from" if name == "from_" else name: value for name, value in args.items()
    }
    get_incident_log().record_download(
        what, parameters, actor=current_user()["name"], channel="api"
    )


def _file(
    name: str,
    kind: str,
    sheet: str,
    header: Sequence[str],
    rows: list[list[spreadsheets.Cell]],
) -> Response:
    if kind == "csv":
        body = spreadsheets.csv_bytes(header, rows)
    else:
        body = spreadsheets.xlsx_bytes(sheet[:31], header, rows)
    response = Response(body, content_type=FORMATS[kind][1])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
