"""The officer's blueprint, what its templates share, and how its pages render.

Filters are plain GET forms that htmx turns into partial updates: a page is
rendered whole, or only its region when htmx asks for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from flask.typing import ResponseReturnValue

from incidents.permissions import Action
from web import get_incident_log
from web.pages.htmx import partial_wanted
from web.usecases.downloads import Download
from web.usecases.formatting import day_text, hours_text, percent_text, when

bp = Blueprint("officer", __name__)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "when": when,
        "day_text": day_text,
        "hours_text": hours_text,
        "percent_text": percent_text,
        "office_names": _office_names(),
        "Action": Action,
    }


def _office_names() -> dict[str, str]:
    return {
        office["code"]: office["name"] for office in get_incident_log().list_offices()
    }


def render_filtered(
    page: str, region: str, status: int, **context: Any
) -> ResponseReturnValue:
    """Render the whole page, or only its region when htmx asks for it.

    htmx swaps only 2xx answers, so a refused filter is answered 200 to htmx
    (its messages shown in the region) and 422 to a plain form.
    """
    if partial_wanted():
        return render_template(region, **context), 200, {"Vary": "HX-Request"}
    return render_template(page, **context), status, {"Vary": "HX-Request"}


def page_links(endpoint: str) -> Callable[[int], str]:
    """Return a link maker to each page of a list, keeping the filters."""
    arguments: dict[str, Any] = request.args.to_dict()

    def url_for_page(number: int) -> str:
        return url_for(endpoint, **{**arguments, "page": number})

    return url_for_page


def attachment(made: Download) -> Response:
    """Answer a file to download (a spreadsheet)."""
    response = Response(made.body, content_type=made.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{made.name}"'
    return response
