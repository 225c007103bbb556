"""Open the incident log on the store a database URL names, ready to use."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from incidents.application import IncidentLog, load_default_offices
from incidents.errors import StoreNotUsableError
from incidents.persistence import environment_for, sqlite_path

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
) -> IncidentLog:
    """Open the log, creating the SQLite folder and loading the offices if missing.

    ``ledger`` says where the evidence keys are; without it they are made in
    memory, for this process only (tests).
    """
    path = sqlite_path(database_url)
    if path is not None:
        _prepare_sqlite_file(path)
    log = IncidentLog(
        environment_for(database_url),
        clock=clock,
        password_hasher=password_hasher,
        ledger=ledger,
    )
    if load_offices:
        log.ensure_offices(load_default_offices())
    return log


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
        # immutable: read without the write-ahead log's index, which could not
        # be created on a full disk or a read-only medium.
        with sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True) as database:
            tables = {
                name
                for (name,) in database.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                )
            }
        database.close()
    except sqlite3.Error:
        return  # Opening the store says what is wrong with it.
    if tables and OUR_TABLE not in tables:
        shown = ", ".join(sorted(tables)[:5])
        raise StoreNotUsableError(
            f"{path} holds another application's tables ({shown}), not an incident "
            "log: name another file, this one is left as it was."
        )
