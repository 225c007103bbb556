"""The operator's commands: people, tokens, retention, help and exit codes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from click.testing import CliRunner

import web.cli.privacy
from incidents.bootstrap import open_incident_log
from incidents.errors import UserDeactivatedError, UserNotFoundError
from web.cli import main

INCIDENTS = str(Path(sys.executable).with_name("incidents"))


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    return tmp_path / "instance"


def url(instance: Path) -> str:
    return f"sqlite:///{instance / 'log.sqlite3'}"


def run(
    instance: Path, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "INCIDENTS_INSTANCE_PATH": str(instance),
        "INCIDENTS_DATABASE_URL": url(instance),
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


def add(instance: Path, name: str, *args: str, password: str = "a long passphrase"):  # noqa: S107
    added = run(
        instance, "users", "add", name, *args, "--password-stdin", stdin=password + "\n"
    )
    assert added.returncode == 0, added.stderr


def test_users_add_without_a_password_nor_a_terminal_refuses_and_registers_nobody(
    instance,
):
    refused = run(instance, "users", "add", "amina", "--role", "mediator")
    listed = run(instance, "users", "list")

    assert refused.returncode == 2
    assert "--password-stdin" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert "amina" not in listed.stdout


def test_users_list_shows_each_person_with_role_state_and_scope(instance):
    add(instance, "amina", "--role", "mediator", "--office", "nanterre-centre")
    add(instance, "paul", "--role", "officer")

    listed = run(instance, "users", "list")

    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert re.match(
        r"amina\s+mediator\s+active\s+0 token\(s\)\s+nanterre-centre", lines[0]
    )
    assert re.match(r"paul\s+officer\s+active\s+0 token\(s\)\s+every office", lines[1])
    assert "2 person(s)." in listed.stderr


def test_set_password_replaces_the_password_and_refuses_an_unknown_name(instance):
    add(instance, "amina", "--role", "mediator", password="the first passphrase")

    changed = run(
        instance,
        "users",
        "set-password",
        "amina",
        "--password-stdin",
        stdin="the second passphrase\n",
    )
    unknown = run(
        instance,
        "users",
        "set-password",
        "nobody",
        "--password-stdin",
        stdin="the second passphrase\n",
    )

    assert changed.returncode == 0, changed.stderr
    assert unknown.returncode == 1
    assert "nobody" in unknown.stderr
    log = open_incident_log(url(instance))
    assert log.authenticate("amina", "the second passphrase")["name"] == "amina"
    with pytest.raises(UserNotFoundError):
        log.authenticate("amina", "the first passphrase")


def test_set_role_set_offices_and_deactivate_change_the_person(instance):
    add(instance, "amina", "--role", "mediator", "--office", "nanterre-centre")

    role = run(instance, "users", "set-role", "amina", "officer")
    offices = run(
        instance,
        "users",
        "set-offices",
        "amina",
        "--office",
        "nanterre-centre",
        "--office",
        "colombes-aragon",
    )
    bad_office = run(instance, "users", "set-offices", "amina", "--office", "lyon")
    deactivated = run(instance, "users", "deactivate", "amina", "--reason", "Départ.")

    assert role.returncode == 0, role.stderr
    assert "amina is now officer." in role.stdout
    assert offices.returncode == 0, offices.stderr
    assert "colombes-aragon, nanterre-centre" in offices.stdout
    assert bad_office.returncode == 1
    assert "lyon" in bad_office.stderr
    assert deactivated.returncode == 0, deactivated.stderr
    log = open_incident_log(url(instance))
    user = log.get_user("amina")
    assert (user["role"], user["offices"], user["is_active"]) == (
        "officer",
        ["colombes-aragon", "nanterre-centre"],
        False,
    )
    with pytest.raises(UserDeactivatedError):
        log.authenticate("amina", "a long passphrase")


def test_tokens_list_gives_the_ids_that_revoke_needs(instance):
    add(instance, "amina", "--role", "mediator")
    issued = run(instance, "tokens", "issue", "amina", "--label", "téléphone")
    token_id = re.search(r"Issued token ([0-9a-f-]{36})", issued.stdout)
    assert token_id is not None, issued.stdout

    listed = run(instance, "tokens", "list")
    revoked = run(
        instance, "tokens", "revoke", "amina", token_id[1], "--reason", "Perdu."
    )
    after = run(instance, "tokens", "list", "amina")

    assert re.search(rf"{token_id[1]}\s+amina\s+téléphone", listed.stdout)
    assert "1 live token(s)." in listed.stderr
    assert revoked.returncode == 0, revoked.stderr
    assert token_id[1] not in after.stdout
    assert "0 live token(s)." in after.stderr


def test_every_command_answers_dash_h_with_its_help(instance):
    for args in ([], ["users"], ["users", "set-offices"], ["retention", "apply"]):
        helped = run(instance, *args, "-h")

        assert helped.returncode == 0, helped.stderr
        assert "Usage: incidents" in helped.stdout


def test_exit_codes_tell_usage_refusal_and_unusable_store_apart(instance, tmp_path):
    usage = run(instance, "users", "set-role", "amina")
    refused = run(instance, "users", "deactivate", "nobody", "--reason", "x")
    env = {**os.environ, "INCIDENTS_DATABASE_URL": "postgresql://u:p@127.0.0.1:9/x"}
    unusable = subprocess.run(
        [INCIDENTS, "users", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )

    assert (usage.returncode, refused.returncode, unusable.returncode) == (2, 1, 3)


# Retention: in-process, with the cutoff moved to now, so that an incident
# closed a moment ago is due (the policy counts in months).


def closed_incident_with_contact(database_url: str) -> UUID:
    log = open_incident_log(database_url)
    reported = log.report_incident(
        actor="mediatrice",
        office="colombes-aragon",
        occurred_at=datetime.now(UTC) - timedelta(hours=2),
        category="waiting_time",
        severity=0,
        target="staff",
        summary="Attente, usager rappelé plus tard.",
        contact={"phone": "06 39 98 00 11"},
    )
    incident_id: UUID = reported.incident["id"]
    log.close_incident(incident_id, actor="responsable", resolution="need_met")
    log.close()
    return incident_id


@pytest.fixture
def due_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        web.cli.privacy,
        "retention_cutoff",
        lambda now, months: datetime.now(UTC) + timedelta(seconds=1),
    )


def contact_of(database_url: str, incident_id: UUID) -> object:
    log = open_incident_log(database_url)
    try:
        return log.get_incident(incident_id)["contact"]
    finally:
        log.close()


@pytest.mark.usefixtures("due_now")
def test_retention_dry_run_lists_what_is_due_and_erases_nothing(instance):
    incident_id = closed_incident_with_contact(url(instance))
    env = {
        "INCIDENTS_INSTANCE_PATH": str(instance),
        "INCIDENTS_DATABASE_URL": url(instance),
    }

    result = CliRunner().invoke(main, ["retention", "apply", "--dry-run"], env=env)

    assert result.exit_code == 0, result.output
    assert f"Would erase the contact of incident {incident_id}." in result.output
    assert "Nothing erased" in result.output
    assert contact_of(url(instance), incident_id) is not None


@pytest.mark.usefixtures("due_now")
def test_retention_asks_before_erasing_and_erases_only_when_confirmed(instance):
    incident_id = closed_incident_with_contact(url(instance))
    env = {
        "INCIDENTS_INSTANCE_PATH": str(instance),
        "INCIDENTS_DATABASE_URL": url(instance),
    }

    declined = CliRunner().invoke(main, ["retention", "apply"], input="n\n", env=env)
    kept = contact_of(url(instance), incident_id)
    confirmed = CliRunner().invoke(main, ["retention", "apply", "--yes"], env=env)

    assert declined.exit_code == 1
    assert "Erase the contacts of 1 incident(s), for good?" in declined.output
    assert kept is not None
    assert confirmed.exit_code == 0, confirmed.output
    assert "1 contact(s) erased" in confirmed.output
    assert contact_of(url(instance), incident_id) is None
