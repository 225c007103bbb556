"""Serve the pages people use: server-rendered, French first, phone first.

Views call the application services (:mod:`incidents.application`, the read
models) directly, and :mod:`web.usecases` for what the JSON API does too;
never the JSON API itself. One blueprint per kind of work:
:mod:`.auth` (signing in), :mod:`.home` (home, language, office choice),
:mod:`.mediator`, :mod:`.officer`, :mod:`.auditor` and :mod:`.admin`.
Every form carries a CSRF token (Flask-WTF), every page a strict
Content-Security-Policy (:mod:`.security`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, request
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect

from incidents.vocabulary import Role
from web.pages import auth, bell, errors, home, i18n, offline, security
from web.pages.throttle import throttle_for
from web.usecases import labels

csrf = CSRFProtect()
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

PAGE_BLUEPRINTS: list[Blueprint] = [auth.bp, home.bp, bell.bp, offline.bp]


def init_pages(app: Flask) -> None:
    """Register the pages and what they need: sign-in, CSRF, languages, headers."""
    # The API authenticates each request by bearer token and carries no cookie,
    # so CSRF is checked on pages only (see _check_csrf).
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # As long as the session.
    csrf.init_app(app)
    auth.login_manager.init_app(app)
    app.extensions[auth.THROTTLE_KEY] = throttle_for(app.extensions["incident_log"])
    i18n.init_app(app)
    security.init_app(app)
    offline.init_app(app)
    app.extensions["render_page_error"] = errors.render_error
    app.context_processor(_page_helpers)
    blueprints = _page_blueprints()
    page_names = frozenset(blueprint.name for blueprint in blueprints)

    @app.before_request
    def check_csrf() -> None:
        if request.blueprint in page_names and request.method not in SAFE_METHODS:
            csrf.protect()

    for blueprint in blueprints:
        app.register_blueprint(blueprint)


# What each role's navigation offers, in order: (endpoint, label).
NAVIGATION: dict[str, list[tuple[str, LazyString]]] = {
    Role.MEDIATOR.value: [
        ("mediator.report", _l("Signaler")),
        ("mediator.my_follow_ups", _l("Mes suivis")),
        ("mediator.my_week", _l("Ma semaine")),
        ("pages.choose_office", _l("Mon bureau")),
    ],
    Role.OFFICER.value: [
        ("officer.dashboard", _l("Tableau de bord")),
        ("officer.incidents", _l("Incidents")),
        ("officer.office_timeline", _l("Chronologie")),
        ("officer.follow_up_board", _l("Suivis")),
        ("officer.week_plan", _l("Planning")),
        ("mediator.report", _l("Signaler")),
    ],
    Role.AUDITOR.value: [
        ("auditor.audit_trail", _l("Journal d'audit")),
        ("officer.dashboard", _l("Tableau de bord")),
        ("officer.incidents", _l("Incidents")),
        ("auditor.verification", _l("Vérification")),
        ("auditor.disclosures", _l("Consultations")),
        ("auditor.export", _l("Export")),
    ],
    Role.ADMIN.value: [
        ("administration.people", _l("Personnes")),
        ("officer.week_plan", _l("Planning")),
        ("officer.incidents", _l("Incidents")),
        ("administration.erasure", _l("Effacement")),
        ("administration.sends", _l("Envois")),
    ],
}


def _page_helpers() -> dict[str, Any]:
    def navigation() -> list[tuple[str, LazyString]]:
        if not current_user.is_authenticated:
            return []
        return NAVIGATION.get(current_user.role, [])

    def colon() -> str:
        # French puts a (non-breaking) space before a colon; English does not.
        return "\u00a0: " if i18n.current_language() == "fr" else ": "

    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        return bell.unread_count()

    return {
        "navigation": navigation,
        "label": labels.label,
        "colon": colon,
        "unread_notifications": unread_notifications,
    }


def _page_blueprints() -> list[Blueprint]:
    # Imported here: their views reach the log through the web package.
    from web.pages import admin, auditor, mediator, officer

    return [*PAGE_BLUEPRINTS, mediator.bp, officer.bp, auditor.bp, admin.bp]
