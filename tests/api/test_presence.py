"""Every incident says which mediator was on shift where and when it occurred."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.api.conftest import OFFICE, Api

# A Tuesday, 10:15 in Paris.
OCCURRED = "2026-12-01T10:15:00+01:00"
DAY = "2026-12-01"


def plan(api: Api, **overrides):
    body = {
        "mediator": "mediator",
        "office": OFFICE,
        "day": DAY,
        "start": "09:00",
        "end": "12:30",
        **overrides,
    }
    response = api.post("/shifts", body, "admin")
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_an_incident_names_the_mediator_on_shift_and_follows_later_changes(
    api: Api,
):
    alone = api.report(occurred_at=OCCURRED)
    assert alone["mediator_on_shift"] is None
    shift = plan(api)
    plan(api, mediator="mediator-2", start="10:00", end="11:00")
    before_change = datetime.now(UTC).isoformat()

    incident = api.get(f"/incidents/{alone['id']}", "officer").get_json()
    assert incident["mediator_on_shift"] == "mediator"  # the earliest start

    moved = api.post(
        f"/shifts/{shift['id']}/change",
        {"start": "10:30", "reason": "Arrivée tardive."},
        "admin",
    )
    assert moved.status_code == 200
    now = api.get(f"/incidents/{alone['id']}", "officer").get_json()
    then = api.get(
        f"/incidents/{alone['id']}",
        "officer",
        query_string={"as_of": before_change},
    ).get_json()
    assert now["mediator_on_shift"] == "mediator-2"
    assert then["mediator_on_shift"] == "mediator"


def test_an_amendment_of_time_moves_the_answer(api: Api):
    plan(api)
    incident = api.report(occurred_at=OCCURRED)
    assert incident["mediator_on_shift"] == "mediator"

    later = api.post(
        f"/incidents/{incident['id']}/amendments",
        {"changes": {"occurred_at": "2026-12-01T12:30:00+01:00"}, "reason": "Heure."},
        "officer",
    )
    assert later.status_code == 200, later.get_json()
    assert later.get_json()["mediator_on_shift"] is None  # the shift ended at 12:30
