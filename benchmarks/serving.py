"""Measure reporting over HTTP, beside the plain CRUD tracker a user might pick.

One waitress server per web process, as ``incidents serve`` runs it, serves a
WSGI dispatcher: our application at ``/``, and under ``/crud`` a minimal Flask
application that stores each report as one row, with nothing else. Eight
clients on loopback, each with a kept-alive connection, post reports for a
fixed time, to the CRUD endpoint and to ``POST /api/v1/incidents`` in turn.

On SQLite, one web process follows the log itself (read models and ledger in
threads). On PostgreSQL, several web processes do not follow it
(``INCIDENTS_FOLLOW_LOG=0``) and one ``incidents project`` process does.

``python -m benchmarks.serving --crud-url URL`` is the web process: it reads
its settings from the ``INCIDENTS_*`` variables, prints ``{"port": N}`` once
listening, and stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import logging
import os
import secrets
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import psycopg
from flask import Flask, request

from benchmarks.history import percentiles
from benchmarks.stores import Stores
from benchmarks.writes import cheap_password_hasher, report_body
from incidents.application import load_default_offices
from incidents.bootstrap import open_incident_log
from incidents.persistence import sqlite_path

CLIENTS = 8
WARM_UP = 10
START_SECONDS = 60


def crud_app(database_url: str) -> Flask:
    """Return the plain tracker: each JSON report becomes one row, as it came."""
    app = Flask("crud")
    path = sqlite_path(database_url)
    local = threading.local()
    if path is not None:
        with contextlib.closing(sqlite3.connect(path)) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS reports "
                "(id INTEGER PRIMARY KEY, body TEXT NOT NULL)"
            )
            connection.commit()
    else:
        with psycopg.connect(database_url, autocommit=True) as server:
            server.execute(
                "CREATE TABLE IF NOT EXISTS reports "
                "(id bigserial PRIMARY KEY, body text NOT NULL)"
            )

    def insert(body: str) -> int:
        # One connection per server thread, as a small tracker would keep.
        if path is not None:
            if not hasattr(local, "sqlite"):
                local.sqlite = sqlite3.connect(path, timeout=10)
            cursor = local.sqlite.execute(
                "INSERT INTO reports (body) VALUES (?)", (body,)
            )
            local.sqlite.commit()
            return int(cursor.lastrowid or 0)
        if not hasattr(local, "postgres"):
            local.postgres = psycopg.connect(database_url, autocommit=True)
        row = local.postgres.execute(
            "INSERT INTO reports (body) VALUES (%s) RETURNING id", (body,)
        ).fetchone()
        return int(row[0]) if row else 0

    @app.post("/incidents")
    def create() -> tuple[dict[str, Any], int]:
        report = request.get_json(silent=True)
        if not isinstance(report, dict):
            return {"message": "Send a JSON object."}, 400
        return {"id": insert(json.dumps(report)), **report}, 201

    return app


def serve(crud_url: str) -> None:
    """Serve our application and the CRUD tracker until SIGTERM."""
    import waitress
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from web import create_app
    from web.config import SERVE_THREADS
    from web.serving import waitress_options

    app = create_app()
    dispatcher = DispatcherMiddleware(app, {"/crud": crud_app(crud_url)})
    # The configuration `incidents serve` runs, measured as users run it.
    server = waitress.create_server(
        dispatcher,
        host="127.0.0.1",
        port=0,
        **waitress_options(threads=SERVE_THREADS),
    )
    # waitress warns on every queued request: the clients queue on purpose.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(json.dumps({"port": server.effective_port}), flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    app.extensions["incident_log"].close()


@dataclass
class Cluster:
    """Run the web processes (and the projector process) of one benchmark."""

    database_url: str
    crud_url: str
    folder: Path
    workers: int
    follow_log: bool
    ports: list[int] = field(default_factory=list)
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "INCIDENTS_DATABASE_URL": self.database_url,
            "INCIDENTS_INSTANCE_PATH": str(self.folder / "instance"),
            "INCIDENTS_SECRET_KEY": secrets.token_urlsafe(32),
            "INCIDENTS_FOLLOW_LOG": "1" if self.follow_log else "0",
        }

    @contextlib.contextmanager
    def running(self) -> Iterator[Cluster]:
        """Start every process, yield, then stop them all."""
        logs = self.folder / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        try:
            if not self.follow_log:
                self._start(
                    [sys.executable, "-m", "web.cli", "project"], logs / "project.log"
                )
            for number in range(self.workers):
                process = self._start(
                    [
                        *(sys.executable, "-m", "benchmarks.serving"),
                        *("--crud-url", self.crud_url),
                    ],
                    logs / f"web-{number}.log",
                    stdout=subprocess.PIPE,
                )
                self.ports.append(_port_of(process, logs / f"web-{number}.log"))
            yield self
        finally:
            self.stop()

    def _start(
        self, command: list[str], log: Path, stdout: int | None = None
    ) -> subprocess.Popen[str]:
        with log.open("w", encoding="utf-8") as errors:
            process = subprocess.Popen(
                command,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=stdout if stdout is not None else subprocess.DEVNULL,
                stderr=errors,
                text=True,
            )
        self.processes.append(process)
        return process

    def stop(self) -> None:
        """Stop every process started, waiting for each in turn."""
        while self.processes:
            process = self.processes.pop()
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            if process.stdout is not None:
                process.stdout.close()


def _port_of(process: subprocess.Popen[str], log: Path) -> int:
    stdout: IO[str] | None = process.stdout
    found: list[str] = []
    reader = threading.Thread(
        target=lambda: found.append(stdout.readline() if stdout else ""), daemon=True
    )
    reader.start()
    reader.join(START_SECONDS)
    if not found or not found[0].strip():
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise RuntimeError(f"A web process did not start:\n{tail}")
    return int(json.loads(found[0])["port"])


@dataclass
class Load:
    """Collect what the clients of one timed run saw."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # CPU the web processes (and the projector's) used, ms a request, warm-up
    # included; None where /proc cannot tell.
    cpu_ms: float | None = None


def load(
    ports: list[int],
    path: str,
    headers: dict[str, str],
    *,
    seconds: float,
    clients: int = CLIENTS,
) -> Load:
    """Post reports from several clients at once for some seconds."""
    body = json.dumps(report_body()).encode()
    headers = {**headers, "Content-Type": "application/json"}
    ready = threading.Barrier(clients + 1)
    go = threading.Event()
    result = Load()
    lock = threading.Lock()
    deadline = [0.0]
    finished: list[float] = []

    def client(number: int) -> None:
        connection = http.client.HTTPConnection(
            "127.0.0.1", ports[number % len(ports)], timeout=30
        )
        latencies: list[float] = []
        error = ""
        try:
            for _ in range(WARM_UP):
                error = error or _post(connection, path, body, headers)
            with contextlib.suppress(threading.BrokenBarrierError):
                ready.wait(START_SECONDS)
            go.wait(START_SECONDS)
            while not error and time.perf_counter() < deadline[0]:
                started = time.perf_counter()
                error = _post(connection, path, body, headers)
                latencies.append(time.perf_counter() - started)
        finally:
            connection.close()
            with lock:
                result.latencies.extend(latencies)
                if error:
                    result.errors.append(error)
                finished.append(time.perf_counter())

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        ready.wait(START_SECONDS)
    started = time.perf_counter()
    deadline[0] = started + seconds
    go.set()
    for thread in threads:
        thread.join()
    result.seconds = max(finished, default=started) - started
    return result


def _post(
    connection: http.client.HTTPConnection,
    path: str,
    body: bytes,
    headers: dict[str, str],
) -> str:
    """Post one report; return what went wrong, or nothing."""
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
    except (OSError, http.client.HTTPException) as error:
        return f"{path}: {error!r}"
    if response.status != 201:
        return f"{path}: {response.status} {answer[:300]!r}"
    return ""


def cpu_seconds(processes: list[subprocess.Popen[str]]) -> float | None:
    """Return the CPU seconds the processes used so far, or None without /proc."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for process in processes:
        try:
            stat = Path(f"/proc/{process.pid}/stat").read_text(encoding="ascii")
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def load_measured(
    cluster: Cluster, path: str, headers: dict[str, str], *, seconds: float
) -> Load:
    """Run :func:`load` and note the CPU the cluster used for each request."""
    before = cpu_seconds(cluster.processes)
    run = load(cluster.ports, path, headers, seconds=seconds)
    after = cpu_seconds(cluster.processes)
    if before is not None and after is not None:
        requests = len(run.latencies) + CLIENTS * WARM_UP
        run.cpu_ms = 1000 * (after - before) / requests
    return run


def summarise(runs: list[Load]) -> dict[str, float]:
    """Return the median rate and CPU over runs, the percentiles of every latency."""
    errors = [error for run in runs for error in run.errors]
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed, first: {errors[0]}")
    latencies = [latency for run in runs for latency in run.latencies]
    cpu = [run.cpu_ms for run in runs if run.cpu_ms is not None]
    return {
        "per_s": statistics.median(
            len(run.latencies) / run.seconds for run in runs if run.seconds
        ),
        **percentiles(latencies),
        **({"cpu_ms": statistics.median(cpu)} if cpu else {}),
    }


def measure(
    stores: Stores,
    folder: Path,
    *,
    workers: int,
    follow_log: bool,
    seconds: float,
    rounds: int,
) -> dict[str, Any]:
    """Measure our reports and the CRUD tracker's, in turn, on the same servers."""
    url, crud_url = stores.new("http"), stores.new("crud")
    log = open_incident_log(url, password_hasher=cheap_password_hasher())
    try:
        offices = [office["code"] for office in load_default_offices()]
        log.register_user(actor="bench", name="bench", role="mediator", offices=offices)
        token = log.issue_token("bench", actor="bench").token
    finally:
        log.close()
    auth = {"Authorization": f"Bearer {token}"}
    ours: list[Load] = []
    crud: list[Load] = []
    cluster = Cluster(url, crud_url, folder / "http", workers, follow_log)
    with cluster.running():
        for _ in range(rounds):
            crud.append(load_measured(cluster, "/crud/incidents", {}, seconds=seconds))
            ours.append(
                load_measured(cluster, "/api/v1/incidents", auth, seconds=seconds)
            )
    return {
        "web_processes": workers,
        "projector": "in the web process" if follow_log else "in its own process",
        "clients": CLIENTS,
        "incidents": summarise(ours),
        "crud": summarise(crud),
    }


def main() -> None:
    """Run one web process of the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crud-url", required=True)
    serve(parser.parse_args().crud_url)


if __name__ == "__main__":
    main()
