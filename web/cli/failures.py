"""Say in one line why a command failed, and what to fix, without a traceback.

``incidents --debug COMMAND`` shows the traceback instead.
"""

from __future__ import annotations

import errno
import sqlite3

from incidents.persistence import connection_parameters, environment_for

# What a person can do about the operating system's most common refusals.
ADVICE = {
    errno.ENOSPC: "the disk is full: free some space",
    errno.EDQUOT: "the disk quota is used up: free some space",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied: check the owner and mode",
    errno.EPERM: "operation not permitted: check the owner, mode and attributes",
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
}


def describe(error: BaseException) -> str:
    """Return one line naming the cause of an unexpected failure."""
    if isinstance(error, OSError) and error.errno in ADVICE:
        where = f" ({error.filename})" if error.filename else ""
        return f"{ADVICE[error.errno]}{where}."
    text = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, sqlite3.Error) and "disk is full" in text:
        return f"The disk is full: free some space ({text})."
    if isinstance(error, sqlite3.Error) and "disk I/O error" in text:
        return (
            "The database's disk cannot be written: it is full or failing; free "
            f"some space or check it ({text})."
        )
    return f"{type(error).__name__}: {text} (run `incidents --debug ...` for details)."


def postgres_reason(database_url: str) -> str | None:
    """Connect once, without the pool, to learn why PostgreSQL refuses; or None.

    The pool only says it could not get a connection in time; libpq says why
    (no such database, a wrong password, TLS required, nothing listening).
    """
    env = environment_for(database_url)
    if env["PERSISTENCE_MODULE"] != "eventsourcing.postgres":
        return None
    import psycopg
    from psycopg.conninfo import make_conninfo

    conninfo = make_conninfo(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        **connection_parameters(env),
    )
    try:
        with psycopg.connect(conninfo):
            return None
    except psycopg.Error as error:
        reason = " ".join(str(error).split())
        return reason.replace(env["POSTGRES_PASSWORD"] or "\0", "***") or None
