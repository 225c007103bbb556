"""The list of incidents of the person's offices, newest first, with filters."""

from __future__ import annotations

from typing import Any

from flask import abort, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from incidents.permissions import Action
from web.pages.auth import allowed, signed_in_person
from web.pages.home import covered_offices
from web.pages.officer.blueprint import attachment, bp, page_links, render_filtered
from web.pages.officer.filters import (
    FilterForm,
    day_field,
    office_choices,
    valid_range,
    with_all,
)
from web.usecases import downloads
from web.usecases.bounds import MAX_PAGE
from web.usecases.labels import choices
from web.usecases.read_your_writes import fresh_read_models
from web.usecases.scope import readable_offices

LIST_PAGE_SIZE = 25


class IncidentFilter(FilterForm):
    office = SelectField(_l("Bureau"))
    status = SelectField(_l("État"))
    category = SelectField(_l("Catégorie"))
    severity = SelectField(_l("Gravité"))
    from_ = day_field(_l("Survenus du"), name="from")
    to = day_field(_l("au"))
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_PAGE)])


def filter_form() -> IncidentFilter:
    """Read the list's filters from the query string, offering the person's offices."""
    form = IncidentFilter(
        formdata=request.args,
        data={"office": "", "status": "", "category": "", "severity": ""},
    )
    form.office.choices = with_all(
        _("Tous mes bureaux"), office_choices(covered_offices())
    )
    form.status.choices = with_all(_("Tous"), choices("status"))
    form.category.choices = with_all(_("Toutes"), choices("category"))
    form.severity.choices = with_all(_("Toutes"), choices("severity"))
    return form


def filters(form: IncidentFilter) -> dict[str, Any]:
    """Return the read models' filters a valid form asks for, scope included."""
    office = form.office.data or None
    return {
        "offices": readable_offices(signed_in_person(), office),
        "office": office,
        "status": form.status.data or None,
        "category": form.category.data or None,
        "severity": int(form.severity.data) if form.severity.data else None,
        "from_": form.from_.data,
        "to": form.to.data,
    }


@bp.get("/incidents")
@allowed(Action.READ)
def incidents() -> ResponseReturnValue:
    """List the incidents of the person's offices, newest first, with filters."""
    form = filter_form()
    context: dict[str, Any] = {"form": form}
    if not valid_range(form):
        return render_filtered(
            "pages/officer/incidents.html",
            "pages/officer/_incidents.html",
            422,
            **context,
        )
    found = fresh_read_models().list_incidents(
        **filters(form), page=form.page.data or 1, page_size=LIST_PAGE_SIZE
    )
    arguments: dict[str, Any] = {
        name: value for name, value in request.args.items() if name != "page"
    }
    context.update(
        found=found,
        url_for_page=page_links(".incidents"),
        downloads={
            kind: url_for(".incidents_file", kind=kind, **arguments)
            for kind in downloads.KINDS
        },
    )
    return render_filtered(
        "pages/officer/incidents.html", "pages/officer/_incidents.html", 200, **context
    )


@bp.get("/incidents.<any(csv, xlsx):kind>")
@allowed(Action.READ)
def incidents_file(kind: str) -> ResponseReturnValue:
    """Download every incident the list gives for its filters, as CSV or XLSX."""
    form = filter_form()
    if not valid_range(form):
        abort(422)
    made = downloads.incident_list(
        signed_in_person(), filters(form), kind, channel="page"
    )
    return attachment(made)
