"""Carry out the product's commands and answer its queries over the event store.

:class:`IncidentLog` is the one application service, composed of one part per
concept: :mod:`~incidents.application.incident_commands` (report an incident and
act on it), :mod:`~incidents.application.people` (people and their access),
:mod:`~incidents.application.offices` (the catalogue of offices),
:mod:`~incidents.application.rota` (the mediators' shifts),
:mod:`~incidents.application.opening_hours` (the offices' opening hours),
:mod:`~incidents.application.presence` (who was on shift, now or as known),
:mod:`~incidents.application.notifications` (notifications, once per key),
:mod:`~incidents.application.queries` (incidents, histories, disclosures, the
whole log), :mod:`~incidents.application.downloads` (who downloaded which
report or spreadsheet), all over :mod:`~incidents.application.store` (the event
store, its tables and secrets, and saves that retry). Each command loads an
aggregate, calls one of its methods, and saves the new events; each query
returns plain data (dicts of primitives, UUIDs, dates and datetimes), never an
aggregate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import ClassVar

from argon2 import PasswordHasher
from eventsourcing.application import EventSourcedLog

from incidents.application.downloads import Downloads
from incidents.application.incident_commands import IncidentCommands, WriteResult
from incidents.application.notifications import Notifications
from incidents.application.offices import load_default_offices
from incidents.application.opening_hours import OfficeHours
from incidents.application.people import (
    PASSWORD_MAX,
    PASSWORD_MIN,
    IssuedToken,
    check_password,
)
from incidents.application.presence import Presence
from incidents.application.queries import Queries
from incidents.application.rota import PlannedShift, Rota, ShiftWrite
from incidents.domain.shift import SHIFT_LOG_ID, ShiftLogged
from incidents.evidence.sealing import LedgerSettings
from incidents.logs import (
    DISCLOSURE_LOG_ID,
    DOWNLOAD_LOG_ID,
    USER_LOG_ID,
    ContactDisclosed,
    ReportDownloaded,
    UserLogged,
)

__all__ = [
    "PASSWORD_MAX",
    "PASSWORD_MIN",
    "IncidentLog",
    "IssuedToken",
    "PlannedShift",
    "ShiftWrite",
    "WriteResult",
    "check_password",
    "load_default_offices",
]


class IncidentLog(
    IncidentCommands, Rota, OfficeHours, Presence, Notifications, Queries, Downloads
):
    """Record incidents, people and offices as events, and read them back."""

    # Settings are read under this name and PostgreSQL tables are named after it.
    name = "IncidentLog"
    env: ClassVar[dict[str, str]] = {}

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        password_hasher: PasswordHasher | None = None,
        ledger: LedgerSettings | None = None,
    ) -> None:
        super().__init__(env, ledger=ledger)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.password_hasher = password_hasher or PasswordHasher()
        self.user_log: EventSourcedLog[UserLogged] = EventSourcedLog(
            self.events, USER_LOG_ID, UserLogged
        )
        self.disclosure_log: EventSourcedLog[ContactDisclosed] = EventSourcedLog(
            self.events, DISCLOSURE_LOG_ID, ContactDisclosed
        )
        self.shift_log: EventSourcedLog[ShiftLogged] = EventSourcedLog(
            self.events, SHIFT_LOG_ID, ShiftLogged
        )
        self.download_log: EventSourcedLog[ReportDownloaded] = EventSourcedLog(
            self.events, DOWNLOAD_LOG_ID, ReportDownloaded
        )
