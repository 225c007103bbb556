"""Give each benchmark a store of its own: a SQLite file, or a PostgreSQL database.

PostgreSQL comes from a server URL whose user may create databases (for
instance ``postgresql://postgres:postgres@127.0.0.1:5432/postgres``); each store
is a new database on that server, dropped when the benchmark ends.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from types import TracebackType
from urllib.parse import quote, urlsplit

import psycopg
from psycopg import sql

BACKENDS = ("sqlite", "postgresql")


def postgres_server_url(given: str | None = None) -> str | None:
    """Return the PostgreSQL server to use: given, or from the environment.

    ``INCIDENTS_BENCH_POSTGRES_URL`` first, then the ``POSTGRES_HOST``, ``_PORT``,
    ``_USER`` and ``_PASSWORD`` variables that ``python3 -m tests.pgserver
    start`` prints.
    """
    url = given or os.environ.get("INCIDENTS_BENCH_POSTGRES_URL")
    if url:
        return url
    host = os.environ.get("POSTGRES_HOST")
    if not host:
        return None
    user = quote(os.environ.get("POSTGRES_USER") or "postgres", safe="")
    password = quote(os.environ.get("POSTGRES_PASSWORD", ""), safe="")
    port = os.environ.get("POSTGRES_PORT") or "5432"
    return f"postgresql://{user}:{password}@{host}:{port}/postgres"


class Stores:
    """Create scratch stores of one backend, and remove them all on exit."""

    def __init__(
        self, backend: str, folder: Path, server_url: str | None = None
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"Unknown backend {backend!r}: use one of {BACKENDS}.")
        if backend == "postgresql" and not server_url:
            raise ValueError("The postgresql backend needs a server URL.")
        self.backend = backend
        self.folder = folder
        self.server_url = server_url or ""
        self._databases: list[str] = []

    def __enter__(self) -> Stores:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def new(self, name: str) -> str:
        """Return the URL of a new, empty store."""
        if self.backend == "sqlite":
            path = self.folder / f"{name}.sqlite3"
            path.unlink(missing_ok=True)
            return f"sqlite:///{path}"
        database = f"bench_{name.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
        with self._maintenance() as connection:
            connection.execute(
                sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database))
            )
        self._databases.append(database)
        return urlsplit(self.server_url)._replace(path=f"/{database}").geturl()

    def size(self, url: str) -> int:
        """Return the bytes a store takes: events, ledger and read models."""
        if self.backend == "sqlite":
            path = url.removeprefix("sqlite:///")
            return sum(
                Path(path + suffix).stat().st_size
                for suffix in ("", "-wal")
                if Path(path + suffix).exists()
            )
        with psycopg.connect(url, connect_timeout=10) as connection:
            row = connection.execute(
                "SELECT pg_database_size(current_database())"
            ).fetchone()
        return int(row[0]) if row else 0

    def remove(self, url: str) -> None:
        """Delete one store this object created, to free its space at once."""
        if self.backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
            return
        database = urlsplit(url).path.lstrip("/")
        if database in self._databases:
            self._databases.remove(database)
            self._drop(database)

    def close(self) -> None:
        """Drop every database this object created."""
        while self._databases:
            self._drop(self._databases.pop())

    def _drop(self, database: str) -> None:
        with self._maintenance() as connection:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            )
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(database))
            )

    def _maintenance(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.server_url, autocommit=True, connect_timeout=10)
