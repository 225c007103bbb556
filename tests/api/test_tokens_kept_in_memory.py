"""A token is kept in memory once seen, yet revoked at once in every process.

Two applications on one store stand for two web processes: a token used on
one is then revoked, or its owner deactivated, through the other, and the next
request on the first is refused.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from incidents.application import IncidentLog
from tests.api.conftest import PREFIX, report_body
from tests.conftest import ledger_key_path, signing_key_path
from web import create_app


def _app(database_url: str, opened_logs: list[IncidentLog]) -> Flask:
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test",
            "TESTING": True,
            "SIGNING_KEY_PATH": str(signing_key_path()),
            "LEDGER_KEY_PATH": str(ledger_key_path()),
        }
    )
    opened_logs.append(app.extensions["incident_log"])
    return app


@pytest.fixture
def two_apps(
    durable_database_url: str, opened_logs: list[IncidentLog]
) -> Iterator[tuple[Flask, Flask]]:
    first = _app(durable_database_url, opened_logs)
    second = _app(durable_database_url, opened_logs)
    try:
        yield first, second
    finally:
        for app in (first, second):
            app.extensions["read_models"].projector.stop()


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
