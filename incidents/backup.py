"""Copy the whole store to a file while it runs, and put such a copy back.

SQLite uses its online backup API: a consistent copy of the events, the read
models, the credentials and the contact keys, taken while the service writes.
PostgreSQL uses ``pg_dump`` (custom format) and ``pg_restore``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from incidents.errors import IncidentsError
from incidents.persistence import environment_for, sqlite_path


class BackupError(IncidentsError):
    """Refuse or report a backup or restore that cannot be done."""


# Pages copied per step of SQLite's online backup (4 MiB of 4 KiB pages): the
# writers wait for one step at most, and progress is told between steps.
PAGES_PER_STEP = 1024

Progress = Callable[[int, int], None]


def back_up(
    database_url: str, target: Path, *, progress: Progress | None = None
) -> Path:
    """Write a consistent copy of the store to ``target``; return it.

    A SQLite copy is one self-contained file (no write-ahead log), readable from
    read-only media. ``progress(done, total)`` is told the pages copied. On any
    failure nothing is left beside ``target``.
    """
    if target.exists():
        raise BackupError(f"{target} exists: choose a new file.")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite_path(database_url)
    if source is not None:
        if not source.exists():
            raise BackupError(f"There is no database at {source}.")
        partial = target.with_name(target.name + ".partial")
        try:
            _copy_sqlite(source, partial, progress)
            partial.replace(target)
        except BaseException:
            _remove_with_journals(partial)
            raise
        return target
    _require_postgres(database_url)
    _run_postgres_tool(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={target}"],
        database_url,
    )
    return target


def _copy_sqlite(source: Path, partial: Path, progress: Progress | None) -> None:
    def step(status: int, remaining: int, total: int) -> None:
        if progress is not None:
            progress(total - remaining, total)

    origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    copy = sqlite3.connect(partial)
    try:
        origin.backup(copy, pages=PAGES_PER_STEP, progress=step)
        # The copy keeps the source's write-ahead-log mode: leave it, so that the
        # file stands alone and opens on read-only media.
        copy.execute("PRAGMA journal_mode=DELETE").fetchone()
        copy.commit()
    finally:
        copy.close()
        origin.close()


def _remove_with_journals(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


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
        try:
            shutil.copyfile(backup, staged_path)
            for leftover in ("-wal", "-shm"):
                Path(f"{destination}{leftover}").unlink(missing_ok=True)
            staged_path.replace(destination)
        except BaseException:
            staged_path.unlink(missing_ok=True)
            raise
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
        # immutable: nothing is written beside the file, which may be on
        # read-only media (and older copies may still be in WAL mode).
        with sqlite3.connect(f"file:{backup}?mode=ro&immutable=1", uri=True) as copy:
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
