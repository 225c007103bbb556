"""Install the mediators' web app, and let the phone's outbox send what it kept.

The manifest (``/manifest.webmanifest``) and the service worker (``/sw.js``,
scope ``/``) come from our own origin, under the same Content-Security-Policy
as every page. The service worker keeps the report page, the follow-on page
and "my follow-ups" for when the network drops; the outbox (IndexedDB, in
``static/offline/``) keeps what was reported meanwhile and sends it later
through the very page forms a person posts, with their session and a fresh
CSRF token asked of ``/hors-ligne/jeton`` (ADR 0017).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    request,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from incidents.permissions import Action

bp = Blueprint("offline", __name__)

# Whatever the outbox sends carries this header, and is answered in JSON.
OUTBOX_HEADER = "X-Outbox"
# The service worker fetches pages to keep with this header: such a fetch must
# not take the flashed messages meant for the page the person is opening.
KEEP_HEADER = "X-Offline-Keep"
THEME_COLOUR = "#1d4ed8"


def outbox_request() -> bool:
    """Tell whether the phone's outbox sent this request (it wants JSON)."""
    return request.headers.get(OUTBOX_HEADER) == "1"


def person_waits() -> bool:
    """Tell whether the person waits on the page for this send (then it flashes)."""
    return request.headers.get(OUTBOX_HEADER + "-Now") == "1"


def kept_copy_request() -> bool:
    """Tell whether the service worker fetches this page to keep a copy."""
    return request.headers.get(KEEP_HEADER) == "1"


def outbox_answer(
    status: int,
    *,
    message: str | None = None,
    errors: dict[str, Any] | None = None,
    incident_id: object = None,
    version: int | None = None,
) -> ResponseReturnValue:
    """Answer the outbox: what came of one item it sent, in JSON."""
    body = {
        "status": status,
        "message": message,
        "errors": errors or {},
        "id": None if incident_id is None else str(incident_id),
        "version": version,
    }
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def field_errors(errors: dict[str, Any]) -> dict[str, list[str]]:
    """Flatten a form's errors (nested for lists of sub-forms) to text per field."""
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}-{key}" if prefix else str(key), inner)
        elif isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, dict | list | tuple):
                    walk(prefix, item)
                elif item:
                    flat.setdefault(prefix, []).append(str(item))

    walk("", errors)
    return flat


@bp.get("/manifest.webmanifest")
def manifest() -> ResponseReturnValue:
    """Describe the installable app: its name, where it starts, its icons."""
    icon = "offline/icon-{size}.png"
    body = {
        "name": _("Journal de médiation"),
        "short_name": _("Médiation"),
        "description": _("Signaler un incident, même sans réseau."),
        "lang": "fr",
        "id": "/signaler",
        "start_url": url_for("mediator.report"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            *(
                {
                    "src": url_for("static", filename=icon.format(size=size)),
                    "sizes": f"{size}x{size}",
                    "type": "image/png",
                    "purpose": "any",
                }
                for size in (192, 512)
            ),
            {
                "src": url_for("static", filename="favicon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
            },
        ],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/sw.js")
def service_worker() -> Response:
    """Serve the service worker from the root, so that its scope is the site."""
    response = current_app.send_static_file("offline/sw.js")
    response.mimetype = "text/javascript"
    # Checked for a new version on every load, never kept stale.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/hors-ligne/jeton")
def outbox_token() -> ResponseReturnValue:
    """Tell the outbox who is signed in here, with a CSRF token to send with."""
    if not current_user.is_authenticated:
        return outbox_answer(401, message=_("Connectez-vous pour envoyer."))
    response = jsonify(
        {
            "person": current_user.name,
            "may_record": current_user.may(Action.RECORD),
            "csrf_token": generate_csrf(),
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def outbox_texts() -> dict[str, str]:
    """Return what the outbox says on the page, in the person's language."""
    return {
        "pending": _("En attente"),
        "sending": _("Envoi en cours…"),
        "done": _("Envoyé"),
        "refused": _("Refusé"),
        "sign_in": _("Attend votre connexion : reconnectez-vous pour l'envoyer."),
        "unavailable": _("Serveur indisponible : nouvel essai bientôt."),
        "offline": _("Pas de réseau : envoi dès son retour."),
        "blocked": _("Attend l'envoi du signalement."),
        "report": _("Signalement"),
        "de_escalation": _("Désescalade"),
        "follow_up": _("Suivi"),
        "discard": _("Retirer de ce téléphone"),
        "unknown": _("Ce signalement n'est pas sur ce téléphone."),
        "kept": _("Pas de réseau : le signalement est gardé sur ce téléphone."),
    }


# Requests made beside the pages: they keep the session cookie as it is.
_BACKGROUND_ENDPOINTS = frozenset(
    {"offline.outbox_token", "offline.service_worker", "offline.manifest", "static"}
)


class BackgroundQuietSessions(SecureCookieSessionInterface):
    """Never set the session cookie on an answer to a request made in the background.

    The session lives in a signed cookie, set again on every answer. A copy
    the service worker fetches, or the outbox's question for a token, runs
    beside what the person does: set with the session as it was when it left,
    the cookie would undo what a page changed meanwhile (a flashed message,
    the language). Such a request never changes the session, except for a
    first CSRF secret, which is kept. The same holds for what the browser
    fetches by itself beside the pages: the service worker's script (checked
    after every page), its modules and the other files.
    """

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if kept_copy_request():
            return False
        if request.endpoint in _BACKGROUND_ENDPOINTS:
            return bool(session.modified)
        return super().should_set_cookie(app, session)


def init_app(app: Flask) -> None:
    """Keep background requests off the session; let templates show the outbox."""
    app.session_interface = BackgroundQuietSessions()
    app.jinja_env.globals["outbox_texts"] = outbox_texts
    app.jinja_env.globals["kept_copy_request"] = kept_copy_request
    app.jinja_env.globals["keeps_outbox"] = keeps_outbox


def keeps_outbox() -> bool:
    """Tell whether this person's pages keep an outbox: those who report."""
    return bool(current_user.is_authenticated and current_user.may(Action.RECORD))
