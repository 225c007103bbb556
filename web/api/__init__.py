"""Serve the JSON API under /api/v1, with its OpenAPI document at /api/openapi.json.

One blueprint per resource (offices, incidents, follow-ups, shifts, audit,
admin, the caller's preferences, notifications, and the spreadsheets); the
permission table is :mod:`incidents.permissions`, errors are :mod:`.errors`.
"""

from __future__ import annotations

from flask import Flask

from incidents.errors import IncidentsError
from web.api import (
    admin,
    audit,
    exports,
    follow_ups,
    incidents,
    me,
    notifications,
    offices,
    shifts,
)
from web.api.auth import SECURITY_SCHEME
from web.api.errors import Api
from web.usecases.read_your_writes import ReadModelsBehindError

MAX_BODY_BYTES = 64 * 1024

DEFAULTS = {
    "API_TITLE": "Incident log",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "info": {
            "description": "The mediation incident log of La Poste's offices. "
            "Every request carries a bearer token (Authorization: Bearer ...)."
        },
        "security": [{SECURITY_SCHEME: []}],
    },
}


def init_api(app: Flask) -> Api:
    """Register the API's blueprints and error handlers on the application."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default: no limit.
        app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    api = Api(app)
    api.spec.components.security_scheme(
        SECURITY_SCHEME,
        {"type": "http", "scheme": "bearer", "description": "An API token."},
    )
    for module in (
        offices,
        incidents,
        follow_ups,
        shifts,
        audit,
        admin,
        me,
        notifications,
        exports,
    ):
        api.register_blueprint(module.blp)
    app.register_error_handler(IncidentsError, api.handle_domain_error)
    app.register_error_handler(ReadModelsBehindError, api.handle_read_models_behind)
    return api
