"""Register people and change their access: roles, offices, passwords and tokens.

Changes of access are events of the ``User`` aggregate. Secrets are not: only the
argon2 hash of a password and the SHA-256 of a token are kept, in the credential
store beside the log.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventsourcing.application import AggregateNotFoundError, EventSourcedLog
from eventsourcing.persistence import IntegrityError

from incidents import values
from incidents.access import ROLES_WITH_EVERY_OFFICE, User, check_user_name, user_id
from incidents.application.offices import Offices
from incidents.application.store import MAX_ATTEMPTS
from incidents.errors import (
    ConcurrentWriteError,
    InvalidInputError,
    NotAuthenticatedError,
    UserAlreadyExistsError,
    UserDeactivatedError,
    UserNotFoundError,
)
from incidents.logs import USER_LOG_ID, UserLogged
from incidents.vocabulary import Role

TOKEN_BYTES = 32
TOKEN_MAX = 256
PASSWORD_MIN = 10
PASSWORD_MAX = 256


@dataclass(frozen=True)
class IssuedToken:
    """Carry a new API token's id and secret (the secret is never stored)."""

    token_id: UUID
    token: str


class People(Offices):
    """Register people, change what they may do, and sign them in."""

    password_hasher: PasswordHasher
    _dummy_password_hash: str | None = None
    user_log: EventSourcedLog[UserLogged]

    def register_user(
        self,
        *,
        actor: str,
        name: object,
        role: object,
        offices: list[str] | None = None,
        display_name: object = None,
        password: str | None = None,
        email: object = None,
        language: object = None,
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
            if email is not None or language is not None:
                # Saved with the registration: a person is never stored
                # without the address they were registered with.
                user.change_mail_settings(
                    actor=actor,
                    email=email,
                    language="fr" if language is None else language,
                )
            try:
                # The user and its entry in the log of users are saved together:
                # either both are stored or neither is.
                self.save(user, self.user_log.trigger_event(user_id=user.id))
            except IntegrityError:
                # Someone registered this name, or another person took the
                # next place in the log of users: look again.
                self._back_off(attempt)
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

    def change_mail_settings(
        self,
        name: str,
        *,
        actor: str,
        email: object = ...,
        language: object = ...,
    ) -> dict[str, Any]:
        """Change a person's e-mail address or language (``...``: keep it)."""
        return self._change_user(
            name,
            lambda user: user.change_mail_settings(
                actor=actor, email=email, language=language
            ),
        )

    def change_notification_preferences(
        self, name: str, *, actor: str, changes: dict[str, object]
    ) -> dict[str, Any]:
        """Change which notifications a person receives."""
        return self._change_user(
            name, lambda user: user.change_preferences(actor=actor, changes=changes)
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
        # One argon2 verification whatever the name: a known one against its
        # hash, an unknown one (or one without a password) against a dummy.
        try:
            user: User | None = self._load_user(name)
        except (UserNotFoundError, InvalidInputError):
            user = None
        stored = None if user is None else self.credentials.get_password_hash(user.id)
        try:
            self.password_hasher.verify(stored or self.dummy_password_hash(), password)
        except (VerificationError, InvalidHashError):
            raise UserNotFoundError(name) from None
        if user is None or stored is None:
            raise UserNotFoundError(name)
        if self.password_hasher.check_needs_rehash(stored):
            # The parameters changed since this hash was made: renew it now
            # that the password is known to be right.
            self.credentials.put_password_hash(
                user.id, self.password_hasher.hash(password)
            )
        if not user.is_active:
            raise UserDeactivatedError(name)
        return user.to_dict()

    def dummy_password_hash(self) -> str:
        """Return the hash unknown names are checked against, made once."""
        if self._dummy_password_hash is None:
            self._dummy_password_hash = self.password_hasher.hash(secrets.token_hex(16))
        return self._dummy_password_hash

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
        token_hash = _token_hash(token)
        try:
            token_id, owner_id = self._token_owners.get(token_hash)
        except KeyError:
            found = self.credentials.find_token(token_hash)
            if found is None:
                raise NotAuthenticatedError from None
            token_id, owner_id = found
            # Kept without asking the credential store again: a token is
            # issued and revoked by events of its owner, whose newest version
            # is looked up below on every request, in whichever process.
            self._token_owners.put(token_hash, found)
        try:
            user: User = self._current(owner_id)
        except AggregateNotFoundError:
            self._forget_token(token_hash)
            raise NotAuthenticatedError from None
        if not user.is_active or token_id not in user.tokens:
            self._forget_token(token_hash)
            raise NotAuthenticatedError
        return user.to_dict()

    def _forget_token(self, token_hash: str) -> None:
        with contextlib.suppress(KeyError):
            self._token_owners.get(token_hash, evict=True)

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
                self._back_off(attempt)
                continue
            return user.to_dict()
        raise ConcurrentWriteError(user_id(name), MAX_ATTEMPTS)


def check_password(password: str) -> None:
    """Refuse a password that is too short or too long."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidInputError.field(
            "password",
            f"Give {PASSWORD_MIN} to {PASSWORD_MAX} characters.",
        )


def _token_hash(token: str) -> str:
    # Tokens are 256 random bits: a plain SHA-256 is enough to keep the stored
    # value useless to a thief, and lets a request be checked in microseconds.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
