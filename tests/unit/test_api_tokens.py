"""API tokens: issued and revoked as User events; only their hashes are kept."""

from __future__ import annotations

import pytest

from incidents.access import User
from incidents.application import IncidentLog
from incidents.errors import NotAuthenticatedError, NothingToChangeError


@pytest.fixture
def amina(log: IncidentLog) -> str:
    log.register_user(
        actor="admin", name="amina", role="mediator", offices=["nanterre-centre"]
    )
    return "amina"


def test_an_issued_token_authenticates_its_owner(log, amina):
    issued = log.issue_token(amina, actor="admin", label="téléphone")

    user = log.authenticate_token(issued.token)

    assert user["name"] == amina
    assert user["tokens"] == [{"id": issued.token_id, "label": "téléphone"}]
    history = list(log.events.get(user["id"]))
    assert [type(event) for event in history] == [User.Registered, User.TokenIssued]


def test_the_secret_is_never_stored_in_the_event_log(log, amina):
    issued = log.issue_token(amina, actor="admin")

    stored = log.recorder.select_notifications(1, 1000)

    assert all(
        issued.token.encode() not in notification.state for notification in stored
    )


def test_a_revoked_token_opens_nothing(log, amina):
    issued = log.issue_token(amina, actor="admin")

    log.revoke_token(amina, issued.token_id, actor="admin", reason="Téléphone perdu.")

    with pytest.raises(NotAuthenticatedError):
        log.authenticate_token(issued.token)
    with pytest.raises(NothingToChangeError, match="no active token"):
        log.revoke_token(amina, issued.token_id, actor="admin", reason="Encore.")


def test_a_deactivated_person_s_token_opens_nothing(log, amina):
    issued = log.issue_token(amina, actor="admin")

    log.deactivate_user(amina, actor="admin", reason="Fin de mission.")

    with pytest.raises(NotAuthenticatedError):
        log.authenticate_token(issued.token)


@pytest.mark.parametrize("token", ["", "not-a-token", "x" * 10_000])
def test_an_unknown_token_is_refused(log, amina, token):
    log.issue_token(amina, actor="admin")

    with pytest.raises(NotAuthenticatedError, match="not valid"):
        log.authenticate_token(token)
