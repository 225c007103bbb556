"""Answer every error under /api as JSON ``{code, status, message, errors}``.

flask-smorest's handler takes over every HTTP error of the whole application and
drops the headers an error carries (``Allow`` on 405, ``WWW-Authenticate`` on
401). This one keeps them, answers JSON only under ``/api/`` (other pages get
Flask's own error pages), flattens validation messages to one list per field
(``parties.0.role``), and gives each domain error its HTTP status.

A database that cannot serve (unreachable, full, read-only) is 503 with
``Retry-After``, whether the application said so (:class:`StorageUnavailableError`)
or the driver's error reached the web layer on its own; it is logged with its
cause when the fault starts, then counted (:mod:`web.fault_log`). Read models
that lag behind the log are 503 with ``Retry-After`` too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import flask_smorest
from flask import current_app, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, ServiceUnavailable, default_exceptions

from incidents.errors import (
    ConcurrentWriteError,
    IncidentsError,
    InvalidInputError,
    NotAuthenticatedError,
    NotFoundError,
    PermissionDeniedError,
    RuleViolationError,
    StaleVersionError,
    StorageUnavailableError,
)
from incidents.evidence.errors import EvidenceError, MissingKeyError
from incidents.persistence import OPERATIONAL_ERRORS
from web.api.schemas import ErrorSchema
from web.fault_log import fault_log
from web.usecases.read_your_writes import ReadModelsBehindError
from web.usecases.report_pdf import PdfUnavailableError

JSON_PREFIX = "/api/"
UNPROCESSABLE = "Invalid input: see the messages of each field in errors."

# The first matching class gives the status (subclasses before their bases).
STATUS_OF_ERROR: tuple[tuple[type[IncidentsError], int], ...] = (
    (InvalidInputError, 422),
    (NotFoundError, 404),
    (RuleViolationError, 409),
    (ConcurrentWriteError, 409),
    (NotAuthenticatedError, 401),
    (PermissionDeniedError, 403),
    (StaleVersionError, 412),
    (MissingKeyError, 503),
    (EvidenceError, 409),
    (StorageUnavailableError, 503),
    (PdfUnavailableError, 503),
)
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="incidents"'}
# When a client should try again after a 503, in seconds.
RETRY_AFTER_SECONDS = 5
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

logger = logging.getLogger(__name__)


class Api(flask_smorest.Api):  # type: ignore[misc]  # flask-smorest is untyped
    """Register the API's blueprints and render its errors."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        super()._register_error_handlers()
        for kind in OPERATIONAL_ERRORS:
            self._app.register_error_handler(kind, self.handle_storage_error)

    def handle_http_exception(self, error: HTTPException) -> ResponseReturnValue:
        """Return the error as JSON under /api/, or Flask's own page elsewhere."""
        if not request.path.startswith(JSON_PREFIX):
            render_page_error = current_app.extensions.get("render_page_error")
            return error if render_page_error is None else render_page_error(error)
        data: Mapping[str, Any] = getattr(error, "data", None) or {}
        code = error.code or 500
        headers = {
            name: value
            for name, value in error.get_headers()
            if name.lower() != "content-type"
        }
        headers.update(data.get("headers") or {})
        errors = data.get("errors")
        if errors is None and "messages" in data:
            errors = _without_locations(data["messages"])
        message = data.get("message") or (
            UNPROCESSABLE if code == 422 else error.description
        )
        payload = {
            "code": code,
            "status": error.name,
            "message": message,
            "errors": errors or {},
        }
        return payload, code, headers

    def handle_domain_error(self, error: IncidentsError) -> ResponseReturnValue:
        """Give a domain error its HTTP status, and answer it like any other."""
        code = next(
            (status for kind, status in STATUS_OF_ERROR if isinstance(error, kind)),
            400,
        )
        http_error = default_exceptions[code]()
        data: dict[str, Any] = {"message": error.message}
        if isinstance(error, InvalidInputError):
            data["errors"] = flatten(error.errors)
        if isinstance(error, RuleViolationError) and error.errors:
            # Keyed by the rule broken, e.g. shift_overlap naming the shift.
            data["errors"] = {key: list(texts) for key, texts in error.errors.items()}
        if isinstance(error, NotAuthenticatedError):
            data["headers"] = BEARER_CHALLENGE
        if isinstance(error, StorageUnavailableError):
            data["headers"] = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            fault_log().refused(error.reason, error, writing=error.writing)
        http_error.data = data  # type: ignore[attr-defined]
        return self.handle_http_exception(http_error)

    def handle_read_models_behind(
        self, error: ReadModelsBehindError
    ) -> ResponseReturnValue:
        """Answer 503 with Retry-After when the read models lag behind the log."""
        http_error = ServiceUnavailable()
        http_error.data = {  # type: ignore[attr-defined]
            "message": error.message,
            "headers": {"Retry-After": str(error.retry_after)},
        }
        return self.handle_http_exception(http_error)

    def handle_storage_error(self, error: Exception) -> ResponseReturnValue:
        """Answer 503 when the database fails outside the application's saves."""
        writing = request.method not in SAFE_METHODS
        # Which steps of a write were stored before it failed is unknown here.
        unavailable = StorageUnavailableError(
            str(error) or type(error).__name__,
            writing=writing,
            maybe_stored=writing,
        )
        unavailable.__cause__ = error
        return self.handle_domain_error(unavailable)


def flatten(messages: object, prefix: str = "") -> dict[str, list[str]]:
    """Turn nested marshmallow messages into one list of messages per field."""
    if isinstance(messages, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, texts in flatten(value, name).items():
                flat.setdefault(field, []).extend(texts)
        return flat
    if isinstance(messages, (list, tuple)):
        flat = {}
        for item in messages:
            for field, texts in flatten(item, prefix).items():
                flat.setdefault(field, []).extend(texts)
        return flat
    return {prefix or "_schema": [str(messages)]}


def _without_locations(messages: object) -> dict[str, list[str]]:
    # webargs nests messages under where they came from ("json", "query",
    # "headers"); field names alone are what a client acts on.
    if not isinstance(messages, Mapping):
        return flatten(messages)
    flat: dict[str, list[str]] = {}
    for location, value in messages.items():
        if isinstance(value, Mapping):
            nested = flatten(value)
        else:
            nested = flatten(value, str(location))
        for field, texts in nested.items():
            flat.setdefault(field, []).extend(texts)
    return flat
