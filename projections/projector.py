"""Keep the read models up to date with the event log, each event exactly once.

Events are applied in batches; each batch is written in one transaction together
with the position it reaches, so a process killed at any moment leaves the read
models exactly at the end of a batch, and the next run resumes from there.
Several projectors (threads or processes) may run at once: each batch first locks
the tracking row and re-reads the position, and gives up if another projector
got there first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from incidents.following import LogFollower
from projections.database import Cursor, Database
from projections.facts import read_facts
from projections.handlers import Known, apply_facts
from projections.tables import (
    COLUMNS,
    POINTER_TABLE,
    TRACKING_NAME,
    Tables,
    create_pointer,
)

if TYPE_CHECKING:
    from incidents.application import IncidentLog

# Events per transaction while following the log: short, so that writers to a
# SQLite file are not held up for long.
BATCH_SIZE = 500
# Events per transaction while building a generation nobody reads yet.
REBUILD_BATCH_SIZE = 5000
# How often a wait looks at the database for read models another process keeps.
LOOK_SECONDS = 0.05
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Batch:
    """Say how far one batch went."""

    applied: int
    position: int


class Projector(LogFollower):
    """Apply the events of one incident log to its read-model tables."""

    thread_name = "read-models"

    def __init__(
        self,
        log: IncidentLog,
        database: Database | None = None,
        *,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        super().__init__(log)
        self.database = database or Database(log)
        self.batch_size = batch_size
        self._progress = threading.Condition()
        # The highest position this process has seen the live read models
        # reach: positions only grow, so a write found below it needs no look
        # at the database (any number of requests wait at once).
        self._reached = 0
        # The rows the last batch left: (generation, position reached, rows).
        self._known: tuple[int, int, Known] | None = None
        self.ensure_tables()

    # Generations.

    def ensure_tables(self) -> None:
        """Create the generation pointer and the live tables when missing.

        Live tables of another shape (made by an older version) are replaced by
        an empty generation of this version's shape, which following the log
        fills from the first event (``incidents replay`` does it at once).
        """
        with self.database.transaction(write=False) as cursor:
            exists = self._live_tables_exist(cursor)
            if exists and self._live_tables_match(cursor):
                # Creating them again (IF NOT EXISTS) would still lock them on
                # PostgreSQL, and deadlock with a batch in progress elsewhere.
                return
        if exists:
            logger.warning(
                "The read models were made by another version: replacing them "
                "with read models rebuilt from the first event."
            )
            self.drop(self.make_live(self.new_generation(), even_behind=True))
            return
        with self.database.changing_schema() as cursor:
            create_pointer(cursor, self.database)
            Tables(self.database, self._generation(cursor, "live")).create(cursor)

    def _live_tables_exist(self, cursor: Cursor) -> bool:
        # A generation's tables are created in one transaction, its tracking last.
        if not self.database.has_table(cursor, POINTER_TABLE):
            return False
        return self.database.has_table(
            cursor, self.live_tables(cursor).bare("tracking")
        )

    def _live_tables_match(self, cursor: Cursor) -> bool:
        tables = self.live_tables(cursor)
        return all(
            self.database.columns(cursor, tables.bare(table)) == list(columns)
            for table, columns in COLUMNS.items()
        )

    def live_tables(self, cursor: Cursor, *, lock: str = "SHARE") -> Tables:
        """Return the tables of the generation readers use.

        On PostgreSQL the pointer row stays locked until the transaction ends, so
        that a rebuild cannot swap and drop these tables under the reader (DDL is
        not protected by snapshots there; SQLite's snapshots do cover it).
        """
        return Tables(self.database, self._generation(cursor, "live", lock=lock))

    def _generation(self, cursor: Cursor, name: str, *, lock: str = "") -> int:
        locking = f" FOR {lock}" if lock and self.database.dialect == "postgres" else ""
        cursor.execute(
            f"SELECT generation FROM {self.database.table(POINTER_TABLE)} "
            f"WHERE name = ?{locking}",
            (name,),
        )
        row = cursor.fetchone()
        if row is None:  # pragma: no cover - create_pointer inserts both rows
            raise LookupError(name)
        return int(row[0])

    def new_generation(self, *, indexes: bool = True) -> Tables:
        """Allocate and create an empty generation that readers do not see.

        Without ``indexes`` it has only its primary keys until :meth:`index`.
        """
        with self.database.changing_schema() as cursor:
            pointer = self.database.table(POINTER_TABLE)
            cursor.execute(
                f"UPDATE {pointer} SET generation = generation + 1 "
                "WHERE name = 'newest'"
            )
            tables = Tables(self.database, self._generation(cursor, "newest"))
            tables.create(cursor, indexes=indexes)
        return tables

    def index(self, tables: Tables) -> None:
        """Create the secondary indexes of a generation loaded without them."""
        with self.database.changing_schema() as cursor:
            tables.create_indexes(cursor)
        self.database.analyse([tables.name(table) for table in COLUMNS])

    def make_live(self, tables: Tables, *, even_behind: bool = False) -> Tables:
        """Point readers at another generation; return the one they used before.

        A generation behind the live one is first brought up to its position,
        in the swap's own transaction (which holds back the live projector):
        the live position never goes back, so a position once seen reached
        stays reached (:meth:`wait` relies on it). Only ``even_behind`` swaps in
        read models as they are, to replace another version's, which nobody can
        read anyway.
        """
        with self.database.swapping() as cursor:
            previous = self.live_tables(cursor, lock="UPDATE")
            if not even_behind:
                self._apply_until(cursor, tables, self._position(cursor, previous))
            cursor.execute(
                f"UPDATE {self.database.table(POINTER_TABLE)} "
                "SET generation = ? WHERE name = 'live'",
                (tables.generation,),
            )
        return previous

    def _apply_until(self, cursor: Cursor, tables: Tables, stop: int) -> None:
        """Apply to a generation, in this transaction, the events up to ``stop``."""
        position = self._position(cursor, tables)
        while position < stop:
            notifications = self.database.notifications(
                self.log, position + 1, self.batch_size, stop=stop
            )
            if not notifications:
                break
            apply_facts(cursor, tables, read_facts(self.log.mapper, notifications))
            position = notifications[-1].id
            cursor.execute(
                f"UPDATE {tables.name('tracking')} SET position = ? WHERE name = ?",
                (position, TRACKING_NAME),
            )

    def drop(self, tables: Tables) -> None:
        """Drop a generation that is no longer live."""
        with self.database.changing_schema() as cursor:
            if self.live_tables(cursor).generation == tables.generation:
                raise ValueError("Cannot drop the live read models.")
            tables.drop(cursor)

    # Processing.

    def position(self, tables: Tables | None = None) -> int:
        """Return the log position the read models have reached."""
        with self.database.transaction(write=False) as cursor:
            return self._position(cursor, tables or self.live_tables(cursor))

    @staticmethod
    def _position(cursor: Cursor, tables: Tables) -> int:
        cursor.execute(
            f"SELECT position FROM {tables.name('tracking')} WHERE name = ?",
            (TRACKING_NAME,),
        )
        row = cursor.fetchone()
        return 0 if row is None else int(row[0])

    def process_batch(
        self,
        tables: Tables | None = None,
        *,
        stop: int | None = None,
        bulk: bool = False,
    ) -> Batch:
        """Apply the next batch of events (up to ``stop``) in one transaction.

        ``bulk`` is for building a generation that no one reads yet: batches of
        :data:`REBUILD_BATCH_SIZE`, and on PostgreSQL commits that do not wait
        for the disk (a crash can lose the last ones, which tracking says are
        not applied, and never makes the database inconsistent). SQLite's
        durability settings are left alone: they belong to the connection that
        the event store shares, and the file holds the events too.
        """
        follow_live = tables is None
        with self.database.transaction(write=False) as cursor:
            if tables is None:
                tables = self.live_tables(cursor)
            start = self._position(cursor, tables)
        if follow_live:
            self._saw(start)
        if stop is not None and start >= stop:
            return Batch(0, start)
        notifications = self.database.notifications(
            self.log,
            start + 1,
            REBUILD_BATCH_SIZE if bulk else self.batch_size,
            stop=stop,
        )
        if not notifications:
            return Batch(0, start)
        # Read before the write transaction: an upcast event is decoded by the
        # mapper, which may read (a contact's key), and a read waiting behind a
        # writer that waits for us would stall.
        facts = read_facts(self.log.mapper, notifications)
        with self.database.transaction(write=True, durable=False) as cursor:
            if follow_live and self.live_tables(cursor).generation != tables.generation:
                return Batch(0, start)  # A rebuild swapped generations meanwhile.
            if bulk and self.database.dialect == "postgres":
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            # Writing first takes the lock (SQLite's database lock, PostgreSQL's
            # row lock), so that re-reading the position below is authoritative.
            tracking = tables.name("tracking")
            cursor.execute(
                f"UPDATE {tracking} SET position = position WHERE name = ?",
                (TRACKING_NAME,),
            )
            if self._position(cursor, tables) != start:
                return Batch(0, start)  # Another projector applied these events.
            known, self._known = self._known, None
            if known is not None and known[:2] != (tables.generation, start):
                known = None  # Another projector applied a batch in between.
            left = apply_facts(cursor, tables, facts, known and known[2])
            reached = notifications[-1].id
            cursor.execute(
                f"UPDATE {tracking} SET position = ? WHERE name = ?",
                (reached, TRACKING_NAME),
            )
        self._known = (tables.generation, reached, left)
        if follow_live:
            self._saw(reached)
        return Batch(len(notifications), reached)

    def catch_up(
        self,
        tables: Tables | None = None,
        *,
        stop: int | None = None,
        progress: Callable[[Batch], None] | None = None,
        bulk: bool = False,
    ) -> int:
        """Apply every event not yet applied (up to ``stop``); return how many."""
        applied = 0
        while True:
            batch = self.process_batch(tables, stop=stop, bulk=bulk)
            if batch.applied == 0:
                if tables is None or stop is None or batch.position >= stop:
                    return applied
                continue  # Lost a batch to another projector: look again.
            applied += batch.applied
            if progress is not None:
                progress(batch)

    # Following the log (start, stop, run_forever: see LogFollower).

    def step(self) -> int:
        """Apply every event not yet applied to the live read models."""
        return self.catch_up()

    def wait(self, position: int, timeout: float = 5.0) -> bool:
        """Wait until the read models reach a log position; tell whether they did.

        Woken by this process's batches; looks at the database at first and
        then every :data:`LOOK_SECONDS`, for projectors in other processes.
        """
        deadline = time.monotonic() + timeout
        while True:
            with self._progress:
                if self._reached >= position:
                    return True
            self._saw(self.position())
            with self._progress:
                while self._reached < position:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    if not self._progress.wait(min(remaining, LOOK_SECONDS)):
                        break  # No batch here for a while: look at the database.
                else:
                    return True

    def _saw(self, position: int) -> None:
        """Note a position the live read models reached; wake who waits for it."""
        with self._progress:
            if position > self._reached:
                self._reached = position
                self._progress.notify_all()
