"""A token is kept in memory once seen, yet revoked at once in every process.

Two applications on one store stand for two web processes: a token used on
one is then revoked, or its owner deactivated, through the other, and the next
request on the first is refused.
"""

from __future__ import annotations

from flask import Flask

from incidents.application import IncidentLog
from tests.api.conftest import PREFIX, report_body


def _log(app: Flask) -> IncidentLog:
    log: IncidentLog = app.extensions["incident_log"]
    return log


def _report(app: Flask, token: str) -> int:
    response = app.test_client().post(
        f"{PREFIX}/incidents",
        json=report_body(),
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.status_code


def _me(app: Flask, token: str) -> int:
    response = app.test_client().get(
        f"{PREFIX}/incidents", headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code


def test_a_token_revoked_in_another_process_opens_nothing_at_the_next_request(
    two_apps: tuple[Flask, Flask],
):
    first, second = two_apps
    _log(second).register_user(
        actor="test", name="amina", role="mediator", offices=["colombes-aragon"]
    )
    issued = _log(second).issue_token("amina", actor="test")
    assert _report(first, issued.token) == 201  # Now kept in the first's memory.
    assert _me(first, issued.token) == 200

    _log(second).revoke_token(
        "amina", issued.token_id, actor="test", reason="phone lost"
    )

    assert _report(first, issued.token) == 401
    assert _me(first, issued.token) == 401


def test_a_person_deactivated_in_another_process_is_refused_at_the_next_request(
    two_apps: tuple[Flask, Flask],
):
    first, second = two_apps
    _log(second).register_user(
        actor="test", name="amina", role="mediator", offices=["colombes-aragon"]
    )
    token = _log(second).issue_token("amina", actor="test").token
    assert _me(first, token) == 200

    _log(second).deactivate_user("amina", actor="test", reason="left")

    assert _me(first, token) == 401


def test_a_token_issued_in_another_process_opens_at_once(
    two_apps: tuple[Flask, Flask],
):
    first, second = two_apps
    _log(second).register_user(
        actor="test", name="amina", role="mediator", offices=["colombes-aragon"]
    )
    assert _me(first, "not-a-token") == 401  # A refusal is never kept.

    token = _log(second).issue_token("amina", actor="test").token

    assert _me(first, token) == 200
