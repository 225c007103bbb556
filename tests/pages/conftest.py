"""Open the pages with Flask's test client, signed in as one person per role.

Forms are posted as a browser would: with the CSRF token the page gave. The
store is a SQLite file; people get a password through the log, as
``incidents users add --password-stdin`` gives it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from incidents.application import IncidentLog
from tests.conftest import ledger_key_path, open_log, signing_key_path
from web import create_app

OFFICE = "colombes-aragon"
OTHER_OFFICE = "nanterre-centre"
PASSWORD = "mot de passe de test"

# name: (role, offices)
PEOPLE: dict[str, tuple[str, list[str] | None]] = {
    "mediator": ("mediator", [OFFICE]),
    "mediator-2": ("mediator", [OFFICE]),
    "officer": ("officer", [OFFICE]),
    "officer-2": ("officer", [OTHER_OFFICE]),
    "auditor": ("auditor", None),
    "admin": ("admin", None),
}
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_in(page: str) -> str:
    """Return the CSRF token a page's form carries."""
    found = CSRF_FIELD.search(page)
    assert found is not None, "the page has no CSRF token"
    return found.group(1)


@dataclass
class Site:
    """The pages, a log behind them, and a browser-like client per person."""

    app: Flask
    log: IncidentLog
    clients: dict[str, FlaskClient] = field(default_factory=dict)

    def client(self, who: str | None) -> FlaskClient:
        """Return a client signed in as ``who`` (``None``: nobody)."""
        key = who or ""
        if key not in self.clients:
            client = self.app.test_client()
            if who is not None:
                sign_in(client, who)
            self.clients[key] = client
        return self.clients[key]

    def get(
        self, path: str, who: str | None = "mediator", **kwargs: Any
    ) -> TestResponse:
        return self.client(who).get(path, **kwargs)

    def post(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        who: str | None = "mediator",
        *,
        form_page: str | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        """Post a form with the CSRF token of ``form_page`` (default: ``path``)."""
        client = self.client(who)
        page = client.get(form_page or path)
        token = csrf_token_in(page.get_data(as_text=True))
        return client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)

    def report_in_log(
        self, office: str = OFFICE, *, actor: str = "mediator", **overrides: Any
    ) -> UUID:
        """Report straight into the log (to arrange a test); return the id."""
        values: dict[str, Any] = {
            "office": office,
            "occurred_at": datetime.now(UTC) - timedelta(hours=1),
            "category": "verbal_incivility",
            "severity": 1,
            "target": "mediator",
            "summary": "Usager énervé par l'attente au guichet colis.",
            **overrides,
        }
        result = self.log.report_incident(actor=actor, **values)
        self.wait_for_read_models()
        incident_id: UUID = result.incident["id"]
        return incident_id

    def wait_for_read_models(self) -> None:
        head = self.log.recorder.max_notification_id() or 0
        assert self.app.extensions["read_models"].projector.wait(head, timeout=10)


def sign_in(client: FlaskClient, who: str, password: str = PASSWORD) -> TestResponse:
    """Sign a client in through the sign-in form; return the answer."""
    page = client.get("/connexion")
    token = csrf_token_in(page.get_data(as_text=True))
    response = client.post(
        "/connexion", data={"name": who, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


@pytest.fixture
def site(sqlite_url: str, opened_logs: list[IncidentLog]) -> Iterator[Site]:
    """Serve the pages on a SQLite file, with one person per role."""
    log = open_log(sqlite_url)
    opened_logs.append(log)
    for name, (role, offices) in PEOPLE.items():
        log.register_user(
            actor="test", name=name, role=role, offices=offices, password=PASSWORD
        )
    app = create_app(
        {
            "DATABASE_URL": sqlite_url,
            "INCIDENT_LOG": log,
            "SECRET_KEY": "test",
            "TESTING": True,
            "SIGNING_KEY_PATH": str(signing_key_path()),
            "LEDGER_KEY_PATH": str(ledger_key_path()),
        }
    )
    try:
        yield Site(app=app, log=log)
    finally:
        app.extensions["read_models"].projector.stop()
