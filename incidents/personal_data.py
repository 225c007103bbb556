"""Keep a visitor's contact details readable only while their key exists.

A contact is stored in events only as AES-GCM ciphertext under a key of its own
(one per incident), and the keys live in a table beside the event log. Erasing
the contact destroys its key: every event still loads, with the contact marked
erased, and the stored bytes, which the history's hashes cover, never change
(crypto-shredding; see docs/privacy.md).
"""

from __future__ import annotations

import base64
import calendar
import json
import os
import re
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Transcoding
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from incidents.sql_names import qualified

if TYPE_CHECKING:
    from eventsourcing.persistence import ApplicationRecorder

KEY_BYTES = 32
NONCE_BYTES = 12
DEFAULT_RETENTION_MONTHS = 24
RETENTION_ACTOR = "retention"


@dataclass(frozen=True)
class PersonalContact:
    """Carry a visitor's contact in an event; ``erased`` once its key is gone."""

    key_id: UUID
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    erased: bool = False

    def to_dict(self) -> dict[str, str | None] | None:
        """Return the details as plain data, or ``None`` once erased."""
        if self.erased:
            return None
        return {"name": self.name, "phone": self.phone, "email": self.email}


class ContactKeys(ABC):
    """Store one random key per contact, outside the event log."""

    @abstractmethod
    def get(self, key_id: UUID) -> bytes | None:
        """Return the key, or ``None`` once it was destroyed (or never made)."""

    @abstractmethod
    def get_or_create(self, key_id: UUID) -> bytes:
        """Return the key, making it on first use."""

    @abstractmethod
    def destroy(self, key_id: UUID) -> bool:
        """Destroy the key for good; tell whether there was one."""


class POPOContactKeys(ContactKeys):
    """Keep keys in memory, for tests and the in-memory event store."""

    def __init__(self) -> None:
        self._keys: dict[UUID, bytes] = {}
        self._lock = threading.Lock()

    def get(self, key_id: UUID) -> bytes | None:
        with self._lock:
            return self._keys.get(key_id)

    def get_or_create(self, key_id: UUID) -> bytes:
        with self._lock:
            return self._keys.setdefault(key_id, os.urandom(KEY_BYTES))

    def destroy(self, key_id: UUID) -> bool:
        with self._lock:
            return self._keys.pop(key_id, None) is not None


class SQLiteContactKeys(ContactKeys):
    """Keep keys in a ``contact_keys`` table of the SQLite file."""

    def __init__(self, recorder: SQLiteApplicationRecorder) -> None:
        self._datastore = recorder.datastore
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS contact_keys ("
                " key_id TEXT PRIMARY KEY, key BLOB NOT NULL)"
            )

    def get(self, key_id: UUID) -> bytes | None:
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute(
                "SELECT key FROM contact_keys WHERE key_id = ?", (str(key_id),)
            )
            row = cursor.fetchone()
        return None if row is None else bytes(row[0])

    def get_or_create(self, key_id: UUID) -> bytes:
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                "INSERT INTO contact_keys (key_id, key) VALUES (?, ?) "
                "ON CONFLICT (key_id) DO NOTHING",
                (str(key_id), os.urandom(KEY_BYTES)),
            )
            cursor.execute(
                "SELECT key FROM contact_keys WHERE key_id = ?", (str(key_id),)
            )
            return bytes(cursor.fetchone()[0])

    def destroy(self, key_id: UUID) -> bool:
        with self._datastore.get_connection(commit=True) as connection:
            cursor = connection.cursor().sqlite_cursor
            # Overwrite the deleted key on its page, then fold the write-ahead
            # log into the file, so that no copy of the key stays behind.
            cursor.execute("PRAGMA secure_delete = ON")
            cursor.execute("BEGIN IMMEDIATE")
            try:
                cursor.execute(
                    "DELETE FROM contact_keys WHERE key_id = ?", (str(key_id),)
                )
                destroyed = cursor.rowcount > 0
            except BaseException:
                connection.rollback()
                raise
            connection.commit()
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.close()
        return destroyed


class PostgresContactKeys(ContactKeys):
    """Keep keys in a ``contact_keys`` table of the PostgreSQL schema."""

    def __init__(self, recorder: PostgresApplicationRecorder) -> None:
        self._datastore = recorder.datastore
        self._table = qualified(self._datastore.schema, "contact_keys")
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self._table} ("
                " key_id uuid PRIMARY KEY, key bytea NOT NULL)"
            )

    def get(self, key_id: UUID) -> bytes | None:
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT key FROM {self._table} WHERE key_id = %s",  # noqa: S608
                (key_id,),
            )
            row = cursor.fetchone()
        return None if row is None else bytes(row["key"])

    def get_or_create(self, key_id: UUID) -> bytes:
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"INSERT INTO {self._table} (key_id, key) VALUES (%s, %s) "  # noqa: S608
                "ON CONFLICT (key_id) DO NOTHING",
                (key_id, os.urandom(KEY_BYTES)),
            )
            cursor.execute(
                f"SELECT key FROM {self._table} WHERE key_id = %s",  # noqa: S608
                (key_id,),
            )
            row = cursor.fetchone()
        if row is None:  # pragma: no cover - inserted or found just above
            raise LookupError(key_id)
        return bytes(row["key"])

    def destroy(self, key_id: UUID) -> bool:
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"DELETE FROM {self._table} WHERE key_id = %s",  # noqa: S608
                (key_id,),
            )
            destroyed = cursor.rowcount > 0
        with self._datastore.get_connection() as connection:
            # Reclaim the dead row now rather than at the next autovacuum.
            connection.execute(f"VACUUM {self._table}")
        return destroyed


def contact_keys_for(recorder: ApplicationRecorder) -> ContactKeys:
    """Return the key store that lives beside the given event recorder."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        return SQLiteContactKeys(recorder)
    if isinstance(recorder, PostgresApplicationRecorder):
        return PostgresContactKeys(recorder)
    return POPOContactKeys()


class ContactAsCiphertext(Transcoding):
    """Store a :class:`PersonalContact` encrypted under its own key."""

    type = PersonalContact
    name = "contact_aesgcm"

    def __init__(self) -> None:
        # Set once the application's recorder exists (it is made after the
        # transcoder); nothing is encoded or decoded before then.
        self.keys: ContactKeys | None = None

    def encode(self, obj: PersonalContact) -> dict[str, str]:
        if obj.erased:
            raise ValueError("An erased contact cannot be stored again.")
        key = self._keys().get_or_create(obj.key_id)
        nonce = os.urandom(NONCE_BYTES)
        plaintext = json.dumps(
            {"name": obj.name, "phone": obj.phone, "email": obj.email},
            ensure_ascii=False,
        ).encode("utf-8")
        ciphertext = AESGCM(key).encrypt(nonce, plaintext, obj.key_id.bytes)
        return {
            "key_id": obj.key_id.hex,
            "nonce": base64.b64encode(nonce).decode("ascii"),
            "ciphertext": base64.b64encode(ciphertext).decode("ascii"),
        }

    def decode(self, data: dict[str, str]) -> PersonalContact:
        key_id = UUID(data["key_id"])
        key = self._keys().get(key_id)
        if key is None:
            return PersonalContact(key_id=key_id, erased=True)
        try:
            plaintext = AESGCM(key).decrypt(
                base64.b64decode(data["nonce"]),
                base64.b64decode(data["ciphertext"]),
                key_id.bytes,
            )
        except InvalidTag:
            return PersonalContact(key_id=key_id, erased=True)
        details: dict[str, Any] = json.loads(plaintext)
        return PersonalContact(
            key_id=key_id,
            name=details.get("name"),
            phone=details.get("phone"),
            email=details.get("email"),
        )

    def _keys(self) -> ContactKeys:
        if self.keys is None:  # pragma: no cover - set by IncidentLog.__init__
            raise RuntimeError("The contact key store is not ready.")
        return self.keys


def retention_cutoff(now: datetime, months: int) -> datetime:
    """Return the instant ``months`` calendar months before ``now``."""
    if months < 1:
        raise ValueError("The retention period is at least one month.")
    total = now.year * 12 + now.month - 1 - months
    year, month = divmod(total, 12)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    return now.replace(year=year, month=month + 1, day=day)


def retention_reason(months: int) -> str:
    """Return the reason recorded with an erasure made by the retention policy."""
    return (
        f"Retention policy: a visitor's contact is erased {months} months "
        "after the incident was closed."
    )


_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")
_EMAIL_IN_TEXT = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")


def contact_details_in(text: str | None) -> list[str]:
    """Name the kinds of contact detail a free text seems to hold (phone, email)."""
    if not text:
        return []
    found = []
    if _PHONE_IN_TEXT.search(text):
        found.append("phone")
    if _EMAIL_IN_TEXT.search(text):
        found.append("email")
    return found
