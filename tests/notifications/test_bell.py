"""Without a mail server, notifications show under each person's bell: API and pages."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import pytest

from incidents.application import IncidentLog
from tests.conftest import ledger_key_path, signing_key_path
from tests.notifications.conftest import OTHER_OFFICE, register_people, report
from tests.pages.conftest import csrf_token_in
from web import create_app

PASSWORD = "mot de passe de test"


@pytest.fixture
def app(sqlite_url, opened_logs: list[IncidentLog]) -> Iterator:
    app = create_app(
        {
            "DATABASE_URL": sqlite_url,
            "SECRET_KEY": "test",
            "TESTING": True,
            "SIGNING_KEY_PATH": str(signing_key_path()),
            "LEDGER_KEY_PATH": str(ledger_key_path()),
            "NOTIFY": True,  # The embedded default: no SMTP_URL, the bell only.
        }
    )
    log = app.extensions["incident_log"]
    opened_logs.append(log)
    register_people(log)
    yield app
    app.extensions["read_models"].projector.stop()
    app.extensions["notifier"].stop()


def bearer(app, name: str) -> dict[str, str]:
    token = app.extensions["incident_log"].issue_token(name, actor="test").token
    return {"Authorization": f"Bearer {token}"}


def settled(app) -> None:
    """Wait until the notifier thread has planned and applied what the log holds."""
    log, notifier = app.extensions["incident_log"], app.extensions["notifier"]
    for _ in range(3):  # Planning adds events, which it then applies.
        assert notifier.wait(log.recorder.max_notification_id() or 0, timeout=10)


def test_a_severe_report_rings_the_bell_of_each_officer_of_the_office(app):
    log = app.extensions["incident_log"]
    client = app.test_client()
    officer, other = bearer(app, "officer-a"), bearer(app, "officer-other")
    incident = report(log, severity=3)
    settled(app)

    bell = client.get("/api/v1/notifications?unread=true", headers=officer).get_json()
    assert bell["total"] == 1
    (item,) = bell["items"]
    assert set(item) == {"id", "kind", "incident", "office", "created_at", "read"}
    assert (item["kind"], item["incident"], item["read"]) == (
        "severe_incident",
        str(incident),
        False,
    )
    assert client.get("/api/v1/notifications", headers=other).get_json()["total"] == 0

    read = client.post(f"/api/v1/notifications/{item['id']}/read", headers=officer)
    assert read.status_code == 200, read.get_json()
    assert read.get_json()["read"] is True
    unread = client.get("/api/v1/notifications?unread=true", headers=officer)
    assert unread.get_json()["total"] == 0
    every = client.get("/api/v1/notifications", headers=officer).get_json()
    assert every["items"][0]["read"] is True
    again = client.post(f"/api/v1/notifications/{item['id']}/read", headers=officer)
    assert again.status_code == 200
    assert [e["type"] for e in log.iter_history()].count("NotificationRead") == 1


def test_nobody_reads_or_marks_another_persons_notifications(app):
    log = app.extensions["incident_log"]
    client = app.test_client()
    officer, colleague = bearer(app, "officer-a"), bearer(app, "officer-all")
    report(log, severity=4)
    settled(app)
    item = client.get("/api/v1/notifications", headers=officer).get_json()["items"][0]
    head = log.recorder.max_notification_id()

    theirs = client.post(f"/api/v1/notifications/{item['id']}/read", headers=colleague)
    unknown = client.post(f"/api/v1/notifications/{uuid4()}/read", headers=officer)

    assert (theirs.status_code, unknown.status_code) == (404, 404)
    assert log.recorder.max_notification_id() == head
    assert client.get("/api/v1/notifications", headers=None).status_code == 401
    bad = client.get("/api/v1/notifications?unread=maybe", headers=officer)
    assert bad.status_code == 422


def test_an_officer_who_opted_out_gets_nothing_of_that_kind(app):
    log = app.extensions["incident_log"]
    client = app.test_client()
    officer = bearer(app, "officer-a")
    log.change_notification_preferences(
        "officer-a", actor="officer-a", changes={"severe_incident": False}
    )
    report(log, severity=3, office=OTHER_OFFICE)
    report(log, severity=3)
    settled(app)

    assert client.get("/api/v1/notifications", headers=officer).get_json()["total"] == 0
    other = bearer(app, "officer-b")
    assert client.get("/api/v1/notifications", headers=other).get_json()["total"] == 2


def test_the_pages_show_the_unread_count_and_mark_one_read(app):
    log = app.extensions["incident_log"]
    log.set_password("officer-a", PASSWORD)
    report(log, severity=3)
    settled(app)
    client = app.test_client()
    page = client.get("/connexion")
    client.post(
        "/connexion",
        data={
            "name": "officer-a",
            "password": PASSWORD,
            "csrf_token": csrf_token_in(page.get_data(as_text=True)),
        },
    )

    listed = client.get("/notifications")
    text = listed.get_data(as_text=True)
    assert listed.status_code == 200
    assert 'class="badge">1<' in text
    action = text.split('action="/notifications/')[1].split('"')[0]
    marked = client.post(
        f"/notifications/{action}", data={"csrf_token": csrf_token_in(text)}
    )
    assert marked.status_code == 303
    after = client.get("/notifications").get_data(as_text=True)
    assert 'class="badge">1<' not in after
    assert 'action="/notifications/' not in after
