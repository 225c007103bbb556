"""``incidents prove`` (of an incident, or ``--checkpoint`` held), ``verify-proof``,
``checkpoint --output`` and ``verify --checkpoint`` on a SQLite file, checked again
by a copied offline verifier."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from incidents.evidence import SIGNING_KEY_FILE, LedgerKey, bundle_verifier
from incidents.evidence.signing import CheckpointSigner
from tests.evidence.conftest import Tamper, write_history
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


# `incidents prove --checkpoint`: the consistency proof of a held checkpoint.


@pytest.fixture
def held(commands: Commands, incident: str, make_log: OpenLog, tmp_path: Path) -> Path:
    """Return a file of two held checkpoints, the log written on after both."""
    path = tmp_path / "held.jsonl"
    assert commands.run("checkpoint", "--output", str(path)).returncode == 0
    log = make_log(commands.database_url, ledger=commands.ledger())
    write_history(log, incidents=1)
    assert commands.run("checkpoint", "--output", str(path)).returncode == 0
    write_history(log, incidents=2)
    return path


def test_prove_checkpoint_proves_the_log_extends_the_last_held_line(
    commands, held, tmp_path
):
    last = json.loads(held.read_text().splitlines()[-1])
    proof = tmp_path / "consistency.json"

    proved = commands.run("prove", "--checkpoint", str(held), "--output", str(proof))

    assert proved.returncode == 0, proved.stderr
    assert stat.S_IMODE(proof.stat().st_mode) == 0o600
    document = json.loads(proof.read_text())
    assert document["format"] == bundle_verifier.CONSISTENCY_FORMAT
    assert document["old"] == last
    assert document["new"]["size"] > last["size"]
    assert document["proof"], "a proof between two sizes holds hashes"
    assert f"extends the held checkpoint of {last['size']} events" in proved.stderr
    checked = commands.run("verify-proof", str(proof), "--key-id", last["key_id"])
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith(
        f"Proof valid: the log of {document['new']['size']} events extends the "
        f"log of {last['size']} events"
    )


def test_every_changed_hash_of_a_consistency_proof_fails_verify_proof(
    commands, held, tmp_path
):
    printed = commands.invoke("prove", "--checkpoint", str(held))
    assert printed.exit_code == 0, printed.output
    document = json.loads(printed.stdout)
    changed = tmp_path / "changed.json"
    for at, node in enumerate(document["proof"]):
        document["proof"][at] = flip(node)
        changed.write_text(json.dumps(document))
        document["proof"][at] = node

        refused = commands.invoke("verify-proof", str(changed))

        assert refused.exit_code == 1, at
        assert "does not show that the new checkpoint's log extends" in refused.output
    changed.write_text(json.dumps(document))
    assert commands.invoke("verify-proof", str(changed)).exit_code == 0


def refused_in_one_line(commands: Commands, held: Path, proof: Path, code: int = 1):
    refused = commands.run("prove", "--checkpoint", str(held), "--output", str(proof))
    assert refused.returncode == code, refused.stdout + refused.stderr
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert refused.stdout == ""
    assert not proof.exists()
    return refused.stderr


def test_no_proof_for_a_log_cut_shorter_than_the_held_checkpoint(
    commands, held, make_log, tmp_path
):
    last = json.loads(held.read_text().splitlines()[-1])
    log = make_log(commands.database_url, ledger=commands.ledger())
    tamper = Tamper(log, commands.database_url)
    tamper.cut_after(last["position"] - 2)
    tamper.cut_ledger_after(last["position"] - 2)
    tamper.sql("DELETE FROM {checkpoints} WHERE position > ?", (last["position"] - 2,))

    says = refused_in_one_line(commands, held, tmp_path / "proof.json")

    assert f"fewer than the {last['size']} of the held checkpoint" in says


def test_no_proof_for_a_history_rewritten_with_its_ledger_and_checkpoints(
    commands, held, make_log, tmp_path
):
    # An insider with SQL and the ledger key rewrites an event before the held
    # checkpoint, reseals the ledger and drops the checkpoints stored since.
    first = json.loads(held.read_text().splitlines()[0])
    log = make_log(commands.database_url, ledger=commands.ledger())
    tamper = Tamper(log, commands.database_url)
    tamper.change_byte(first["position"] - 1)
    tamper.reseal_ledger(LedgerKey(commands.ledger().ledger_key_path))
    tamper.sql("DELETE FROM {checkpoints} WHERE position >= ?", (first["position"],))

    says = refused_in_one_line(commands, held, tmp_path / "proof.json")

    assert "does not extend the held checkpoint" in says
    assert "checkpoint_mismatch" in says


def test_no_proof_from_a_checkpoint_of_another_store(
    commands, held, tmp_path, make_log
):
    other = Commands(tmp_path / "other", f"sqlite:///{tmp_path / 'other.sqlite3'}")
    write_history(make_log(other.database_url, ledger=other.ledger()), incidents=1)
    foreign = tmp_path / "foreign.jsonl"
    assert other.run("checkpoint", "--output", str(foreign)).returncode == 0

    says = refused_in_one_line(commands, foreign, tmp_path / "proof.json")

    assert "which this store does not know" in says


def test_no_proof_from_a_held_checkpoint_changed_after_signing(
    commands, held, tmp_path
):
    checkpoint = json.loads(held.read_text().splitlines()[-1])
    checkpoint["root"] = flip(checkpoint["root"])
    changed = tmp_path / "changed.jsonl"
    changed.write_text(json.dumps(checkpoint) + "\n")

    says = refused_in_one_line(commands, changed, tmp_path / "proof.json")

    assert "does not match its signature" in says


def test_no_proof_from_a_format_1_checkpoint(commands, held, tmp_path):
    # Signed by the store's own key, but over the chain value, not a tree root.
    last = json.loads(held.read_text().splitlines()[-1])
    signer = CheckpointSigner(commands.folder / SIGNING_KEY_FILE)
    old = signer.sign(
        size=last["size"], position=last["position"], root=bytes.fromhex(last["chain"])
    )
    kept = tmp_path / "format-1.jsonl"
    kept.write_text(json.dumps(old.to_json()) + "\n")

    says = refused_in_one_line(commands, kept, tmp_path / "proof.json")

    assert "is of format 1" in says


def test_no_proof_without_the_signing_key(commands, held, tmp_path):
    key = commands.folder / SIGNING_KEY_FILE
    key.rename(tmp_path / "kept-away.pem")

    says = refused_in_one_line(commands, held, tmp_path / "proof.json", code=4)

    assert "signing key" in says
    assert not key.exists()


@pytest.mark.parametrize(
    "args",
    [[], ["--checkpoint", "HELD", "00000000-0000-4000-8000-000000000000"]],
    ids=["neither", "both"],
)
def test_prove_wants_an_incident_or_a_checkpoint(commands, held, args):
    args = [str(held) if arg == "HELD" else arg for arg in args]

    refused = commands.run("prove", *args)

    assert refused.returncode == 2
    assert "Give either INCIDENT_ID or --checkpoint FILE." in refused.stderr
