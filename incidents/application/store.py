"""Open the incident log's event store, save to it, and retry writes that lost a race.

Everything that depends on where events are kept lives here: the environment, the
recorder and the tables it creates (one process at a time), the stores of secrets
beside the events, how values are encoded, and what a refused or racing save does.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import Application, EventSourcedLog, LRUCache
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding
from eventsourcing.postgres import PostgresFactory
from eventsourcing.sqlite import SQLiteFactory
from eventsourcing.utils import Environment

from incidents.credentials import CredentialStore, credential_store_for
from incidents.errors import ConcurrentWriteError, StorageUnavailableError
from incidents.evidence.recorders import open_sealing_recorder
from incidents.evidence.sealing import LedgerSettings
from incidents.group_commit import GroupCommit
from incidents.persistence import (
    CONNECTIONS,
    OPERATIONAL_ERRORS,
    connection_parameters,
    probe_writes,
    renew_connections,
    storage_unavailable,
)
from incidents.personal_data import (
    ContactAsCiphertext,
    ContactKeys,
    contact_keys_for,
)
from incidents.sqlite_readers import let_readers_pass

if TYPE_CHECKING:
    from eventsourcing.domain import (
        Aggregate,
        DomainEventProtocol,
        MutableOrImmutableAggregate,
    )
    from eventsourcing.persistence import (
        ApplicationRecorder,
        EventStore,
        InfrastructureFactory,
        Recording,
    )

# Writers racing on one aggregate reload and try again this many times in all.
MAX_ATTEMPTS = 10

# How many offices' catalogues and people a log keeps in memory for reading.
READ_CACHE_SIZE = 10_000

# Any number nothing else in the database uses as an advisory lock.
CREATE_TABLES_LOCK = 0x1AC1DE27

# Seconds psycopg_pool keeps trying to reconnect before it lets a request try.
POSTGRES_RECONNECT_SECONDS = 10.0
# How long a request waits for a pooled PostgreSQL connection, per attempt.
POSTGRES_POOL_WAIT_SECONDS = 0.25


class DateAsISO(Transcoding):
    """Store calendar dates (follow-up due dates) as ISO strings."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class IncidentStore(Application[UUID]):
    """Keep the log's events and secrets, and tell listeners what each save stored."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        ledger: LedgerSettings | None = None,
    ) -> None:
        # Where the evidence keys are: every write is sealed (ADR 0011).
        self.ledger_settings = ledger or LedgerSettings()
        super().__init__(env)
        # Why the database refused the last write, until it takes one again.
        self.write_failure: str | None = None
        # Why the store was opened to read only (see read_only), or None.
        self.read_only_reason: str | None = None
        _reconnect_sooner(self.factory)
        with creating_tables_in_turn(self.factory):
            self.credentials: CredentialStore = credential_store_for(self.recorder)
            self.contact_keys: ContactKeys = contact_keys_for(self.recorder)
        self._contact_transcoding.keys = self.contact_keys
        # Called with the newest log position after every save in this process
        # (read models use it to wake up at once instead of polling).
        self.save_listeners: list[Callable[[int], None]] = []
        # Called before the store closes (threads following the log stop there).
        self.close_listeners: list[Callable[[], None]] = []
        # The catalogue and people are read on every request and rarely change.
        self._read_cache: LRUCache[UUID, tuple[Aggregate, float]] = LRUCache(
            READ_CACHE_SIZE
        )
        # Token hash -> (token id, owner id), as the credential store said once.
        # Whether a token still opens anything is the owner's events' to say.
        self._token_owners: LRUCache[str, tuple[UUID, UUID]] = LRUCache(READ_CACHE_SIZE)

    def construct_env(
        self, name: str, env: Mapping[str, str] | None = None
    ) -> Environment:
        # Configuration comes only from the caller (INCIDENTS_DATABASE_URL is read
        # by the composition roots), never from stray library variables in
        # os.environ, so that two logs in one process cannot see each other's.
        return Environment(name, dict(env or {}))

    def construct_factory(self, env: Environment) -> InfrastructureFactory[Any]:
        factory = super().construct_factory(env)
        if isinstance(factory, PostgresFactory):
            # The URL's libpq parameters (sslmode, sslrootcert, connect_timeout...)
            # reach every connection: the pool opens none before this.
            arguments = factory.datastore.pool.kwargs
            if not isinstance(arguments, dict):  # Never drop sslmode silently.
                raise TypeError("The connection pool takes no arguments to add to.")
            arguments.update(connection_parameters(env))
            # Our recorder tries a read or a write 4 times, 0.2 s apart, each
            # time waiting this long for a connection: while the server is down,
            # a request is answered (503) within about 2 s, not 12.
            factory.datastore.pool.timeout = POSTGRES_POOL_WAIT_SECONDS
        elif isinstance(factory, SQLiteFactory):
            connections = env.get(CONNECTIONS)
            let_readers_pass(factory, int(connections) if connections else None)
        return factory

    def construct_event_store(self) -> EventStore[UUID]:
        # Saves that arrive together share one transaction (ADR 0018).
        self.group_commit = GroupCommit(self.recorder)
        return self.factory.event_store(mapper=self.mapper, recorder=self.group_commit)

    def construct_recorder(self) -> ApplicationRecorder:
        # Processes that open one store at the same moment race to create its
        # tables (and on PostgreSQL to replace its functions), and the losers
        # fail to start; tests/integration/test_concurrency.py shows it.
        with creating_tables_in_turn(self.factory):
            return open_sealing_recorder(self.factory, self.ledger_settings)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        self._contact_transcoding = ContactAsCiphertext()
        transcoder.register(self._contact_transcoding)

    def close(self) -> None:
        for listener in list(self.close_listeners):
            listener()
        super().close()

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        """Store new events, or raise :class:`StorageUnavailableError` if refused."""
        if self.read_only_reason is not None:
            raise StorageUnavailableError(
                self.read_only_reason, writing=True, maybe_stored=False
            )
        try:
            recordings = super().save(*objs, **kwargs)
        except OPERATIONAL_ERRORS as error:
            failure = storage_unavailable(error, self.recorder, writing=True)
            self.write_failure = failure.reason
            raise failure from error
        self.write_failure = None
        return recordings

    def read_only(self, reason: str) -> None:
        """Refuse every write from now on, saying why (a store opened to read)."""
        self.read_only_reason = reason
        self.write_failure = reason

    def check_writable(self) -> None:
        """Raise :class:`StorageUnavailableError` unless the store takes a write now."""
        if self.read_only_reason is not None:
            raise StorageUnavailableError(
                self.read_only_reason, writing=True, maybe_stored=False
            )
        try:
            probe_writes(self.recorder)
        except OPERATIONAL_ERRORS as error:
            failure = storage_unavailable(error, self.recorder, writing=True)
            self.write_failure = failure.reason
            renew_connections(self.recorder)
            raise failure from error
        self.write_failure = None

    def _append(self, log: EventSourcedLog[Any], log_id: UUID, **fields: Any) -> None:
        """Append an event to one of the store's logs, taking the next free place."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            event = log.trigger_event(**fields)
            try:
                self.save(event)
            except IntegrityError:
                # Another writer took this place in the log.
                self._back_off(attempt)
                continue
            return
        raise ConcurrentWriteError(log_id, MAX_ATTEMPTS)

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        if recordings:
            position = last_position(recordings)
            for listener in list(self.save_listeners):
                listener(position)

    @staticmethod
    def _back_off(attempt: int) -> None:
        # A little random wait spreads racing writers apart.
        time.sleep(random.uniform(0, 0.002 * attempt))  # noqa: S311

    def _head(self) -> int:
        return self.recorder.max_notification_id() or 0

    def _save_once(self, aggregate: Aggregate) -> int | None:
        """Save an aggregate's new events; return the log position they reached.

        Return ``None`` when another writer stored those versions first. A save
        whose commit succeeded but whose answer was lost (a connection broken
        at that moment, then retried by the recorder) ends in the same
        IntegrityError: those versions then hold these very events, and the
        save counts as done rather than being applied a second time.
        """
        pending = aggregate.collect_events()
        try:
            recordings = self.save(*pending)
        except IntegrityError:
            if self._stored_already(pending):
                return self._head()
            return None
        return last_position(recordings)

    def _stored_already(self, events: Sequence[DomainEventProtocol[UUID]]) -> bool:
        if not events:
            return False
        first, last = events[0], events[-1]
        stored = self.recorder.select_events(
            first.originator_id,
            gt=first.originator_version - 1,
            lte=last.originator_version,
        )
        return len(stored) == len(events) and all(
            self.mapper.to_domain_event(row) == event
            for row, event in zip(stored, events, strict=True)
        )

    def _current(self, aggregate_id: UUID, *, trusted_for: float = 0.0) -> Any:
        """Return an aggregate as stored now, to read it, never to change it.

        The copy kept in memory is shared by every thread: it is returned as long
        as no newer event of it was saved (one indexed query, by any process),
        and replaced by a fresh load otherwise. Within ``trusted_for`` seconds of
        that check, the copy is returned without asking again.
        """
        try:
            kept, checked_at = self._read_cache.get(aggregate_id)
        except KeyError:
            kept, checked_at = None, 0.0
        now = time.monotonic()
        if kept is not None and now - checked_at < trusted_for:
            return kept
        if kept is not None and not self.recorder.select_events(
            aggregate_id, gt=kept.version, limit=1
        ):
            self._read_cache.put(aggregate_id, (kept, now))
            return kept
        aggregate: Aggregate = self.repository.get(aggregate_id)
        self._read_cache.put(aggregate_id, (aggregate, now))
        return aggregate


def last_position(recordings: list[Recording[UUID]]) -> int:
    """Return the log position of the last of the events a save stored."""
    return max(recording.notification.id for recording in recordings)


def _reconnect_sooner(factory: InfrastructureFactory[Any]) -> None:
    # psycopg_pool waits longer and longer (up to 5 minutes) between attempts to
    # reconnect to a server that went away. Giving up sooner lets the first
    # request after the server is back connect at once.
    if isinstance(factory, PostgresFactory):
        factory.datastore.pool.reconnect_timeout = POSTGRES_RECONNECT_SECONDS


@contextlib.contextmanager
def creating_tables_in_turn(factory: InfrastructureFactory[Any]) -> Iterator[None]:
    """Let one process at a time create the tables of the store."""
    if isinstance(factory, PostgresFactory):
        # "tuple concurrently updated", "relation ... already exists": PostgreSQL
        # refuses concurrent DDL on one object, even with IF NOT EXISTS.
        with factory.datastore.get_connection() as connection:
            connection.execute("SELECT pg_advisory_lock(%s)", (CREATE_TABLES_LOCK,))
            try:
                yield
            finally:
                connection.execute(
                    "SELECT pg_advisory_unlock(%s)", (CREATE_TABLES_LOCK,)
                )
        return
    if isinstance(factory, SQLiteFactory):
        pool = factory.datastore.pool
        if not pool.is_sqlite_memory_mode:
            _switch_to_write_ahead_log(pool.db_name, pool.lock_timeout or 5)
    yield


def _switch_to_write_ahead_log(db_name: str, timeout: float) -> None:
    # eventsourcing switches a new SQLite file to WAL on its first connection
    # without waiting for the lock this takes: "database is locked" when another
    # process does the same. Switch first, trying again; on any other error, let
    # eventsourcing report it.
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with contextlib.closing(
                sqlite3.connect(db_name, uri=True, timeout=timeout)
            ) as connection:
                connection.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error):
                return
            IncidentStore._back_off(attempt * 10)
        else:
            return
