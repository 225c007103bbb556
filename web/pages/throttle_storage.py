"""Count rate-limit hits in a table beside the events, shared by every process.

A storage for the `limits` library (its documented extension point: a
:class:`limits.storage.Storage` with :class:`~limits.storage.MovingWindowSupport`)
over one table of the event store's database: the SQLite file, or the
PostgreSQL schema, reached through :class:`projections.database.Database`, so
through the store's own connection pool. Each key has one row holding the
times of its hits in the window and when the newest of them leaves it; rows
whose window has passed are deleted by the next hit, so the table holds only
the last window's keys.

A hit is counted in one write transaction that locks the key's row (the whole
file on SQLite, ``BEGIN IMMEDIATE``; the row, ``FOR UPDATE``, on PostgreSQL):
processes hitting one key at once are counted one after the other, never past
the limit. Times are the web processes' clocks, which must agree to a second.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

from eventsourcing.persistence import PersistenceError
from limits.storage import MovingWindowSupport, Storage

from projections.database import Cursor, Database

TABLE = "rate_limit_windows"


class TableStorage(Storage, MovingWindowSupport):
    """Keep each rate-limit key's hits in a row of a table of the event store."""

    def __init__(
        self, database: Database, *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__()
        self.database = database
        self.clock = clock
        self.table = database.table(TABLE)
        real = "DOUBLE PRECISION" if database.dialect == "postgres" else "REAL"
        with database.changing_schema() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} ("
                "key TEXT PRIMARY KEY, hits TEXT NOT NULL, "
                f"expires_at {real} NOT NULL)"
            )
        if database.dialect == "postgres":
            self._lock_row = " FOR UPDATE"
            # Rows another hit has locked are left for a later hit to delete.
            passed = (
                f"key IN (SELECT key FROM {self.table} WHERE expires_at <= ? "
                "AND key <> ? FOR UPDATE SKIP LOCKED)"
            )
        else:  # A SQLite writer holds the whole file already.
            self._lock_row, passed = "", "expires_at <= ? AND key <> ?"
        self._forget_passed = f"DELETE FROM {self.table} WHERE {passed}"

    @property
    def base_exceptions(self) -> tuple[type[Exception], ...]:
        return (PersistenceError, sqlite3.Error)

    # The moving window, which the sign-in throttle uses.

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Count ``amount`` hits now, unless the window would then hold too many."""
        if amount > limit:
            return False
        with self.database.transaction(write=True) as cursor:
            now = self.clock()
            hits, _ = self._locked_window(cursor, key, now)
            hits = [hit for hit in hits if hit > now - expiry]
            if len(hits) + amount > limit:
                return False
            self._write(cursor, key, [*hits, *[now] * amount], now + expiry)
        return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """Return when the window's oldest hit was counted, and how many it holds."""
        now = self.clock()
        hits = [hit for hit in self._hits(key, now) if hit > now - expiry]
        return (min(hits), len(hits)) if hits else (now, 0)

    # A fixed window, for completeness: counted from its first hit.

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Count ``amount`` hits in the key's fixed window; return its count."""
        with self.database.transaction(write=True) as cursor:
            now = self.clock()
            hits, expires_at = self._locked_window(cursor, key, now)
            if not hits:
                expires_at = now + expiry
            hits += [now] * amount
            self._write(cursor, key, hits, expires_at)
        return len(hits)

    def get(self, key: str) -> int:
        """Return how many hits the key's window holds."""
        return len(self._hits(key, self.clock()))

    def get_expiry(self, key: str) -> float:
        """Return when the key's window ends (now, if it has none)."""
        now = self.clock()
        with self.database.transaction(write=False) as cursor:
            cursor.execute(
                f"SELECT expires_at FROM {self.table} WHERE key = ? AND expires_at > ?",
                (key, now),
            )
            row = cursor.fetchone()
        return now if row is None else float(row[0])

    # Keeping the table.

    def check(self) -> bool:
        """Tell whether the table can be read."""
        try:
            with self.database.transaction(write=False) as cursor:
                cursor.execute(f"SELECT COUNT(*) FROM {self.table}")
        except self.base_exceptions:
            return False
        return True

    def reset(self) -> int | None:
        """Forget every key; return how many there were."""
        with self.database.transaction(write=True) as cursor:
            return cursor.execute(f"DELETE FROM {self.table}")

    def clear(self, key: str) -> None:
        """Forget one key."""
        with self.database.transaction(write=True) as cursor:
            cursor.execute(f"DELETE FROM {self.table} WHERE key = ?", (key,))

    def _hits(self, key: str, now: float) -> list[float]:
        with self.database.transaction(write=False) as cursor:
            cursor.execute(
                f"SELECT hits FROM {self.table} WHERE key = ? AND expires_at > ?",
                (key, now),
            )
            row = cursor.fetchone()
        return [] if row is None else _parse(row[0])

    def _locked_window(
        self, cursor: Cursor, key: str, now: float
    ) -> tuple[list[float], float]:
        """Lock the key's row and return its hits and end (none if it has passed).

        Other keys' windows that have passed are deleted first; the key's own row
        is kept, to be rewritten, so that a hit waiting for its lock never finds
        it gone.
        """
        cursor.execute(self._forget_passed, (now, key))
        cursor.execute(
            f"INSERT INTO {self.table} (key, hits, expires_at) VALUES (?, '', 0) "
            "ON CONFLICT (key) DO NOTHING",
            (key,),
        )
        cursor.execute(
            f"SELECT hits, expires_at FROM {self.table} WHERE key = ?{self._lock_row}",
            (key,),
        )
        row = cursor.fetchone()
        if row is None or float(row[1]) <= now:
            return [], 0.0
        return _parse(row[0]), float(row[1])

    def _write(
        self, cursor: Cursor, key: str, hits: list[float], expires_at: float
    ) -> None:
        cursor.execute(
            f"UPDATE {self.table} SET hits = ?, expires_at = ? WHERE key = ?",
            (" ".join(repr(hit) for hit in hits), expires_at, key),
        )


def _parse(hits: str) -> list[float]:
    return [float(hit) for hit in hits.split()]
