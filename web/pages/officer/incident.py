"""One incident, now or as known at a time, with the actions the person may take.

Its visitor's contact is shown to those allowed, and every showing is recorded.
"""

from __future__ import annotations

from uuid import UUID

from flask import render_template, request
from flask.typing import ResponseReturnValue

from incidents.permissions import Action
from projections.queries import paris_today
from web import get_incident_log
from web.pages.auth import allowed, signed_in_person
from web.pages.officer.actions import action_forms
from web.pages.officer.blueprint import bp
from web.pages.officer.filters import AsOfFields
from web.usecases.presenting import show
from web.usecases.read_your_writes import (
    current_with_position,
    fresh_read_models,
    position_of_version,
)
from web.usecases.scope import visible_incident


@bp.get("/incidents/<uuid:incident_id>")
@allowed(Action.READ)
def incident(incident_id: UUID) -> ResponseReturnValue:
    """Show an incident, its timeline and the actions the person may take."""
    user = signed_in_person()
    visible_incident(user, incident_id)
    shown, position = current_with_position(incident_id)
    latest = shown["version"]
    read_models = fresh_read_models()
    timeline = read_models.incident_timeline(incident_id)
    form = AsOfFields(formdata=request.args)
    status = 200
    as_of = None
    if form.validate():
        as_of = form.instant()
        form.show_instant(as_of)
    else:
        status = 422
    if as_of is not None:
        version = read_models.incident_version_as_of(incident_id, as_of)
        if version is None:
            return (
                render_template(
                    "pages/officer/not_yet.html",
                    incident_id=incident_id,
                    as_of=as_of,
                    form=form,
                ),
                404,
            )
        shown = get_incident_log().get_incident(incident_id, version=version)
        position = position_of_version(incident_id, version)
        timeline = [
            item
            for item in fresh_read_models().incident_timeline(incident_id)
            if item["version"] <= version
        ]
    # A HEAD request shows nothing, so it records no disclosure.
    presented = show(
        user,
        shown,
        position,
        channel="page",
        shown=request.method != "HEAD",
        as_of=as_of,
    )
    context = {
        "incident": shown,
        "contact": presented["contact"],
        "mediator_on_shift": presented["mediator_on_shift"],
        "latest": latest,
        "as_of": as_of,
        "form": form,
        "timeline": timeline,
        "today": paris_today(as_of),
        "forms": {} if as_of is not None else action_forms(shown),
    }
    return render_template("pages/officer/incident.html", **context), status
