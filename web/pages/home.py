"""The home page, the language choice, and the office a mediator works in.

Home sends each person to where their work starts: a mediator to the report
form, an officer to the dashboard, an auditor to the audit trail, an admin to
the people. The office a person works in is chosen once and remembered in a
cookie for a year (it names an office, nothing personal), and always checked
again against the offices the person covers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug import Response

from incidents.permissions import Action, covers
from incidents.vocabulary import Role
from web import get_incident_log
from web.pages.auth import allowed, safe_next, signed_in_person
from web.pages.i18n import LANGUAGES, SESSION_KEY
from web.usecases.mail_settings import change_preferences

ALERTS = ("severe_incident", "escalation", "follow_up_overdue")
DIGESTS = ("daily", "weekly", "monthly", "off")

OFFICE_COOKIE = "incidents_office"
OFFICE_CHOSEN_AT_COOKIE = "incidents_office_chosen_at"
OFFICE_COOKIE_SECONDS = 365 * 24 * 3600

bp = Blueprint("pages", __name__)

START_OF_ROLE = {
    Role.MEDIATOR.value: "mediator.report",
    Role.OFFICER.value: "officer.dashboard",
    Role.AUDITOR.value: "auditor.audit_trail",
    Role.ADMIN.value: "administration.people",
}


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """Answer browsers that ask for the icon at the conventional place."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.get("/")
def home() -> ResponseReturnValue:
    """Send the person to where their work starts."""
    if not current_user.is_authenticated:
        return redirect(url_for("pages_auth.sign_in"))
    return redirect(url_for(START_OF_ROLE[current_user.role]))


def covered_offices() -> list[dict[str, Any]]:
    """Return the offices the signed-in person covers, in catalogue order.

    A page asks several times, so the answer is kept for the request, under the
    person's id: signing in or out within the request asks again.
    """
    person = signed_in_person()
    kept: tuple[Any, list[dict[str, Any]]] | None = g.get("covered_offices")
    if kept is None or kept[0] != person["id"]:
        offices = [
            office
            for office in get_incident_log().list_offices()
            if covers(person, office["code"])
        ]
        kept = g.covered_offices = (person["id"], offices)
    return list(kept[1])


def chosen_office() -> str | None:
    """Return the office the person chose to work in, if they still cover it."""
    code = request.cookies.get(OFFICE_COOKIE)
    if code and any(office["code"] == code for office in covered_offices()):
        return code
    offices = covered_offices()
    return offices[0]["code"] if len(offices) == 1 else None


def now() -> datetime:
    """Return the time now, in UTC (when an office is chosen)."""
    return datetime.now(UTC)


def remember_office(response: Response, code: str) -> Response:
    """Remember the office on this device, and when it was chosen."""
    chosen_at = now().isoformat(timespec="seconds")
    for name, value in ((OFFICE_COOKIE, code), (OFFICE_CHOSEN_AT_COOKIE, chosen_at)):
        response.set_cookie(
            name,
            value,
            max_age=OFFICE_COOKIE_SECONDS,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response


def office_chosen_at() -> datetime | None:
    """Return when the office was last chosen on this device, if known."""
    text = request.cookies.get(OFFICE_CHOSEN_AT_COOKIE, "")
    try:
        chosen = datetime.fromisoformat(text)
    except ValueError:
        return None
    return chosen if chosen.tzinfo is not None else None


@bp.route("/bureau", methods=["GET", "POST"])
@allowed(Action.READ)
def choose_office() -> ResponseReturnValue:
    """Choose the office this device works in."""
    offices = covered_offices()
    if request.method == "POST":
        code = request.form.get("office", "")
        if any(office["code"] == code for office in offices):
            flash(_("Bureau enregistré sur cet appareil."), "success")
            target = safe_next(request.form.get("next"))
            return remember_office(redirect(target, 303), code)
        return (
            render_template(
                "pages/choose_office.html",
                offices=offices,
                current=chosen_office(),
                error=_("Choisissez un bureau dans la liste."),
            ),
            400,
        )
    return render_template(
        "pages/choose_office.html", offices=offices, current=chosen_office()
    )


@bp.route("/profil", methods=["GET", "POST"])
@allowed(Action.READ)
def profile() -> ResponseReturnValue:
    """Show who is signed in, and let them choose the language of the pages."""
    if request.method == "POST":
        language = request.form.get("lang", "")
        if language not in LANGUAGES:
            return render_template("pages/profile.html"), 400
        session[SESSION_KEY] = language
        return redirect(url_for("pages.profile"), 303)
    return render_template("pages/profile.html", preferences=_preferences())


def _preferences() -> dict[str, Any]:
    user = get_incident_log().get_user(current_user.name)
    preferences: dict[str, Any] = user["notification_preferences"]
    return {**preferences, "email": user["email"]}


@bp.post("/profil/notifications")
@allowed(Action.READ)
def notification_preferences() -> ResponseReturnValue:
    """Choose which notifications to receive, and how often a digest."""
    digest = request.form.get("digest", "")
    if digest not in DIGESTS:
        flash(_("Choisissez la fréquence du résumé dans la liste."), "error")
        return (
            render_template("pages/profile.html", preferences=_preferences()),
            422,
        )
    changes: dict[str, object] = {
        kind: request.form.get(kind) == "on" for kind in ALERTS
    }
    changes["digest"] = digest
    change_preferences(
        get_incident_log(), current_user.name, actor=current_user.name, changes=changes
    )
    flash(_("Vos choix de notifications sont enregistrés."), "success")
    return redirect(url_for("pages.profile"), 303)
