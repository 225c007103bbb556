"""The application factory: configuration, and nothing built at import time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from web import create_app


def test_importing_the_packages_opens_and_creates_nothing(tmp_path: Path):
    env = {
        **os.environ,
        "INCIDENTS_INSTANCE_PATH": str(tmp_path / "instance"),
        "INCIDENTS_DATABASE_URL": f"sqlite:///{tmp_path / 'log.sqlite3'}",
    }
    code = "import incidents.application, incidents.bootstrap, web, web.cli, demo"

    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)

    assert list(tmp_path.iterdir()) == []


def test_the_command_line_loads_the_benchmarks_only_when_bench_runs():
    code = (
        "import sys, web.cli\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'benchmarks')\n"
        "print(','.join(loaded))"
    )

    result = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )

    assert result.stdout.strip() == ""


def test_healthz_answers_ok(tmp_path: Path):
    app = create_app(
        {
            "DATABASE_URL": "memory://",
            "SECRET_KEY": "test",
            "TESTING": True,
            "SIGNING_KEY_PATH": str(tmp_path / "key.pem"),
        }
    )

    response = app.test_client().get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_the_database_url_comes_from_the_environment(tmp_path: Path, monkeypatch):
    database = tmp_path / "data" / "log.sqlite3"
    monkeypatch.setenv("INCIDENTS_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("INCIDENTS_DATABASE_URL", f"sqlite:///{database}")

    app = create_app()

    assert database.exists()
    assert len(app.extensions["incident_log"].list_offices()) == 10
    secret_key = tmp_path / "instance" / "secret_key"
    assert secret_key.stat().st_mode & 0o077 == 0
    assert create_app().config["SECRET_KEY"] == app.config["SECRET_KEY"]
