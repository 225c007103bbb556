"""Several processes on one PostgreSQL database, as docs/scaling.md runs them.

Two ``incidents serve`` processes with ``INCIDENTS_FOLLOW_LOG=0`` and one
``incidents project`` process: a report written through either web process is
read back at once through the other, because each write waits for the read
models that the projector process keeps.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from incidents.errors import InvalidInputError, NotAuthenticatedError
from incidents.evidence import Evidence
from projections.projector import Projector
from tests.conftest import OpenLog, ledger_key_path, signing_key_path
from web.config import settings_from_environment

INCIDENTS = str(Path(sys.executable).with_name("incidents"))
OFFICES = ["nanterre-centre", "colombes-aragon"]
START_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Deployment:
    """Start the processes of one deployment and talk to its web processes."""

    def __init__(self, database_url: str, folder: Path) -> None:
        self.folder = folder
        self.env = {
            **os.environ,
            "INCIDENTS_DATABASE_URL": database_url,
            "INCIDENTS_INSTANCE_PATH": str(folder / "instance"),
            "INCIDENTS_SECRET_KEY": "scaling-test",
            "INCIDENTS_SIGNING_KEY_PATH": str(signing_key_path()),
            "INCIDENTS_LEDGER_KEY_PATH": str(ledger_key_path()),
        }
        self.processes: dict[str, subprocess.Popen[str]] = {}
        self.ports: list[int] = []
        self.token = ""

    def start(self, name: str, *args: str, **extra: str) -> None:
        log = (self.folder / f"{name}.log").open("w", encoding="utf-8")
        self.processes[name] = subprocess.Popen(
            [INCIDENTS, *args],
            env={**self.env, **extra},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        log.close()

    def start_web(self, name: str) -> None:
        port = free_port()
        self.start(name, "serve", "--port", str(port), INCIDENTS_FOLLOW_LOG="0")
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            try:
                self.call(port, "GET", "/healthz")
            except OSError:
                pass
            else:
                # The port was free when probed, not since: the answer is this
                # process's once it says it serves there.
                if f"Serving http://127.0.0.1:{port}/" in self.output(name):
                    self.ports.append(port)
                    return
            assert self.processes[name].poll() is None, self.output(name)
            time.sleep(0.1)
        raise AssertionError(f"{name} never answered:\n{self.output(name)}")

    def stop(self, name: str) -> int:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise

    def output(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(encoding="utf-8")

    def call(
        self, port: int, method: str, path: str, body: Any = None
    ) -> tuple[int, Any]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


@contextmanager
def deployment(database_url: str, folder: Path) -> Iterator[Deployment]:
    running = Deployment(database_url, folder)
    try:
        yield running
    finally:
        for name in list(running.processes):
            running.stop(name)


def report(office: str) -> dict[str, Any]:
    return {
        "office": office,
        "occurred_at": "2026-03-02T10:15:00+01:00",
        "category": "waiting_time",
        "severity": 1,
        "target": "staff",
        "summary": "Attente au guichet, ton qui monte.",
    }


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.timeout(240)
def test_two_web_processes_and_a_projector_read_their_writes_back(
    postgres_url: str, make_log: OpenLog, tmp_path: Path
):
    log = make_log(postgres_url)
    log.register_user(actor="test", name="amina", role="mediator", offices=OFFICES)
    token = log.issue_token("amina", actor="test").token

    with deployment(postgres_url, tmp_path) as running:
        running.token = token
        running.start("project", "project")
        running.start_web("web-1")
        running.start_web("web-2")

        for writer, reader in ((0, 1), (1, 0), (0, 1)):
            status, written = running.call(
                running.ports[writer], "POST", "/api/v1/incidents", report(OFFICES[0])
            )
            assert status == 201, written
            status, listed = running.call(
                running.ports[reader],
                "GET",
                f"/api/v1/incidents?office={OFFICES[0]}&page_size=200",
            )
            assert status == 200, listed
            assert written["id"] in [item["id"] for item in listed["items"]]
            status, timeline = running.call(
                running.ports[reader],
                "GET",
                f"/api/v1/incidents/{written['id']}/timeline",
            )
            assert status == 200, timeline
            assert timeline["items"][-1]["position"] == written["position"]

        # The web processes keep no read models: with the projector stopped,
        # they fall behind the log, and catch up once it runs again.
        assert running.stop("project") == 0
        behind = log.report_incident(actor="amina", **report(OFFICES[1]))
        time.sleep(0.5)
        status, ready = running.call(running.ports[0], "GET", "/readyz")
        assert ready["read_models"]["lag"] >= 1, ready
        running.start("project", "project")
        assert Projector(log).wait(behind.position, timeout=20)
        assert running.stop("web-1") == 0
        assert running.stop("web-2") == 0
        output = running.output("project")

    # Each process sealed the events it wrote, in the writes themselves.
    evidence = Evidence(log)
    assert evidence.ledger.head().position == behind.position, output
    assert evidence.verify().ok


@pytest.mark.postgres
@pytest.mark.timeout(120)
def test_projector_wait_sees_a_projector_in_another_process(
    postgres_url: str, make_log: OpenLog, tmp_path: Path
):
    log = make_log(postgres_url)
    waiting = Projector(log)  # never started: another process applies events

    with deployment(postgres_url, tmp_path) as running:
        running.start("project", "project")
        written = log.report_incident(actor="amina", **report(OFFICES[0]))

        assert waiting.wait(written.position, timeout=20), running.output("project")
        assert running.stop("project") == 0

    assert waiting.position() >= written.position
    # The write sealed its own event into the ledger; no follower did.
    assert Evidence(log).ledger.head().position == written.position


def test_a_log_sees_offices_and_people_another_process_changed(
    durable_database_url: str, make_log: OpenLog
):
    reader = make_log(durable_database_url)
    writer = make_log(durable_database_url, load_offices=False)
    reader.register_user(actor="test", name="amina", role="mediator", offices=OFFICES)
    issued = reader.issue_token("amina", actor="test")
    assert reader.authenticate_token(issued.token)["name"] == "amina"
    assert "sevres-centre" not in [office["code"] for office in reader.list_offices()]

    writer.ensure_offices([{"code": "sevres-centre", "name": "Sèvres", "city": "X"}])
    writer.change_offices("amina", actor="test", offices=["sevres-centre"])

    assert "sevres-centre" in [office["code"] for office in reader.list_offices()]
    assert reader.authenticate_token(issued.token)["offices"] == ["sevres-centre"]
    writer.deactivate_user("amina", actor="test", reason="A quitté l'association.")
    with pytest.raises(NotAuthenticatedError):
        reader.authenticate_token(issued.token)


@pytest.mark.parametrize(
    ("value", "follows"), [(None, True), ("1", True), ("0", False), ("off", False)]
)
def test_incidents_follow_log_chooses_who_keeps_the_read_models(
    monkeypatch, tmp_path, value, follows
):
    monkeypatch.setenv("INCIDENTS_SECRET_KEY", "x")
    if value is None:
        monkeypatch.delenv("INCIDENTS_FOLLOW_LOG", raising=False)
    else:
        monkeypatch.setenv("INCIDENTS_FOLLOW_LOG", value)

    assert settings_from_environment(tmp_path)["FOLLOW_LOG"] is follows


def test_a_follow_log_value_that_means_nothing_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("INCIDENTS_SECRET_KEY", "x")
    monkeypatch.setenv("INCIDENTS_FOLLOW_LOG", "sometimes")

    with pytest.raises(InvalidInputError, match="INCIDENTS_FOLLOW_LOG"):
        settings_from_environment(tmp_path)
