"""``incidents prove``, ``verify-proof``, ``checkpoint --output`` and ``verify
--checkpoint`` on a SQLite file, checked again by a copied offline verifier."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from incidents.evidence import bundle_verifier
from tests.evidence.conftest import write_history
from tests.evidence.test_commands import Instance
from web.cli import main

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import OpenLog


class Commands(Instance):
    """Run the commands in this process, so a test can change how checkpoints sign."""

    def invoke(self, *args: str):
        env = {
            "INCIDENTS_INSTANCE_PATH": str(self.folder),
            "INCIDENTS_DATABASE_URL": self.database_url,
            "INCIDENTS_SIGNING_KEY_PATH": None,
        }
        return CliRunner().invoke(main, list(args), env=env)


@pytest.fixture
def commands(tmp_path: Path, sqlite_url: str) -> Commands:
    return Commands(tmp_path / "instance", sqlite_url)


@pytest.fixture
def incident(commands: Commands, make_log: OpenLog) -> str:
    log = make_log(commands.database_url, ledger=commands.ledger())
    write_history(log, incidents=6)
    return str(log.recorder.select_notifications(1, 1)[0].originator_id)


def flip(text: str) -> str:
    return ("1" if text[0] == "0" else "0") + text[1:]


def test_prove_writes_a_proof_that_verify_proof_and_a_copied_verifier_accept(
    commands, incident, tmp_path
):
    proof = tmp_path / "proof.json"
    proved = commands.invoke("prove", incident, "--output", str(proof))
    assert proved.exit_code == 0, proved.output
    assert stat.S_IMODE(proof.stat().st_mode) == 0o600
    document = json.loads(proof.read_text())
    assert document["format"] == bundle_verifier.INCLUSION_FORMAT
    key_id = document["checkpoint"]["key_id"]
    printed = commands.invoke("prove", incident)
    assert json.loads(printed.stdout)["leaves"] == document["leaves"]

    checked = commands.run("verify-proof", str(proof), "--key-id", key_id)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith(f"Proof valid: {len(document['leaves'])} events")

    copy = tmp_path / "elsewhere" / "bundle_verifier.py"
    copy.parent.mkdir()
    shutil.copy(bundle_verifier.__file__, copy)
    offline = subprocess.run(
        [sys.executable, "-I", str(copy), str(proof), "--key-id", key_id],
        capture_output=True,
        text=True,
        cwd=copy.parent,
        timeout=60,
        check=False,
    )
    assert offline.returncode == 0, offline.stdout + offline.stderr


def test_every_changed_hash_of_a_proof_file_fails_verify_proof(
    commands, incident, tmp_path
):
    proof = tmp_path / "proof.json"
    assert commands.invoke("prove", incident, "--output", str(proof)).exit_code == 0
    document = json.loads(proof.read_text())
    changed = tmp_path / "changed.json"
    entry = document["leaves"][0]
    for at, node in enumerate(entry["audit_path"]):
        entry["audit_path"][at] = flip(node)
        changed.write_text(json.dumps(document))
        entry["audit_path"][at] = node

        refused = commands.invoke("verify-proof", str(changed))

        assert refused.exit_code == 1
        assert "does not lead to the checkpoint's root" in refused.output
    entry["hash"] = flip(entry["hash"])
    changed.write_text(json.dumps(document))
    assert commands.invoke("verify-proof", str(changed)).exit_code == 1


def test_prove_of_an_unknown_incident_fails_in_one_line(commands, incident):
    refused = commands.run("prove", "00000000-0000-4000-8000-000000000000")
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1
    assert "No event of incident" in refused.stderr


def test_checkpoint_output_appends_lines_that_verify_accepts(
    commands, incident, make_log, tmp_path
):
    held = tmp_path / "held.jsonl"
    assert commands.run("checkpoint", "--output", str(held)).returncode == 0
    log = make_log(commands.database_url, ledger=commands.ledger())
    write_history(log, incidents=1)
    assert commands.run("checkpoint", "--output", str(held)).returncode == 0

    lines = held.read_text().splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0])["size"] < json.loads(lines[1])["size"]
    assert stat.S_IMODE(held.stat().st_mode) == 0o600
    verified = commands.run("verify", "--checkpoint", str(held))
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("Verified ")


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("", "holds no checkpoint"),
        ('{"hello": "world"}\n', "Cannot read a checkpoint"),
        ("not json at all\n", "Cannot read a checkpoint"),
    ],
    ids=["empty", "other-json", "not-json"],
)
def test_verify_refuses_a_held_file_that_is_not_ours_in_one_line(
    commands, incident, tmp_path, content, says
):
    held = tmp_path / "held.json"
    held.write_text(content)

    refused = commands.run("verify", "--checkpoint", str(held))

    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert says in refused.stderr


def test_verify_refuses_a_checkpoint_of_another_key_in_one_line(
    commands, incident, tmp_path, make_log
):
    other = Commands(tmp_path / "other", f"sqlite:///{tmp_path / 'other.sqlite3'}")
    write_history(make_log(other.database_url, ledger=other.ledger()), incidents=1)
    held = tmp_path / "foreign.jsonl"
    assert other.run("checkpoint", "--output", str(held)).returncode == 0

    refused = commands.run("verify", "--checkpoint", str(held))

    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert "which this store does not know" in refused.stderr
