"""Speak French by default, English on request.

Source strings are French (``_("Signaler")``); ``web/translations/en`` holds
the English catalog. The language is, in order: ``?lang=`` (remembered in the
session, as the person's choice), the choice saved on the profile page, then
the browser's ``Accept-Language``, then French.
"""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel, get_locale

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
SESSION_KEY = "lang"

babel = Babel()


def select_locale() -> str:
    """Return the language of the current request."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session[SESSION_KEY] = asked
        return asked
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def current_language() -> str:
    """Return the language the page is rendered in (``fr`` or ``en``)."""
    locale = get_locale()
    return DEFAULT_LANGUAGE if locale is None else locale.language


def init_app(app: Flask) -> None:
    """Set up Flask-Babel with the catalogs under ``web/translations``."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Paris")
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["current_language"] = current_language
