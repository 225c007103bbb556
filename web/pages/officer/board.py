"""The follow-up board: open follow-ups of the person's offices, overdue first."""

from __future__ import annotations

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField

from incidents.permissions import Action
from projections.queries import paris_today
from web.pages.auth import allowed, signed_in_person
from web.pages.home import covered_offices
from web.pages.officer.blueprint import bp, render_filtered
from web.pages.officer.filters import FilterForm, office_choices, with_all
from web.usecases.read_your_writes import fresh_read_models
from web.usecases.scope import readable_offices


class BoardFilter(FilterForm):
    office = SelectField(_l("Bureau"))
    overdue = BooleanField(_l("En retard seulement"))


@bp.get("/suivis")
@allowed(Action.READ)
def follow_up_board() -> ResponseReturnValue:
    """List the open follow-ups of the person's offices, overdue first."""
    offices = covered_offices()
    form = BoardFilter(formdata=request.args, data={"office": ""})
    form.office.choices = with_all(_("Tous mes bureaux"), office_choices(offices))
    if not form.validate():
        return render_filtered(
            "pages/officer/board.html", "pages/officer/_board.html", 422, form=form
        )
    office = form.office.data or None
    today = paris_today()
    board = fresh_read_models().follow_up_board(
        offices=readable_offices(signed_in_person(), office),
        office=office,
        overdue_only=form.overdue.data,
        today=today,
    )
    return render_filtered(
        "pages/officer/board.html",
        "pages/officer/_board.html",
        200,
        form=form,
        board=board,
        today=today,
    )
