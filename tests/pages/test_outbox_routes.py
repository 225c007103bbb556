"""What the phone's outbox sends, and how the pages answer it (JSON, once).

The outbox posts the report and de-escalation forms, with the person's session
and a CSRF token from ``/hors-ligne/jeton``; each answer says what came of it.
Also the installable app's files: the manifest and the service worker, from our
origin, under the strict Content-Security-Policy.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.pages.conftest import OFFICE, OTHER_OFFICE, Site, csrf_token_in

PARIS = ZoneInfo("Europe/Paris")
OUTBOX = {"X-Outbox": "1", "Accept": "application/json"}


def token(client: FlaskClient) -> str:
    answer = client.get("/hors-ligne/jeton")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return str(answer.get_json()["csrf_token"])


def report_fields(**overrides: Any) -> dict[str, Any]:
    phone_time = datetime.now(PARIS) - timedelta(minutes=40)
    return {
        "report_id": str(uuid4()),
        "category": "verbal_incivility",
        "severity": "2",
        "target": "staff",
        "summary": "Usager énervé par l'attente au guichet.",
        "occurred_at": phone_time.strftime("%Y-%m-%dT%H:%M:%S"),
        "contact_phone": "06 12 34 56 78",
        "office": OFFICE,
        **overrides,
    }


def send(
    site: Site, path: str, fields: dict[str, Any], who: str = "mediator"
) -> TestResponse:
    client = site.client(who)
    data = {**fields, "csrf_token": token(client)}
    return client.post(path, data=data, headers=OUTBOX)


def send_report(site: Site, fields: dict[str, Any], who: str = "mediator") -> Any:
    return send(site, "/hors-ligne/signalements", fields, who)


def de_escalation(version: int, **overrides: Any) -> dict[str, Any]:
    return {
        "techniques": ["active_listening", "explanation"],
        "outcome": "calmed",
        "note": "",
        "version": str(version),
        **overrides,
    }


def test_the_token_names_the_person_signed_in(site: Site):
    answer = site.get("/hors-ligne/jeton").get_json()

    assert answer["person"] == "mediator"
    assert answer["may_record"] is True
    assert answer["csrf_token"]


def test_without_a_session_the_outbox_is_told_to_wait_for_sign_in(site: Site):
    client = site.client(None)

    assert client.get("/hors-ligne/jeton").status_code == 401
    answer = client.post("/hors-ligne/signalements", data=report_fields())
    # Without a session there is no CSRF token either: refused before anything.
    assert answer.status_code in {400, 401}
    assert site.log.iter_history() is not None
    assert not [e for e in site.log.iter_history() if e["type"] == "Reported"]


def test_a_kept_report_is_stored_once_with_the_phone_s_time(site: Site):
    fields = report_fields()

    first = send_report(site, fields)
    again = send_report(site, fields)

    assert first.status_code == 201, first.get_json()
    assert first.get_json()["id"] == fields["report_id"]
    assert again.status_code == 200, again.get_json()
    history = site.log.get_incident_history(UUID(fields["report_id"]))
    assert [event["type"] for event in history] == ["Reported"]
    incident = site.log.get_incident(UUID(fields["report_id"]))
    sent = datetime.fromisoformat(fields["occurred_at"]).replace(tzinfo=PARIS)
    assert incident["occurred_at"] == sent
    assert incident["office"] == OFFICE


@pytest.mark.parametrize("waits", [False, True], ids=["later", "at-once"])
def test_the_same_id_with_another_report_is_a_conflict_never_done(
    site: Site, waits: bool
):
    fields = report_fields()
    assert send_report(site, fields).status_code == 201
    client = site.client("mediator")
    headers = {**OUTBOX, "X-Outbox-Now": "1"} if waits else OUTBOX

    answer = client.post(
        "/hors-ligne/signalements",
        data={
            **fields,
            "summary": "Un tout autre incident.",
            "csrf_token": token(client),
        },
        headers=headers,
    )

    assert answer.status_code == 409
    assert "n'a pas été enregistré" in answer.get_json()["message"]
    incident = site.log.get_incident(UUID(fields["report_id"]))
    assert incident["summary"] == fields["summary"]


def test_a_value_not_accepted_is_422_with_its_field(site: Site):
    answer = send_report(site, report_fields(category="nonsense"))

    assert answer.status_code == 422
    assert "category" in answer.get_json()["errors"]
    assert not [e for e in site.log.iter_history() if e["type"] == "Reported"]


def test_a_report_in_an_office_the_person_does_not_cover_is_refused(site: Site):
    answer = send_report(site, report_fields(office=OTHER_OFFICE))

    assert answer.status_code == 422
    assert "office" in answer.get_json()["errors"]


def test_a_kept_de_escalation_is_stored_once_even_when_sent_again(site: Site):
    fields = report_fields()
    incident_id = fields["report_id"]
    assert send_report(site, fields).status_code == 201
    path = f"/hors-ligne/incidents/{incident_id}/desescalades"

    first = send(site, path, de_escalation(1))
    # Its answer lost, the phone sends it again at the same version.
    again = send(site, path, de_escalation(1))

    assert first.status_code == 201, first.get_json()
    assert again.status_code == 200, again.get_json()
    history = site.log.get_incident_history(UUID(incident_id))
    assert [event["type"] for event in history] == [
        "Reported",
        "DeEscalationRecorded",
    ]


def test_a_de_escalation_after_someone_else_changed_it_is_a_conflict(site: Site):
    fields = report_fields()
    incident_id = fields["report_id"]
    assert send_report(site, fields).status_code == 201
    path = f"/hors-ligne/incidents/{incident_id}/desescalades"
    assert send(site, path, de_escalation(1)).status_code == 201

    other = send(site, path, de_escalation(1, outcome="left"))

    assert other.status_code == 409
    assert "a changé entre-temps" in other.get_json()["message"]
    assert len(site.log.get_incident_history(UUID(incident_id))) == 2


def follow_up(version: int, **overrides: Any) -> dict[str, Any]:
    due_on = datetime.now(PARIS).date() + timedelta(days=7)
    return {
        "kind": "staff_support",
        "due_on": due_on.isoformat(),
        "assignee": "mediator",
        "note": "Rappeler le responsable du bureau.",
        "version": str(version),
        **overrides,
    }


def test_a_kept_follow_up_is_stored_once_even_when_sent_again(site: Site):
    fields = report_fields()
    incident_id = fields["report_id"]
    assert send_report(site, fields).status_code == 201
    path = f"/hors-ligne/incidents/{incident_id}/suivis"

    first = send(site, path, follow_up(1))
    # Its answer lost, the phone sends it again at the same version.
    again = send(site, path, follow_up(1))

    assert first.status_code == 201, first.get_json()
    assert first.get_json()["version"] == 2
    assert again.status_code == 200, again.get_json()
    history = site.log.get_incident_history(UUID(incident_id))
    assert [event["type"] for event in history] == ["Reported", "FollowUpScheduled"]
    assert history[1]["actor"] == "mediator"
    assert history[1]["data"]["kind"] == "staff_support"
    assert history[1]["data"]["assignee"] == "mediator"


def test_a_follow_up_after_a_kept_de_escalation_carries_the_next_version(site: Site):
    fields = report_fields()
    incident_id = fields["report_id"]
    assert send_report(site, fields).status_code == 201
    base = f"/hors-ligne/incidents/{incident_id}"
    assert send(site, f"{base}/desescalades", de_escalation(1)).status_code == 201

    answer = send(site, f"{base}/suivis", follow_up(2))

    assert answer.status_code == 201, answer.get_json()
    history = site.log.get_incident_history(UUID(incident_id))
    assert [event["type"] for event in history] == [
        "Reported",
        "DeEscalationRecorded",
        "FollowUpScheduled",
    ]


@pytest.mark.parametrize(
    "other",
    [
        {"kind": "manager_report"},
        {"note": "Une autre note."},
        {"due_days": 8},
        {"who": "mediator-2"},
    ],
    ids=["kind", "note", "due-on", "person"],
)
def test_a_follow_up_after_the_incident_moved_on_otherwise_is_a_conflict(
    site: Site, other: dict[str, Any]
):
    fields = report_fields()
    incident_id = fields["report_id"]
    assert send_report(site, fields).status_code == 201
    path = f"/hors-ligne/incidents/{incident_id}/suivis"
    changes = {key: value for key, value in other.items() if key in {"kind", "note"}}
    if "due_days" in other:
        due = datetime.now(PARIS).date() + timedelta(days=other["due_days"])
        changes["due_on"] = due.isoformat()
    assert send(site, path, follow_up(1, **changes)).status_code == 201

    answer = send(site, path, follow_up(1), who=other.get("who", "mediator"))

    assert answer.status_code == 409, answer.get_json()
    assert "a changé entre-temps" in answer.get_json()["message"]
    assert len(site.log.get_incident_history(UUID(incident_id))) == 2


def test_a_follow_up_not_accepted_is_422_with_its_field(site: Site):
    fields = report_fields()
    incident_id = fields["report_id"]
    assert send_report(site, fields).status_code == 201
    path = f"/hors-ligne/incidents/{incident_id}/suivis"
    yesterday = datetime.now(PARIS).date() - timedelta(days=1)

    unknown = send(site, path, follow_up(1, kind="nonsense"))
    past = send(site, path, follow_up(1, due_on=yesterday.isoformat()))
    stranger = send(site, path, follow_up(1, assignee="auditor"))

    assert unknown.status_code == 422
    assert "kind" in unknown.get_json()["errors"]
    assert past.status_code == 422
    assert "due_on" in past.get_json()["errors"]
    assert stranger.status_code == 422
    assert "assignee" in stranger.get_json()["errors"]
    assert len(site.log.get_incident_history(UUID(incident_id))) == 1


def test_a_follow_up_without_a_session_waits_for_sign_in(site: Site):
    fields = report_fields()
    incident_id = fields["report_id"]
    assert send_report(site, fields).status_code == 201
    client = site.client(None)
    # A token the session-less phone holds (so CSRF lets it through): no person.
    csrf = csrf_token_in(client.get("/connexion").get_data(as_text=True))

    answer = client.post(
        f"/hors-ligne/incidents/{incident_id}/suivis",
        data={**follow_up(1), "csrf_token": csrf},
        headers=OUTBOX,
    )

    assert answer.status_code == 401, answer.get_data(as_text=True)
    assert answer.get_json()["message"]
    assert len(site.log.get_incident_history(UUID(incident_id))) == 1


def test_a_follow_up_elsewhere_or_by_a_role_that_does_not_record_is_refused(
    site: Site,
):
    fields = report_fields()
    incident_id = fields["report_id"]
    assert send_report(site, fields).status_code == 201
    path = f"/hors-ligne/incidents/{incident_id}/suivis"

    elsewhere = send(site, path, follow_up(1), who="officer-2")
    auditor = send(site, path, follow_up(1), who="auditor")

    assert elsewhere.status_code == 404
    assert auditor.status_code == 403
    assert len(site.log.get_incident_history(UUID(incident_id))) == 1


def test_the_page_of_a_kept_report_offers_a_follow_up_to_the_person(site: Site):
    page = site.get("/hors-ligne/suite")
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    assert 'id="queued-follow-up-form"' in html
    assert 'id="queued-de-escalation-form"' in html
    # Others who record are not known on the phone: the person, or nobody yet.
    assigned = re.findall(r'<option[^>]*value="([^"]*)"', html)
    assert assigned == ["mediator", ""]
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_the_manifest_and_the_service_worker_come_from_our_origin(site: Site):
    client = site.client(None)

    manifest = client.get("/manifest.webmanifest")
    worker = client.get("/sw.js")
    worker.close()  # A static file, streamed: close it once read.

    assert manifest.status_code == 200
    assert manifest.mimetype == "application/manifest+json"
    body = json.loads(manifest.get_data(as_text=True))
    assert body["scope"] == "/"
    assert body["start_url"] == "/signaler"
    assert {icon["sizes"] for icon in body["icons"]} >= {"192x192", "512x512"}
    for icon in body["icons"]:
        assert icon["src"].startswith("/static/")
        with client.get(icon["src"]) as image:
            assert image.status_code == 200
    assert worker.status_code == 200
    assert worker.mimetype == "text/javascript"
    assert worker.headers["Cache-Control"] == "no-cache"
    policy = site.get("/signaler").headers["Content-Security-Policy"]
    assert "worker-src 'self'" in policy
    assert "manifest-src 'self'" in policy
    assert "default-src 'self'" in policy


def test_the_pages_of_those_who_report_carry_the_outbox(site: Site):
    mediator = site.get("/signaler").get_data(as_text=True)
    auditor = site.get("/audit", who="auditor").get_data(as_text=True)

    assert 'rel="manifest"' in mediator
    assert "offline/page.js" in mediator
    assert 'id="outbox"' in mediator
    assert "offline/page.js" not in auditor


def test_a_copy_kept_in_the_background_leaves_the_session_cookie_alone(site: Site):
    client = site.client("mediator")
    client.get("/signaler?lang=en")  # The person changes something meanwhile.

    kept = client.get("/signaler", headers={"X-Offline-Keep": "1"})
    asked = client.get("/hors-ligne/jeton")
    seen = client.get("/signaler")

    # A cookie set by these would undo, with the session as it was when they
    # left, what a page changed meanwhile (a flashed message, the language).
    assert kept.status_code == 200
    assert "Set-Cookie" not in kept.headers
    assert "Set-Cookie" not in asked.headers
    assert "Set-Cookie" in seen.headers


def test_files_and_the_service_worker_leave_the_session_cookie_alone(site: Site):
    # The browser fetches them beside what the person does (the service
    # worker's update check after every page, its modules, the styles): set
    # with the session as it was when they left, the cookie would undo a
    # change made meanwhile, such as the language just chosen.
    client = site.client("mediator")
    client.get("/signaler")

    files = []
    for path in ("/sw.js", "/static/offline/outbox.js", "/static/pages.css"):
        with client.get(path) as answer:  # Files are streamed: closed here.
            files.append((path, answer.status_code, "Set-Cookie" in answer.headers))
    page = client.get("/signaler")

    assert [(path, status) for path, status, _ in files] == [
        ("/sw.js", 200),
        ("/static/offline/outbox.js", 200),
        ("/static/pages.css", 200),
    ]
    assert [path for path, _, cookie in files if cookie] == []
    assert "Set-Cookie" in page.headers  # A page still keeps the session alive.
