"""Settings from the environment: usual spellings, and bad values named in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from incidents.errors import InvalidInputError
from web.config import settings_from_environment

INCIDENTS = str(Path(sys.executable).with_name("incidents"))


@pytest.mark.parametrize(
    ("value", "secure"),
    [
        ("1", True),
        ("true", True),
        ("TRUE", True),
        ("yes", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
        ("", False),
    ],
)
def test_secure_cookies_accept_every_usual_spelling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, secure: bool
):
    monkeypatch.setenv("INCIDENTS_SECRET_KEY", "k")
    monkeypatch.setenv("INCIDENTS_SECURE_COOKIES", value)

    settings = settings_from_environment(tmp_path)

    assert settings["SESSION_COOKIE_SECURE"] is secure


def test_a_boolean_that_is_neither_yes_nor_no_is_refused_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("INCIDENTS_SECRET_KEY", "k")
    monkeypatch.setenv("INCIDENTS_SECURE_COOKIES", "maybe")

    with pytest.raises(InvalidInputError, match="INCIDENTS_SECURE_COOKIES"):
        settings_from_environment(tmp_path)


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
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "variable", "value"),
    [
        (["retention", "apply", "--dry-run"], "INCIDENTS_RETENTION_MONTHS", "abc"),
        (["retention", "apply", "--dry-run"], "INCIDENTS_RETENTION_MONTHS", "0"),
        (["serve", "--port", "1"], "INCIDENTS_LOG_LEVEL", "verbose"),
        (["serve", "--port", "1"], "INCIDENTS_SECURE_COOKIES", "si"),
        (["serve", "--port", "1"], "INCIDENTS_FOLLOW_LOG", "sometimes"),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable(
    tmp_path: Path, args: list[str], variable: str, value: str
):
    refused = run(tmp_path, *args, **{variable: value})

    assert refused.returncode in (1, 2), refused.stderr
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert refused.stderr.startswith("Error: ")
    assert variable in refused.stderr
    assert not (tmp_path / "log.sqlite3").exists()
