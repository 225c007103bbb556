"""Plan the week ("Planning"): offices by days, the shifts in each, and the gaps.

An officer plans the offices they cover, an admin every office. A gap is an
office open on a day with no mediator planned there. "Copy last week" plans the
previous week's shifts again seven days later: all of them, or none if one
cannot be planned.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Regexp

from incidents.application import PlannedShift
from incidents.errors import IncidentsError, InvalidInputError, ShiftOverlapError
from incidents.permissions import Action, visible_offices
from incidents.vocabulary import Role, Weekday
from web import get_incident_log
from web.pages.auth import allowed, signed_in_person
from web.pages.home import covered_offices
from web.pages.limits import in_calendar
from web.pages.mediator.clock import today
from web.pages.officer.blueprint import bp
from web.usecases.rota import monday_of, week_of

TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
WEEKDAYS = [day.value for day in Weekday]


class PlanShiftForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    mediator = SelectField(_l("Médiateur"), validators=[InputRequired()])
    office = SelectField(_l("Bureau"), validators=[InputRequired()])
    day = SelectField(_l("Jour"), validators=[InputRequired()])
    start = StringField(
        _l("Début"),
        default="09:00",
        validators=[InputRequired(), Regexp(TIME_PATTERN, message=_l("HH:MM"))],
    )
    end = StringField(
        _l("Fin"),
        default="12:30",
        validators=[InputRequired(), Regexp(TIME_PATTERN, message=_l("HH:MM"))],
    )


class CopyWeekForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    pass


def asked_monday() -> date:
    """Return the Monday of the week asked (``semaine``), this week by default."""
    text = request.values.get("semaine", "")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return monday_of(today())
    return monday_of(day) if in_calendar(day) else monday_of(today())


def plan_form(monday: date, offices: list[dict[str, Any]]) -> PlanShiftForm:
    """Return the form to plan a shift this week, its choices filled in."""
    form = PlanShiftForm()
    codes = {office["code"] for office in offices}
    form.mediator.choices = [
        (person["name"], person.get("display_name") or person["name"])
        for person in get_incident_log().list_users()
        if person["role"] == Role.MEDIATOR.value
        and person["is_active"]
        and (person["offices"] is None or codes & set(person["offices"]))
    ]
    form.office.choices = [(office["code"], office["name"]) for office in offices]
    form.day.choices = [
        (day.isoformat(), day.isoformat()) for day in week_of(monday)[:6]
    ]
    return form


def render_week(
    monday: date, form: PlanShiftForm | None = None, status: int = 200
) -> ResponseReturnValue:
    """Render the week's grid, its gaps, and the forms to plan."""
    offices = covered_offices()
    days = week_of(monday)
    log = get_incident_log()
    shifts = [
        shift
        for shift in log.list_shifts(
            offices=visible_offices(signed_in_person()),
            first_day=days[0],
            last_day=days[-1],
        )
        if shift["status"] == "planned"
    ]
    if not any(shift["day"] == days[6] for shift in shifts):
        days = days[:6]  # Sunday only when someone works then.
    cells: dict[tuple[str, date], list[dict[str, Any]]] = {}
    for shift in shifts:
        cells.setdefault((shift["office"], shift["day"]), []).append(shift)
    gaps = set()
    for office in offices:
        for day in days:
            hours = log.get_opening_hours(office["code"], on=day)
            if hours[WEEKDAYS[day.weekday()]] and not cells.get((office["code"], day)):
                gaps.add((office["code"], day))
    page = render_template(
        "pages/officer/week_plan.html",
        offices=offices,
        days=days,
        monday=monday,
        cells=cells,
        gaps=gaps,
        form=form or plan_form(monday, offices),
        copy_form=CopyWeekForm(),
        previous=monday - timedelta(days=7),
        following=monday + timedelta(days=7),
    )
    return page, status


@bp.get("/planning")
@allowed(Action.PLAN)
def week_plan() -> ResponseReturnValue:
    """Show the week's grid: offices by days, shifts and gaps."""
    return render_week(asked_monday())


@bp.post("/planning")
@allowed(Action.PLAN)
def plan_shift() -> ResponseReturnValue:
    """Plan one shift from the grid's form."""
    monday = asked_monday()
    offices = covered_offices()
    form = plan_form(monday, offices)
    if not form.validate():
        return render_week(monday, form, 422)
    try:
        get_incident_log().plan_shift(
            actor=current_user.name,
            plan=PlannedShift(
                mediator=form.mediator.data,
                office=form.office.data,
                day=form.day.data,
                start=form.start.data,
                end=form.end.data,
            ),
        )
    except IncidentsError as error:
        flash(_("Service non planifié : %(why)s", why=reason_of(error)), "error")
        return render_week(
            monday, form, 422 if isinstance(error, InvalidInputError) else 409
        )
    flash(_("Service planifié."), "success")
    return redirect(url_for("officer.week_plan", semaine=monday.isoformat()), 303)


@bp.post("/planning/copie")
@allowed(Action.PLAN)
def copy_last_week() -> ResponseReturnValue:
    """Plan last week's shifts again this week: all of them, or none."""
    monday = asked_monday()
    if not CopyWeekForm().validate():
        return render_week(monday, status=400)
    log = get_incident_log()
    last = week_of(monday - timedelta(days=7))
    scope = visible_offices(signed_in_person())
    plans = [
        (
            number,
            PlannedShift(
                mediator=shift["mediator"],
                office=shift["office"],
                day=shift["day"] + timedelta(days=7),
                start=shift["start"],
                end=shift["end"],
                allow_sunday=True,
            ),
        )
        for number, shift in enumerate(
            (
                s
                for s in log.list_shifts(
                    offices=scope, first_day=last[0], last_day=last[-1]
                )
                if s["status"] == "planned"
            ),
            start=1,
        )
    ]
    if not plans:
        flash(_("La semaine précédente n'a aucun service à copier."), "error")
        return render_week(monday, status=409)
    try:
        written = log.import_shifts(actor=current_user.name, plans=plans, offices=scope)
    except InvalidInputError as error:
        flash(
            _("Rien n'a été copié : %(why)s", why=reason_of(error)),
            "error",
        )
        return render_week(monday, status=409)
    flash(
        ngettext(
            "%(num)s service copié de la semaine précédente.",
            "%(num)s services copiés de la semaine précédente.",
            len(written.shifts),
        ),
        "success",
    )
    return redirect(url_for("officer.week_plan", semaine=monday.isoformat()), 303)


def reason_of(error: IncidentsError) -> str:
    """Say in one line, in the reader's language, what the log refused."""
    if isinstance(error, ShiftOverlapError):
        return str(
            _(
                "%(mediator)s a déjà un service le %(day)s de %(start)s à %(end)s.",
                mediator=error.mediator,
                day=error.day,
                start=error.start,
                end=error.end,
            )
        )
    if isinstance(error, InvalidInputError):
        lines = sorted(key for key in error.errors if key.startswith("line "))
        if lines:
            return str(
                _(
                    "%(count)s services en conflit ou impossibles "
                    "(par exemple : %(why)s)",
                    count=len(lines),
                    why=" ".join(error.errors[lines[0]]),
                )
            )
        fields = ", ".join(str(FIELD_NAMES.get(key, key)) for key in error.errors)
        return str(_("vérifiez %(fields)s.", fields=fields))
    return error.message


FIELD_NAMES = {
    "mediator": _l("le médiateur"),
    "office": _l("le bureau"),
    "day": _l("le jour"),
    "start": _l("le début"),
    "end": _l("la fin"),
}
