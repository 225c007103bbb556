"""Open the incident log on the store a database URL names, ready to use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from incidents.application import IncidentLog, load_default_offices
from incidents.persistence import environment_for, sqlite_path

if TYPE_CHECKING:
    from argon2 import PasswordHasher


def open_incident_log(
    database_url: str,
    *,
    password_hasher: PasswordHasher | None = None,
    clock: Callable[[], datetime] | None = None,
    load_offices: bool = True,
) -> IncidentLog:
    """Open the log, creating the SQLite folder and loading the offices if missing."""
    path = sqlite_path(database_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    log = IncidentLog(
        environment_for(database_url), clock=clock, password_hasher=password_hasher
    )
    if load_offices:
        log.ensure_offices(load_default_offices())
    return log
