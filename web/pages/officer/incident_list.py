"""The list of incidents of the person's offices, newest first, with filters."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from incidents.permissions import Action
from web import get_read_models
from web.pages.auth import allowed, signed_in_person
from web.pages.home import covered_offices
from web.pages.officer.blueprint import bp, page_links, render_filtered
from web.pages.officer.filters import (
    FilterForm,
    day_field,
    office_choices,
    valid_range,
    with_all,
)
from web.usecases.bounds import MAX_PAGE
from web.usecases.labels import choices
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


@bp.get("/incidents")
@allowed(Action.READ)
def incidents() -> ResponseReturnValue:
    """List the incidents of the person's offices, newest first, with filters."""
    offices = covered_offices()
    form = IncidentFilter(
        formdata=request.args,
        data={"office": "", "status": "", "category": "", "severity": ""},
    )
    form.office.choices = with_all(_("Tous mes bureaux"), office_choices(offices))
    form.status.choices = with_all(_("Tous"), choices("status"))
    form.category.choices = with_all(_("Toutes"), choices("category"))
    form.severity.choices = with_all(_("Toutes"), choices("severity"))
    context: dict[str, Any] = {"form": form}
    if not valid_range(form):
        return render_filtered(
            "pages/officer/incidents.html",
            "pages/officer/_incidents.html",
            422,
            **context,
        )
    office = form.office.data or None
    found = get_read_models().list_incidents(
        offices=readable_offices(signed_in_person(), office),
        office=office,
        status=form.status.data or None,
        category=form.category.data or None,
        severity=int(form.severity.data) if form.severity.data else None,
        from_=form.from_.data,
        to=form.to.data,
        page=form.page.data or 1,
        page_size=LIST_PAGE_SIZE,
    )
    context.update(found=found, url_for_page=page_links(".incidents"))
    return render_filtered(
        "pages/officer/incidents.html", "pages/officer/_incidents.html", 200, **context
    )
