"""Reporting once, who sees the contact, reading one's writes, and paging."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

import web.usecases.read_your_writes
from tests.api.conftest import (
    OFFICE,
    OTHER_OFFICE,
    PHONE,
    Api,
    assert_error,
    report_body,
)


def test_the_same_report_again_is_200_and_a_different_one_409(any_store_api: Api):
    api = any_store_api
    body = report_body(id=str(uuid4()))

    first = api.post("/incidents", body)
    again = api.post("/incidents", body)
    different = api.post("/incidents", {**body, "summary": "Autre chose."})

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"] == body["id"]
    assert again.get_json()["version"] == 1
    assert_error(different, 409)
    listed = api.get("/incidents").get_json()
    assert listed["total"] == 1


def test_the_same_report_by_someone_else_is_a_conflict(api: Api):
    body = report_body(id=str(uuid4()))
    assert api.post("/incidents", body).status_code == 201

    assert_error(api.post("/incidents", body, "officer"), 409)


def test_a_write_is_in_the_lists_as_soon_as_it_is_answered(any_store_api: Api):
    api = any_store_api

    for number in range(5):
        incident = api.report(summary=f"Tension numéro {number}.")
        listed = api.get("/incidents", "officer").get_json()
        assert listed["items"][0]["id"] == incident["id"]
        assert listed["items"][0]["position"] == incident["position"]
        noted = api.post(f"/incidents/{incident['id']}/notes", {"text": "Vu."})
        timeline = api.get(f"/incidents/{incident['id']}/timeline").get_json()
        assert timeline["items"][-1]["position"] == noted.get_json()["position"]


def test_the_position_is_that_of_the_last_event(api: Api):
    incident = api.report()
    api.report()
    noted = api.post(f"/incidents/{incident['id']}/notes", {"text": "Vu."}).get_json()

    read = api.get(f"/incidents/{incident['id']}").get_json()
    audit = api.get("/audit/events", "auditor").get_json()

    assert read["position"] == noted["position"]
    # The reporter's read of its contact is itself recorded (a disclosure).
    events = [item for item in audit["items"] if item["type"] != "ContactDisclosed"]
    assert events[-1]["position"] == noted["position"]
    assert events[-1]["aggregate_id"] == incident["id"]
    assert events[-1]["type"] == "NoteAdded"


def test_an_incident_read_before_its_index_row_exists_waits_for_it(api: Api):
    projector = api.app.extensions["read_models"].projector
    projector.stop()
    result = api.log.report_incident(actor="mediator", **report_body())
    later = threading.Timer(0.3, projector.start, kwargs={"poll_interval": 0.05})
    later.start()

    response = api.get(f"/incidents/{result.incident['id']}")

    later.join()
    assert response.status_code == 200
    assert response.get_json()["position"] == result.position


def test_an_incident_the_read_models_cannot_show_yet_is_503(api: Api, monkeypatch):
    monkeypatch.setattr(web.usecases.read_your_writes, "WAIT_SECONDS", 0.1)
    api.app.extensions["read_models"].projector.stop()
    result = api.log.report_incident(actor="mediator", **report_body())

    response = api.get(f"/incidents/{result.incident['id']}")

    assert_error(response, 503)
    assert response.headers["Retry-After"] == "1"


@pytest.mark.parametrize(
    ("reader", "sees_contact"),
    [
        ("mediator", True),  # who reported it
        ("mediator-2", False),  # another mediator of the office
        ("officer", True),
        ("auditor", False),
        ("admin", False),
    ],
)
def test_only_the_officers_and_the_reporter_see_the_contact(
    api: Api, reader, sees_contact
):
    incident = api.report("mediator")

    shown = api.get(f"/incidents/{incident['id']}", reader).get_json()

    assert shown["contact_recorded"] is True
    if sees_contact:
        assert shown["contact"]["phone"] == PHONE
    else:
        assert shown["contact"] is None
        assert PHONE not in str(shown)


def test_a_write_by_someone_else_does_not_show_them_the_contact(api: Api):
    incident = api.report("mediator")

    noted = api.post(f"/incidents/{incident['id']}/notes", {"text": "x"}, "mediator-2")

    assert noted.get_json()["contact"] is None
    assert noted.get_json()["contact_recorded"] is True


def test_the_list_is_newest_first_and_paged(api: Api):
    now = datetime.now(UTC)
    ids = [
        api.report_in_log(occurred_at=(now - timedelta(hours=hours)).isoformat())
        for hours in (5, 1, 3, 2, 4)
    ]
    api.report_in_log(OTHER_OFFICE)
    newest_first = [str(ids[i]) for i in (1, 3, 2, 4, 0)]

    pages = [
        api.get(f"/incidents?page={page}&page_size=2", "officer").get_json()
        for page in (1, 2, 3, 4)
    ]

    assert [page["total"] for page in pages] == [5] * 4
    assert [page["page"] for page in pages] == [1, 2, 3, 4]
    assert [page["page_size"] for page in pages] == [2] * 4
    assert [item["id"] for page in pages for item in page["items"]] == newest_first
    assert pages[3]["items"] == []
    everything = api.get("/incidents", "auditor").get_json()
    assert everything["total"] == 6
    assert everything["page_size"] == 50


def test_the_list_filters_by_status_category_severity_and_days(api: Api):
    yesterday = datetime.now(UTC) - timedelta(days=1)
    kept = api.report_in_log(category="theft", severity=3)
    api.report_in_log(category="theft", severity=1)
    api.report_in_log(category="threat", severity=3)
    old = api.report_in_log(occurred_at=(yesterday - timedelta(days=9)).isoformat())
    api.log.close_incident(old, actor="officer", resolution="need_met")
    api.wait_for_read_models()

    def ids(query: str) -> list[str]:
        answer = api.get(f"/incidents?{query}", "officer")
        assert answer.status_code == 200, answer.get_json()
        return [item["id"] for item in answer.get_json()["items"]]

    assert ids("category=theft&severity=3") == [str(kept)]
    assert ids("status=closed") == [str(old)]
    # The list filters by the day in Paris, which is not UTC's from 22:00 or 23:00.
    paris = ZoneInfo("Europe/Paris")
    day = (yesterday - timedelta(days=9)).astimezone(paris).date().isoformat()
    assert ids(f"from={day}&to={day}") == [str(old)]


def test_an_office_timeline_is_paged_in_log_order(api: Api):
    first = api.report_in_log()
    for number in range(4):
        api.log.add_note(first, actor="mediator", text=f"Note {number}.")
    api.report_in_log(OTHER_OFFICE)
    api.wait_for_read_models()

    page_1 = api.get(f"/offices/{OFFICE}/timeline?page_size=3", "officer").get_json()
    page_2 = api.get(
        f"/offices/{OFFICE}/timeline?page=2&page_size=3", "officer"
    ).get_json()

    assert page_1["total"] == page_2["total"] == 5
    positions = [item["position"] for item in page_1["items"] + page_2["items"]]
    assert positions == sorted(positions)
    assert [item["type"] for item in page_1["items"]] == [
        "Reported",
        "NoteAdded",
        "NoteAdded",
    ]
    assert len(page_2["items"]) == 2


def test_the_offices_are_those_of_the_callers_scope(api: Api):
    mediator = api.get("/offices").get_json()
    auditor = api.get("/offices", "auditor").get_json()

    assert [office["code"] for office in mediator["items"]] == [OFFICE]
    assert mediator["total"] == 1
    assert auditor["total"] == 10
    assert set(auditor["items"][0]) == {"code", "name", "city"}


def test_the_board_shows_overdue_follow_ups_first(api: Api):
    incident_id = api.report_in_log()
    today = datetime.now(UTC).date()
    for days in (3, -2):
        api.log.schedule_follow_up(
            incident_id,
            actor="mediator",
            kind="complaint",
            due_on=(today + timedelta(days=days)).isoformat(),
        )
    api.wait_for_read_models()

    board = api.get("/follow-ups", "officer").get_json()
    overdue = api.get("/follow-ups?overdue=true", "officer").get_json()

    assert [item["overdue"] for item in board["items"]] == [True, False]
    assert board["total"] == 2
    assert len(overdue["items"]) == 1
    assert overdue["items"][0]["incident_id"] == str(incident_id)


def test_a_summary_counts_a_range_of_days_and_as_of_a_time(api: Api):
    incident_id = api.report_in_log(category="theft")
    before_amendment = datetime.now(UTC)
    api.log.amend_incident(
        incident_id, actor="mediator", changes={"category": "threat"}, reason="x"
    )
    api.wait_for_read_models()

    now = api.get(f"/offices/{OFFICE}/summary", "officer").get_json()
    then = api.get(
        f"/offices/{OFFICE}/summary",
        "officer",
        query_string={"as_of": before_amendment.isoformat()},
    ).get_json()
    empty = api.get(
        f"/offices/{OFFICE}/summary?from=2020-01-01&to=2020-01-31", "officer"
    ).get_json()

    assert now["incidents"]["by_category"]["threat"] == 1
    assert then["incidents"]["by_category"]["theft"] == 1
    assert then["incidents"]["by_category"]["threat"] == 0
    assert empty["incidents"]["total"] == 0
    assert empty["from"] == "2020-01-01"
    assert empty["to"] == "2020-01-31"
    assert now["time_to_close_hours"] == {"median": None, "p90": None}


def test_an_incident_as_of_a_past_time_is_as_it_was_known_then(api: Api):
    incident = api.report()
    between = datetime.now(UTC)
    api.post(f"/incidents/{incident['id']}/severity", {"severity": 3, "reason": "x"})

    then = api.get(
        f"/incidents/{incident['id']}", query_string={"as_of": between.isoformat()}
    )

    assert then.status_code == 200
    assert then.get_json()["severity"] == 1
    assert then.get_json()["version"] == 1
    assert then.get_json()["position"] == incident["position"]
    assert then.headers["ETag"] == '"1"'


def test_showing_a_contact_is_recorded_and_auditors_list_it(api: Api):
    incident = api.report(contact={"name": "M. Durand", "phone": PHONE})

    seen = api.get(f"/incidents/{incident['id']}", "officer")
    not_seen = api.get(f"/incidents/{incident['id']}", "auditor")
    disclosures = api.get(
        "/audit/disclosures", "auditor", query_string={"incident": incident["id"]}
    )

    assert seen.get_json()["contact"]["name"] == "M. Durand"
    assert not_seen.get_json()["contact"] is None
    assert not_seen.get_json()["contact_recorded"] is True
    items = disclosures.get_json()["items"]
    assert [(item["viewer"], item["channel"]) for item in items] == [("officer", "api")]


def test_a_phone_or_email_in_free_text_gets_a_warning(api: Api):
    clean = api.post("/incidents", report_body())
    flagged = api.post(
        "/incidents",
        report_body(
            summary="Usager à rappeler au 06 12 34 56 78.",
            parties=[{"role": "visitor", "description": "écrit à a.b@example.fr"}],
        ),
    )
    note = api.post(
        f"/incidents/{clean.get_json()['id']}/notes", {"text": "Mail: x@y.fr"}
    )

    assert clean.get_json()["warnings"] == []
    assert [(w["field"], w["kinds"]) for w in flagged.get_json()["warnings"]] == [
        ("summary", ["phone"]),
        ("parties.0.description", ["email"]),
    ]
    assert "move it into the contact" in flagged.get_json()["warnings"][0]["message"]
    assert note.get_json()["warnings"][0]["field"] == "text"
