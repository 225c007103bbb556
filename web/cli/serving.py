"""Serve the web application, and keep the read models as a process of its own."""

from __future__ import annotations

import contextlib
import functools
import logging
import signal
import threading
import time
from typing import Any

import click
from eventsourcing.postgres import PostgresApplicationRecorder

from incidents.application import IncidentLog
from incidents.persistence import redact
from web.cli.common import open_log, reports_errors
from web.config import SERVE_THREADS
from web.read_only import UntilWritable
from web.serving import (
    CONNECTION_LIMIT,
    IDLE_SECONDS,
    allow_open_files,
    waitress_options,
)

SHUTDOWN_GRACE_SECONDS = 20

# Services write JSON lines only (web/logs.py), these included.
logger = logging.getLogger("web.serve")


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0: every interface; prefer a reverse proxy).",
)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to listen on.",
)
@click.option(
    "--threads",
    default=SERVE_THREADS,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Requests answered at once.",
)
@click.option(
    "--connection-limit",
    default=CONNECTION_LIMIT,
    show_default=True,
    type=click.IntRange(10, 100_000),
    envvar="INCIDENTS_CONNECTION_LIMIT",
    show_envvar=True,
    help="Connections held open at once; more wait in the listen queue.",
)
@click.option(
    "--idle-timeout",
    default=IDLE_SECONDS,
    show_default=True,
    type=click.IntRange(1, 3600),
    envvar="INCIDENTS_IDLE_TIMEOUT",
    show_envvar=True,
    help="Seconds after which a connection that sends nothing is closed.",
)
@click.option(
    "--trusted-proxy",
    metavar="ADDRESS",
    envvar="INCIDENTS_TRUSTED_PROXY",
    show_envvar=True,
    help="The reverse proxy's address: its X-Forwarded-For and X-Forwarded-Proto "
    "name the visitor; no one else's are believed.",
)
@reports_errors
def serve(
    host: str,
    port: int,
    threads: int,
    connection_limit: int,
    idle_timeout: int,
    trusted_proxy: str | None,
) -> None:
    """Serve the web application with waitress.

    \b
    Examples:
      incidents serve --port 8000
      incidents serve --trusted-proxy 127.0.0.1   (behind nginx on this machine)
    """
    import waitress

    from web import create_app

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # unwinds server.run() in this, the main thread

    # Before the socket listens: a SIGTERM that comes as soon as a client can
    # connect must stop the server gracefully, not kill it.
    signal.signal(signal.SIGTERM, stop)
    served: Any = None
    server: Any = None
    with contextlib.suppress(KeyboardInterrupt):
        # A store that refuses writes from the start (a full disk, a read-only
        # file) is served for reading until it takes writes (web/read_only.py).
        # A pooled connection for each thread: none waits for another's.
        settings = {"THREADS": threads}
        app = create_app({**settings, "READ_ONLY_IF_REFUSED": True})
        served = app
        reason = app.extensions["incident_log"].read_only_reason
        if reason is not None:
            logger.error(
                "Serving reads only: the database could not be opened to write "
                "(%s). Writes are refused (503) until it takes them again.",
                reason,
            )
            served = UntilWritable(app, functools.partial(create_app, settings))
            served.start()
        allow_open_files(connection_limit)
        server = waitress.create_server(
            served,
            host=host,
            port=port,
            **waitress_options(
                threads=threads,
                connection_limit=connection_limit,
                idle_seconds=idle_timeout,
                trusted_proxy=trusted_proxy,
            ),
        )
        logger.info(
            "Serving http://%s:%s/ from %s",
            host,
            port,
            redact(app.config["DATABASE_URL"]),
            extra={"host": host, "port": port},
        )
        server.run()
    if server is not None:
        # Graceful: accept nothing new, let the requests in flight be answered,
        # then stop the threads that follow the log at a batch boundary.
        server.close()
        deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
        while time.monotonic() < deadline and _serving(server):
            server.asyncore.loop(timeout=0.05, map=server._map, count=1)
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
    if isinstance(served, UntilWritable):
        served.stop()
        served = served.current
    if served is not None:
        served.extensions["incident_log"].close()
    logger.info("Stopped: requests in flight answered, read models at rest.")


def _serving(server: Any) -> bool:
    """Tell whether waitress still has a request to run or an answer to send."""
    dispatcher = server.task_dispatcher
    if dispatcher.active_count or dispatcher.queue:
        return True
    return any(
        getattr(channel, "total_outbufs_len", 0) or getattr(channel, "requests", None)
        for channel in list(server._map.values())
    )


@click.command()
@click.option(
    "--poll-interval",
    default=0.02,
    show_default=True,
    type=click.FloatRange(0.01, 60),
    help="Seconds between looks at the log when it is idle (on PostgreSQL, "
    "every save also wakes it at once).",
)
@reports_errors
def project(poll_interval: float) -> None:
    """Keep the read models up to date, as a process of its own, until stopped.

    Run it beside web processes started with INCIDENTS_FOLLOW_LOG=0
    (docs/scaling.md).
    """
    from projections.projector import Projector

    log = open_log()
    projector = Projector(log)
    stopping = threading.Event()

    def stop(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logger.info("Following the log from position %s.", projector.position())
    projector.start(poll_interval=poll_interval)
    wake_on_saves_elsewhere(log, stopping)
    # Each thread stops after the batch in progress.
    projector.stop()
    logger.info("Stopped at position %s.", projector.position())


def wake_on_saves_elsewhere(log: IncidentLog, stopping: threading.Event) -> None:
    """Wake this process's followers whenever any process saves, until stopped.

    PostgreSQL notifies a channel with every save (eventsourcing issues NOTIFY
    in the inserting transaction); elsewhere the followers poll.
    """
    recorder = log.recorder
    if not isinstance(recorder, PostgresApplicationRecorder):
        while not stopping.wait(0.5):
            pass
        return
    with recorder.datastore.get_connection() as connection:
        connection.execute(f'LISTEN "{recorder.channel_name}"')
        while not stopping.is_set():
            if any(True for _ in connection.notifies(timeout=0.2, stop_after=1)):
                head = recorder.max_notification_id() or 0
                for listener in list(log.save_listeners):
                    listener(head)
