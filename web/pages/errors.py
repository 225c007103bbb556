"""Answer errors on pages with a page, in the reader's language.

The JSON API renders its own errors (``web/api/errors.py``); for every other
path its handler calls :func:`render_error`. Messages are written for people,
not for clients: what happened and what to do next, never a stack trace.
"""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

EXPLANATIONS = {
    400: _l(
        "La demande n'a pas pu être traitée. Si vous envoyiez un formulaire, "
        "rechargez la page et recommencez."
    ),
    401: _l("Connectez-vous pour continuer."),
    403: _l("Votre rôle ne permet pas d'ouvrir cette page."),
    404: _l("Cette page n'existe pas, ou ne concerne pas vos bureaux."),
    405: _l("Cette action n'est pas possible ici."),
    409: _l("Cette action n'est pas possible dans l'état actuel de l'incident."),
    412: _l("L'incident a changé entre-temps : rechargez la page et recommencez."),
    413: _l("Le formulaire envoyé est trop long."),
    429: _l("Trop de tentatives. Attendez une minute avant de réessayer."),
    503: _l(
        "Le service ne peut pas enregistrer pour le moment. Rien n'a été perdu : "
        "réessayez dans un instant."
    ),
}
DEFAULT_EXPLANATION = _l("Une erreur est survenue. Réessayez dans un instant.")


def render_error(error: HTTPException) -> ResponseReturnValue:
    """Render an error page with the error's status and headers."""
    code = error.code or 500
    headers = [
        (name, value)
        for name, value in error.get_headers()
        if name.lower() != "content-type"
    ]
    page = render_template(
        "pages/error.html",
        code=code,
        explanation=EXPLANATIONS.get(code, DEFAULT_EXPLANATION),
    )
    return page, code, headers
