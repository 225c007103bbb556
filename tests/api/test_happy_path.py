"""One incident's whole life through HTTP, on every store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.api.conftest import OFFICE, PHONE, Api, report_body


def test_an_incident_is_reported_handled_closed_and_read_back(any_store_api: Api):
    api = any_store_api
    started = datetime.now(UTC)

    reported = api.report()
    incident_id = reported["id"]
    path = f"/incidents/{incident_id}"
    assert reported["version"] == 1
    assert reported["status"] == "open"
    assert reported["contact"] == {"name": None, "phone": PHONE, "email": None}
    assert reported["contact_recorded"] is True
    assert reported["contact_erased"] is False

    steps = [
        ("de-escalations", {"techniques": ["active_listening"], "outcome": "calmed"}),
        ("escalations", {"to": "office_manager", "note": "Responsable prévenu."}),
        ("notes", {"text": "L'usager est revenu s'excuser."}),
    ]
    for step, body in steps:
        response = api.post(f"{path}/{step}", body)
        assert response.status_code == 200, response.get_json()
    amended = api.post(
        f"{path}/amendments",
        {"changes": {"category": "threat"}, "reason": "Menace entendue."},
    ).get_json()
    assert amended["category"] == "threat"
    assert amended["version"] == 5
    assert [d["outcome"] for d in amended["de_escalations"]] == ["calmed"]
    assert [e["to"] for e in amended["escalations"]] == ["office_manager"]

    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    with_follow_ups = {}
    for kind in ("manager_report", "association_debrief"):
        response = api.post(f"{path}/follow-ups", {"kind": kind, "due_on": tomorrow})
        assert response.status_code == 200, response.get_json()
        with_follow_ups = response.get_json()
    first, second = (f["id"] for f in with_follow_ups["follow_ups"])
    assert [f["status"] for f in with_follow_ups["follow_ups"]] == ["scheduled"] * 2

    board = api.get("/follow-ups", "officer").get_json()
    assert {item["id"] for item in board["items"]} == {first, second}

    done = api.post(f"{path}/follow-ups/{first}/completion", {"note": "Fait."})
    assert done.status_code == 200
    cancelled = api.post(
        f"{path}/follow-ups/{second}/cancellation", {"reason": "Plus utile."}
    )
    assert [f["status"] for f in cancelled.get_json()["follow_ups"]] == [
        "completed",
        "cancelled",
    ]
    severity = api.post(f"{path}/severity", {"severity": 2, "reason": "Menace."})
    assert severity.get_json()["severity"] == 2

    closed = api.post(f"{path}/closure", {"resolution": "resolved_on_site"}, "officer")
    assert closed.status_code == 200, closed.get_json()
    assert closed.get_json()["status"] == "closed"
    assert closed.get_json()["resolution"] == "resolved_on_site"
    reopened = api.post(f"{path}/reopening", {"reason": "Plainte reçue."}, "officer")
    assert reopened.get_json()["status"] == "open"
    erased = api.post(f"{path}/erasure", {"reason": "Demande RGPD."}, "admin")
    assert erased.status_code == 200, erased.get_json()

    current = api.get(path, "officer")
    assert current.status_code == 200
    incident = current.get_json()
    assert incident["version"] == 13
    assert current.headers["ETag"] == '"13"'
    assert incident["contact"] is None
    assert incident["contact_recorded"] is True
    assert incident["contact_erased"] is True
    assert incident["position"] == erased.get_json()["position"]

    timeline = api.get(f"{path}/timeline", "auditor").get_json()
    assert [item["type"] for item in timeline["items"]] == [
        "Reported",
        "DeEscalationRecorded",
        "Escalated",
        "NoteAdded",
        "Amended",
        "FollowUpScheduled",
        "FollowUpScheduled",
        "FollowUpCompleted",
        "FollowUpCancelled",
        "SeverityReassessed",
        "Closed",
        "Reopened",
        "PersonalDataErased",
    ]
    assert [item["version"] for item in timeline["items"]] == list(range(1, 14))
    first_item = timeline["items"][0]
    assert set(first_item) >= {
        "position",
        "version",
        "type",
        "recorded_at",
        "occurred_at",
        "actor",
        "data",
    }
    assert first_item["actor"] == "mediator"
    assert PHONE not in str(timeline)

    listed = api.get(f"/incidents?office={OFFICE}", "officer").get_json()
    assert [item["id"] for item in listed["items"]] == [incident_id]
    assert listed["items"][0]["version"] == 13

    summary = api.get(f"/offices/{OFFICE}/summary", "officer").get_json()
    assert summary["office"] == OFFICE
    assert summary["incidents"]["total"] == 1
    assert summary["incidents"]["open"] == 1
    assert summary["incidents"]["by_category"]["threat"] == 1
    assert summary["de_escalations"] == {
        "total": 1,
        "by_outcome": {"calmed": 1, "partially_calmed": 0, "not_calmed": 0, "left": 0},
        "calmed_rate": 1.0,
    }
    assert summary["escalations"]["by_target"]["office_manager"] == 1
    assert summary["follow_ups"] == {
        "scheduled": 2,
        "completed": 1,
        "cancelled": 1,
        "open": 0,
        "overdue": 0,
    }

    office_timeline = api.get(f"/offices/{OFFICE}/timeline", "officer").get_json()
    assert office_timeline["total"] == 13

    audit = api.get("/audit/events?limit=1000", "auditor").get_json()
    assert [e["position"] for e in audit["items"]][-1] == incident["position"]

    before = api.get(path, "officer", query_string={"as_of": started.isoformat()})
    assert before.status_code == 404  # Not known yet at that time.
    first_version_time = timeline["items"][0]["recorded_at"]
    at_first = api.get(
        path, "officer", query_string={"as_of": first_version_time}
    ).get_json()
    assert at_first["version"] == 1
    assert at_first["category"] == "verbal_incivility"
    assert at_first["position"] == timeline["items"][0]["position"]


def test_a_report_can_carry_no_optional_field(any_store_api: Api):
    body = report_body()
    for optional in ("trigger", "parties", "contact"):
        del body[optional]

    response = any_store_api.post("/incidents", body)

    assert response.status_code == 201, response.get_json()
    incident = response.get_json()
    assert incident["trigger"] is None
    assert incident["parties"] == []
    assert incident["contact"] is None
    assert incident["contact_recorded"] is False
    assert incident["contact_erased"] is False
