"""Raise errors that say what was wrong and what is allowed instead.

The hierarchy, and the HTTP status the web layer gives each branch::

    IncidentsError
    + InvalidInputError ............. 422  a value is malformed or unknown
    + NotFoundError ................. 404
    |   + IncidentNotFoundError
    |   + FollowUpNotFoundError
    |   + OfficeNotFoundError
    |   + UserNotFoundError
    |   + ShiftNotFoundError
    + RuleViolationError ............ 409  well formed, but the state forbids it
    |   + IncidentClosedError
    |   + IncidentAlreadyOpenError
    |   + FollowUpsStillScheduledError
    |   + FollowUpNotScheduledError
    |   + NothingToChangeError
    |   + NothingToEraseError
    |   + ReportConflictError
    |   + UserAlreadyExistsError
    |   + UserDeactivatedError
    |   + ShiftCancelledError
    |   + ShiftOverlapError ......... (errors keyed ``shift_overlap``)
    |   + ShiftConflictError
    + NotAuthenticatedError ......... 401  no valid token or password
    + PermissionDeniedError ......... 403  the role may never do this
    + StaleVersionError ............. 412  If-Match named an older version
    + ConcurrentWriteError .......... 409  lost a race too many times in a row
    + StorageUnavailableError ....... 503  the database cannot take it right now
    + StoreNotUsableError ........... (at start: the command line exits 3) the
                                      store named cannot be opened as ours
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from uuid import UUID


class IncidentsError(Exception):
    """Base class of every error the domain and application raise on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInputError(IncidentsError):
    """Refuse a command whose values are malformed, unknown or out of range."""

    def __init__(self, errors: Mapping[str, str | list[str]]) -> None:
        self.errors: dict[str, list[str]] = {
            field: [messages] if isinstance(messages, str) else list(messages)
            for field, messages in errors.items()
        }
        summary = "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in self.errors.items()
        )
        super().__init__(f"Invalid input. {summary}")

    @classmethod
    def field(cls, name: str, message: str) -> InvalidInputError:
        """Build the error for one field."""
        return cls({name: message})

    @classmethod
    def unknown_code(
        cls, name: str, value: object, allowed: Iterable[object]
    ) -> InvalidInputError:
        """Build the error for a code outside the vocabulary, listing the codes."""
        choices = ", ".join(str(choice) for choice in allowed)
        return cls.field(name, f"{value!r} is not one of: {choices}.")


class NotFoundError(IncidentsError):
    """Report that the thing asked for does not exist (or is out of reach)."""


class IncidentNotFoundError(NotFoundError):
    def __init__(self, incident_id: UUID) -> None:
        super().__init__(f"Incident {incident_id} not found.")
        self.incident_id = incident_id


class NotificationNotFoundError(NotFoundError):
    def __init__(self, notification_id: UUID) -> None:
        super().__init__(f"Notification {notification_id} not found.")
        self.notification_id = notification_id


class FollowUpNotFoundError(NotFoundError):
    def __init__(self, incident_id: UUID, follow_up_id: UUID) -> None:
        super().__init__(
            f"Follow-up {follow_up_id} not found on incident {incident_id}."
        )


class OfficeNotFoundError(NotFoundError):
    def __init__(self, code: str) -> None:
        super().__init__(f"Office {code!r} not found.")
        self.code = code


class UserNotFoundError(NotFoundError):
    def __init__(self, name: str) -> None:
        super().__init__(f"User {name!r} not found.")
        self.name = name


class ShiftNotFoundError(NotFoundError):
    def __init__(self, shift_id: UUID) -> None:
        super().__init__(f"Shift {shift_id} not found.")
        self.shift_id = shift_id


class RuleViolationError(IncidentsError):
    """Refuse a well-formed command that the current state does not allow."""

    # Messages by key, for a client to act on (empty for most rules).
    errors: dict[str, list[str]] = {}  # noqa: RUF012  # never mutated


class IncidentClosedError(RuleViolationError):
    def __init__(self, incident_id: UUID, action: str) -> None:
        super().__init__(
            f"Incident {incident_id} is closed: cannot {action}. A closed incident "
            "only accepts a note, a reopening or the erasure of personal data."
        )


class IncidentAlreadyOpenError(RuleViolationError):
    def __init__(self, incident_id: UUID) -> None:
        super().__init__(
            f"Incident {incident_id} is already open: only a closed incident "
            "can be reopened."
        )


class FollowUpsStillScheduledError(RuleViolationError):
    def __init__(self, incident_id: UUID, count: int) -> None:
        super().__init__(
            f"Incident {incident_id} still has {count} scheduled follow-up(s): "
            "complete or cancel them before closing."
        )
        self.count = count


class FollowUpNotScheduledError(RuleViolationError):
    def __init__(self, follow_up_id: UUID, status: str) -> None:
        super().__init__(
            f"Follow-up {follow_up_id} is already {status}: only a scheduled "
            "follow-up can be completed or cancelled."
        )


class NothingToChangeError(RuleViolationError):
    """Refuse an amendment or reassessment that would leave everything as it is."""


class NothingToEraseError(RuleViolationError):
    def __init__(self, incident_id: UUID, why: str) -> None:
        super().__init__(
            f"Incident {incident_id} has no personal data to erase: {why}."
        )


class ReportConflictError(RuleViolationError):
    def __init__(self, incident_id: UUID) -> None:
        super().__init__(
            f"Incident {incident_id} was already reported with different content: "
            "send the same report again, or report with a new id."
        )


class UserAlreadyExistsError(RuleViolationError):
    def __init__(self, name: str) -> None:
        super().__init__(f"User {name!r} already exists: choose another name.")


class UserDeactivatedError(RuleViolationError):
    def __init__(self, name: str) -> None:
        super().__init__(f"User {name!r} is deactivated.")


class ShiftCancelledError(RuleViolationError):
    def __init__(self, shift_id: UUID, action: str) -> None:
        super().__init__(
            f"Shift {shift_id} is cancelled: cannot {action} it. Plan a new shift."
        )


class ShiftOverlapError(RuleViolationError):
    """Refuse a shift that overlaps another planned shift of the same mediator."""

    def __init__(
        self, mediator: str, clashing_id: UUID, day: str, start: str, end: str
    ) -> None:
        super().__init__(
            f"{mediator} already has shift {clashing_id} on {day} from {start} "
            f"to {end}: one mediator's shifts may follow each other, not overlap."
        )
        self.clashing_id = clashing_id
        self.mediator, self.day, self.start, self.end = mediator, day, start, end
        self.errors = {"shift_overlap": [self.message]}


class ShiftConflictError(RuleViolationError):
    def __init__(self, shift_id: UUID) -> None:
        super().__init__(
            f"Shift {shift_id} was already planned with different content: send "
            "the same shift again, or plan it with a new id."
        )


class NotAuthenticatedError(IncidentsError):
    """Refuse a token or password that opens nothing, without saying why."""

    def __init__(self) -> None:
        super().__init__("Sign in again: the credentials given are not valid.")


class PermissionDeniedError(IncidentsError):
    """Refuse an action that the person's role never allows, wherever it is."""

    def __init__(self, role: str, action: str) -> None:
        super().__init__(f"A user with the role {role!r} may not {action}.")
        self.role = role
        self.action = action


class StaleVersionError(IncidentsError):
    """Refuse a write made against an older version than the current one."""

    def __init__(
        self, incident_id: UUID, expected: int, actual: int, *, kind: str = "Incident"
    ) -> None:
        super().__init__(
            f"{kind} {incident_id} is at version {actual}, not {expected}: "
            "reload it and try again."
        )
        self.expected = expected
        self.actual = actual


class ConcurrentWriteError(IncidentsError):
    """Give up after losing the race to save an aggregate several times in a row."""

    def __init__(self, aggregate_id: UUID, attempts: int) -> None:
        super().__init__(
            f"{aggregate_id} kept changing while being saved ({attempts} attempts): "
            "try again."
        )


class StorageUnavailableError(IncidentsError):
    """Refuse a request because the database cannot serve it right now.

    The database is unreachable, full, read-only or failing: nothing about the
    request is wrong, and the same request may succeed in a moment. When the
    connection broke while a write was in flight (``maybe_stored``), that write
    may have been stored all the same, so the message says how to send it again
    without storing it twice.
    """

    def __init__(
        self, reason: str, *, writing: bool = True, maybe_stored: bool = False
    ) -> None:
        if not writing:
            message = (
                "The incident log cannot read its database right now (it is "
                "unreachable or failing): try again in a moment."
            )
        elif maybe_stored:
            message = (
                "The database stopped answering while this was being stored: it "
                "may or may not have been stored. Send it again in a moment: a "
                "report sent again with the same id is stored only once, and an "
                "addition sent with If-Match is refused (412) if the first one "
                "was stored."
            )
        else:
            message = (
                "The database refuses to store anything right now (it is "
                "unreachable, full or read-only): nothing was stored. Send it "
                "again in a moment."
            )
        super().__init__(message)
        # The driver's own words, for the service's log: never shown to clients.
        self.reason = reason
        self.writing = writing
        self.maybe_stored = maybe_stored


class StoreNotUsableError(IncidentsError):
    """Refuse to open a store that cannot be ours: say what it is and what to fix."""
