"""Every failure a user can cause or meet is one line naming its cause, no traceback."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import web.cli.people
from tests import pgserver
from web.cli import main

INCIDENTS = str(Path(sys.executable).with_name("incidents"))


def run(tmp_path: Path, *args: str, **variables: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "INCIDENTS_INSTANCE_PATH": str(tmp_path / "instance"),
        "INCIDENTS_DATABASE_URL": f"sqlite:///{tmp_path / 'log.sqlite3'}",
        **variables,
    }
    return subprocess.run(
        [INCIDENTS, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def one_line(refused: subprocess.CompletedProcess) -> str:
    assert refused.returncode != 0
    assert "Traceback" not in refused.stderr
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("port", ["notaport", "99999", "0"])
def test_a_bad_port_in_a_postgresql_url_is_named(tmp_path: Path, port: str):
    refused = run(
        tmp_path,
        "users",
        "list",
        INCIDENTS_DATABASE_URL=f"postgresql://u:pw@127.0.0.1:{port}/db",
    )

    line = one_line(refused)
    assert "INCIDENTS_DATABASE_URL" in line
    assert "port" in line


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path: Path):
    (tmp_path / "data").mkdir()
    notes = tmp_path / "data" / "notes.txt"
    notes.write_text("Réunion du lundi : rien à signaler.\n" * 200)
    before = digest(notes)

    refused = run(
        tmp_path, "users", "list", INCIDENTS_DATABASE_URL=f"sqlite:///{notes}"
    )

    line = one_line(refused)
    assert refused.returncode == 3
    assert "is not a SQLite database" in line
    assert digest(notes) == before
    assert sorted(path.name for path in notes.parent.iterdir()) == ["notes.txt"]


def test_another_applications_sqlite_file_is_refused_byte_for_byte(tmp_path: Path):
    (tmp_path / "data").mkdir()
    other = tmp_path / "data" / "shop.sqlite3"
    with sqlite3.connect(other) as database:
        database.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL)")
        database.execute("INSERT INTO orders (total) VALUES (12.5)")
    database.close()
    before = digest(other)

    refused = run(
        tmp_path, "demo", "--weeks", "1", INCIDENTS_DATABASE_URL=f"sqlite:///{other}"
    )

    line = one_line(refused)
    assert refused.returncode == 3
    assert "another application's tables (orders)" in line
    assert digest(other) == before
    assert sorted(path.name for path in other.parent.iterdir()) == ["shop.sqlite3"]


def test_a_folder_that_cannot_be_created_is_named(tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")

    refused = run(
        tmp_path,
        "users",
        "list",
        INCIDENTS_DATABASE_URL=f"sqlite:///{blocker}/sub/log.sqlite3",
    )

    line = one_line(refused)
    assert refused.returncode == 3
    assert f"Cannot create the folder {blocker}/sub" in line


def test_an_instance_folder_that_cannot_be_written_is_named(tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")

    refused = run(
        tmp_path, "serve", "--port", "1", INCIDENTS_INSTANCE_PATH=str(blocker / "inst")
    )

    line = one_line(refused)
    assert "INCIDENTS_INSTANCE_PATH" in line
    assert "INCIDENTS_SECRET_KEY" in line


@pytest.mark.postgres
def test_a_postgresql_database_that_does_not_exist_says_so(
    tmp_path: Path, postgres_server: pgserver.Server
):
    server = postgres_server
    url = (
        f"postgresql://{server.user}:{server.password}@{server.host}:{server.port}"
        "/no_such_database"
    )

    refused = run(tmp_path, "users", "list", INCIDENTS_DATABASE_URL=url)

    line = one_line(refused)
    assert refused.returncode == 3
    assert 'database "no_such_database" does not exist' in line


def test_an_unexpected_failure_is_one_line_unless_debug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    def broken(**_: object) -> None:
        raise RuntimeError("the unexpected")

    monkeypatch.setattr(web.cli.people, "open_log", broken)
    env = {
        "INCIDENTS_INSTANCE_PATH": str(tmp_path),
        "INCIDENTS_DATABASE_URL": "memory://",
    }

    quiet = CliRunner().invoke(main, ["users", "list"], env=env)
    loud = CliRunner().invoke(main, ["--debug", "users", "list"], env=env)

    assert quiet.exit_code == 1
    assert quiet.output == (
        "Error: RuntimeError: the unexpected "
        "(run `incidents --debug ...` for details).\n"
    )
    assert isinstance(loud.exception, RuntimeError)


def test_a_full_disk_is_said_plainly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def full(**_: object) -> None:
        raise OSError(28, "No space left on device", str(tmp_path / "log.sqlite3"))

    monkeypatch.setattr(web.cli.people, "open_log", full)
    env = {
        "INCIDENTS_INSTANCE_PATH": str(tmp_path),
        "INCIDENTS_DATABASE_URL": "memory://",
    }

    refused = CliRunner().invoke(main, ["users", "list"], env=env)

    assert refused.exit_code == 1
    assert refused.output == (
        f"Error: the disk is full: free some space ({tmp_path / 'log.sqlite3'}).\n"
    )
