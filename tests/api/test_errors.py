"""Every error is JSON {code, status, message, errors}, with the right status."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import NAMESPACE_URL, uuid4, uuid5

import pytest
from eventsourcing.application import EventSourcedLog

from incidents.access import user_id
from incidents.catalogue import OFFICE_CATALOGUE_ID
from incidents.errors import ConcurrentWriteError
from incidents.logs import USER_LOG_ID
from tests.api.conftest import (
    OFFICE,
    OTHER_OFFICE,
    PREFIX,
    Api,
    assert_error,
    report_body,
)

# 401


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Bearer nope", "Basic dXNlcjpwYXNz", "x" * 300],
)
def test_a_request_without_a_valid_token_is_401_with_a_bearer_challenge(
    api: Api, authorization
):
    headers = {} if authorization is None else {"Authorization": authorization}

    response = api.get("/incidents", None, headers=headers)

    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_anonymous_write_is_401_before_its_body_is_read(api: Api):
    response = api.post("/incidents", {"nonsense": True}, None)

    assert_error(response, 401)


def test_a_revoked_token_opens_nothing(api: Api):
    issued = api.log.issue_token("officer", actor="test")
    headers = {"Authorization": f"Bearer {issued.token}"}
    assert api.get("/offices", None, headers=headers).status_code == 200

    revoked = api.post(
        f"/admin/users/officer/tokens/{issued.token_id}/revocation",
        {"reason": "Téléphone perdu."},
        "admin",
    )

    assert revoked.status_code == 200, revoked.get_json()
    assert issued.token_id not in {t["id"] for t in revoked.get_json()["tokens"]}
    assert_error(api.get("/offices", None, headers=headers), 401)


def test_a_deactivated_person_is_refused(api: Api):
    response = api.post(
        "/admin/users/mediator-2/deactivation", {"reason": "Départ."}, "admin"
    )

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["is_active"] is False
    assert_error(api.get("/offices", "mediator-2"), 401)


# 403, 404


def test_a_role_that_may_never_do_it_is_403(api: Api):
    incident_id = api.report_in_log()

    body = assert_error(
        api.post(f"/incidents/{incident_id}/notes", {"text": "x"}, "auditor"), 403
    )

    assert "auditor" in body["message"]


def test_a_forbidden_role_is_403_even_with_an_invalid_body(api: Api):
    assert_error(api.post("/incidents", {"unknown": 1}, "auditor"), 403)


def test_an_unknown_id_is_404(api: Api):
    assert_error(api.get(f"/incidents/{uuid4()}"), 404)
    assert_error(api.post(f"/incidents/{uuid4()}/notes", {"text": "x"}), 404)
    assert_error(api.get("/incidents/not-a-uuid"), 404)
    assert_error(api.get("/offices/nowhere/summary"), 404)
    assert_error(api.get("/no-such-resource"), 404)


def test_an_incident_outside_the_callers_offices_looks_unknown(api: Api):
    outside = api.report_in_log(OTHER_OFFICE)
    unknown = uuid4()

    for method, suffix, body in [
        ("get", "", None),
        ("get", "/timeline", None),
        ("post", "/notes", {"text": "x"}),
        ("post", "/closure", {"resolution": "need_met"}),
    ]:
        answers = []
        for incident_id in (outside, unknown):
            path = f"/incidents/{incident_id}{suffix}"
            response = (
                api.get(path, "officer")
                if method == "get"
                else api.post(path, body, "officer")
            )
            answer = assert_error(response, 404)
            answers.append(json.dumps(answer).replace(str(incident_id), "ID"))
        assert answers[0] == answers[1], suffix


def test_an_office_outside_the_callers_scope_looks_unknown(api: Api):
    outside = assert_error(api.get(f"/offices/{OTHER_OFFICE}/summary"), 404)
    unknown = assert_error(api.get("/offices/nowhere/summary"), 404)

    assert outside["message"].replace(OTHER_OFFICE, "X") == unknown["message"].replace(
        "nowhere", "X"
    )
    listed = assert_error(api.get(f"/incidents?office={OTHER_OFFICE}"), 422)
    assert listed["errors"]["office"] == [f"'{OTHER_OFFICE}' is not one of: {OFFICE}."]
    reported = assert_error(api.post("/incidents", report_body(office="nowhere")), 422)
    assert reported["errors"]["office"] == [f"'nowhere' is not one of: {OFFICE}."]


# 405


def test_a_wrong_method_is_405_with_allow(api: Api):
    response = api.client.delete(f"{PREFIX}/offices")

    assert_error(response, 405)
    assert "GET" in response.headers["Allow"]


# 409


def test_closing_with_a_scheduled_follow_up_is_409(api: Api):
    incident_id = api.report_in_log()
    api.log.schedule_follow_up(
        incident_id, actor="mediator", kind="complaint", due_on="2030-01-01"
    )

    body = assert_error(
        api.post(
            f"/incidents/{incident_id}/closure", {"resolution": "need_met"}, "officer"
        ),
        409,
    )

    assert "follow-up" in body["message"]


def test_a_closed_incident_refuses_a_de_escalation_with_409(api: Api):
    incident_id = api.report_in_log()
    api.log.close_incident(incident_id, actor="officer", resolution="need_met")

    assert_error(
        api.post(
            f"/incidents/{incident_id}/de-escalations",
            {"techniques": ["explanation"], "outcome": "calmed"},
        ),
        409,
    )


# 412


def test_a_write_against_an_older_version_is_412(api: Api):
    incident = api.report()
    path = f"/incidents/{incident['id']}/notes"
    etag = api.get(f"/incidents/{incident['id']}").headers["ETag"]
    assert etag == '"1"'

    first = api.post(path, {"text": "un"}, headers={"If-Match": etag})
    second = api.post(path, {"text": "deux"}, headers={"If-Match": etag})

    assert first.status_code == 200
    assert first.headers["ETag"] == '"2"'
    body = assert_error(second, 412)
    assert "version 2" in body["message"]
    assert (
        api.post(path, {"text": "trois"}, headers={"If-Match": "2"}).status_code == 200
    )
    assert (
        api.post(path, {"text": "quatre"}, headers={"If-Match": "*"}).status_code == 200
    )


def test_a_malformed_if_match_is_422(api: Api):
    incident = api.report()

    body = assert_error(
        api.post(
            f"/incidents/{incident['id']}/notes",
            {"text": "x"},
            headers={"If-Match": "yesterday"},
        ),
        422,
    )

    assert list(body["errors"]) == ["If-Match"]


# 413, 415, 400


def test_a_body_over_64_kib_is_413(api: Api):
    response = api.post("/incidents", report_body(summary="x" * (64 * 1024)))

    assert_error(response, 413)


def test_a_body_that_is_not_json_is_415(api: Api):
    form = api.post("/incidents", data={"summary": "x"})
    text = api.post("/incidents", data="{}", headers={"Content-Type": "text/plain"})
    untyped = api.client.post(
        f"{PREFIX}/incidents",
        data=b"{}",
        headers={"Authorization": f"Bearer {api.tokens['mediator']}"},
    )

    for response in (form, text, untyped):
        body = assert_error(response, 415)
        assert "application/json" in body["message"]


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"\xff\xfe",
        b"[" * 100_00 + b"]" * 100_00,
        b'{"severity": 1' + b"0" * 5000 + b"}",
    ],
)
def test_a_body_that_is_not_valid_json_is_400_never_500(api: Api, raw):
    response = api.post(
        "/incidents", data=raw, headers={"Content-Type": "application/json"}
    )

    assert_error(response, 400)


# 422


def test_every_invalid_field_is_named_with_its_message(api: Api):
    body = report_body(
        category="fight",
        severity=True,
        summary="  ",
        occurred_at="2026-03-02T09:00:00",
        colour="red",
        parties=[{"role": "visitor", "count": 0}],
    )

    answer = assert_error(api.post("/incidents", body), 422)

    errors = answer["errors"]
    assert set(errors) == {"severity", "occurred_at", "colour", "parties.0.count"}
    assert errors["colour"] == ["Unknown field."]
    assert "time zone" in errors["occurred_at"][0]


def test_the_domain_names_the_fields_it_refuses_too(api: Api):
    answer = assert_error(
        api.post(
            "/incidents",
            report_body(category="fight", summary="   ", parties=[{"role": "king"}]),
        ),
        422,
    )

    assert set(answer["errors"]) == {"category", "summary", "parties.0.role"}
    assert "waiting_time" in answer["errors"]["category"][0]
    assert answer["errors"]["summary"] == ["This text is required."]


def test_text_is_trimmed_bounded_and_free_of_control_characters(api: Api):
    trimmed = api.report(summary="  Tension au guichet.  ")
    too_long = api.post("/incidents", report_body(summary="x" * 4001))
    control = api.post("/incidents", report_body(summary="bip\x07"))

    assert trimmed["summary"] == "Tension au guichet."
    assert "summary" in assert_error(too_long, 422)["errors"]
    assert assert_error(control, 422)["errors"]["summary"] == [
        "Control characters are not allowed."
    ]


def test_missing_required_fields_are_each_named(api: Api):
    answer = assert_error(api.post("/incidents", {}), 422)

    assert set(answer["errors"]) == {
        "office",
        "occurred_at",
        "category",
        "severity",
        "target",
        "summary",
    }


def test_an_empty_json_content_type_without_a_body_is_422(api: Api):
    incident = api.report()

    response = api.post(
        f"/incidents/{incident['id']}/notes",
        data=b"",
        headers={"Content-Type": "application/json"},
    )

    assert assert_error(response, 422)["errors"] == {
        "text": ["Missing data for required field."]
    }


def test_a_body_that_is_not_an_object_is_422(api: Api):
    answer = assert_error(api.post("/incidents", ["not", "an", "object"]), 422)

    assert answer["errors"] == {"_schema": ["Invalid input type."]}


def test_an_amendment_names_the_nested_field(api: Api):
    incident = api.report()
    path = f"/incidents/{incident['id']}/amendments"

    schema = assert_error(
        api.post(path, {"changes": {"office": OTHER_OFFICE}, "reason": "x"}), 422
    )
    domain = assert_error(
        api.post(path, {"changes": {"category": "fight"}, "reason": "x"}), 422
    )
    nothing = assert_error(api.post(path, {"changes": {}, "reason": "x"}), 422)

    assert schema["errors"] == {"changes.office": ["Unknown field."]}
    assert list(domain["errors"]) == ["changes.category"]
    assert list(nothing["errors"]) == ["changes"]


def test_occurred_at_in_the_future_is_422(api: Api):
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()

    answer = assert_error(api.post("/incidents", report_body(occurred_at=future)), 422)

    assert "future" in answer["errors"]["occurred_at"][0]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page_size=201", "page_size"),
        ("page=x", "page"),
        ("severity=9", "severity"),
        ("status=lost", "status"),
        ("category=fight", "category"),
        ("from=2026-13-01", "from"),
        ("from=2026-03-02&to=2026-03-01", "to"),
        ("from=0001-01-01", "from"),
        ("colour=red", "colour"),
        (f"page={'9' * 5000}", "page"),
    ],
)
def test_invalid_list_parameters_are_422_by_name(api: Api, query, field):
    answer = assert_error(api.get(f"/incidents?{query}", "officer"), 422)

    assert list(answer["errors"]) == [field]


@pytest.mark.parametrize(
    "as_of", ["2026-03-02T09:00:00", "yesterday", "0001-01-01T00:00:00+05:00"]
)
def test_an_invalid_as_of_is_422(api: Api, as_of):
    incident = api.report()

    answer = assert_error(
        api.get(f"/incidents/{incident['id']}", query_string={"as_of": as_of}), 422
    )

    assert list(answer["errors"]) == ["as_of"]


def test_a_report_cannot_take_the_id_of_a_person(api: Api):
    person_id = uuid5(NAMESPACE_URL, "/users/somebody")

    answer = assert_error(api.post("/incidents", report_body(id=str(person_id))), 422)

    assert answer["errors"] == {"id": ["Give a random (version 4) UUID."]}


def test_pages_outside_the_api_keep_html_errors(api: Api):
    response = api.client.get("/nowhere")

    assert response.status_code == 404
    assert response.mimetype == "text/html"


# 409 after losing races, and never a 500 page


def test_a_write_that_keeps_losing_races_is_409(api: Api, monkeypatch):
    incident = api.report()

    def always_lose(*args, **kwargs):
        raise ConcurrentWriteError(incident_id, 10)

    incident_id = incident["id"]
    monkeypatch.setattr(api.log, "add_note", always_lose)

    body = assert_error(api.post(f"/incidents/{incident_id}/notes", {"text": "x"}), 409)

    assert "try again" in body["message"]


def test_an_unexpected_failure_is_a_json_500_under_the_api(api: Api, monkeypatch):
    api.app.testing = False
    api.app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(api.app.extensions["read_models"], "list_incidents", broken)

    body = assert_error(api.get("/incidents"), 500)

    assert "disk on fire" not in body["message"]


def test_ids_of_other_streams_are_unknown_incidents(api: Api):
    plain_logs = [
        log.originator_id
        for log in vars(api.log).values()
        if isinstance(log, EventSourcedLog)
    ]
    assert USER_LOG_ID in plain_logs
    for stream in (*plain_logs, OFFICE_CATALOGUE_ID, user_id("mediator")):
        assert_error(api.get(f"/incidents/{stream}", "auditor"), 404)
        assert_error(api.get(f"/incidents/{stream}/timeline", "auditor"), 404)
        assert_error(api.post(f"/incidents/{stream}/notes", {"text": "x"}), 404)
