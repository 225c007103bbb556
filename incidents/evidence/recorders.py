"""Store events and their ledger rows in one transaction, on every kind of store.

Each recorder is eventsourcing's own, with its insert of events extended: after
the events are inserted (the transaction holding the events' write lock, with
their positions known) and before it commits, the :class:`Sealer` appends their
ledger rows, and a signed checkpoint when one is due. An event stored by any
other path has no ledger row, and ``incidents verify`` names it ``inserted``.

Opening a store brings its ledger up to date once (ADR 0011): a ledger from
before this version gets its tree columns, its rows get their MACs (ADR 0013),
and the events stored after its head, which the previous version sealed later,
are sealed then.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import (
    InterfaceError,
    Notification,
    OperationalError,
    PersistenceError,
)
from eventsourcing.popo import POPOApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteFactory
from eventsourcing.utils import retry

from incidents.evidence.errors import LedgerDamagedError
from incidents.evidence.hashing import leaf_hash
from incidents.evidence.ledger import ChainRow, Ledger, MemoryLedger
from incidents.evidence.merkle import Frontier
from incidents.evidence.sealing import Sealer
from incidents.evidence.sql_ledger import (
    PostgresLedger,
    SQLiteLedger,
    SQLLedger,
    SQLLedgerWriter,
)
from incidents.evidence.sql_rows import Cursor, Layout

if TYPE_CHECKING:
    from eventsourcing.persistence import (
        ApplicationRecorder,
        InfrastructureFactory,
        StoredEvent,
    )

    from incidents.evidence.sealing import LedgerSettings
    from incidents.evidence.signing import Checkpoint

MIGRATION_BATCH = 1000
# eventsourcing tries each PostgreSQL read and write 10 times, 0.2 s apart, and
# each attempt waits up to POSTGRES_POOL_WAIT_SECONDS (0.25 s) for a connection:
# a request in flight when the server dies would be answered after about 4.5 s.
# Four attempts answer within about 2 s and still ride out a dropped connection.
POSTGRES_ATTEMPTS = 4
POSTGRES_RETRY_WAIT = 0.2


# Where the errors of the database itself come from.
DRIVER_MODULES = frozenset({"psycopg", "psycopg_pool", "sqlite3", "eventsourcing"})


class SealingRecorder:
    """Give a recorder its ledger and the sealer of its transactions."""

    ledger: Ledger
    sealer: Sealer

    def install(self, ledger: Ledger, sealer: Sealer) -> None:
        """Attach the ledger and the sealer (before the first write)."""
        self.ledger = ledger
        self.sealer = sealer

    def checkpoint_head(self) -> Checkpoint:
        """Sign and store a checkpoint of the ledger's head, while nobody writes."""
        raise NotImplementedError


class SealingSQLRecorder(SealingRecorder):
    """Sign checkpoints of a ledger kept in SQL tables."""

    ledger: SQLLedger

    def checkpoint_head(self) -> Checkpoint:
        with self.ledger.writing() as cursor:
            return self.sealer.checkpoint(self.ledger.writer(cursor), self.ledger)


class SealingSQLiteRecorder(SealingSQLRecorder, SQLiteApplicationRecorder):
    """Store events in SQLite, sealed in the transaction that inserts them."""

    ledger: SQLiteLedger

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        self.sealer.prepare()
        return super().insert_events(stored_events, **kwargs)

    def _insert_events(
        self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # The first INSERT took SQLite's write lock: nobody else writes until
        # this transaction ends, so the ledger's head read now stays its head.
        positions = super()._insert_events(c, stored_events, **kwargs)
        writer = self.ledger.writer(Cursor(c.sqlite_cursor, dialect="sqlite"))
        self.sealer.seal(writer, notifications(stored_events, positions))
        return positions

    def events_after(self, cursor: Cursor, position: int) -> list[Notification]:
        """Return stored events after a position, in the caller's transaction."""
        cursor.execute(
            "SELECT rowid, originator_id, originator_version, topic, state "  # noqa: S608
            f"FROM {self.events_table_name} WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (position, MIGRATION_BATCH),
        )
        return [
            stored_row(row, self.convert_originator_id(row[1]))
            for row in cursor.fetchall()
        ]


def _with_fewer_attempts(method: Any) -> Any:
    """Return one of eventsourcing's retried methods, tried POSTGRES_ATTEMPTS times."""
    return retry(
        (InterfaceError, OperationalError),
        max_attempts=POSTGRES_ATTEMPTS,
        wait=POSTGRES_RETRY_WAIT,
    )(method.__wrapped__)


class SealingPostgresRecorder(SealingSQLRecorder, PostgresApplicationRecorder):
    """Store events in PostgreSQL, sealed in the transaction that inserts them."""

    ledger: PostgresLedger
    _failed = threading.local()

    select_events = _with_fewer_attempts(PostgresApplicationRecorder.select_events)
    select_notifications = _with_fewer_attempts(
        PostgresApplicationRecorder.select_notifications
    )
    max_notification_id = _with_fewer_attempts(
        PostgresApplicationRecorder.max_notification_id
    )
    _insert_sealed = _with_fewer_attempts(PostgresApplicationRecorder.insert_events)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        self.sealer.prepare()
        self._failed.error = None
        try:
            positions: Sequence[int] | None = self._insert_sealed(
                stored_events, **kwargs
            )
        except PersistenceError:
            failure, self._failed.error = self._failed.error, None
            if failure is not None and not _from_the_database(failure):
                raise failure from None  # Why sealing refused.
            # The database's own failure (a connection cut mid-seal): raise it
            # as the store's error, which the service answers 503, never 500.
            raise
        return positions

    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # The events' table is locked IN EXCLUSIVE MODE since before the insert
        # (POSTGRES_ENABLE_DB_FUNCTIONS stays off): the ledger's head is stable.
        positions: Sequence[int] | None = super()._fetch_ids_after_insert_events(
            curs, stored_events, **kwargs
        )
        cursor = Cursor(curs, dialect="postgres")
        try:
            self.sealer.seal(
                self.ledger.writer(cursor), notifications(stored_events, positions)
            )
        except BaseException as error:
            # eventsourcing keeps an error raised here until the transaction
            # has ended, and commits it: an error in the database itself makes
            # that commit a rollback, so no event is stored without its row.
            self._failed.error = error
            cursor.execute("SELECT 1 / 0")
            raise
        return positions

    def events_after(self, cursor: Cursor, position: int) -> list[Notification]:
        """Return stored events after a position, in the caller's transaction."""
        table = f'"{self.datastore.schema}"."{self.events_table_name}"'
        cursor.execute(
            "SELECT notification_id, originator_id, originator_version, topic, "  # noqa: S608
            f"state FROM {table} WHERE notification_id > ? "
            "ORDER BY notification_id LIMIT ?",
            (position, MIGRATION_BATCH),
        )
        return [stored_row(row, row[1]) for row in cursor.fetchall()]


class SealingMemoryRecorder(SealingRecorder, POPOApplicationRecorder):
    """Keep events in memory, sealed under the same lock that stores them."""

    ledger: MemoryLedger

    def checkpoint_head(self) -> Checkpoint:
        with self._database_lock:
            writer = self.ledger.writer()
            checkpoint = self.sealer.checkpoint(writer, self.ledger)
            writer.commit()
            return checkpoint

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        self.sealer.prepare()
        return super().insert_events(stored_events, **kwargs)

    def _update_table(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._update_table(stored_events, **kwargs)
        writer = self.ledger.writer()
        try:
            self.sealer.seal(writer, notifications(stored_events, positions))
        except BaseException:
            for stored in stored_events:  # As a rolled back transaction would.
                self._stored_events.pop()
                del self._stored_events_index[str(stored.originator_id)][
                    stored.originator_version
                ]
            raise
        writer.commit()
        return positions


def _from_the_database(error: BaseException) -> bool:
    """Tell whether an error comes from the database driver, not from our code."""
    return type(error).__module__.partition(".")[0] in DRIVER_MODULES


def stored_row(row: tuple[Any, ...], originator_id: Any) -> Notification:
    """Return an event read as ``(position, id, version, topic, state)``."""
    return Notification(
        id=int(row[0]),
        originator_id=originator_id,
        originator_version=int(row[2]),
        topic=str(row[3]),
        state=bytes(row[4]),
    )


def notifications(
    stored_events: Sequence[StoredEvent], positions: Sequence[int] | None
) -> list[Notification]:
    """Return the events just inserted as the log will give them back."""
    if positions is None or len(positions) != len(stored_events):
        raise LedgerDamagedError("The store did not say where it put the events.")
    return [
        Notification(
            id=position,
            originator_id=stored.originator_id,
            originator_version=stored.originator_version,
            topic=stored.topic,
            state=stored.state,
        )
        for stored, position in zip(stored_events, positions, strict=True)
    ]


def open_sealing_recorder(
    factory: InfrastructureFactory[Any], settings: LedgerSettings
) -> ApplicationRecorder:
    """Return the store's recorder, sealing every write, its ledger up to date."""
    sealer = Sealer(settings)
    if isinstance(factory, SQLiteFactory):
        sqlite = SealingSQLiteRecorder(factory.datastore)
        _create_tables(factory, sqlite)
        sqlite.install(SQLiteLedger(sqlite), sealer)
        _bring_up_to_date(sqlite, sqlite.ledger, sealer, migrate=settings.migrate)
        return sqlite
    if isinstance(factory, PostgresFactory):
        postgres = SealingPostgresRecorder(
            factory.datastore,
            events_table_name=f"{factory.env.name.lower() or 'stored'}_events",
        )
        _create_tables(factory, postgres)
        postgres.install(PostgresLedger(postgres), sealer)
        _bring_up_to_date(postgres, postgres.ledger, sealer, migrate=settings.migrate)
        return postgres
    memory = SealingMemoryRecorder()
    memory.install(MemoryLedger(), sealer)
    return memory


def _create_tables(
    factory: SQLiteFactory | PostgresFactory,
    recorder: SealingSQLiteRecorder | SealingPostgresRecorder,
) -> None:
    if factory.env_create_table():  # As the factory does for its own recorders.
        recorder.create_table()


def _bring_up_to_date(
    recorder: SealingSQLiteRecorder | SealingPostgresRecorder,
    ledger: SQLLedger,
    sealer: Sealer,
    *,
    migrate: bool,
) -> None:
    with ledger.reading() as cursor:
        if ledger.layout(cursor) is Layout.CURRENT:
            return
    if not migrate:
        raise LedgerDamagedError(
            "The evidence ledger of this store is from an older version: open it "
            "once with a command that writes (`incidents serve`, `incidents "
            "checkpoint`) to bring it up to date, then verify it."
        )
    with ledger.writing() as cursor:
        layout = ledger.layout(cursor)  # Again, now that the store is locked.
        if layout is Layout.CURRENT:
            return
        writer = ledger.writer(cursor)
        if layout is Layout.ABSENT:
            ledger.create_tables(cursor)
        if layout is Layout.CHAINED:
            ledger.add_tree_columns(cursor)
            _fill_tree(writer)
        if layout in (Layout.CHAINED, Layout.TREE):
            ledger.add_checkpoint_columns(cursor)
        if layout is not Layout.ABSENT:
            ledger.add_mac_column(cursor)
            _authenticate_old_rows(writer, sealer)
        _seal_what_the_follower_left(recorder, writer, sealer)


def _fill_tree(writer: SQLLedgerWriter) -> None:
    # The rows a follower sealed get the tree's columns from their content.
    frontier = Frontier()
    after = 0
    while rows := writer.unfilled_rows(after, MIGRATION_BATCH):
        filled: list[ChainRow] = []
        for position, size, content in rows:
            leaf = leaf_hash(position, content)
            peak = frontier.append(leaf)
            filled.append(
                ChainRow(position, size, content, b"", leaf, peak, frontier.root())
            )
        writer.fill(filled)
        after = rows[-1][0]


def _authenticate_old_rows(writer: SQLLedgerWriter, sealer: Sealer) -> None:
    # The one moment rows get a MAC they were not sealed with (ADR 0013): the
    # rows as they are when this version first opens the store for writing.
    after = 0
    while rows := writer.rows_without_mac(after, MIGRATION_BATCH):
        writer.set_macs([sealer.authenticated(row) for row in rows])
        after = rows[-1].position


def _seal_what_the_follower_left(
    recorder: SealingSQLiteRecorder | SealingPostgresRecorder,
    writer: SQLLedgerWriter,
    sealer: Sealer,
) -> None:
    # The one moment the store trusts events it did not seal as it wrote them
    # (ADR 0011): those stored before this version, after the follower's head.
    head = writer.head()
    sealed_any = False
    while events := recorder.events_after(writer.cursor, head.position):
        head = sealer.seal(writer, events, sign=False)
        sealed_any = True
    latest = writer.latest_checkpoint()
    if sealed_any or (head.size and latest is None):
        writer.add_checkpoint(sealer.sign(head))
    sealer.forget()
