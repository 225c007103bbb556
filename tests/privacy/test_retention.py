"""Retention: contacts are erased a set time after closing, exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from incidents.application import IncidentLog
from incidents.personal_data import RETENTION_ACTOR, retention_cutoff, retention_reason
from projections.projector import Projector
from projections.queries import ReadModels
from projections.retention import erase_contacts_closed_before
from tests.conftest import OpenLog

INCIDENTS = str(Path(sys.executable).with_name("incidents"))


def report(log: IncidentLog, *, contact: bool) -> UUID:
    result = log.report_incident(
        actor="mediatrice",
        office="colombes-aragon",
        occurred_at=datetime.now(UTC) - timedelta(hours=2),
        category="waiting_time",
        severity=0,
        target="staff",
        summary="Attente, usager rappelé plus tard.",
        contact={"phone": "06 39 98 00 11"} if contact else None,
    )
    incident_id: UUID = result.incident["id"]
    return incident_id


def test_erases_exactly_the_contacts_closed_before_the_cutoff_and_only_once(
    durable_database_url: str, make_log: OpenLog
):
    log = make_log(durable_database_url)
    old_closed, old_without_contact, recent_closed, still_open = (
        report(log, contact=True),
        report(log, contact=False),
        report(log, contact=True),
        report(log, contact=True),
    )
    for incident_id in (old_closed, old_without_contact):
        log.close_incident(incident_id, actor="responsable", resolution="need_met")
    time.sleep(0.01)
    cutoff = datetime.now(UTC)
    time.sleep(0.01)
    log.close_incident(recent_closed, actor="responsable", resolution="need_met")
    read_models = ReadModels(Projector(log))
    read_models.projector.catch_up()
    summary_before = read_models.office_summary("colombes-aragon")

    erased = erase_contacts_closed_before(
        log, read_models, cutoff=cutoff, reason=retention_reason(24)
    )

    assert erased == [old_closed]
    assert log.get_incident(old_closed)["contact"] is None
    last = log.get_incident_history(old_closed)[-1]
    assert (last["type"], last["actor"]) == ("PersonalDataErased", RETENTION_ACTOR)
    assert "24 months" in last["data"]["reason"]
    for kept in (recent_closed, still_open):
        assert log.get_incident(kept)["contact"] == {
            "name": None,
            "phone": "06 39 98 00 11",
            "email": None,
        }
    head = log.recorder.max_notification_id()
    assert (
        erase_contacts_closed_before(
            log, read_models, cutoff=cutoff, reason=retention_reason(24)
        )
        == []
    )
    assert log.recorder.max_notification_id() == head
    read_models.projector.catch_up()
    assert read_models.office_summary("colombes-aragon") == summary_before


@pytest.mark.parametrize(
    ("now", "months", "cutoff"),
    [
        (
            datetime(2026, 11, 26, 9, tzinfo=UTC),
            24,
            datetime(2024, 11, 26, 9, tzinfo=UTC),
        ),
        (datetime(2026, 3, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2026, 1, 15, tzinfo=UTC), 13, datetime(2024, 12, 15, tzinfo=UTC)),
    ],
)
def test_the_cutoff_is_whole_calendar_months_back(now, months, cutoff):
    assert retention_cutoff(now, months) == cutoff


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "INCIDENTS_INSTANCE_PATH": str(tmp_path / "instance"),
        "INCIDENTS_DATABASE_URL": f"sqlite:///{tmp_path / 'log.sqlite3'}",
    }
    return subprocess.run(
        [INCIDENTS, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_the_commands_erase_and_apply_the_policy(tmp_path: Path, make_log: OpenLog):
    log = make_log(f"sqlite:///{tmp_path / 'log.sqlite3'}")
    incident_id = report(log, contact=True)

    applied = run(tmp_path, "retention", "apply", "--months", "1")
    erased = run(
        tmp_path, "erase", str(incident_id), "--reason", "Demande de l'usager."
    )
    again = run(tmp_path, "erase", str(incident_id), "--reason", "Encore.")

    assert applied.returncode == 0, applied.stderr
    assert "0 contact(s) erased" in applied.stdout
    assert erased.returncode == 0, erased.stderr
    assert f"Erased the contact of incident {incident_id}." in erased.stdout
    assert again.returncode == 1
    assert "already erased" in again.stderr
    assert log.get_incident(incident_id)["contact"] is None
