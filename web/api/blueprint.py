"""Give flask-smorest's Blueprint types, and read request bodies strictly.

flask-smorest ships no type information, so every decorator it provides would
make mypy --strict treat our views as untyped. This subclass declares what its
decorators do (they return the view they wrap), and nothing more.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

import flask
import flask_smorest
import marshmallow as ma
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

F = TypeVar("F", bound=Callable[..., Any])


class Decorator(Protocol):
    """Decorate a view, returning it (or a wrapper with the same signature)."""

    def __call__(self, view: F, /) -> F: ...


class JSONBodyParser(FlaskParser):
    """Read bodies as JSON only, and refuse unknown fields and parameters."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            if req.mimetype or req.content_length or req.get_data(cache=True):
                abort(
                    415,
                    message=(
                        "Send the body as JSON, with the header "
                        "Content-Type: application/json."
                    ),
                )
            return core.missing
        try:
            return core.parse_json(req.get_data(cache=True))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise  # webargs answers 400, or treats an empty body as missing.
        except (RecursionError, ValueError):
            # Nested too deeply, or a number too long to convert: not a 500.
            abort(400, messages={"json": ["Invalid JSON body."]})


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]  # untyped library
    """Declare the types of the smorest decorators the API uses."""

    # Unknown fields and query parameters are refused, not silently dropped.
    ARGUMENTS_PARSER = JSONBodyParser(unknown=ma.RAISE)

    def route(self, rule: str, **options: Any) -> Decorator:
        return cast("Decorator", super().route(rule, **options))

    def get(self, rule: str, **options: Any) -> Decorator:
        return self.route(rule, methods=["GET"], **options)

    def post(self, rule: str, **options: Any) -> Decorator:
        return self.route(rule, methods=["POST"], **options)

    def put(self, rule: str, **options: Any) -> Decorator:
        return self.route(rule, methods=["PUT"], **options)

    def patch(self, rule: str, **options: Any) -> Decorator:
        return self.route(rule, methods=["PATCH"], **options)

    def arguments(self, schema: Any, **options: Any) -> Decorator:
        # One instance per view: given a class, webargs would build (and
        # deep-copy the fields of) a new schema on every request.
        if isinstance(schema, type):
            schema = schema()
        return cast("Decorator", super().arguments(schema, **options))

    def response(
        self, status_code: int, schema: Any = None, **options: Any
    ) -> Decorator:
        return cast("Decorator", super().response(status_code, schema, **options))

    def alt_response(self, status_code: int, **options: Any) -> Decorator:
        return cast("Decorator", super().alt_response(status_code, **options))

    @staticmethod
    def doc(**options: Any) -> Decorator:
        return cast("Decorator", flask_smorest.Blueprint.doc(**options))
