"""Write the service's log as JSON lines, each line of a request with its id.

Every record, the application's and the libraries' alike, becomes one JSON object
on standard error: ``timestamp``, ``level``, ``logger``, ``event`` (the message),
and ``request_id`` when it was written while serving a request. Each request ends
with one access line (``"event": "request"``, with ``method``, ``route``,
``path``, ``status`` and ``duration_ms``). An error carries its exception chain
(``exception``: types, messages and frames, never local variables).

Nothing here logs a query string, a body, a header other than the request id, a
person or an address: narratives and visitors' details stay out of the log. The
code of ``incidents`` and ``projections`` logs through the standard ``logging``
module; only the formatting lives here.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from typing import TYPE_CHECKING, Any, TextIO

import structlog
from flask import Flask, g, request
from flask.logging import default_handler
from structlog.processors import ExceptionRenderer
from structlog.tracebacks import ExceptionDictTransformer

from web.config import choice

if TYPE_CHECKING:
    from structlog.typing import Processor
    from werkzeug.wrappers import Response

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming request id is kept when it is a short token of safe characters.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
LEVEL_VARIABLE = "INCIDENTS_LOG_LEVEL"
DEFAULT_LEVEL = "INFO"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# The fields an access line carries besides the shared ones.
ACCESS_FIELDS = ("method", "route", "path", "status", "duration_ms")
# Libraries that say too much at INFO (psycopg's pool: two lines per request).
QUIETER = {"psycopg.pool": logging.WARNING}

access_logger = logging.getLogger("web.access")


def json_formatter() -> structlog.stdlib.ProcessorFormatter:
    """Return the formatter that renders any log record as one JSON line."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            *_shared_processors(),
            structlog.stdlib.ExtraAdder(allow=ACCESS_FIELDS),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Frames name files and lines only: locals may hold personal data.
            ExceptionRenderer(ExceptionDictTransformer(show_locals=False)),
            structlog.processors.JSONRenderer(default=str),
        ],
    )


def configure_logging(
    level: str | int | None = None, *, stream: TextIO | None = None
) -> logging.Handler:
    """Send every log record to standard error (or ``stream``) as a JSON line.

    The level is ``level``, else ``INCIDENTS_LOG_LEVEL``, else INFO. Calling it
    again replaces the handler it installed before, and no other.
    """
    chosen = level or choice(LEVEL_VARIABLE, default=DEFAULT_LEVEL, choices=LEVELS)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(json_formatter())
    handler.set_name("incidents-json")
    root = logging.getLogger()
    for previous in list(root.handlers):
        if previous.get_name() == handler.get_name():
            root.removeHandler(previous)
    root.addHandler(handler)
    root.setLevel(chosen.upper() if isinstance(chosen, str) else chosen)
    for name, quieter in QUIETER.items():
        logging.getLogger(name).setLevel(quieter)
    structlog.configure(
        processors=[
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    return handler


def init_app(app: Flask) -> None:
    """Give every request an id, echo it, and log one access line per request."""
    app.before_request(_start_request)
    app.after_request(_log_request)
    app.teardown_request(_end_request)
    if any(h.get_name() == "incidents-json" for h in logging.getLogger().handlers):
        # Flask's own handler would write every error a second time, as text.
        app.logger.removeHandler(default_handler)


def request_id() -> str:
    """Return the id of the request being served."""
    rid: str | None = g.get("request_id")
    if rid is None:
        _start_request()
        rid = g.request_id
    return rid


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _start_request() -> None:
    # A before_request function: returning anything would answer in its place.
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    rid = offered if SAFE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
    g.request_id = rid
    g.request_started = time.perf_counter()
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=rid)


def _log_request(response: Response) -> Response:
    rid = request_id()
    response.headers[REQUEST_ID_HEADER] = rid
    started: float = g.get("request_started", time.perf_counter())
    fields: dict[str, Any] = {
        "method": request.method,
        "route": request.url_rule.rule if request.url_rule else None,
        "path": _path_fit_for_log(),
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    access_logger.info("request", extra=fields)
    return response


def _end_request(error: BaseException | None) -> None:
    structlog.contextvars.clear_contextvars()


def _path_fit_for_log() -> str:
    # Ids in a path tell nothing about anyone; other parts of a matched route
    # (a person's name) are replaced by the route's template.
    rule = request.url_rule
    if rule is None or all(
        isinstance(value, uuid.UUID) for value in (request.view_args or {}).values()
    ):
        return request.path
    return rule.rule
