"""Break things on purpose: kill the server, fill the disk, stop PostgreSQL.

Each fault is real, on loopback and temporary: a ``kill -9`` of an
``incidents serve`` process, a small tmpfs filled to the last byte, files made
immutable (``chattr +i``, which stops root too), a PostgreSQL server of the test's
own stopped and started again. Mounting and ``chattr`` need root: without it, or
on a file system that refuses them, the test is skipped, but fails where ``CI`` is
set, so that CI never silently skips a fault.

The tests print what they measured; ``tests/conftest.py`` repeats those lines in
the summary, even without ``-s``.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests import pgserver
from tests.conftest import ledger_key_path, signing_key_path

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]
INCIDENTS = str(Path(sys.executable).with_name("incidents"))
START_TIMEOUT = 30
PREFIX = "/api/v1"


def unavailable(reason: str) -> None:
    """Skip a fault this machine cannot cause; fail instead where ``CI`` is set."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: a fault is never skipped there)")
    pytest.skip(reason)


def run_as_root(*command: str) -> None:
    """Run a system command that needs root, or skip the test without it."""
    if os.geteuid() != 0:
        unavailable(f"{command[0]} needs root")
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=30, check=False
    )
    if completed.returncode != 0:
        unavailable(f"{' '.join(command)} failed: {completed.stderr.strip()}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class Reply:
    """A status, the headers (lower-case names) and the JSON body of an answer."""

    status: int
    headers: dict[str, str]
    body: Any


def call(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """Send one request on a connection and read the JSON answer."""
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    connection.request(method, path, body=data, headers=sent)
    response = connection.getresponse()
    raw = response.read()
    names = {name.lower(): value for name, value in response.getheaders()}
    return Reply(response.status, names, json.loads(raw) if raw else None)


@dataclass
class Service:
    """An ``incidents serve`` process, its port, and the file holding its output."""

    process: subprocess.Popen[bytes]
    port: int
    output: Path

    def connect(self, timeout: float = 10) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(HOST, self.port, timeout=timeout)

    def get(self, path: str, token: str | None = None) -> Reply:
        connection = self.connect()
        try:
            return call(connection, "GET", path, token=token)
        finally:
            connection.close()

    def wait_until_ready(self) -> dict[str, Any]:
        """Wait until /readyz says ready (read models caught up); return it."""
        deadline = time.monotonic() + START_TIMEOUT
        last: Any = None
        while time.monotonic() < deadline:
            self.check_running()
            with contextlib.suppress(OSError, http.client.HTTPException):
                reply = self.get("/readyz")
                last = reply.body
                if reply.status == 200 and reply.body["read_models"]["lag"] == 0:
                    return dict(reply.body)
            time.sleep(0.05)
        raise AssertionError(f"never ready: {last}\n{self.tail()}")

    def check_running(self) -> None:
        if self.process.poll() is not None:
            raise AssertionError(
                f"incidents serve exited with {self.process.returncode}:\n"
                + self.tail()
            )

    def stop(self) -> int:
        """Stop the process gracefully (SIGTERM); return its exit code."""
        if self.process.poll() is None:
            self.process.terminate()
        return self.process.wait(timeout=START_TIMEOUT)

    def tail(self, lines: int = 40) -> str:
        text = self.output.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def service_environment(database_url: str, folder: Path) -> dict[str, str]:
    """Return the environment of a service on a store, its files in a folder."""
    return {
        **os.environ,
        "INCIDENTS_DATABASE_URL": database_url,
        "INCIDENTS_INSTANCE_PATH": str(folder / "instance"),
        "INCIDENTS_SECRET_KEY": "faults",
        "INCIDENTS_SIGNING_KEY_PATH": str(signing_key_path()),
        "INCIDENTS_LEDGER_KEY_PATH": str(ledger_key_path()),
    }


def start_service(environment: dict[str, str], output: Path) -> Service:
    """Start ``incidents serve`` on a free port, and wait until it answers."""
    port = free_port()
    with output.open("ab") as file:
        process = subprocess.Popen(
            [INCIDENTS, "serve", "--host", HOST, "--port", str(port)],
            cwd=ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=file,
            stderr=subprocess.STDOUT,
        )
    service = Service(process, port, output)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        service.check_running()
        try:
            answered = service.get("/healthz").status == 200
        except (OSError, http.client.HTTPException):
            answered = False
        # The port was free when probed, not since: another test process may
        # have taken it. The answer is this service's once it says it serves there.
        if answered and serves_at(output, port):
            return service
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("never answered:\n" + service.tail())
        time.sleep(0.05)


def serves_at(output: Path, port: int) -> bool:
    """Tell whether ``incidents serve`` said in its output that it listens on port."""
    return f"Serving http://{HOST}:{port}/" in output.read_text(errors="replace")


def run_command(environment: dict[str, str], *args: str) -> tuple[int, str]:
    """Run an ``incidents`` command; return its exit code and its output."""
    completed = subprocess.run(
        [INCIDENTS, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return completed.returncode, completed.stdout + completed.stderr


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """Mount an 8 MB tmpfs for the test, and unmount it after."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    run_as_root(
        "mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", str(mount_point)
    )
    try:
        yield mount_point
    finally:
        unmounted = subprocess.run(
            ["umount", str(mount_point)], capture_output=True, check=False
        )
        if unmounted.returncode != 0:  # Still in use: detach it all the same.
            subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the disk is full; return it (delete it to free the disk)."""
    filler = disk / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 20, 1 << 12, 1):  # Then smaller, to the last byte.
            block = b"\0" * size
            with contextlib.suppress(OSError):
                while True:
                    os.write(descriptor, block)
    finally:
        os.close(descriptor)
    return filler


@contextlib.contextmanager
def full(disk: Path) -> Iterator[None]:
    """Keep a disk full to the last byte while the block runs."""
    filler = fill(disk)
    try:
        yield
    finally:
        filler.unlink()


@contextlib.contextmanager
def immutable(*paths: Path) -> Iterator[None]:
    """Make files immutable (no write, even by root, even through open files)."""
    run_as_root("chattr", "+i", *map(str, paths))
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *map(str, paths)], check=False)


@pytest.fixture
def own_postgres() -> Iterator[pgserver.Server]:
    """Run a PostgreSQL server for this test alone, to stop and start at will."""
    if pgserver.find_bindir() is None:
        reason = "initdb is not installed: no PostgreSQL server to stop and start"
        if os.environ.get("INCIDENTS_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    # Stopped with `-m immediate` under load, the server must keep what it
    # acknowledged: with synchronous_commit off (the other tests' speed-up) it
    # answers a commit before writing its WAL, and the stop loses the last ones,
    # which no service could then find. fsync stays off: the machine does not
    # crash, and what PostgreSQL wrote is kept by the system.
    with pgserver.running({"synchronous_commit": "on"}) as server:
        yield server


def pg_ctl(server: pgserver.Server, action: str, *options: str) -> None:
    """Stop or start the test's own PostgreSQL server, keeping its data and port."""
    folder = Path(server.directory)
    bindir = pgserver.find_bindir()
    assert bindir is not None
    pgserver._run(
        pgserver._server_user(),
        folder,
        str(bindir / "pg_ctl"),
        action,
        "--pgdata",
        str(folder / "data"),
        "--wait",
        *options,
    )


def stop_postgres(server: pgserver.Server) -> None:
    """Stop the server as an administrator would: sessions are cut at once."""
    pg_ctl(server, "stop", "--mode", "fast")


def start_postgres(server: pgserver.Server) -> None:
    """Start the stopped server again, on the same port."""
    folder = Path(server.directory)
    pg_ctl(
        server, "start", "--log", str(folder / "server.log"), "-o", f"-p {server.port}"
    )
