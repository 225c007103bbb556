"""Carry out the product's commands and answer its queries over the event store.

:class:`IncidentLog` is the one application service: each command loads an
aggregate, calls one of its methods, and saves the new events; each query returns
plain data (dicts of primitives, UUIDs, dates and datetimes), never an aggregate.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import random
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from uuid import UUID, uuid4

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    EventSourcedLog,
    LRUCache,
)
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding
from eventsourcing.postgres import PostgresFactory
from eventsourcing.sqlite import SQLiteFactory
from eventsourcing.utils import Environment

from incidents import values
from incidents.access import (
    DISCLOSURE_LOG_ID,
    OFFICE_CATALOGUE_ID,
    ROLES_WITH_EVERY_OFFICE,
    USER_LOG_ID,
    ContactDisclosed,
    OfficeCatalogue,
    User,
    UserLogged,
    check_user_name,
    user_id,
)
from incidents.credentials import CredentialStore, credential_store_for
from incidents.domain import Incident
from incidents.errors import (
    ConcurrentWriteError,
    IncidentNotFoundError,
    InvalidInputError,
    NotAuthenticatedError,
    NothingToEraseError,
    OfficeNotFoundError,
    ReportConflictError,
    StaleVersionError,
    UserAlreadyExistsError,
    UserDeactivatedError,
    UserNotFoundError,
)
from incidents.persistence import (
    OPERATIONAL_ERRORS,
    probe_writes,
    storage_unavailable,
)
from incidents.personal_data import (
    ContactAsCiphertext,
    ContactKeys,
    PersonalContact,
    contact_keys_for,
)
from incidents.vocabulary import Role

if TYPE_CHECKING:
    from eventsourcing.domain import (
        Aggregate,
        DomainEventProtocol,
        MutableOrImmutableAggregate,
    )
    from eventsourcing.persistence import (
        ApplicationRecorder,
        InfrastructureFactory,
        Recording,
    )

A = TypeVar("A", bound="Aggregate")

# Writers racing on one aggregate reload and try again this many times in all.
MAX_ATTEMPTS = 10
TOKEN_BYTES = 32
TOKEN_MAX = 256
PASSWORD_MIN = 10
PASSWORD_MAX = 256
SYSTEM_ACTOR = "system"

# How many offices' catalogues and people a log keeps in memory for reading.
READ_CACHE_SIZE = 10_000

# Any number nothing else in the database uses as an advisory lock.
CREATE_TABLES_LOCK = 0x1AC1DE27

# Attributes every event has, which the timeline shows apart from its data.
_ENVELOPE = {"originator_id", "originator_version", "timestamp", "originator_topic"}


class DateAsISO(Transcoding):
    """Store calendar dates (follow-up due dates) as ISO strings."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


@dataclass(frozen=True)
class WriteResult:
    """Say what a command left: the incident now, and the log position to wait for."""

    incident: dict[str, Any]
    position: int
    created: bool = False


class IncidentLog(Application[UUID]):
    """Record incidents, people and offices as events, and read them back."""

    name = "IncidentLog"
    env: ClassVar[dict[str, str]] = {}

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        password_hasher: PasswordHasher | None = None,
    ) -> None:
        super().__init__(env)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.password_hasher = password_hasher or PasswordHasher()
        # Why the database refused the last write, until it takes one again.
        self.write_failure: str | None = None
        _reconnect_sooner(self.factory)
        with _creating_tables_in_turn(self.factory):
            self.credentials: CredentialStore = credential_store_for(self.recorder)
            self.contact_keys: ContactKeys = contact_keys_for(self.recorder)
        self._contact_transcoding.keys = self.contact_keys
        self.user_log: EventSourcedLog[UserLogged] = EventSourcedLog(
            self.events, USER_LOG_ID, UserLogged
        )
        self.disclosure_log: EventSourcedLog[ContactDisclosed] = EventSourcedLog(
            self.events, DISCLOSURE_LOG_ID, ContactDisclosed
        )
        # Called with the newest log position after every save in this process
        # (read models use it to wake up at once instead of polling).
        self.save_listeners: list[Callable[[int], None]] = []
        # Called before the store closes (threads following the log stop there).
        self.close_listeners: list[Callable[[], None]] = []
        # The catalogue and people are read on every request and rarely change.
        self._read_cache: LRUCache[UUID, tuple[Aggregate, float]] = LRUCache(
            READ_CACHE_SIZE
        )

    def construct_env(
        self, name: str, env: Mapping[str, str] | None = None
    ) -> Environment:
        # Configuration comes only from the caller (INCIDENTS_DATABASE_URL is read
        # by the composition roots), never from stray library variables in
        # os.environ, so that two logs in one process cannot see each other's.
        return Environment(name, dict(env or {}))

    def construct_recorder(self) -> ApplicationRecorder:
        # Processes that open one store at the same moment race to create its
        # tables (and on PostgreSQL to replace its functions), and the losers
        # fail to start; tests/integration/test_concurrency.py shows it.
        with _creating_tables_in_turn(self.factory):
            return super().construct_recorder()

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
        try:
            recordings = super().save(*objs, **kwargs)
        except OPERATIONAL_ERRORS as error:
            failure = storage_unavailable(error, self.recorder, writing=True)
            self.write_failure = failure.reason
            raise failure from error
        self.write_failure = None
        return recordings

    def check_writable(self) -> None:
        """Raise :class:`StorageUnavailableError` unless the store takes a write now."""
        try:
            probe_writes(self.recorder)
        except OPERATIONAL_ERRORS as error:
            failure = storage_unavailable(error, self.recorder, writing=True)
            self.write_failure = failure.reason
            raise failure from error
        self.write_failure = None

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        if recordings:
            position = _last_position(recordings)
            for listener in list(self.save_listeners):
                listener(position)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        self._contact_transcoding = ContactAsCiphertext()
        transcoder.register(self._contact_transcoding)

    # Offices.

    def ensure_offices(
        self, offices: Sequence[Mapping[str, str]], *, actor: str = SYSTEM_ACTOR
    ) -> int:
        """Add the offices missing from the catalogue; return how many were added."""

        def add_missing(catalogue: OfficeCatalogue) -> None:
            for office in offices:
                if office["code"] not in catalogue.offices:
                    catalogue.add_office(
                        actor=actor,
                        code=office["code"],
                        name=office["name"],
                        city=office["city"],
                    )

        for attempt in range(1, MAX_ATTEMPTS + 1):
            catalogue = self._office_catalogue(to_change=True)
            if catalogue is None:
                catalogue = OfficeCatalogue.create()
            add_missing(catalogue)
            pending = catalogue.collect_events()
            if not pending:
                return 0
            try:
                self.save(*pending)
            except IntegrityError:
                _back_off(attempt)
                continue
            return sum(
                isinstance(event, OfficeCatalogue.OfficeAdded) for event in pending
            )
        raise ConcurrentWriteError(OFFICE_CATALOGUE_ID, MAX_ATTEMPTS)

    def list_offices(self) -> list[dict[str, str]]:
        """Return every office, ordered by code."""
        catalogue = self._office_catalogue()
        if catalogue is None:
            return []
        return [dict(catalogue.offices[code]) for code in sorted(catalogue.offices)]

    def get_office(self, code: str) -> dict[str, str]:
        """Return one office."""
        for office in self.list_offices():
            if office["code"] == code:
                return office
        raise OfficeNotFoundError(code)

    def _office_catalogue(
        self, *, to_change: bool = False, trusted_for: float = 0.0
    ) -> OfficeCatalogue | None:
        try:
            catalogue: OfficeCatalogue = (
                self.repository.get(OFFICE_CATALOGUE_ID)
                if to_change
                else self._current(OFFICE_CATALOGUE_ID, trusted_for=trusted_for)
            )
        except AggregateNotFoundError:
            return None
        return catalogue

    def _check_office(self, field: str, code: object) -> str:
        # Offices are only ever added: one found in the copy kept in memory
        # exists; one not found there is looked for again in the store.
        for trusted_for in (math.inf, 0.0):
            catalogue = self._office_catalogue(trusted_for=trusted_for)
            known = {} if catalogue is None else catalogue.offices
            if isinstance(code, str) and code in known:
                return code
        raise InvalidInputError.unknown_code(field, code, sorted(known))

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

    # Incidents: commands.

    def report_incident(
        self,
        *,
        actor: str,
        office: object,
        occurred_at: object,
        category: object,
        severity: object,
        target: object,
        summary: object,
        trigger: object = None,
        parties: object = None,
        contact: object = None,
        client_ref: object = None,
        incident_id: UUID | None = None,
    ) -> WriteResult:
        """Report an incident; sending the same report (same id) again is harmless.

        With a client-generated ``incident_id``, the same content again returns
        the incident already stored (``created`` is false), and different content
        raises :class:`ReportConflictError`.
        """
        checked_office = self._check_office("office", office)
        incident = Incident.report(
            actor=actor,
            office=checked_office,
            occurred_at=occurred_at,
            category=category,
            severity=severity,
            target=target,
            summary=summary,
            trigger=trigger,
            parties=parties,
            contact=contact,
            client_ref=client_ref,
            incident_id=incident_id,
            now=self.clock(),
        )
        reported = incident.collect_events()
        if incident_id is not None:
            existing = self._report_already_stored(incident_id, reported[0])
            if existing is not None:
                return existing
        try:
            recordings = self.save(*reported)
        except IntegrityError:
            if incident_id is None:
                raise  # A fresh uuid4 cannot collide: this is a real fault.
            existing = self._report_already_stored(incident_id, reported[0])
            if existing is None:
                raise
            return existing
        return WriteResult(incident.to_dict(), _last_position(recordings), created=True)

    def _report_already_stored(
        self, incident_id: UUID, reported: DomainEventProtocol[UUID]
    ) -> WriteResult | None:
        stored = next(iter(self.events.get(incident_id, lte=1)), None)
        if stored is None:
            return None
        if not isinstance(stored, Incident.Reported) or _event_data(
            stored
        ) != _event_data(reported):
            raise ReportConflictError(incident_id)
        current = self._load_incident(incident_id)
        return WriteResult(current.to_dict(), self._head())

    def record_de_escalation(
        self,
        incident_id: UUID,
        *,
        actor: str,
        techniques: object,
        outcome: object,
        note: object = None,
        expected_version: int | None = None,
    ) -> WriteResult:
        """Log a de-escalation attempt on an incident."""
        return self._change(
            incident_id,
            lambda incident: incident.record_de_escalation(
                actor=actor, techniques=techniques, outcome=outcome, note=note
            ),
            expected_version,
        )

    def escalate_incident(
        self,
        incident_id: UUID,
        *,
        actor: str,
        to: object,
        note: object = None,
        expected_version: int | None = None,
    ) -> WriteResult:
        """Escalate an incident to the manager, security, police or emergency."""
        return self._change(
            incident_id,
            lambda incident: incident.escalate(actor=actor, to=to, note=note),
            expected_version,
        )

    def reassess_severity(
        self,
        incident_id: UUID,
        *,
        actor: str,
        severity: object,
        reason: object,
        expected_version: int | None = None,
    ) -> WriteResult:
        """Change an incident's severity, saying why."""
        return self._change(
            incident_id,
            lambda incident: incident.reassess_severity(
                actor=actor, severity=severity, reason=reason
            ),
            expected_version,
        )

    def schedule_follow_up(
        self,
        incident_id: UUID,
        *,
        actor: str,
        kind: object,
        due_on: object,
        assignee: object = None,
        note: object = None,
        follow_up_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> WriteResult:
        """Schedule a follow-up; its id is in the result's ``follow_ups``."""
        new_id = follow_up_id or uuid4()
        return self._change(
            incident_id,
            lambda incident: incident.schedule_follow_up(
                actor=actor,
                follow_up_id=new_id,
                kind=kind,
                due_on=due_on,
                assignee=assignee,
                note=note,
            ),
            expected_version,
        )

    def complete_follow_up(
        self,
        incident_id: UUID,
        follow_up_id: UUID,
        *,
        actor: str,
        note: object = None,
        expected_version: int | None = None,
    ) -> WriteResult:
        """Mark a follow-up as done."""
        return self._change(
            incident_id,
            lambda incident: incident.complete_follow_up(
                actor=actor, follow_up_id=follow_up_id, note=note
            ),
            expected_version,
        )

    def cancel_follow_up(
        self,
        incident_id: UUID,
        follow_up_id: UUID,
        *,
        actor: str,
        reason: object,
        expected_version: int | None = None,
    ) -> WriteResult:
        """Cancel a follow-up, saying why."""
        return self._change(
            incident_id,
            lambda incident: incident.cancel_follow_up(
                actor=actor, follow_up_id=follow_up_id, reason=reason
            ),
            expected_version,
        )

    def add_note(
        self,
        incident_id: UUID,
        *,
        actor: str,
        text: object,
        expected_version: int | None = None,
    ) -> WriteResult:
        """Add a note to an incident, open or closed."""
        return self._change(
            incident_id,
            lambda incident: incident.add_note(actor=actor, text=text),
            expected_version,
        )

    def amend_incident(
        self,
        incident_id: UUID,
        *,
        actor: str,
        changes: object,
        reason: object,
        expected_version: int | None = None,
    ) -> WriteResult:
        """Correct what was reported; the original stays in the history."""
        return self._change(
            incident_id,
            lambda incident: incident.amend(
                actor=actor, changes=changes, reason=reason, now=self.clock()
            ),
            expected_version,
        )

    def close_incident(
        self,
        incident_id: UUID,
        *,
        actor: str,
        resolution: object,
        note: object = None,
        expected_version: int | None = None,
    ) -> WriteResult:
        """Close an incident with a resolution."""
        return self._change(
            incident_id,
            lambda incident: incident.close(
                actor=actor, resolution=resolution, note=note
            ),
            expected_version,
        )

    def reopen_incident(
        self,
        incident_id: UUID,
        *,
        actor: str,
        reason: object,
        expected_version: int | None = None,
    ) -> WriteResult:
        """Reopen a closed incident, saying why."""
        return self._change(
            incident_id,
            lambda incident: incident.reopen(actor=actor, reason=reason),
            expected_version,
        )

    def erase_personal_data(
        self,
        incident_id: UUID,
        *,
        actor: str,
        reason: object,
        expected_version: int | None = None,
    ) -> WriteResult:
        """Erase the visitor's contact details from an incident, for good.

        The erasure is recorded first, then the contact's key is destroyed; an
        erasure interrupted between the two is completed by asking again.
        """
        try:
            result = self._change(
                incident_id,
                lambda incident: incident.erase_personal_data(
                    actor=actor, reason=reason
                ),
                expected_version,
            )
        except NothingToEraseError:
            if self.contact_keys.destroy(incident_id):
                return WriteResult(self.get_incident(incident_id), self._head())
            raise
        self.contact_keys.destroy(incident_id)
        return result

    def _change(
        self,
        incident_id: UUID,
        command: Callable[[Incident], None],
        expected_version: int | None,
    ) -> WriteResult:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            incident = self._load_incident(incident_id)
            if expected_version is not None and incident.version != expected_version:
                raise StaleVersionError(incident_id, expected_version, incident.version)
            command(incident)
            position = self._save_once(incident)
            if position is None:
                # Another writer saved this version first: reload, so that the
                # command is applied (or refused) against what is now stored.
                _back_off(attempt)
                continue
            return WriteResult(incident.to_dict(), position)
        raise ConcurrentWriteError(incident_id, MAX_ATTEMPTS)

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
        return _last_position(recordings)

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

    # Incidents: queries.

    def get_incident(
        self, incident_id: UUID, *, version: int | None = None
    ) -> dict[str, Any]:
        """Return an incident now, or as it was at a given version."""
        return self._load_incident(incident_id, version=version).to_dict()

    def get_incident_history(self, incident_id: UUID) -> list[dict[str, Any]]:
        """Return every event of an incident in order, as plain data."""
        history = [_describe(event) for event in self.events.get(incident_id)]
        if not history:
            raise IncidentNotFoundError(incident_id)
        return history

    def _load_incident(
        self, incident_id: UUID, *, version: int | None = None
    ) -> Incident:
        if version is not None and version < 1:
            raise InvalidInputError.field("version", "Give a version from 1.")
        if any(
            isinstance(log, EventSourcedLog) and log.originator_id == incident_id
            for log in vars(self).values()
        ):
            # Logs such as the log of users hold plain events that no aggregate
            # is made of: the repository would fail on them, not find nothing.
            raise IncidentNotFoundError(incident_id)
        try:
            incident: Incident = self.repository.get(incident_id, version=version)
        except AggregateNotFoundError:
            raise IncidentNotFoundError(incident_id) from None
        if not isinstance(incident, Incident):
            raise IncidentNotFoundError(incident_id)
        if version is not None and incident.version != version:
            raise InvalidInputError.field(
                "version",
                f"Incident {incident_id} has only {incident.version} versions.",
            )
        return incident

    # Disclosures of personal data.

    def record_disclosure(
        self, incident_id: UUID, *, viewer: str, channel: str
    ) -> None:
        """Record that a person was shown or sent an incident's contact."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            disclosed = self.disclosure_log.trigger_event(
                incident_id=incident_id, viewer=viewer, channel=channel
            )
            try:
                self.save(disclosed)
            except IntegrityError:
                _back_off(attempt)  # Another disclosure took this place in the log.
                continue
            return
        raise ConcurrentWriteError(DISCLOSURE_LOG_ID, MAX_ATTEMPTS)

    def list_disclosures(
        self, *, incident_id: UUID | None = None, after: int = 0, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Return the disclosures of contacts in order, optionally of one incident."""
        disclosures = []
        for disclosed in self.disclosure_log.get(gt=after or None):
            if incident_id is not None and disclosed.incident_id != incident_id:
                continue
            disclosures.append(
                {
                    "number": disclosed.originator_version,
                    "incident_id": disclosed.incident_id,
                    "viewer": disclosed.viewer,
                    "channel": disclosed.channel,
                    "at": disclosed.timestamp,
                }
            )
            if len(disclosures) >= limit:
                break
        return disclosures

    # People.

    def register_user(
        self,
        *,
        actor: str,
        name: object,
        role: object,
        offices: list[str] | None = None,
        display_name: object = None,
        password: str | None = None,
    ) -> dict[str, Any]:
        """Register a person; ``offices=None`` means every office."""
        checked_name = check_user_name(name)
        checked_role = values.code("role", role, Role)
        if checked_role in ROLES_WITH_EVERY_OFFICE:
            offices = None
        elif offices is not None:
            offices = [self._check_office("offices", code) for code in offices]
        if password is not None:
            check_password(password)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if self._user_exists(checked_name):
                raise UserAlreadyExistsError(checked_name)
            user = User.register(
                actor=actor,
                name=checked_name,
                role=checked_role,
                offices=offices,
                display_name=display_name,
            )
            try:
                # The user and its entry in the log of users are saved together:
                # either both are stored or neither is.
                self.save(user, self.user_log.trigger_event(user_id=user.id))
            except IntegrityError:
                # Someone registered this name, or another person took the
                # next place in the log of users: look again.
                _back_off(attempt)
                continue
            if password is not None:
                self.set_password(checked_name, password)
            return user.to_dict()
        raise ConcurrentWriteError(USER_LOG_ID, MAX_ATTEMPTS)

    def _user_exists(self, name: str) -> bool:
        try:
            self.repository.get(user_id(name))
        except AggregateNotFoundError:
            return False
        return True

    def change_role(self, name: str, *, actor: str, role: object) -> dict[str, Any]:
        """Give a person another role."""
        return self._change_user(
            name, lambda user: user.change_role(actor=actor, role=role)
        )

    def change_offices(
        self, name: str, *, actor: str, offices: list[str] | None
    ) -> dict[str, Any]:
        """Change the offices a person covers; ``None`` means every office."""
        checked = (
            None
            if offices is None
            else [self._check_office("offices", code) for code in offices]
        )
        return self._change_user(
            name, lambda user: user.change_offices(actor=actor, offices=checked)
        )

    def deactivate_user(
        self, name: str, *, actor: str, reason: object
    ) -> dict[str, Any]:
        """Withdraw a person's rights, keeping their history."""
        return self._change_user(
            name, lambda user: user.deactivate(actor=actor, reason=reason)
        )

    def get_user(self, name: str) -> dict[str, Any]:
        """Return one person."""
        return self._load_user(name).to_dict()

    def list_users(self) -> list[dict[str, Any]]:
        """Return every person, in the order they were registered."""
        return [
            self.repository.get(logged.user_id).to_dict()
            for logged in self.user_log.get()
        ]

    def set_password(self, name: str, password: str) -> None:
        """Set a person's password; only its argon2 hash is stored."""
        user = self._load_user(name)
        check_password(password)
        self.credentials.put_password_hash(user.id, self.password_hasher.hash(password))

    def authenticate(self, name: str, password: str) -> dict[str, Any]:
        """Return the person if the password is theirs and they are active.

        Raises :class:`UserNotFoundError` for an unknown name or a wrong password
        alike, so that a caller cannot tell which names exist.
        """
        try:
            user = self._load_user(name)
        except (UserNotFoundError, InvalidInputError):
            self._spend_a_verification()
            raise UserNotFoundError(name) from None
        password_hash = self.credentials.get_password_hash(user.id)
        if password_hash is None:
            self._spend_a_verification()
            raise UserNotFoundError(name)
        try:
            self.password_hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            raise UserNotFoundError(name) from None
        if not user.is_active:
            raise UserDeactivatedError(name)
        return user.to_dict()

    def issue_token(
        self, name: str, *, actor: str, label: object = None
    ) -> IssuedToken:
        """Issue an API token for a person; its secret is shown only this once."""
        token_id = uuid4()
        self._change_user(
            name,
            lambda user: user.issue_token(actor=actor, token_id=token_id, label=label),
        )
        # The event comes first: a token must never open anything unrecorded.
        secret = secrets.token_urlsafe(TOKEN_BYTES)
        self.credentials.put_token(_token_hash(secret), token_id, user_id(name))
        return IssuedToken(token_id=token_id, token=secret)

    def revoke_token(
        self, name: str, token_id: UUID, *, actor: str, reason: object
    ) -> dict[str, Any]:
        """Revoke an API token, saying why."""
        user = self._change_user(
            name,
            lambda user: user.revoke_token(
                actor=actor, token_id=token_id, reason=reason
            ),
        )
        self.credentials.delete_token(token_id)
        return user

    def authenticate_token(self, token: str) -> dict[str, Any]:
        """Return the active person a token belongs to, or refuse it."""
        if not token or len(token) > TOKEN_MAX:
            raise NotAuthenticatedError
        found = self.credentials.find_token(_token_hash(token))
        if found is None:
            raise NotAuthenticatedError
        token_id, owner_id = found
        try:
            user: User = self._current(owner_id)
        except AggregateNotFoundError:
            raise NotAuthenticatedError from None
        if not user.is_active or token_id not in user.tokens:
            raise NotAuthenticatedError
        return user.to_dict()

    def _spend_a_verification(self) -> None:
        # Take as long as a real check, so timing does not tell names apart.
        with contextlib.suppress(VerificationError):
            self.password_hasher.verify(self.password_hasher.hash("x" * 16), "y")

    def _load_user(self, name: str) -> User:
        try:
            user: User = self.repository.get(user_id(check_user_name(name)))
        except AggregateNotFoundError:
            raise UserNotFoundError(name) from None
        if not isinstance(user, User):
            raise UserNotFoundError(name)
        return user

    def _change_user(
        self, name: str, command: Callable[[User], None]
    ) -> dict[str, Any]:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            user = self._load_user(name)
            command(user)
            if self._save_once(user) is None:
                _back_off(attempt)
                continue
            return user.to_dict()
        raise ConcurrentWriteError(user_id(name), MAX_ATTEMPTS)

    # The log as a whole.

    def _head(self) -> int:
        return self.recorder.max_notification_id() or 0

    def iter_history(
        self, start: int = 1, batch: int = 500
    ) -> Iterator[dict[str, Any]]:
        """Yield every event of the log in order, as plain data with its position."""
        while True:
            notifications = self.recorder.select_notifications(start, batch)
            if not notifications:
                return
            for notification in notifications:
                described = _describe(self.mapper.to_domain_event(notification))
                described["position"] = notification.id
                yield described
            start = notifications[-1].id + 1


def load_default_offices() -> list[dict[str, str]]:
    """Return the offices that ship with the product (Hauts-de-Seine)."""
    text = resources.files("incidents").joinpath("data/offices-hauts-de-seine.json")
    catalogue = json.loads(text.read_text(encoding="utf-8"))
    return [
        {"code": office["code"], "name": office["name"], "city": office["city"]}
        for office in catalogue["offices"]
    ]


@dataclass(frozen=True)
class IssuedToken:
    """Carry a new API token's id and secret (the secret is never stored)."""

    token_id: UUID
    token: str


def _token_hash(token: str) -> str:
    # Tokens are 256 random bits: a plain SHA-256 is enough to keep the stored
    # value useless to a thief, and lets a request be checked in microseconds.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_password(password: str) -> None:
    """Refuse a password that is too short or too long."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidInputError.field(
            "password",
            f"Give {PASSWORD_MIN} to {PASSWORD_MAX} characters.",
        )


# Seconds psycopg_pool keeps trying to reconnect before it lets a request try.
POSTGRES_RECONNECT_SECONDS = 10.0


def _reconnect_sooner(factory: InfrastructureFactory[Any]) -> None:
    # psycopg_pool waits longer and longer (up to 5 minutes) between attempts to
    # reconnect to a server that went away. Giving up sooner lets the first
    # request after the server is back connect at once.
    if isinstance(factory, PostgresFactory):
        factory.datastore.pool.reconnect_timeout = POSTGRES_RECONNECT_SECONDS


@contextlib.contextmanager
def _creating_tables_in_turn(factory: InfrastructureFactory[Any]) -> Iterator[None]:
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
            _back_off(attempt * 10)
        else:
            return


def _last_position(recordings: list[Recording[UUID]]) -> int:
    return max(recording.notification.id for recording in recordings)


def _back_off(attempt: int) -> None:
    # A little random wait spreads racing writers apart.
    time.sleep(random.uniform(0, 0.002 * attempt))  # noqa: S311


def _event_data(event: object) -> dict[str, Any]:
    return {name: value for name, value in vars(event).items() if name not in _ENVELOPE}


def _describe(event: object) -> dict[str, Any]:
    data = _event_data(event)
    if isinstance(data.get("contact"), PersonalContact):
        data["contact"] = data["contact"].to_dict() or {"erased": True}
    actor = data.pop("actor", None)
    timestamp = getattr(event, "timestamp", None)
    return {
        "aggregate_id": getattr(event, "originator_id", None),
        "version": getattr(event, "originator_version", None),
        "type": type(event).__name__,
        "topic": getattr(type(event), "TOPIC", None),
        "recorded_at": timestamp,
        "occurred_at": data.get("occurred_at", timestamp),
        "actor": actor,
        "data": data,
    }
