"""Serve the JSON API from create_app, with one signed-in person per role.

``api`` runs on the in-memory store and a SQLite file; ``any_store_api`` also on
PostgreSQL, for the contract tests. People are registered and given tokens
through the log itself, as an admin at the command line would.
"""

from __future__ import annotations

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
from tests.api.live import build_app

OFFICE = "colombes-aragon"
OTHER_OFFICE = "nanterre-centre"
PREFIX = "/api/v1"

# name: (role, offices)
PEOPLE: dict[str, tuple[str, list[str] | None]] = {
    "mediator": ("mediator", [OFFICE]),
    "mediator-2": ("mediator", [OFFICE]),
    "officer": ("officer", [OFFICE]),
    "auditor": ("auditor", None),
    "admin": ("admin", None),
}
ROLES = ("mediator", "officer", "auditor", "admin")
PHONE = "06 12 34 56 78"


def report_body(**overrides: Any) -> dict[str, Any]:
    """Return a valid report, occurred an hour ago in OFFICE."""
    body: dict[str, Any] = {
        "office": OFFICE,
        "occurred_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "category": "verbal_incivility",
        "severity": 1,
        "target": "mediator",
        "trigger": "queue",
        "summary": "Usager énervé par l'attente au guichet colis.",
        "parties": [{"role": "visitor", "count": 1}],
        "contact": {"phone": PHONE},
    }
    body.update(overrides)
    return body


@dataclass
class Api:
    """Call the API as one of the people, and reach the log behind it."""

    app: Flask
    client: FlaskClient
    log: IncidentLog
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str | None, extra: dict[str, str] | None) -> dict[str, str]:
        headers = dict(extra or {})
        if who is not None:
            headers.setdefault("Authorization", f"Bearer {self.tokens[who]}")
        return headers

    def get(
        self,
        path: str,
        who: str | None = "mediator",
        *,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        return self.client.get(
            PREFIX + path, headers=self.headers(who, headers), **kwargs
        )

    def post(
        self,
        path: str,
        body: Any = None,
        who: str | None = "mediator",
        *,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        if body is not None:
            kwargs["json"] = body
        return self.client.post(
            PREFIX + path, headers=self.headers(who, headers), **kwargs
        )

    def report(self, who: str = "mediator", **overrides: Any) -> dict[str, Any]:
        """Report through the API; return the incident answered."""
        response = self.post("/incidents", report_body(**overrides), who)
        assert response.status_code == 201, response.get_json()
        incident: dict[str, Any] = response.get_json()
        return incident

    def report_in_log(
        self, office: str = OFFICE, *, actor: str = "mediator", **overrides: Any
    ) -> UUID:
        """Report straight into the log (to arrange a test); return the id."""
        values: dict[str, Any] = {**report_body(office=office), **overrides}
        result = self.log.report_incident(actor=actor, **values)
        incident_id: UUID = result.incident["id"]
        self.wait_for_read_models()
        return incident_id

    def wait_for_read_models(self) -> None:
        head = self.log.recorder.max_notification_id() or 0
        assert self.app.extensions["read_models"].projector.wait(head, timeout=10)

    def head(self) -> int:
        return self.log.recorder.max_notification_id() or 0


def build_api(database_url: str, opened_logs: list[IncidentLog]) -> Iterator[Api]:
    """Create the app on a store, register the people, stop following after."""
    app = build_app(database_url, opened_logs)
    log: IncidentLog = app.extensions["incident_log"]
    api = Api(app=app, client=app.test_client(), log=log)
    for name, (role, offices) in PEOPLE.items():
        log.register_user(actor="test", name=name, role=role, offices=offices)
        api.tokens[name] = log.issue_token(name, actor="test").token
    try:
        yield api
    finally:
        app.extensions["read_models"].projector.stop()


@pytest.fixture(params=["memory", "sqlite"])
def api(
    request: pytest.FixtureRequest, opened_logs: list[IncidentLog]
) -> Iterator[Api]:
    """Return the API on the in-memory store, then on a SQLite file."""
    url = (
        "memory://"
        if request.param == "memory"
        else str(request.getfixturevalue("sqlite_url"))
    )
    yield from build_api(url, opened_logs)


@pytest.fixture
def any_store_api(database_url: str, opened_logs: list[IncidentLog]) -> Iterator[Api]:
    """Return the API on each store in turn: memory, SQLite, PostgreSQL."""
    yield from build_api(database_url, opened_logs)


def assert_error(response: TestResponse, code: int) -> dict[str, Any]:
    """Check the status and the JSON shape of an error; return its body."""
    assert response.status_code == code, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.get_json()
    assert set(body) == {"code", "status", "message", "errors"}
    assert body["code"] == code
    assert isinstance(body["status"], str)
    assert body["status"]
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["errors"], dict)
    for field_name, messages in body["errors"].items():
        assert isinstance(field_name, str)
        assert messages
        assert all(isinstance(m, str) for m in messages)
    return body


SUMMARY_SECTIONS = (
    "incidents",
    "de_escalations",
    "escalations",
    "follow_ups",
    "time_to_close_hours",
)


def summary_leaves(summary: dict[str, Any]) -> dict[str, Any]:
    """Return every figure of an office summary by its key, as the files name it."""
    found: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}", inner)
        else:
            found[prefix] = value

    for section in SUMMARY_SECTIONS:
        walk(section, summary[section])
    return found


@pytest.fixture
def two_apps(
    durable_database_url: str, opened_logs: list[IncidentLog]
) -> Iterator[tuple[Flask, Flask]]:
    """Two applications on one store, standing for two web processes."""
    first = build_app(durable_database_url, opened_logs)
    second = build_app(durable_database_url, opened_logs)
    try:
        yield first, second
    finally:
        for app in (first, second):
            app.extensions["read_models"].projector.stop()
