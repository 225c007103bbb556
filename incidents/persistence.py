"""Turn a database URL into the settings of the eventsourcing library.

``sqlite:///relative/path.sqlite3`` and ``sqlite:////absolute/path.sqlite3`` (the
SQLAlchemy convention) choose the embedded store; ``postgresql://user:pass@host:port/db``
(with an optional ``?schema=NAME``) chooses PostgreSQL; ``memory://`` keeps
everything in memory, for tests.

When the database refuses a write for a reason of its own (unreachable, full,
read-only), :func:`storage_unavailable` says so as a :class:`StorageUnavailableError`,
and :func:`probe_writes` tells whether it takes writes again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from incidents.errors import InvalidInputError, StorageUnavailableError
from incidents.sql_names import qualified

if TYPE_CHECKING:
    from eventsourcing.persistence import ApplicationRecorder

# How long a writer waits for SQLite's lock before giving up, in seconds.
SQLITE_LOCK_TIMEOUT = "10"
# How many pooled connections a process may hold at once, unless told: the
# library's 5 kept open, and 10 more when needed. A web process asks for one per
# request thread, plus its followers' (web/config.py).
DEFAULT_CONNECTIONS = 15
# Connections kept open in the pool, of all it may hold.
KEPT_CONNECTIONS = 5
# The environment's key for that number (read by IncidentStore for SQLite).
CONNECTIONS = "INCIDENTS_CONNECTIONS"
# How long eventsourcing's pool waits for a PostgreSQL connection, in seconds
# (store.py then shortens each request's wait to POSTGRES_POOL_WAIT_SECONDS).
POSTGRES_POOL_WAIT = "1"

# libpq's connection parameters that a PostgreSQL URL may carry, passed to every
# connection as they are (TLS above all: ?sslmode=verify-full&sslrootcert=...).
LIBPQ_PARAMETERS = frozenset(
    {
        "application_name",
        "channel_binding",
        "connect_timeout",
        "gssencmode",
        "keepalives",
        "keepalives_count",
        "keepalives_idle",
        "keepalives_interval",
        "krbsrvname",
        "options",
        "requirepeer",
        "ssl_max_protocol_version",
        "ssl_min_protocol_version",
        "sslcert",
        "sslcompression",
        "sslcrl",
        "sslcrldir",
        "sslkey",
        "sslmode",
        "sslpassword",
        "sslrootcert",
        "sslsni",
        "target_session_attrs",
        "tcp_user_timeout",
    }
)
# Without a connect_timeout of its own, a connection to a server that does not
# answer gives up after this many seconds (libpq would wait for the network).
DEFAULT_CONNECT_TIMEOUT = "2"
# And a server that vanishes without closing its connections (a host down, the
# network cut) is noticed within about 10 s, not after the system's TCP timeouts
# (about 15 minutes): keep-alives probe a connection after 2 s of silence, and
# once tcp_user_timeout is set, Linux drops the connection when the server has
# acknowledged nothing for that long. Its kernel acknowledges the probes while a
# long query runs. Not 2 s: Linux also counts the time a live server does not
# read, as when a large write waits behind another writer's lock on the events
# table, and 2 s cut such writes (tests/integration/test_postgres_waits.py).
# Each gives way to the URL's own.
DEFAULT_CONNECTION_PARAMETERS = {
    "connect_timeout": DEFAULT_CONNECT_TIMEOUT,
    "tcp_user_timeout": "10000",
    "keepalives": "1",
    "keepalives_idle": "2",
    "keepalives_interval": "1",
    "keepalives_count": "2",
}
# Where the environment carries them to the store (store.py), as JSON.
CONNECTION_PARAMETERS = "INCIDENTS_POSTGRES_CONNECTION_PARAMETERS"
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")

# Any number nothing else in the database uses as an advisory lock.
PROBE_LOCK = 0x3E7E5C0DE

# The errors by which the database says it cannot serve now, whatever the request.
OPERATIONAL_ERRORS = (OperationalError, InterfaceError)


def environment_for(
    database_url: str, *, connections: int = DEFAULT_CONNECTIONS
) -> dict[str, str]:
    """Return the eventsourcing environment for a database URL.

    ``connections``: how many the process may hold at once (at least 2).
    """
    if connections < 2:
        raise ValueError(f"A store needs 2 connections at least, not {connections}.")
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
            CONNECTIONS: str(connections),
        }
    if scheme in {"postgresql", "postgres"}:
        return _postgres_environment(database_url, connections)
    raise _invalid(database_url, "use sqlite:///..., postgresql://... or memory://")


def read_only_environment(database_url: str) -> dict[str, str]:
    """Return the environment that opens a SQLite store to read it only.

    For a store that refuses writes from the start (a full disk, a read-only
    file or medium): SQLite then never writes, and never creates the
    write-ahead log's index either, which a full disk or a read-only medium
    would refuse. While the log beside the file holds recent writes, its index
    is needed to read them, so the file is opened read-only with it; with no
    such log every write is in the file itself, read as it is (``immutable``).
    """
    path = sqlite_path(database_url)
    if path is None:
        raise ValueError(f"Only a SQLite store opens read-only: {redact(database_url)}")
    wal = path.with_name(path.name + "-wal")
    holds_writes = wal.is_file() and wal.stat().st_size > 0
    flags = "mode=ro" if holds_writes else "mode=ro&immutable=1"
    return {
        **environment_for(database_url),
        "SQLITE_DBNAME": f"file:{quote(str(path.resolve()))}?{flags}",
        # Nothing is created: the tables are there already.
        "CREATE_TABLE": "n",
    }


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


def _postgres_environment(database_url: str, connections: int) -> dict[str, str]:
    parts = urlsplit(database_url)
    dbname = parts.path.lstrip("/")
    if not parts.hostname or not dbname:
        raise _invalid(database_url, "write postgresql://user:password@host:port/db")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise _invalid(database_url, "the port must be a number from 1 to 65535")
    query = parse_qs(parts.query, keep_blank_values=True)
    for key, values in query.items():
        if key != "schema" and key not in LIBPQ_PARAMETERS:
            raise _invalid(
                database_url,
                f"{key!r} is not a parameter it takes: schema, or one of libpq's "
                f"({', '.join(sorted(LIBPQ_PARAMETERS))})",
            )
        if len(values) > 1:
            raise _invalid(database_url, f"give {key!r} once")
    connection = {key: values[0] for key, values in query.items() if key != "schema"}
    connection = {**DEFAULT_CONNECTION_PARAMETERS, **connection}
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(dbname),
        "POSTGRES_HOST": parts.hostname,
        "POSTGRES_PORT": str(port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_POOL_SIZE": str(min(KEPT_CONNECTIONS, connections)),
        "POSTGRES_MAX_OVERFLOW": str(max(0, connections - KEPT_CONNECTIONS)),
        "POSTGRES_CONNECT_TIMEOUT": POSTGRES_POOL_WAIT,
        # Check a pooled connection before lending it: after the server restarts,
        # the broken ones are replaced instead of failing a request each.
        "POSTGRES_PRE_PING": "y",
        # Keep table-level locking on inserts: notification ids then become
        # visible in commit order, which read models and hash chains rely on.
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
    }
    if "schema" in query:
        schema = query["schema"][0]
        if not SCHEMA_NAME.fullmatch(schema):
            raise _invalid(
                database_url,
                "name the schema with lower-case letters, digits and _ "
                "(63 at most, not starting with a digit)",
            )
        env["POSTGRES_SCHEMA"] = schema
    env[CONNECTION_PARAMETERS] = json.dumps(connection, sort_keys=True)
    return env


def connection_parameters(env: Mapping[str, str]) -> dict[str, str]:
    """Return the libpq parameters that a store's environment carries."""
    parameters: dict[str, str] = json.loads(env.get(CONNECTION_PARAMETERS) or "{}")
    return parameters


FULL_DISK = "the disk is full"
READ_ONLY_FILE = "the database file or its folder is read-only"


def refusal_cause(reason: str) -> str:
    """Name the cause of a refused write in a few words, without paths or data."""
    text = reason.lower()
    if "full" in text or "no space" in text:
        return FULL_DISK
    if "disk i/o" in text:
        return "the disk cannot be written (full or failing)"
    if "readonly" in text or "read-only" in text:
        return READ_ONLY_FILE
    return "the database refuses writes"


def storage_unavailable(
    error: Exception, recorder: ApplicationRecorder, *, writing: bool
) -> StorageUnavailableError:
    """Describe a database that refused a request for a reason of its own.

    SQLite commits or rolls back on the spot, so a refused write was not stored.
    A PostgreSQL connection may break after the server committed but before it
    said so: such a write may have been stored.
    """
    return StorageUnavailableError(
        str(error) or type(error).__name__,
        writing=writing,
        maybe_stored=writing and not isinstance(recorder, SQLiteApplicationRecorder),
    )


def probe_writes(recorder: ApplicationRecorder) -> None:
    """Commit a one-row write beside the events; raise the driver's error if refused.

    The row (table ``write_probe``) counts the probes and holds nothing else: it
    may be dropped at any time.
    """
    if isinstance(recorder, SQLiteApplicationRecorder):
        with recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS write_probe "
                "(id INTEGER PRIMARY KEY, probes INTEGER NOT NULL)"
            )
            cursor.execute(
                "INSERT INTO write_probe (id, probes) VALUES (1, 1) "
                "ON CONFLICT (id) DO UPDATE SET probes = write_probe.probes + 1"
            )
    elif isinstance(recorder, PostgresApplicationRecorder):
        table = qualified(recorder.datastore.schema, "write_probe")
        with recorder.datastore.transaction(commit=True) as pg_cursor:
            # Two processes creating one table at once would collide.
            pg_cursor.execute("SELECT pg_advisory_xact_lock(%s)", (PROBE_LOCK,))
            pg_cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {table} "
                "(id integer PRIMARY KEY, probes bigint NOT NULL)"
            )
            pg_cursor.execute(
                f"INSERT INTO {table} AS probe (id, probes) VALUES (1, 1) "  # noqa: S608
                "ON CONFLICT (id) DO UPDATE SET probes = probe.probes + 1"
            )


def renew_connections(recorder: ApplicationRecorder) -> None:
    """Have a SQLite store open its file anew for every later request.

    SQLite opens a file it may not write (a read-only or immutable file) to read
    only, and the connection stays so after the file becomes writable again:
    pooled connections made during such a fault would refuse writes forever.
    Idle ones are closed now, those in use when they are given back.
    """
    if not isinstance(recorder, SQLiteApplicationRecorder):
        return
    pool: Any = recorder.datastore.pool
    # eventsourcing's pool has no public way to do this: its own max-age timer
    # marks a connection closing the same way.
    with pool._put_condition:
        for connection in list(pool._in_use.values()):
            connection._closing.set()
        while pool._pool:
            pool._pool.popleft().close()


def _invalid(database_url: str, hint: str) -> InvalidInputError:
    return InvalidInputError.field(
        "INCIDENTS_DATABASE_URL", f"{redact(database_url)!r} is not usable: {hint}."
    )
