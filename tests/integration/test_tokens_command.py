"""``incidents tokens``: issue and revoke API tokens, run as a user would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from uuid import UUID

import pytest

from incidents.application import IncidentLog
from incidents.bootstrap import open_incident_log
from incidents.errors import NotAuthenticatedError

INCIDENTS = str(Path(sys.executable).with_name("incidents"))
UUID_PATTERN = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    return tmp_path / "instance"


def database_url(instance: Path) -> str:
    return f"sqlite:///{instance / 'log.sqlite3'}"


def run(instance: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "INCIDENTS_INSTANCE_PATH": str(instance),
        "INCIDENTS_DATABASE_URL": database_url(instance),
    }
    return subprocess.run(
        [INCIDENTS, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture
def amina(instance: Path) -> str:
    added = run(
        instance,
        "users",
        "add",
        "amina",
        "--role",
        "mediator",
        "--office",
        "nanterre-centre",
        "--no-password",
    )
    assert added.returncode == 0, added.stderr
    return "amina"


def open_log(instance: Path) -> IncidentLog:
    return open_incident_log(database_url(instance))


def issue(instance: Path, name: str, *options: str) -> tuple[UUID, str]:
    issued = run(instance, "tokens", "issue", name, *options)
    assert issued.returncode == 0, issued.stderr
    *before, token = issued.stdout.splitlines()
    (token_id,) = UUID_PATTERN.findall("\n".join(before))
    return UUID(token_id), token


def test_issue_prints_a_token_alone_on_its_last_line_that_authenticates(
    instance, amina
):
    issued = run(instance, "tokens", "issue", amina, "--label", "téléphone")

    assert issued.returncode == 0, issued.stderr
    lines = issued.stdout.splitlines()
    assert len(lines) == 2
    token = lines[-1]
    assert token == token.strip()
    assert " " not in token
    assert token not in lines[0]
    assert "téléphone" in lines[0]
    log = open_log(instance)
    user = log.authenticate_token(token)
    assert user["name"] == amina
    (token_id,) = UUID_PATTERN.findall(lines[0])
    assert user["tokens"] == [{"id": UUID(token_id), "label": "téléphone"}]


def test_issue_refuses_an_unknown_person_and_prints_no_token(instance, amina):
    refused = run(instance, "tokens", "issue", "nobody")

    assert refused.returncode == 1
    assert "User 'nobody' not found." in refused.stderr
    assert refused.stdout == ""


def test_revoke_makes_the_token_open_nothing_and_cannot_be_done_twice(instance, amina):
    token_id, token = issue(instance, amina)
    log = open_log(instance)
    assert log.authenticate_token(token)["name"] == amina

    revoked = run(
        instance,
        "tokens",
        "revoke",
        amina,
        str(token_id),
        "--reason",
        "Téléphone perdu.",
    )

    assert revoked.returncode == 0, revoked.stderr
    assert f"Revoked token {token_id} of {amina}." in revoked.stdout
    with pytest.raises(NotAuthenticatedError):
        log.authenticate_token(token)

    again = run(
        instance, "tokens", "revoke", amina, str(token_id), "--reason", "Encore."
    )

    assert again.returncode == 1
    assert "no active token" in again.stderr


def test_revoking_one_token_leaves_the_others_open(instance, amina):
    first_id, first = issue(instance, amina, "--label", "phone")
    _, second = issue(instance, amina, "--label", "laptop")

    revoked = run(
        instance, "tokens", "revoke", amina, str(first_id), "--reason", "Lost."
    )

    assert revoked.returncode == 0, revoked.stderr
    log = open_log(instance)
    with pytest.raises(NotAuthenticatedError):
        log.authenticate_token(first)
    assert log.authenticate_token(second)["name"] == amina


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["revoke", "amina", "not-a-uuid", "--reason", "Lost."], "not a valid UUID"),
        (["revoke", "amina", "00000000-0000-0000-0000-000000000000"], "--reason"),
        (
            [
                "revoke",
                "nobody",
                "00000000-0000-0000-0000-000000000000",
                "--reason",
                "x",
            ],
            "User 'nobody' not found.",
        ),
    ],
)
def test_revoke_refuses_bad_input_with_a_clear_error(instance, amina, args, message):
    refused = run(instance, "tokens", *args)

    assert refused.returncode != 0
    assert message in refused.stderr


def test_revoke_refuses_an_empty_reason_and_keeps_the_token(instance, amina):
    token_id, token = issue(instance, amina)

    refused = run(instance, "tokens", "revoke", amina, str(token_id), "--reason", "")

    assert refused.returncode == 1
    assert "reason" in refused.stderr
    assert open_log(instance).authenticate_token(token)["name"] == amina
