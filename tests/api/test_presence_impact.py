"""GET /offices/{code}/presence-impact: incidents per open hour, with and without."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.api.conftest import OFFICE, Api, assert_error

# Monday 2026-11-30 and Tuesday 2026-12-01, in Paris.
MONDAY, TUESDAY = "2026-11-30", "2026-12-01"


def plan(api: Api, day: str, start: str, end: str, mediator: str = "mediator"):
    response = api.post(
        "/shifts",
        {
            "mediator": mediator,
            "office": OFFICE,
            "day": day,
            "start": start,
            "end": end,
        },
        "admin",
    )
    assert response.status_code == 201, response.get_json()


def impact(api: Api, who: str = "officer", **query):
    query = {"from": MONDAY, "to": TUESDAY, **query}
    response = api.get(f"/offices/{OFFICE}/presence-impact", who, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_incidents_and_hours_split_by_presence(api: Api):
    plan(api, MONDAY, "09:00", "12:30")
    plan(api, MONDAY, "12:00", "14:00", mediator="mediator-2")  # overlaps: once
    plan(api, TUESDAY, "08:00", "10:00")  # an hour before opening
    api.report(occurred_at=f"{MONDAY}T10:00:00+01:00", severity=2)
    api.report(occurred_at=f"{MONDAY}T13:59:00+01:00", category="threat")
    api.report(occurred_at=f"{MONDAY}T14:00:00+01:00")
    api.report(occurred_at=f"{TUESDAY}T19:30:00+01:00")  # closed by then

    body = impact(api)

    # Monday 9-14 covered (5 h) and Tuesday 9-10 (1 h); 18 h open in all.
    assert body["with_mediator"]["hours"] == 6
    assert body["without_mediator"]["hours"] == 12
    assert body["with_mediator"]["incidents"] == 2
    assert body["without_mediator"]["incidents"] == 1
    assert body["outside_opening_hours"] == {"incidents": 1}
    assert body["with_mediator"]["by_severity"]["2"] == 1
    assert body["with_mediator"]["by_category"]["threat"] == 1
    # Under min_hours (20): counts, never a rate.
    assert body["min_hours"] == 20
    assert body["with_mediator"]["per_hour"] is None
    assert body["without_mediator"]["per_hour"] is None


def test_a_rate_is_given_over_enough_hours_and_as_of_reads_the_past(api: Api):
    for day in ("2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26"):
        plan(api, day, "09:00", "18:00")
    api.report(occurred_at="2026-11-24T11:00:00+01:00")
    before = datetime.now(UTC).isoformat()
    api.report(occurred_at="2026-11-25T11:00:00+01:00")

    now = impact(api, **{"from": "2026-11-23", "to": "2026-11-28"})
    then = impact(api, **{"from": "2026-11-23", "to": "2026-11-28", "as_of": before})

    assert now["with_mediator"]["hours"] == 36
    assert now["with_mediator"]["per_hour"] == round(2 / 36, 4)
    assert then["with_mediator"]["incidents"] == 1
    assert then["as_of"] is not None


def test_a_bad_range_is_422_and_another_office_404(api: Api):
    backwards = api.get(
        f"/offices/{OFFICE}/presence-impact",
        "officer",
        query_string={"from": TUESDAY, "to": MONDAY},
    )
    elsewhere = api.get("/offices/nanterre-centre/presence-impact", "officer")

    assert "to" in assert_error(backwards, 422)["errors"]
    assert_error(elsewhere, 404)
