"""Plan the rota over HTTP: shifts, their rules' errors, CSV in and out, hours."""

from __future__ import annotations

from uuid import uuid4

from tests.api.conftest import OFFICE, OTHER_OFFICE, Api, assert_error

MONDAY = "2026-12-07"
SUNDAY = "2026-12-13"


def shift_body(**overrides):
    body = {
        "mediator": "mediator",
        "office": OFFICE,
        "day": MONDAY,
        "start": "09:00",
        "end": "12:30",
    }
    body.update(overrides)
    return body


def plan(api: Api, who: str = "officer", **overrides):
    response = api.post("/shifts", shift_body(**overrides), who)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def post_csv(api: Api, text: str | bytes, who: str = "officer", **kwargs):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return api.post(
        "/shifts/import",
        None,
        who,
        data=data,
        headers={"Content-Type": "text/csv"},
        **kwargs,
    )


def test_an_officer_plans_a_shift_and_the_same_one_again_is_stored_once(api: Api):
    shift_id = str(uuid4())

    first = api.post("/shifts", shift_body(id=shift_id, note="Matin"), "officer")
    again = api.post("/shifts", shift_body(id=shift_id, note="Matin"), "officer")
    other = api.post("/shifts", shift_body(id=shift_id, end="13:00"), "officer")

    assert first.status_code == 201
    assert again.status_code == 200
    assert first.headers["ETag"] == '"1"'
    shift = first.get_json()
    assert shift == {
        "id": shift_id,
        "version": 1,
        "mediator": "mediator",
        "office": OFFICE,
        "day": MONDAY,
        "start": "09:00",
        "end": "12:30",
        "status": "planned",
        "note": "Matin",
    }
    assert again.get_json() == shift
    assert_error(other, 409)
    listed = api.get("/shifts", "officer").get_json()
    assert (listed["total"], listed["items"]) == (1, [shift])


def test_an_overlap_is_409_naming_the_clashing_shift(api: Api):
    first = plan(api)
    head = api.head()

    response = api.post("/shifts", shift_body(start="12:00", end="14:00"), "officer")

    body = assert_error(response, 409)
    assert list(body["errors"]) == ["shift_overlap"]
    assert first["id"] in body["errors"]["shift_overlap"][0]
    assert api.head() == head
    assert plan(api, start="12:30", end="14:00")["start"] == "12:30"


def test_sunday_needs_allow_sunday_and_bad_times_are_422(api: Api):
    sunday = api.post("/shifts", shift_body(day=SUNDAY), "officer")
    backwards = api.post("/shifts", shift_body(start="14:00", end="09:00"), "officer")
    not_a_time = api.post("/shifts", shift_body(start="9h"), "officer")
    not_a_mediator = api.post("/shifts", shift_body(mediator="officer"), "officer")

    assert "Sunday" in assert_error(sunday, 422)["errors"]["day"][0]
    assert "end" in assert_error(backwards, 422)["errors"]
    assert "start" in assert_error(not_a_time, 422)["errors"]
    assert "mediator" in assert_error(not_a_mediator, 422)["errors"]
    assert plan(api, day=SUNDAY, allow_sunday=True)["day"] == SUNDAY


def test_a_mediator_reads_their_own_shifts_only(api: Api):
    mine = plan(api)
    plan(api, mediator="mediator-2")

    own = api.get("/shifts", "mediator").get_json()
    refused = api.get("/shifts", "mediator", query_string={"mediator": "mediator-2"})
    csv = api.get("/shifts.csv", "mediator").get_data(as_text=True)

    assert [shift["id"] for shift in own["items"]] == [mine["id"]]
    assert_error(refused, 403)
    assert "mediator-2" not in csv
    assert api.get("/shifts", "auditor").get_json()["total"] == 2


def test_shifts_are_filtered_by_office_mediator_and_days(api: Api):
    plan(api)
    plan(api, day="2026-12-08")
    plan(api, mediator="mediator-2", day="2026-12-09")

    def total(**query):
        return api.get("/shifts", "admin", query_string=query).get_json()["total"]

    assert total() == 3
    assert total(**{"from": "2026-12-08"}) == 2
    assert total(to="2026-12-07") == 1
    assert total(mediator="mediator-2") == 1
    assert total(office=OTHER_OFFICE) == 0
    assert_error(
        api.get("/shifts", "admin", query_string={"from": "2026-12-09", "to": MONDAY}),
        422,
    )


def test_a_change_and_a_cancellation_honour_if_match(api: Api):
    shift = plan(api)

    stale = api.post(
        f"/shifts/{shift['id']}/change",
        {"end": "12:00", "reason": "Plus tôt."},
        "officer",
        headers={"If-Match": '"2"'},
    )
    changed = api.post(
        f"/shifts/{shift['id']}/change",
        {"day": "2026-12-08", "end": "12:00", "reason": "Plus tôt."},
        "officer",
        headers={"If-Match": '"1"'},
    )
    cancelled = api.post(
        f"/shifts/{shift['id']}/cancellation", {"reason": "Malade."}, "officer"
    )
    again = api.post(
        f"/shifts/{shift['id']}/change", {"end": "11:00", "reason": "Non."}, "officer"
    )

    assert_error(stale, 412)
    assert changed.status_code == 200
    assert (changed.get_json()["day"], changed.get_json()["end"]) == (
        "2026-12-08",
        "12:00",
    )
    assert changed.headers["ETag"] == '"2"'
    assert cancelled.get_json()["status"] == "cancelled"
    assert_error(again, 409)
    assert_error(
        api.post(f"/shifts/{uuid4()}/cancellation", {"reason": "?"}, "officer"), 404
    )


def test_an_import_with_a_bad_line_writes_nothing_and_names_the_line(api: Api):
    head = api.head()
    text = (
        "mediator;office;day;start;end\n"
        f"mediator;{OFFICE};2026-12-07;09:00;12:30\n"
        f"mediator;{OFFICE};2026-12-07;11:00;13:00\n"
        f"mediator-2;{OFFICE};2026-12-07;09:00\n"
        f"mediator-2;{OFFICE};2026-12-08;09:00;12:30\n"
    )

    refused = post_csv(api, text)

    body = assert_error(refused, 422)
    assert list(body["errors"]) == ["line 4"]
    assert "5 fields" in body["errors"]["line 4"][0]
    fixed = text.replace("2026-12-07;09:00\n", "2026-12-07;09:00;12:00\n")
    refused_again = post_csv(api, fixed)
    errors = assert_error(refused_again, 422)["errors"]
    assert list(errors) == ["line 3"]
    assert "already has shift" in errors["line 3"][0]
    assert api.head() == head
    assert api.get("/shifts", "admin").get_json()["total"] == 0

    good = fixed.replace("11:00;13:00", "12:30;13:00")
    created = post_csv(api, good)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["created"] == 4


def test_an_import_reads_a_bom_and_commas_and_exports_its_own_format(api: Api):
    text = (
        "\ufeffmediator,office,day,start,end\r\n"
        f"mediator,{OFFICE},2026-12-07,09:00,12:30\r\n"
        "\r\n"
        f"mediator-2,{OFFICE},2026-12-08,13:30,18:00\r\n"
    )

    created = post_csv(api, text)
    exported = api.get("/shifts.csv", "officer", query_string={"office": OFFICE})

    assert created.status_code == 201, created.get_json()
    assert exported.mimetype == "text/csv"
    assert exported.get_data(as_text=True) == (
        "mediator;office;day;start;end\n"
        f"mediator;{OFFICE};2026-12-07;09:00;12:30\n"
        f"mediator-2;{OFFICE};2026-12-08;13:30;18:00\n"
    )


def test_an_import_refuses_other_bodies_headers_and_offices(api: Api):
    head = api.head()
    as_json = api.post("/shifts/import", {"rows": []}, "officer")
    bad_header = post_csv(api, "who;where;when\n")
    latin1 = post_csv(api, "mediator;office;day;start;end\né".encode("latin-1"))
    elsewhere = post_csv(
        api,
        f"mediator;office;day;start;end\nmediator;{OTHER_OFFICE};{MONDAY};09:00;10:00\n",
    )
    sunday = post_csv(
        api, f"mediator;office;day;start;end\nmediator;{OFFICE};{SUNDAY};09:00;10:00\n"
    )

    assert_error(as_json, 415)
    assert "line 1" in assert_error(bad_header, 422)["errors"]
    assert "file" in assert_error(latin1, 422)["errors"]
    assert "office" in assert_error(elsewhere, 422)["errors"]["line 2"][0]
    assert "Sunday" in assert_error(sunday, 422)["errors"]["line 2"][0]
    assert api.head() == head
    allowed = post_csv(
        api,
        f"mediator;office;day;start;end\nmediator;{OFFICE};{SUNDAY};09:00;10:00\n",
        query_string={"allow_sunday": "true"},
    )
    assert allowed.status_code == 201


def test_opening_hours_default_and_change_from_a_day(api: Api):
    path = f"/offices/{OFFICE}/opening-hours"
    week = api.get(path, "mediator").get_json()
    assert week["monday"] == [["09:00", "18:00"]]
    assert week["saturday"] == [["09:00", "12:30"]]
    assert week["sunday"] == []

    changed = api.client.put(
        "/api/v1" + path,
        json={**week, "saturday": [], "effective_from": "2027-01-04"},
        headers=api.headers("admin", None),
    )
    refused = api.client.put(
        "/api/v1" + path,
        json={**week, "monday": [["18:00", "09:00"]]},
        headers=api.headers("admin", None),
    )

    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["saturday"] == []
    assert "monday" in assert_error(refused, 422)["errors"]
    before = api.get(path, "officer", query_string={"on": "2027-01-02"}).get_json()
    after = api.get(path, "officer", query_string={"on": "2027-01-09"}).get_json()
    assert before["saturday"] == [["09:00", "12:30"]]
    assert after["saturday"] == []
