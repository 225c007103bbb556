"""Copy the whole store to a file while it runs, and put such a copy back.

SQLite uses its online backup API: a consistent copy of the events, the read
models, the credentials and the contact keys, taken while the service writes.
PostgreSQL uses ``pg_dump`` (custom format) and ``pg_restore``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from incidents.errors import IncidentsError
from incidents.persistence import environment_for, sqlite_path


class BackupError(IncidentsError):
    """Refuse or report a backup or restore that cannot be done."""


def back_up(database_url: str, target: Path) -> Path:
    """Write a consistent copy of the store to ``target``; return it."""
    if target.exists():
        raise BackupError(f"{target} exists: choose a new file.")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite_path(database_url)
    if source is not None:
        if not source.exists():
            raise BackupError(f"There is no database at {source}.")
        partial = target.with_name(target.name + ".partial")
        with (
            sqlite3.connect(f"file:{source}?mode=ro", uri=True) as origin,
            sqlite3.connect(partial) as copy,
        ):
            origin.backup(copy)
        origin.close()
        copy.close()
        partial.replace(target)
        return target
    _require_postgres(database_url)
    _run_postgres_tool(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={target}"],
        database_url,
    )
    return target


def restore(database_url: str, backup: Path) -> None:
    """Replace the store with a copy made by :func:`back_up` (service stopped)."""
    if not backup.is_file():
        raise BackupError(f"There is no backup file at {backup}.")
    destination = sqlite_path(database_url)
    if destination is not None:
        _check_sqlite_backup(backup)
        destination.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            dir=destination.parent, prefix=destination.name, delete=False
        ) as staged:
            staged_path = Path(staged.name)
        shutil.copyfile(backup, staged_path)
        for leftover in ("-wal", "-shm"):
            Path(f"{destination}{leftover}").unlink(missing_ok=True)
        staged_path.replace(destination)
        return
    _require_postgres(database_url)
    _run_postgres_tool(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction"],
        database_url,
        backup,
        database_flag="--dbname",
    )


def _check_sqlite_backup(backup: Path) -> None:
    try:
        with sqlite3.connect(f"file:{backup}?mode=ro", uri=True) as copy:
            result = copy.execute("PRAGMA integrity_check").fetchone()
            copy.execute("SELECT COUNT(*) FROM stored_events").fetchone()
        copy.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(
            f"{backup} is not a backup of this service: {error}."
        ) from None
    if result is None or result[0] != "ok":
        raise BackupError(f"{backup} is damaged: {result}.")


def _require_postgres(database_url: str) -> None:
    if environment_for(database_url)["PERSISTENCE_MODULE"] != "eventsourcing.postgres":
        raise BackupError("Backups need a SQLite file or PostgreSQL.")


def _run_postgres_tool(
    command: list[str],
    database_url: str,
    *arguments: Path,
    database_flag: str = "--dbname",
) -> None:
    parts = urlsplit(database_url)
    env = {
        **os.environ,
        "PGHOST": parts.hostname or "localhost",
        "PGPORT": str(parts.port or 5432),
        "PGUSER": unquote(parts.username or "postgres"),
        "PGPASSWORD": unquote(parts.password or ""),
    }
    database = unquote(parts.path.lstrip("/"))
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client).")
    completed = subprocess.run(  # noqa: S603 - fixed program, no shell
        [*command, f"{database_flag}={database}", *map(str, arguments)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise BackupError(f"{command[0]} failed: {completed.stderr.strip()[-500:]}")
