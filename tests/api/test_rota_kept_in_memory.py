"""A write's answer names the mediator on shift from the rota kept in memory.

The rota is kept in memory once read; the answer to a write uses the position
that write reached instead of asking where the log's head is. A change of the
rota made through another process before the write still shows in its answer.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import pytest
from flask import Flask

from incidents.application import IncidentLog
from incidents.application.rota import PlannedShift
from tests.api.conftest import OFFICE, PREFIX, report_body

# A Tuesday, 10:15 in Paris, within the shift planned below.
OCCURRED = "2026-12-01T10:15:00+01:00"


def _log(app: Flask) -> IncidentLog:
    log: IncidentLog = app.extensions["incident_log"]
    return log


def _reported_on_shift(app: Flask, token: str) -> str | None:
    response = app.test_client().post(
        f"{PREFIX}/incidents",
        json=report_body(occurred_at=OCCURRED),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.get_json()
    on_shift: str | None = response.get_json()["mediator_on_shift"]
    return on_shift


def test_a_rota_changed_by_another_process_shows_in_the_next_writes_answer(
    two_apps: tuple[Flask, Flask], monkeypatch: pytest.MonkeyPatch
):
    first, second = two_apps
    log, other = _log(first), _log(second)
    log.register_user(actor="test", name="m-one", role="mediator", offices=[OFFICE])
    log.register_user(actor="test", name="m-two", role="mediator", offices=[OFFICE])
    token = log.issue_token("m-one", actor="test").token
    plan = PlannedShift("m-one", OFFICE, "2026-12-01", "09:00", "12:30")
    shift = log.plan_shift(actor="test", plan=plan).shift
    assert _reported_on_shift(first, token) == "m-one"  # The rota, now kept.

    def no_head() -> int:
        raise AssertionError("A write's answer asked where the log's head is.")

    monkeypatch.setattr(log, "_head", no_head)
    assert _reported_on_shift(first, token) == "m-one"

    other.cancel_shift(shift["id"], actor="test", reason="Malade.")
    assert _reported_on_shift(first, token) is None

    plan = PlannedShift("m-two", OFFICE, "2026-12-01", "10:00", "11:00")
    other.plan_shift(actor="test", plan=plan)
    assert _reported_on_shift(first, token) == "m-two"
    assert _reported_on_shift(first, token) == "m-two"


def test_a_change_of_the_rota_reads_again_only_the_shifts_changed(
    two_apps: tuple[Flask, Flask], monkeypatch: pytest.MonkeyPatch
):
    first, second = two_apps
    log, other = _log(first), _log(second)
    log.register_user(actor="test", name="m-one", role="mediator", offices=[OFFICE])
    token = log.issue_token("m-one", actor="test").token
    tuesdays = [date(2026, 12, 1) + timedelta(weeks=week) for week in range(20)]
    shifts = [
        log.plan_shift(
            actor="test",
            plan=PlannedShift("m-one", OFFICE, day.isoformat(), "09:00", "12:30"),
        ).shift
        for day in tuesdays
    ]
    assert _reported_on_shift(first, token) == "m-one"  # The whole rota, read once.

    read_again: list[object] = []
    get = log.repository.get

    def counted(aggregate_id: UUID, *args: object, **kwargs: object) -> object:
        read_again.append(aggregate_id)
        return get(aggregate_id, *args, **kwargs)

    monkeypatch.setattr(log.repository, "get", counted)
    other.change_shift(
        shifts[0]["id"], actor="test", changes={"start": "10:30"}, reason="Retard."
    )
    assert _reported_on_shift(first, token) is None  # 10:15, before 10:30.
    assert read_again == [shifts[0]["id"]]
