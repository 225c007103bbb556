"""The office timeline: an office's events in log order, now or as known at a time."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from incidents.permissions import Action
from web.pages.auth import allowed
from web.pages.home import chosen_office, covered_offices
from web.pages.officer.blueprint import bp, page_links, render_filtered
from web.pages.officer.filters import AsOfFields, day_field, office_choices, valid_range
from web.usecases.bounds import MAX_PAGE
from web.usecases.read_your_writes import fresh_read_models

TIMELINE_PAGE_SIZE = 50


class TimelineFilter(AsOfFields):
    office = SelectField(_l("Bureau"))
    from_ = day_field(_l("Enregistrés du"), name="from")
    to = day_field(_l("au"))
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_PAGE)])


@bp.get("/chronologie")
@allowed(Action.READ)
def office_timeline() -> ResponseReturnValue:
    """List an office's events in log order, now or as known at a time."""
    offices = covered_offices()
    if not offices:
        return render_template("pages/officer/no_office.html")
    form = TimelineFilter(
        formdata=request.args, data={"office": chosen_office() or offices[0]["code"]}
    )
    form.office.choices = office_choices(offices)
    context: dict[str, Any] = {"form": form}
    if not valid_range(form):
        return render_filtered(
            "pages/officer/timeline.html",
            "pages/officer/_timeline.html",
            422,
            **context,
        )
    as_of = form.instant()
    form.show_instant(as_of)
    found = fresh_read_models().office_timeline(
        form.office.data,
        from_=form.from_.data,
        to=form.to.data,
        as_of=as_of,
        page=form.page.data or 1,
        page_size=TIMELINE_PAGE_SIZE,
    )
    context.update(
        found=found, as_of=as_of, url_for_page=page_links(".office_timeline")
    )
    return render_filtered(
        "pages/officer/timeline.html", "pages/officer/_timeline.html", 200, **context
    )
