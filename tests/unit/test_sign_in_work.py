"""A sign-in does the same argon2 work whatever the name, and renews old hashes."""

from __future__ import annotations

from collections import Counter

import pytest
from argon2 import PasswordHasher

from incidents.application import IncidentLog
from incidents.errors import UserDeactivatedError, UserNotFoundError
from incidents.persistence import environment_for

PASSWORD = "correct horse battery"


class CountingHasher(PasswordHasher):
    """Count the hashes made and verified (cheap parameters: a unit test)."""

    def __init__(self, **parameters: int) -> None:
        super().__init__(
            time_cost=parameters.get("time_cost", 1), memory_cost=8, parallelism=1
        )
        self.calls: Counter[str] = Counter()

    def hash(self, password, *, salt=None):
        self.calls["hash"] += 1
        return super().hash(password, salt=salt)

    def verify(self, hash, password):
        self.calls["verify"] += 1
        return super().verify(hash, password)


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def log(hasher: CountingHasher) -> IncidentLog:
    log = IncidentLog(environment_for("memory://"), password_hasher=hasher)
    log.register_user(actor="admin", name="alice", role="mediator", password=PASSWORD)
    log.register_user(actor="admin", name="bob", role="mediator")  # No password.
    log.register_user(actor="admin", name="carol", role="officer", password=PASSWORD)
    log.deactivate_user("carol", actor="admin", reason="Fin de mission.")
    log.dummy_password_hash()  # As the web process does at start-up.
    return log


@pytest.mark.parametrize(
    ("name", "password", "refusal"),
    [
        ("alice", PASSWORD, None),
        ("alice", "wrong password", UserNotFoundError),
        ("nobody", PASSWORD, UserNotFoundError),
        ("Not A Name", PASSWORD, UserNotFoundError),
        ("bob", PASSWORD, UserNotFoundError),
        ("carol", PASSWORD, UserDeactivatedError),
    ],
)
def test_every_sign_in_costs_one_verification_and_no_hash(
    log: IncidentLog, hasher: CountingHasher, name, password, refusal
):
    hasher.calls.clear()

    if refusal is None:
        log.authenticate(name, password)
    else:
        with pytest.raises(refusal):
            log.authenticate(name, password)

    assert hasher.calls == Counter(verify=1)


def test_a_hash_made_with_older_parameters_is_renewed_at_sign_in(
    log: IncidentLog, hasher: CountingHasher
):
    older = CountingHasher(time_cost=2)  # What the service used before.
    alice = log.get_user("alice")["id"]
    log.credentials.put_password_hash(alice, older.hash(PASSWORD))
    assert hasher.check_needs_rehash(log.credentials.get_password_hash(alice))

    log.authenticate("alice", PASSWORD)
    renewed = log.credentials.get_password_hash(alice)
    hasher.calls.clear()
    log.authenticate("alice", PASSWORD)

    assert not hasher.check_needs_rehash(renewed)
    assert hasher.calls == Counter(verify=1)  # Renewed once, not at every sign-in.
