"""Back up a running store and restore it: the copy holds the same history."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from incidents.backup import BackupError, back_up, restore
from projections import replay
from projections.projector import Projector
from tests.conftest import OpenLog

INCIDENTS = str(Path(sys.executable).with_name("incidents"))


def write_some_history(make_log: OpenLog, url: str) -> list[dict[str, object]]:
    log = make_log(url)
    for number in range(5):
        result = log.report_incident(
            actor="mediatrice",
            office="nanterre-centre",
            occurred_at=datetime.now(UTC) - timedelta(hours=number + 1),
            category="waiting_time",
            severity=number % 3,
            target="staff",
            summary=f"Attente numéro {number}.",
            contact={"phone": "06 39 98 00 22"},
        )
        log.add_note(result.incident["id"], actor="mediatrice", text="Suivi.")
    Projector(log).catch_up()
    return list(log.iter_history())


def test_a_restored_copy_holds_the_same_history(
    durable_database_url: str, make_log: OpenLog, tmp_path: Path
):
    history = write_some_history(make_log, durable_database_url)
    copy = back_up(durable_database_url, tmp_path / "backup.db")
    with pytest.raises(BackupError, match="exists"):
        back_up(durable_database_url, copy)
    log = make_log(durable_database_url)
    log.report_incident(
        actor="mediatrice",
        office="nanterre-centre",
        occurred_at=datetime.now(UTC),
        category="threat",
        severity=2,
        target="staff",
        summary="Après la sauvegarde.",
    )
    log.close()

    restore(durable_database_url, copy)

    restored = make_log(durable_database_url)
    assert list(restored.iter_history()) == history
    incident_id = history[-1]["aggregate_id"]
    assert restored.get_incident(incident_id)["contact"] is not None  # keys came too
    assert replay.check(Projector(restored)).differences == []


def test_restore_refuses_a_file_that_is_not_a_backup(
    sqlite_url: str, make_log: OpenLog, tmp_path: Path
):
    write_some_history(make_log, sqlite_url)
    bogus = tmp_path / "bogus.db"
    bogus.write_text("not a database")

    with pytest.raises(BackupError, match="not a backup"):
        restore(sqlite_url, bogus)
    with pytest.raises(BackupError, match="no backup file"):
        restore(sqlite_url, tmp_path / "missing.db")


def test_the_commands_back_up_and_restore(tmp_path: Path, make_log: OpenLog):
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    history = write_some_history(make_log, url)
    env = {
        **os.environ,
        "INCIDENTS_INSTANCE_PATH": str(tmp_path / "instance"),
        "INCIDENTS_DATABASE_URL": url,
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [INCIDENTS, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )

    saved = run("backup", str(tmp_path / "copy.db"))
    (tmp_path / "log.sqlite3").unlink()
    refused = run("restore", str(tmp_path / "missing.db"), "--yes")
    restored = run("restore", str(tmp_path / "copy.db"), "--yes")

    assert saved.returncode == 0, saved.stderr
    assert refused.returncode == 1
    assert "no backup file" in refused.stderr
    assert restored.returncode == 0, restored.stderr
    assert list(make_log(url).iter_history()) == history


def sqlite_header_modes(path: Path) -> tuple[int, int]:
    """Return the file format's write and read versions: 1 rollback, 2 WAL."""
    header = path.read_bytes()[:20]
    return header[18], header[19]


@pytest.fixture
def read_only_folder(tmp_path: Path):
    """Yield a folder, and a function that makes it read-only for real."""
    folder = tmp_path / "medium"
    folder.mkdir()
    mounted = False
    if os.geteuid() == 0:  # As root, file modes do not stop writes: mount one.
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(folder)], check=True
        )
        mounted = True

    def seal() -> None:
        if mounted:
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        else:
            for path in folder.iterdir():
                path.chmod(0o444)
            folder.chmod(0o555)

    try:
        yield folder, seal
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=True)
        else:
            folder.chmod(0o755)


def test_a_backup_stands_alone_and_restores_from_read_only_media(
    sqlite_url: str, make_log: OpenLog, tmp_path: Path, read_only_folder
):
    history = write_some_history(make_log, sqlite_url)
    folder, seal = read_only_folder
    copy = back_up(sqlite_url, folder / "backup.db")
    seal()

    restore(sqlite_url, copy)

    assert sorted(path.name for path in folder.iterdir()) == ["backup.db"]
    assert sqlite_header_modes(copy) == (1, 1)  # No write-ahead log to carry along.
    assert list(make_log(sqlite_url).iter_history()) == history


def test_a_backup_that_fails_midway_leaves_nothing_behind(
    sqlite_url: str, make_log: OpenLog, tmp_path: Path
):
    write_some_history(make_log, sqlite_url)

    def fail(done: int, total: int) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        back_up(sqlite_url, tmp_path / "copies" / "backup.db", progress=fail)

    assert list((tmp_path / "copies").iterdir()) == []


def test_a_backup_tells_its_progress_in_pages(
    sqlite_url: str, make_log: OpenLog, tmp_path: Path
):
    write_some_history(make_log, sqlite_url)
    told: list[tuple[int, int]] = []

    back_up(
        sqlite_url, tmp_path / "backup.db", progress=lambda *pages: told.append(pages)
    )

    assert told
    assert told[-1][0] == told[-1][1] > 0


def test_a_restore_that_fails_midway_leaves_the_store_and_nothing_else(
    sqlite_url: str, make_log: OpenLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    history = write_some_history(make_log, sqlite_url)
    copy = back_up(sqlite_url, tmp_path / "copies" / "backup.db")
    database = Path(sqlite_url.removeprefix("sqlite:///"))
    before = sorted(path.name for path in database.parent.iterdir())

    def full_disk(source: object, target: object) -> None:
        Path(str(target)).write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("incidents.backup.shutil.copyfile", full_disk)
    with pytest.raises(OSError, match="No space left"):
        restore(sqlite_url, copy)

    assert sorted(path.name for path in database.parent.iterdir()) == before
    assert list(make_log(sqlite_url).iter_history()) == history
