"""Keep password and token hashes beside the event log, never in it.

Secrets are not facts to be kept forever: a password hash must be replaceable and
a token's hash deletable, so they live in small tables of the same database
(SQLite or PostgreSQL), reached through the event store's own connection pool.
That a token was issued or revoked *is* a fact, recorded as a ``User`` event.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from incidents.sql_names import qualified

if TYPE_CHECKING:
    from eventsourcing.persistence import ApplicationRecorder


class CredentialStore(ABC):
    """Store one password hash per user id."""

    @abstractmethod
    def put_password_hash(self, user_id: UUID, password_hash: str) -> None:
        """Set or replace the password hash of a user."""

    @abstractmethod
    def get_password_hash(self, user_id: UUID) -> str | None:
        """Return the password hash of a user, if one is set."""

    @abstractmethod
    def put_token(self, token_hash: str, token_id: UUID, user_id: UUID) -> None:
        """Remember which token and user a token hash stands for."""

    @abstractmethod
    def find_token(self, token_hash: str) -> tuple[UUID, UUID] | None:
        """Return the token id and user id of a token hash, if it is known."""

    @abstractmethod
    def delete_token(self, token_id: UUID) -> None:
        """Forget a token's hash, so that it opens nothing any more."""


class POPOCredentialStore(CredentialStore):
    """Keep hashes in memory, for tests and the in-memory event store."""

    def __init__(self) -> None:
        self._hashes: dict[UUID, str] = {}
        self._tokens: dict[str, tuple[UUID, UUID]] = {}
        self._lock = threading.Lock()

    def put_password_hash(self, user_id: UUID, password_hash: str) -> None:
        with self._lock:
            self._hashes[user_id] = password_hash

    def get_password_hash(self, user_id: UUID) -> str | None:
        with self._lock:
            return self._hashes.get(user_id)

    def put_token(self, token_hash: str, token_id: UUID, user_id: UUID) -> None:
        with self._lock:
            self._tokens[token_hash] = (token_id, user_id)

    def find_token(self, token_hash: str) -> tuple[UUID, UUID] | None:
        with self._lock:
            return self._tokens.get(token_hash)

    def delete_token(self, token_id: UUID) -> None:
        with self._lock:
            for token_hash, (known_id, _) in list(self._tokens.items()):
                if known_id == token_id:
                    del self._tokens[token_hash]


class SQLiteCredentialStore(CredentialStore):
    """Keep hashes in a ``credentials`` table of the SQLite event store's file."""

    def __init__(self, recorder: SQLiteApplicationRecorder) -> None:
        self._datastore = recorder.datastore
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS credentials ("
                " user_id TEXT PRIMARY KEY,"
                " password_hash TEXT NOT NULL,"
                " updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
            )
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS api_tokens ("
                " token_hash TEXT PRIMARY KEY,"
                " token_id TEXT NOT NULL UNIQUE,"
                " user_id TEXT NOT NULL)"
            )

    def put_password_hash(self, user_id: UUID, password_hash: str) -> None:
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                "INSERT INTO credentials (user_id, password_hash) VALUES (?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET "
                "password_hash = excluded.password_hash, "
                "updated_at = CURRENT_TIMESTAMP",
                (str(user_id), password_hash),
            )

    def get_password_hash(self, user_id: UUID) -> str | None:
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute(
                "SELECT password_hash FROM credentials WHERE user_id = ?",
                (str(user_id),),
            )
            row = cursor.fetchone()
        return None if row is None else str(row[0])

    def put_token(self, token_hash: str, token_id: UUID, user_id: UUID) -> None:
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                "INSERT INTO api_tokens (token_hash, token_id, user_id) "
                "VALUES (?, ?, ?)",
                (token_hash, str(token_id), str(user_id)),
            )

    def find_token(self, token_hash: str) -> tuple[UUID, UUID] | None:
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute(
                "SELECT token_id, user_id FROM api_tokens WHERE token_hash = ?",
                (token_hash,),
            )
            row = cursor.fetchone()
        return None if row is None else (UUID(row[0]), UUID(row[1]))

    def delete_token(self, token_id: UUID) -> None:
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                "DELETE FROM api_tokens WHERE token_id = ?", (str(token_id),)
            )


class PostgresCredentialStore(CredentialStore):
    """Keep hashes in a ``credentials`` table of the PostgreSQL event store."""

    def __init__(self, recorder: PostgresApplicationRecorder) -> None:
        self._datastore = recorder.datastore
        self._table = qualified(self._datastore.schema, "credentials")
        self._tokens = qualified(self._datastore.schema, "api_tokens")
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self._table} ("
                " user_id uuid PRIMARY KEY,"
                " password_hash text NOT NULL,"
                " updated_at timestamptz NOT NULL DEFAULT now())"
            )
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self._tokens} ("
                " token_hash text PRIMARY KEY,"
                " token_id uuid NOT NULL UNIQUE,"
                " user_id uuid NOT NULL)"
            )

    def put_password_hash(self, user_id: UUID, password_hash: str) -> None:
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"INSERT INTO {self._table} (user_id, password_hash) "  # noqa: S608
                "VALUES (%s, %s) ON CONFLICT (user_id) DO UPDATE SET "
                "password_hash = excluded.password_hash, updated_at = now()",
                (user_id, password_hash),
            )

    def get_password_hash(self, user_id: UUID) -> str | None:
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT password_hash FROM {self._table} "  # noqa: S608
                "WHERE user_id = %s",
                (user_id,),
            )
            row = cursor.fetchone()
        return None if row is None else str(row["password_hash"])

    def put_token(self, token_hash: str, token_id: UUID, user_id: UUID) -> None:
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"INSERT INTO {self._tokens} (token_hash, token_id, user_id) "  # noqa: S608
                "VALUES (%s, %s, %s)",
                (token_hash, token_id, user_id),
            )

    def find_token(self, token_hash: str) -> tuple[UUID, UUID] | None:
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT token_id, user_id FROM {self._tokens} "  # noqa: S608
                "WHERE token_hash = %s",
                (token_hash,),
            )
            row = cursor.fetchone()
        return None if row is None else (row["token_id"], row["user_id"])

    def delete_token(self, token_id: UUID) -> None:
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"DELETE FROM {self._tokens} WHERE token_id = %s",  # noqa: S608
                (token_id,),
            )


def credential_store_for(recorder: ApplicationRecorder) -> CredentialStore:
    """Return the credential store that lives beside the given event recorder."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        return SQLiteCredentialStore(recorder)
    if isinstance(recorder, PostgresApplicationRecorder):
        return PostgresCredentialStore(recorder)
    return POPOCredentialStore()
