"""The ``incidents`` command line, run as a user would: in a real process."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

INCIDENTS = str(Path(sys.executable).with_name("incidents"))


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    return tmp_path / "instance"


def run(
    instance: Path, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "INCIDENTS_INSTANCE_PATH": str(instance),
        "INCIDENTS_DATABASE_URL": f"sqlite:///{instance / 'log.sqlite3'}",
    }
    return subprocess.run(
        [INCIDENTS, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_users_add_registers_a_person_with_a_password_read_from_stdin(instance):
    added = run(
        instance,
        "users",
        "add",
        "amina",
        "--role",
        "mediator",
        "--office",
        "nanterre-centre",
        "--password-stdin",
        stdin="correct horse battery\n",
    )

    assert added.returncode == 0, added.stderr
    assert "Registered amina (mediator) for nanterre-centre." in added.stdout
    from incidents.bootstrap import open_incident_log

    log = open_incident_log(f"sqlite:///{instance / 'log.sqlite3'}")
    assert log.authenticate("amina", "correct horse battery")["role"] == "mediator"


def test_users_add_without_office_covers_every_office(instance):
    added = run(instance, "users", "add", "paul", "--role", "officer", "--no-password")

    assert added.returncode == 0, added.stderr
    assert "for every office" in added.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--role", "boss", "--no-password"], "", "'boss' is not one of"),
        (
            ["--role", "mediator", "--office", "lyon", "--no-password"],
            "",
            "'lyon' is not one of",
        ),
        (["--role", "mediator", "--password-stdin"], "short\n", "password"),
        (["--role", "mediator", "--password-stdin"], "", "no password"),
    ],
)
def test_users_add_refuses_bad_input_with_a_clear_error(instance, args, stdin, message):
    refused = run(instance, "users", "add", "amina", *args, stdin=stdin)

    assert refused.returncode != 0
    assert message in refused.stderr


def test_users_add_refuses_a_name_taken(instance):
    first = run(instance, "users", "add", "amina", "--role", "admin", "--no-password")
    assert first.returncode == 0, first.stderr

    again = run(instance, "users", "add", "amina", "--role", "admin", "--no-password")

    assert again.returncode == 1
    assert "already exists" in again.stderr


def test_demo_prints_credentials_that_sign_in_and_loads_only_once(instance):
    loaded = run(instance, "demo", "--weeks", "1")

    assert loaded.returncode == 0, loaded.stderr
    credentials = re.findall(r"^  (\S+)\s+(\w+)\s+(\S+)$", loaded.stdout, re.MULTILINE)
    assert {role for _, role, _ in credentials} == {
        "mediator",
        "officer",
        "auditor",
        "admin",
    }
    from incidents.bootstrap import open_incident_log

    log = open_incident_log(f"sqlite:///{instance / 'log.sqlite3'}")
    for name, role, password in credentials:
        assert log.authenticate(name, password)["role"] == role
    head = log.recorder.max_notification_id()
    assert (instance / "demo-credentials.txt").stat().st_mode & 0o077 == 0

    again = run(instance, "demo", "--if-empty")

    assert again.returncode == 0, again.stderr
    assert "no demo loaded" in again.stdout
    assert log.recorder.max_notification_id() == head


def test_a_database_that_cannot_be_reached_is_a_clear_error(tmp_path):
    env = {
        **os.environ,
        "INCIDENTS_INSTANCE_PATH": str(tmp_path),
        "INCIDENTS_DATABASE_URL": "postgresql://someone:s3cret@127.0.0.1:9/nothing",
    }
    refused = subprocess.run(
        [INCIDENTS, "users", "add", "amina", "--role", "admin", "--no-password"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )

    assert refused.returncode == 3  # The store cannot be used.
    assert "Cannot use the database postgresql://someone:***@127.0.0.1:9" in (
        refused.stderr
    )
    assert "s3cret" not in refused.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_on_the_port_it_was_given(instance):
    port = free_port()
    env = {
        **os.environ,
        "INCIDENTS_INSTANCE_PATH": str(instance),
        "INCIDENTS_DATABASE_URL": f"sqlite:///{instance / 'log.sqlite3'}",
    }
    server = subprocess.Popen(
        [INCIDENTS, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/healthz", timeout=2
                ) as response:
                    body = response.read().decode()
            except OSError:
                time.sleep(0.1)
        assert body is not None, "the server never answered"
        assert '"status":"ok"' in body.replace(" ", "")
    finally:
        server.terminate()
        server.communicate(timeout=30)


def test_serve_stops_cleanly_on_sigterm_with_the_read_models_at_rest(instance):
    port = free_port()
    url = f"sqlite:///{instance / 'log.sqlite3'}"
    env = {
        **os.environ,
        "INCIDENTS_INSTANCE_PATH": str(instance),
        "INCIDENTS_DATABASE_URL": url,
    }
    server = subprocess.Popen(
        [INCIDENTS, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                # An idle keep-alive connection stays open across the stop.
                idle = socket.create_connection(("127.0.0.1", port), timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server never listened")
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=30)
        idle.close()
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()

    assert server.returncode == 0, stderr
    lines = [json.loads(line) for line in stderr.splitlines()]  # JSON lines only
    assert "Stopped: requests in flight answered, read models at rest." in [
        line["event"] for line in lines
    ]
    from incidents.bootstrap import open_incident_log
    from projections.projector import Projector

    log = open_incident_log(url)
    assert Projector(log).position() == log.recorder.max_notification_id()


def test_users_add_and_set_email_record_an_address_and_a_language(instance):
    added = run(
        instance,
        "users",
        "add",
        "paul",
        "--role",
        "officer",
        "--email",
        "paul@example.fr",
        "--language",
        "en",
        "--no-password",
    )
    assert added.returncode == 0, added.stderr
    changed = run(instance, "users", "set-email", "paul", "--no-email")
    assert changed.returncode == 0, changed.stderr
    refused = run(instance, "users", "set-email", "paul", "--email", "paul")
    assert refused.returncode == 1
    assert "email" in refused.stderr
    from incidents.bootstrap import open_incident_log

    log = open_incident_log(f"sqlite:///{instance / 'log.sqlite3'}")
    person = log.get_user("paul")
    assert (person["email"], person["language"]) == (None, "en")
