"""A write answers once committed; the next read waits for the read models.

ADR 0019: reads, not writes, wait for the projector. A client that got a 201
sees its write in its next read; a write never waits for the read models.
"""

from __future__ import annotations

import logging
import threading
import time

import pytest

import web.usecases.read_your_writes
from projections.projector import Projector
from tests.api.conftest import OFFICE, Api, report_body


@pytest.fixture
def stopped(any_store_api: Api, monkeypatch: pytest.MonkeyPatch) -> Projector:
    """Stop following the log, and let a read wait for it for 30 s."""
    monkeypatch.setattr(web.usecases.read_your_writes, "WAIT_SECONDS", 30.0)
    projector: Projector = any_store_api.app.extensions["read_models"].projector
    projector.stop()
    return projector


def test_a_write_answers_while_the_read_models_are_stopped(
    any_store_api: Api, stopped: Projector
) -> None:
    api, projector = any_store_api, stopped
    started = time.monotonic()
    written = api.post("/incidents", report_body())
    answered_in = time.monotonic() - started

    assert written.status_code == 201, written.get_json()
    # Far under the 30 s a write waiting for the read models would take.
    assert answered_in < 10
    assert projector.position() < written.get_json()["position"]


def test_the_next_read_waits_until_the_read_models_show_the_write(
    any_store_api: Api, stopped: Projector
) -> None:
    api, projector = any_store_api, stopped
    written = api.post("/incidents", report_body()).get_json()

    answers: list[dict] = []
    reader = threading.Thread(
        target=lambda: answers.append(api.get("/incidents").get_json())
    )
    reader.start()
    reader.join(0.5)
    assert reader.is_alive()  # waiting: the read models are behind the log
    projector.start()
    reader.join(20)

    assert not reader.is_alive()
    assert [item["id"] for item in answers[0]["items"]] == [written["id"]]
    timeline = api.get(f"/incidents/{written['id']}/timeline").get_json()
    assert timeline["items"][-1]["position"] == written["position"]


@pytest.mark.parametrize(
    "path",
    [
        "/incidents",
        f"/offices/{OFFICE}/summary",
        f"/offices/{OFFICE}/timeline",
        "/follow-ups",
    ],
)
def test_every_read_of_the_read_models_shows_a_write_just_answered(
    api: Api, path: str
) -> None:
    # The projector thread follows the log as in production: no test waits.
    before = api.get(path, "officer").get_json()
    incident = api.report()
    follow_up = {"kind": "complaint", "due_on": "2099-01-01", "assignee": "Équipe"}
    scheduled = api.post(f"/incidents/{incident['id']}/follow-ups", follow_up)
    assert scheduled.status_code == 200, scheduled.get_json()

    after = api.get(path, "officer").get_json()

    assert after != before
    if "items" in after:
        assert len(after["items"]) == len(before["items"]) + (
            # The office's timeline shows the report and the follow-up.
            2 if path.endswith("/timeline") else 1
        )


def test_read_models_still_behind_after_the_wait_are_answered_and_logged(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(web.usecases.read_your_writes, "WAIT_SECONDS", 0.1)
    api.app.extensions["read_models"].projector.stop()
    api.post("/incidents", report_body())

    with caplog.at_level(logging.WARNING, "web.usecases.read_your_writes"):
        listed = api.get("/incidents")

    assert listed.status_code == 200
    assert listed.get_json()["total"] == 0
    assert "did not reach the log's head" in caplog.text


def counted_waits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the waits for the log's head, each still made."""
    waits: list[int] = []
    wait = web.usecases.read_your_writes.wait_for_read_models

    def counted(position: int) -> bool:
        waits.append(position)
        return wait(position)

    monkeypatch.setattr(web.usecases.read_your_writes, "wait_for_read_models", counted)
    return waits


def test_reads_do_not_wait_again_while_the_read_models_stay_stuck(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web.usecases.read_your_writes, "WAIT_SECONDS", 0.1)
    waits = counted_waits(monkeypatch)
    projector = api.app.extensions["read_models"].projector
    projector.stop()
    api.post("/incidents", report_body())

    for _ in range(3):
        assert api.get("/incidents").status_code == 200
    assert len(waits) == 1  # the first read waited and gave up; not the others

    projector.catch_up()  # they move: reads wait for the head again
    assert api.get("/incidents").get_json()["total"] == 1
    assert len(waits) == 2


def test_a_store_opened_to_read_only_makes_no_read_wait(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits = counted_waits(monkeypatch)
    api.log.read_only("the disk is full")

    assert api.get("/incidents").status_code == 200
    assert waits == []


def test_a_read_after_a_write_in_the_same_request_waits_for_it(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits = counted_waits(monkeypatch)
    with api.app.test_request_context("/"):
        web.usecases.read_your_writes.fresh_read_models()
        web.usecases.read_your_writes.fresh_read_models()
        assert len(waits) == 1  # once a request
        written = api.log.report_incident(actor="mediator", **report_body())
        read_models = web.usecases.read_your_writes.fresh_read_models()

        assert len(waits) == 2
        assert waits[-1] >= written.position
        assert read_models.get_incident_summary(written.incident["id"]) is not None
