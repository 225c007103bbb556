"""Know who calls (bearer tokens) and whether their role may ever do it.

Put :func:`authorized` between ``@blp.get``/``@blp.post`` and ``@blp.arguments``:
it then runs before the body is read, so an anonymous request gets 401 (and a
role that may never do it 403) rather than the body's validation errors.
"""

from __future__ import annotations

import functools
import http
from collections.abc import Callable
from copy import deepcopy
from typing import Any, TypeVar, cast

from flask import g, request

from incidents.errors import InvalidInputError, NotAuthenticatedError
from incidents.permissions import Action, check_allowed
from web import get_incident_log

F = TypeVar("F", bound=Callable[..., Any])

MAX_VERSION_DIGITS = 18
SECURITY_SCHEME = "bearerAuth"
IF_MATCH_PARAMETER = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "The incident's version the change is meant for (as in its "
    'ETag, e.g. "3"); 412 when the incident has changed since.',
}


def authorized(action: Action) -> Callable[[F], F]:
    """Let the view run only for a signed-in person whose role may do ``action``."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = authenticate()
            check_allowed(user, action)
            g.user = user
            return view(*args, **kwargs)

        apidoc = deepcopy(getattr(view, "_apidoc", {}))
        manual = apidoc.setdefault("manual_doc", {})
        manual.setdefault("responses", {}).update(_documented(401, 403))
        wrapper._apidoc = apidoc  # type: ignore[attr-defined]
        return cast("F", wrapper)

    return decorator


def accepts_if_match(view: F) -> F:
    """Document the If-Match header a write honours, and how a write can fail."""
    apidoc = deepcopy(getattr(view, "_apidoc", {}))
    manual = apidoc.setdefault("manual_doc", {})
    manual.setdefault("parameters", []).append(IF_MATCH_PARAMETER)
    manual.setdefault("responses", {}).update(_documented(404, 409, 412, 413, 415))
    view._apidoc = apidoc  # type: ignore[attr-defined]
    return view


def authenticate() -> dict[str, Any]:
    """Return the person whose bearer token the request carries, or refuse it."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticatedError
    return get_incident_log().authenticate_token(token.strip())


def current_user() -> dict[str, Any]:
    """Return the person :func:`authorized` let in."""
    user: dict[str, Any] = g.user
    return user


def expected_version() -> int | None:
    """Return the version an ``If-Match`` header names, if any (``*``: any)."""
    value = request.headers.get("If-Match")
    if value is None or value.strip() == "*":
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_VERSION_DIGITS:
        raise InvalidInputError.field(
            "If-Match", 'Give the version the change is for, e.g. "3".'
        )
    return int(text)


def _documented(*codes: int) -> dict[int, str]:
    # flask-smorest registers one error response per status, named as in http.
    return {code: http.HTTPStatus(code).name for code in codes}
