"""My week ("Ma semaine"): the signed-in mediator's shifts, Monday to Sunday."""

from __future__ import annotations

from datetime import date, timedelta

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from incidents.permissions import Action
from web import get_incident_log
from web.pages.auth import allowed
from web.pages.limits import in_calendar
from web.pages.mediator.blueprint import bp
from web.pages.mediator.clock import today
from web.usecases.rota import monday_of, week_of


def asked_week() -> tuple[date, int]:
    """Return the Monday of the week asked (``?semaine=``), and the status."""
    text = request.args.get("semaine", "")
    if not text:
        return monday_of(today()), 200
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return monday_of(today()), 422
    if not in_calendar(day):
        return monday_of(today()), 422
    return monday_of(day), 200


@bp.get("/ma-semaine")
@allowed(Action.READ)
def my_week() -> ResponseReturnValue:
    """Show the person's shifts of a week, day by day."""
    monday, status = asked_week()
    days = week_of(monday)
    shifts = get_incident_log().list_shifts(
        mediator=current_user.name, first_day=days[0], last_day=days[-1]
    )
    offices = {
        office["code"]: office["name"] for office in get_incident_log().list_offices()
    }
    by_day = {
        day: [s for s in shifts if s["day"] == day and s["status"] == "planned"]
        for day in days
    }
    page = render_template(
        "pages/mediator/my_week.html",
        days=days,
        by_day=by_day,
        offices=offices,
        previous=monday - timedelta(days=7),
        following=monday + timedelta(days=7),
        invalid=status != 200,
    )
    return page, status
