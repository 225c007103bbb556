"""``incidents verify``, ``checkpoint``, ``export`` and ``verify-bundle``, run in
real processes on a SQLite file (and PostgreSQL) that raw SQL then damages."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from incidents.evidence import (
    LEDGER_KEY_FILE,
    SIGNING_KEY_FILE,
    LedgerKey,
    LedgerSettings,
)
from incidents.persistence import sqlite_path
from tests.evidence.conftest import Tamper, write_history

if TYPE_CHECKING:
    from incidents.application import IncidentLog
    from tests.conftest import OpenLog

INCIDENTS = str(Path(sys.executable).with_name("incidents"))
BAD = 20


class Instance:
    """Run the command line against one store and one instance folder."""

    def __init__(self, folder: Path, database_url: str) -> None:
        self.folder = folder
        self.database_url = database_url

    def ledger(self) -> LedgerSettings:
        """Return the ledger settings the commands use: keys in the folder."""
        return LedgerSettings(
            signing_key_path=self.folder / SIGNING_KEY_FILE,
            ledger_key_path=self.folder / LEDGER_KEY_FILE,
        )

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "INCIDENTS_INSTANCE_PATH": str(self.folder),
            "INCIDENTS_DATABASE_URL": self.database_url,
        }
        env.pop("INCIDENTS_SIGNING_KEY_PATH", None)
        env.pop("INCIDENTS_LEDGER_KEY_PATH", None)
        return subprocess.run(
            [INCIDENTS, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )


@pytest.fixture
def instance(tmp_path: Path, sqlite_url: str) -> Instance:
    return Instance(tmp_path / "instance", sqlite_url)


@pytest.fixture
def history(instance: Instance, make_log: OpenLog) -> tuple[IncidentLog, int]:
    log = make_log(instance.database_url, ledger=instance.ledger())
    return log, write_history(log)


def test_verify_prints_the_count_and_the_head(instance, history):
    _, head = history

    verified = instance.run("verify")

    assert verified.returncode == 0, verified.stderr
    assert "Sealed" not in verified.stderr
    assert f"Verified {head} events up to position {head}" in verified.stdout
    assert "Head: " in verified.stdout
    again = instance.run("verify")
    assert again.stdout == verified.stdout
    assert "Sealed" not in again.stderr


def test_checkpoint_prints_a_checkpoint_signed_with_the_private_key(
    instance, history, tmp_path
):
    _, head = history

    signed = instance.run("checkpoint", "--output", str(tmp_path / "held.json"))

    assert signed.returncode == 0, signed.stderr
    checkpoint = json.loads(signed.stdout)
    assert (checkpoint["size"], checkpoint["position"]) == (head, head)
    assert json.loads((tmp_path / "held.json").read_text()) == checkpoint
    key = instance.folder / "evidence-signing-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert f"by key {checkpoint['key_id']}" in signed.stderr


def test_long_commands_show_their_progress_outside_a_terminal(
    instance, history, tmp_path
):
    _, head = history

    verified = instance.run("verify")
    exported = instance.run("export", str(tmp_path / "bundle.zip"))
    checked = instance.run("verify-bundle", str(tmp_path / "bundle.zip"))

    assert f"Verifying: {head:,} of {head:,} (100%)" in verified.stderr
    assert f"Exporting: {head:,} of {head:,} (100%)" in exported.stderr
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Checking events: " in checked.stderr
    assert "\r" not in verified.stderr + exported.stderr + checked.stderr


@pytest.mark.parametrize(
    ("damage", "kind", "position"),
    [
        (lambda tamper, head: tamper.change_byte(BAD), "changed", BAD),
        (lambda tamper, head: tamper.delete(BAD), "deleted", BAD),
        (lambda tamper, head: tamper.delete_and_close_up(BAD), "deleted", BAD),
        (lambda tamper, head: tamper.insert(BAD, copy_of=3), "inserted", BAD),
        (lambda tamper, head: tamper.swap(BAD, BAD + 5), "reordered", BAD),
        (lambda tamper, head: tamper.cut_after(head - 2), "truncated", "head-1"),
    ],
    ids=["changed", "deleted", "deleted-closed-up", "inserted", "swapped", "truncated"],
)
def test_verify_exits_1_naming_the_first_bad_position_and_the_damage(
    instance, history, damage, kind, position
):
    log, head = history
    assert instance.run("checkpoint").returncode == 0
    expected = head - 1 if position == "head-1" else position

    damage(Tamper(log, instance.database_url), head)
    verified = instance.run("verify")

    assert verified.returncode == 1
    assert f"History damaged at position {expected} ({kind}):" in verified.stderr
    assert "Verified" not in verified.stdout


def test_verify_catches_a_truncation_of_events_and_ledger_against_the_checkpoint(
    instance, history
):
    log, head = history
    assert instance.run("checkpoint").returncode == 0
    tamper = Tamper(log, instance.database_url)

    tamper.cut_after(head - 2)
    tamper.cut_ledger_after(head - 2)
    verified = instance.run("verify")

    assert verified.returncode == 1
    assert "Seal" not in verified.stderr
    assert f"History damaged at position {head - 1} (truncated)" in verified.stderr
    assert f"checkpoint of size {head}" in verified.stderr


def test_verify_checks_a_checkpoint_held_outside_the_database(
    instance, history, tmp_path
):
    log, _ = history
    held = tmp_path / "held.json"
    assert instance.run("checkpoint", "--output", str(held)).returncode == 0
    tamper = Tamper(log, instance.database_url)
    # The intruder rewrites the events, the ledger (with the ledger key) and
    # the stored checkpoints.
    tamper.change_byte(BAD)
    tamper.reseal_ledger(LedgerKey(instance.folder / LEDGER_KEY_FILE))
    tamper.sql("DELETE FROM {checkpoints}")

    assert instance.run("verify").returncode == 0  # Consistent inside the database.
    verified = instance.run("verify", "--checkpoint", str(held))

    assert verified.returncode == 1
    assert "(checkpoint_mismatch)" in verified.stderr


def test_export_then_verify_bundle_accepts_the_bundle_and_rejects_a_change(
    instance, history, tmp_path
):
    _, head = history
    bundle = tmp_path / "evidence.zip"

    exported = instance.run("export", str(bundle))

    assert exported.returncode == 0, exported.stderr
    assert f"Exported {head} events" in exported.stdout
    key_id = exported.stdout.split("--key-id ")[1].strip()
    checked = instance.run("verify-bundle", str(bundle), "--key-id", key_id)
    assert checked.returncode == 0, checked.stderr
    assert f"Bundle intact: {head} events" in checked.stdout

    other = instance.run("verify-bundle", str(bundle), "--key-id", "0" * 16)
    assert other.returncode == 1
    assert "public_key.pem: key" in other.stderr

    assert instance.run("export", str(bundle)).returncode == 1  # Never overwritten.


def test_verify_bundle_names_the_line_of_a_changed_event(instance, history, tmp_path):
    bundle = tmp_path / "evidence"
    assert instance.run("export", str(bundle)).returncode == 0
    lines = (bundle / "events.jsonl").read_text().splitlines(keepends=True)
    event = json.loads(lines[BAD - 1])
    event["topic"] += "x"
    lines[BAD - 1] = json.dumps(event) + "\n"
    (bundle / "events.jsonl").write_text("".join(lines))

    checked = instance.run("verify-bundle", str(bundle))

    assert checked.returncode == 1
    assert "Bundle REJECTED" in checked.stderr
    assert f"events.jsonl line {BAD} (position {BAD})" in checked.stderr


@pytest.mark.postgres
def test_verify_names_damage_on_postgresql(tmp_path, postgres_url, make_log):
    instance = Instance(tmp_path / "instance", postgres_url)
    log = make_log(postgres_url, ledger=instance.ledger())
    write_history(log)
    assert instance.run("verify").returncode == 0

    Tamper(log, postgres_url).swap(BAD, BAD + 1)
    verified = instance.run("verify")

    assert verified.returncode == 1
    assert f"History damaged at position {BAD} (reordered)" in verified.stderr


def sqlite_files(database_url: str) -> dict[str, bytes | None]:
    """Return the bytes of a SQLite store's file and of its -wal and -shm."""
    path = sqlite_path(database_url)
    assert path is not None
    files = (
        path,
        path.with_name(path.name + "-wal"),
        path.with_name(path.name + "-shm"),
    )
    return {file.name: file.read_bytes() if file.exists() else None for file in files}


@pytest.mark.parametrize("damaged", [False, True], ids=["intact", "damaged"])
def test_verify_leaves_the_sqlite_file_byte_identical(instance, history, damaged):
    log, head = history
    if damaged:
        Tamper(log, instance.database_url).append(copy_of=3)
    log.close()  # The service stopped: its write-ahead log went into the file.
    before = sqlite_files(instance.database_url)
    assert next(iter(before.values())) is not None

    verified = instance.run("verify")

    assert verified.returncode == (1 if damaged else 0), verified.stderr
    if damaged:
        assert f"position {head + 1} (inserted)" in verified.stderr
    assert sqlite_files(instance.database_url) == before


def test_verify_without_the_signing_key_exits_4_and_creates_none(instance, history):
    key = instance.folder / SIGNING_KEY_FILE
    key.unlink()

    verified = instance.run("verify")

    assert verified.returncode == 4
    assert verified.stderr.count("\n") == 1
    assert "signing key" in verified.stderr
    assert "missing" in verified.stderr
    assert not key.exists()


def test_verify_without_the_ledger_key_exits_4_and_creates_none(instance, history):
    key = instance.folder / LEDGER_KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    key.unlink()

    verified = instance.run("verify")

    assert verified.returncode == 4
    assert verified.stderr.count("\n") == 1
    assert "ledger key" in verified.stderr
    assert "missing" in verified.stderr
    assert not key.exists()
