"""Turn a database URL into the settings of the eventsourcing library.

``sqlite:///relative/path.sqlite3`` and ``sqlite:////absolute/path.sqlite3`` (the
SQLAlchemy convention) choose the embedded store; ``postgresql://user:pass@host:port/db``
(with an optional ``?schema=NAME``) chooses PostgreSQL; ``memory://`` keeps
everything in memory, for tests.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from incidents.errors import InvalidInputError

# How long a writer waits for SQLite's lock before giving up, in seconds.
SQLITE_LOCK_TIMEOUT = "10"


def environment_for(database_url: str) -> dict[str, str]:
    """Return the eventsourcing environment for a database URL."""
    scheme, _, rest = database_url.partition("://")
    if scheme == "memory":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if scheme == "sqlite":
        if not rest.startswith("/") or rest == "/":
            raise _invalid(database_url, "write sqlite:///path/to/file.sqlite3")
        path = Path(rest[1:])
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            "SQLITE_LOCK_TIMEOUT": SQLITE_LOCK_TIMEOUT,
        }
    if scheme in {"postgresql", "postgres"}:
        return _postgres_environment(database_url)
    raise _invalid(database_url, "use sqlite:///..., postgresql://... or memory://")


def sqlite_path(database_url: str) -> Path | None:
    """Return the file of a SQLite URL, or ``None`` for another kind of store."""
    env = environment_for(database_url)
    name = env.get("SQLITE_DBNAME")
    return None if name is None else Path(name)


def redact(database_url: str) -> str:
    """Return the URL without its password, fit for logs and messages."""
    parts = urlsplit(database_url)
    if parts.password is None:
        return database_url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()


def _postgres_environment(database_url: str) -> dict[str, str]:
    parts = urlsplit(database_url)
    dbname = parts.path.lstrip("/")
    if not parts.hostname or not dbname:
        raise _invalid(database_url, "write postgresql://user:password@host:port/db")
    query = parse_qs(parts.query)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(dbname),
        "POSTGRES_HOST": parts.hostname,
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_POOL_SIZE": "5",
        "POSTGRES_MAX_OVERFLOW": "10",
        "POSTGRES_CONNECT_TIMEOUT": "5",
        # Keep table-level locking on inserts: notification ids then become
        # visible in commit order, which read models and hash chains rely on.
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
    }
    if "schema" in query:
        env["POSTGRES_SCHEMA"] = query["schema"][0]
    return env


def _invalid(database_url: str, hint: str) -> InvalidInputError:
    return InvalidInputError.field(
        "INCIDENTS_DATABASE_URL", f"{redact(database_url)!r} is not usable: {hint}."
    )
