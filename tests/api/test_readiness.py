"""/readyz says whether the database answers and the read models keep up."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api, report_body


def test_ready_when_the_read_models_have_caught_up(any_store_api: Api):
    any_store_api.report()
    any_store_api.wait_for_read_models()  # A write no longer waits for them.

    response = any_store_api.client.get("/readyz")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["read_models"]["lag"] == 0
    assert body["read_models"]["head"] == any_store_api.head()


def test_not_ready_when_the_read_models_lag_too_far(api: Api):
    projector = api.app.extensions["read_models"].projector
    projector.stop()
    projector.catch_up()  # whatever the thread had not applied yet
    api.app.config["READY_MAX_LAG"] = 2
    for _ in range(3):
        api.log.report_incident(actor="mediator", **report_body())

    response = api.client.get("/readyz")

    assert response.status_code == 503
    assert response.mimetype == "application/json"
    assert response.get_json()["status"] == "lagging"
    assert response.get_json()["read_models"]["lag"] == 3


def test_not_ready_when_the_database_does_not_answer(
    api: Api, monkeypatch: pytest.MonkeyPatch
):
    def fail() -> int:
        raise OSError("connection refused")

    monkeypatch.setattr(api.log.recorder, "max_notification_id", fail)

    response = api.client.get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
