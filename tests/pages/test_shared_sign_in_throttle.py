"""Web processes on one database share the count of refused sign-ins.

Two app instances, each with its own log and connection pool as two processes
have, on one SQLite file or one PostgreSQL database: five wrong passwords on
the first, and the sixth, on the second, is answered 429.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.conftest import ledger_key_path, signing_key_path
from tests.pages.conftest import PASSWORD, csrf_token_in
from web import create_app
from web.pages.throttle import LIMIT

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient
    from werkzeug.test import TestResponse

    from tests.conftest import OpenLog


def app_on(database_url: str, make_log: OpenLog) -> Flask:
    """Create an app with a log of its own on the shared store."""
    return create_app(
        {
            "DATABASE_URL": database_url,
            "INCIDENT_LOG": make_log(database_url),
            "SECRET_KEY": "test",
            "TESTING": True,
            "FOLLOW_LOG": False,
            "SIGNING_KEY_PATH": str(signing_key_path()),
            "LEDGER_KEY_PATH": str(ledger_key_path()),
        }
    )


def try_password(client: FlaskClient, password: str) -> TestResponse:
    page = client.get("/connexion")
    return client.post(
        "/connexion",
        data={
            "name": "officer",
            "password": password,
            "csrf_token": csrf_token_in(page.get_data(as_text=True)),
        },
    )


def test_the_sixth_wrong_password_on_another_process_is_429(
    durable_database_url: str, make_log: OpenLog
):
    first = app_on(durable_database_url, make_log)
    second = app_on(durable_database_url, make_log)
    first.extensions["incident_log"].register_user(
        actor="test", name="officer", role="officer", offices=None, password=PASSWORD
    )

    statuses = [
        try_password(first.test_client(), "guessing").status_code
        for _attempt in range(LIMIT)
    ]
    response = try_password(second.test_client(), "guessing")

    assert statuses == [200] * LIMIT
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    # The right password waits too, from that address, on either process.
    assert try_password(first.test_client(), PASSWORD).status_code == 429
