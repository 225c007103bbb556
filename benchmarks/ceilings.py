"""Measure what one request costs the interpreter, with no server around it.

A web process runs Python on one core at a time (the GIL): the CPU a request
costs bounds how many it can answer a second, whatever the server, the number
of threads or the batching of commits. This phase measures, in this process
and one thread, for each backend:

- the CRUD tracker's request (:func:`benchmarks.serving.crud_app`), called as
  a WSGI application;
- our ``POST /api/v1/incidents``, called the same way on a store of its own,
  with nothing following the log;
- what the same reports then cost the followers a web process runs beside its
  requests: the projector (read models) and the notifier;
- ``IncidentLog.report_incident`` alone, the command without HTTP.

The harness sets these beside the HTTP phase, where the CPU a CRUD request costs
the web process, beyond its application, is the server's own share; from both it
works out the best ratios one interpreter could reach if nothing waited on
anything (:func:`ceilings`; BENCHMARKS.md, "Ceilings").
"""

from __future__ import annotations

import io
import json
import secrets
import statistics
import time
from collections.abc import Callable, Mapping
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.serving import crud_app
from benchmarks.stores import Stores
from benchmarks.writes import report_body
from incidents.application import load_default_offices

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

WARM_UP = 30


def cpu_ms_each(operation: Callable[[], object], seconds: float) -> float:
    """Repeat an operation for some seconds; return its process CPU, ms a call."""
    count, cpu, deadline = 0, time.process_time(), time.perf_counter() + seconds
    while True:
        operation()
        count += 1
        if time.perf_counter() >= deadline:
            return 1000 * (time.process_time() - cpu) / count


def poster(
    app: WSGIApplication, path: str, body: bytes, headers: Mapping[str, str]
) -> Callable[[], None]:
    """Return a call that posts ``body`` to ``app`` as a server would; 201 or raise."""
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        **{
            f"HTTP_{name.upper().replace('-', '_')}": value
            for name, value in headers.items()
        },
    }

    def post() -> None:
        answered: list[str] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: object = None
        ) -> Callable[[bytes], object]:
            answered.append(status)
            return lambda data: None

        answer = b"".join(
            app(
                {
                    **environ,
                    "wsgi.input": io.BytesIO(body),
                    "wsgi.errors": io.StringIO(),
                },
                start_response,
            )
        )
        if not answered or not answered[0].startswith("201"):
            raise RuntimeError(f"{path}: {answered} {answer[:300]!r}")

    return post


def measure(
    stores: Stores, folder: Path, *, seconds: float, rounds: int
) -> dict[str, float]:
    """Measure each cost in interleaved rounds; return the medians, ms a request."""
    from web import create_app  # The benchmarks import the product, not the reverse.

    body = json.dumps(report_body()).encode()
    crud = poster(crud_app(stores.new("crud-wsgi")), "/incidents", body, {})
    app = create_app(
        {
            "DATABASE_URL": stores.new("wsgi"),
            "SECRET_KEY": secrets.token_urlsafe(32),
            "FOLLOW_LOG": False,  # Followed below, and timed apart.
            "NOTIFY": False,
            "SIGNING_KEY_PATH": str(folder / "wsgi-signing.key"),
            "LEDGER_KEY_PATH": str(folder / "wsgi-ledger.key"),
        }
    )
    log = app.extensions["incident_log"]
    projector = app.extensions["read_models"].projector
    notifier = app.extensions["notifier"]
    with closing(log):
        offices = [office["code"] for office in load_default_offices()]
        log.register_user(actor="bench", name="bench", role="mediator", offices=offices)
        token = log.issue_token("bench", actor="bench").token
        ours = poster(
            app.wsgi_app,
            "/api/v1/incidents",
            body,
            {"Authorization": f"Bearer {token}"},
        )
        fields = report_body()
        reached = 0

        def command() -> None:
            log.report_incident(actor="bench", **fields)

        def followers() -> float:
            """Follow every event written since the last call; ms of CPU an event."""
            nonlocal reached
            head = log.recorder.max_notification_id() or 0
            cpu = time.process_time()
            projector.catch_up()
            while notifier.follow():
                pass
            events, reached = head - reached, head
            return 1000 * (time.process_time() - cpu) / max(1, events)

        for operation in (crud, ours, command):
            for _ in range(WARM_UP):
                operation()
        followers()
        runs: dict[str, list[float]] = {
            "crud_app_ms": [],
            "report_app_ms": [],
            "followers_ms": [],
            "report_command_ms": [],
        }
        for _ in range(rounds):
            runs["crud_app_ms"].append(cpu_ms_each(crud, seconds))
            followers()  # What the command below wrote: not timed.
            runs["report_app_ms"].append(cpu_ms_each(ours, seconds))
            runs["followers_ms"].append(followers())
            runs["report_command_ms"].append(cpu_ms_each(command, seconds))
    return {name: statistics.median(values) for name, values in runs.items()}


def ceilings(
    costs: Mapping[str, float],
    served: Mapping[str, Any],
    wrote: Mapping[str, float],
    *,
    followers_in_web_process: bool,
) -> dict[str, float]:
    """Return the best ratios one interpreter allows, from the costs measured.

    The server's share of a request is what a CRUD request cost the web process
    in the HTTP phase beyond its application; our report costs that share, its
    application, and (where the web process follows the log) the followers'.
    """
    crud_served = served["crud"].get("cpu_ms")
    if crud_served is None:  # No /proc: the server's share is unknown.
        return {}
    server = max(0.0, crud_served - costs["crud_app_ms"])
    report = server + costs["report_app_ms"]
    if followers_in_web_process:
        report += costs["followers_ms"]
    return {
        "server_ms": server,
        "http_vs_crud_ceiling": (server + costs["crud_app_ms"]) / report,
        "http_vs_bare_save_ceiling": 1000 / report / wrote["bare_save_per_s"],
        "group_commit_vs_raw_row_commit_ceiling": 1000
        / costs["report_command_ms"]
        / wrote["raw_insert_per_s"],
    }
