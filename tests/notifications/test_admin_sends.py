"""Mail not yet sent shows on the admin's list and page, and as a lag on /readyz."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from incidents.application import IncidentLog
from tests.conftest import ledger_key_path, signing_key_path
from tests.notifications.conftest import (
    MAIL_FROM,
    OFFICERS_OF_OFFICE,
    register_people,
    report,
)
from tests.notifications.mailbox import Mailbox
from web import create_app


@pytest.fixture
def app(sqlite_url, mailbox: Mailbox, opened_logs: list[IncidentLog]) -> Iterator:
    app = create_app(
        {
            "DATABASE_URL": sqlite_url,
            "SECRET_KEY": "test",
            "TESTING": True,
            "SIGNING_KEY_PATH": str(signing_key_path()),
            "LEDGER_KEY_PATH": str(ledger_key_path()),
            "SMTP_URL": mailbox.url,
            "MAIL_FROM": MAIL_FROM,
        }
    )
    log = app.extensions["incident_log"]
    opened_logs.append(log)
    register_people(log)
    yield app
    app.extensions["read_models"].projector.stop()


def bearer(app, name: str) -> dict[str, str]:
    token = app.extensions["incident_log"].issue_token(name, actor="test").token
    return {"Authorization": f"Bearer {token}"}


def test_failed_sends_are_listed_for_the_admin_and_counted_on_readyz(app, mailbox):
    log = app.extensions["incident_log"]
    notifier = app.extensions["notifier"]
    client = app.test_client()
    admin, officer = bearer(app, "admin"), bearer(app, "officer-a")
    mailbox.stop()
    report(log, severity=3)
    notifier.run_once()

    listed = client.get("/api/v1/admin/notifications", headers=admin)
    assert listed.status_code == 200, listed.get_json()
    body = listed.get_json()
    assert body["total"] == len(OFFICERS_OF_OFFICE)
    assert {item["state"] for item in body["items"]} == {"failed"}
    assert {item["last_error"] for item in body["items"]} == {"ConnectionRefusedError"}
    assert sorted(item["recipient"] for item in body["items"]) == [
        "officer-a",
        "officer-all",
        "officer-b",
    ]
    ready = client.get("/readyz").get_json()
    assert ready["notifier"]["failed"] == len(OFFICERS_OF_OFFICE)
    assert ready["notifier"]["lag"] == 0
    assert ready["notifier"]["mail"] is True

    refused = client.get("/api/v1/admin/notifications", headers=officer)
    assert refused.status_code == 403
    bad = client.get("/api/v1/admin/notifications?state=lost", headers=admin)
    assert bad.status_code == 422


def test_readyz_shows_the_notifier_behind_the_log(app):
    log = app.extensions["incident_log"]
    report(log, severity=1)

    ready = app.test_client().get("/readyz").get_json()

    assert (
        ready["notifier"]["lag"]
        == ready["notifier"]["head"] - ready["notifier"]["position"]
    )
    assert ready["notifier"]["lag"] > 0
    app.extensions["notifier"].run_once()
    assert app.test_client().get("/readyz").get_json()["notifier"]["lag"] == 0


def test_the_admin_page_lists_the_sends_waiting(app, mailbox):
    from tests.pages.conftest import csrf_token_in

    log = app.extensions["incident_log"]
    log.set_password("admin", "mot de passe de test")
    mailbox.stop()
    report(log, severity=3)
    app.extensions["notifier"].run_once()
    client = app.test_client()
    page = client.get("/connexion")
    client.post(
        "/connexion",
        data={
            "name": "admin",
            "password": "mot de passe de test",
            "csrf_token": csrf_token_in(page.get_data(as_text=True)),
        },
    )

    answer = client.get("/envois")

    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert text.count("ConnectionRefusedError") == len(OFFICERS_OF_OFFICE)
    assert "officer-b" in text
