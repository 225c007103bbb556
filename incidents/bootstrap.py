"""Open the incident log on the store a database URL names, ready to use."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from eventsourcing.persistence import PersistenceError

from incidents.application import IncidentLog, load_default_offices
from incidents.errors import StoreNotUsableError
from incidents.persistence import (
    DEFAULT_CONNECTIONS,
    FULL_DISK,
    READ_ONLY_FILE,
    environment_for,
    read_only_environment,
    refusal_cause,
    sqlite_path,
)

if TYPE_CHECKING:
    from argon2 import PasswordHasher

    from incidents.evidence.sealing import LedgerSettings


def open_incident_log(
    database_url: str,
    *,
    password_hasher: PasswordHasher | None = None,
    clock: Callable[[], datetime] | None = None,
    load_offices: bool = True,
    ledger: LedgerSettings | None = None,
    read_only_if_refused: bool = False,
    connections: int = DEFAULT_CONNECTIONS,
) -> IncidentLog:
    """Open the log, creating the SQLite folder and loading the offices if missing.

    ``ledger`` says where the evidence keys are; without it they are made in
    memory, for this process only (tests). With ``read_only_if_refused``, a
    SQLite log that cannot be opened to write (a full disk, a read-only file or
    medium) is opened to read only, its ``read_only_reason`` saying why.
    ``connections``: how many pooled connections the log may hold at once.
    """
    path = sqlite_path(database_url)
    if path is not None:
        _prepare_sqlite_file(path)
    try:
        log = IncidentLog(
            environment_for(database_url, connections=connections),
            clock=clock,
            password_hasher=password_hasher,
            ledger=ledger,
        )
    except (sqlite3.Error, PersistenceError) as error:
        if not (read_only_if_refused and path is not None and _is_our_log(path)):
            raise
        # The file is there but refuses writes: serve what it holds.
        log = IncidentLog(
            read_only_environment(database_url),
            clock=clock,
            password_hasher=password_hasher,
            ledger=ledger,
        )
        log.read_only(_why_refused(path, error))
        return log
    if load_offices:
        log.ensure_offices(load_default_offices())
    return log


def _why_refused(path: Path, error: BaseException) -> str:
    """Say in a few words why a SQLite file could not be opened to write."""
    try:
        if shutil.disk_usage(path.parent).free == 0:
            return FULL_DISK
    except OSError:
        pass
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        return READ_ONLY_FILE
    return refusal_cause(str(error))


# A table every incident log has; a file with tables but not this one is not ours.
OUR_TABLE = "stored_events"
SQLITE_HEADER = b"SQLite format 3\x00"


def _prepare_sqlite_file(path: Path) -> None:
    """Create the file's folder, and refuse a file that is not an incident log.

    The file is only read, so a foreign one is left byte for byte as it was.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreNotUsableError(
            f"Cannot create the folder {path.parent} for the database: "
            f"{error.strerror or error}."
        ) from None
    if not path.is_file() or path.stat().st_size == 0:
        return
    with path.open("rb") as file:
        header = file.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise StoreNotUsableError(
            f"{path} is not a SQLite database: name another file, this one is "
            "left as it was."
        )
    try:
        tables = _tables(path)
    except sqlite3.Error:
        return  # Opening the store says what is wrong with it.
    if tables and OUR_TABLE not in tables:
        shown = ", ".join(sorted(tables)[:5])
        raise StoreNotUsableError(
            f"{path} holds another application's tables ({shown}), not an incident "
            "log: name another file, this one is left as it was."
        )


def _tables(path: Path) -> set[str]:
    """Return the names of the tables of a SQLite file, writing nothing at all."""
    # immutable: read without the write-ahead log's index, which could not be
    # created on a full disk or a read-only medium.
    uri = f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"
    database = sqlite3.connect(uri, uri=True)
    try:
        return {
            name
            for (name,) in database.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            )
        }
    finally:
        database.close()


def _is_our_log(path: Path) -> bool:
    """Tell whether a SQLite file holds an incident log."""
    try:
        return path.is_file() and OUR_TABLE in _tables(path)
    except sqlite3.Error:
        return False
