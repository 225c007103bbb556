"""A projector killed at any moment leaves nothing missed and nothing counted twice.

A few thousand events are written, then a child process applies them to the
read models (batches of 50) and is killed with SIGKILL part-way. The test process
then resumes from the tracking position, and the result must equal a rebuild
from scratch, with exactly one row per event in the audit trail.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from incidents.application import IncidentLog, load_default_offices
from incidents.domain import Incident
from projections import replay
from projections.projector import Projector

if TYPE_CHECKING:
    from tests.conftest import OpenLog

PARIS = ZoneInfo("Europe/Paris")
OFFICES = [office["code"] for office in load_default_offices()]
ROOT = Path(__file__).resolve().parents[2]
INCIDENTS_WRITTEN = 1200  # 6 events each
START_TIMEOUT = 60

CATCH_UP = """
import sys
from incidents.bootstrap import open_incident_log
from projections.projector import Projector

Projector(open_incident_log(sys.argv[1]), batch_size=50).catch_up()
"""


def write_history(log: IncidentLog) -> int:
    """Write several thousand events quickly (100 incidents per transaction)."""
    now = datetime.now(UTC)
    today = now.astimezone(PARIS).date()
    pending: list[Incident] = []
    for number in range(INCIDENTS_WRITTEN):
        incident = Incident.report(
            actor="mediator-1",
            office=OFFICES[number % len(OFFICES)],
            occurred_at=now - timedelta(minutes=7 * number),
            category=("threat", "waiting_time", "theft")[number % 3],
            severity=number % 5,
            target="staff",
            summary="Usager énervé par l'attente.",
            contact={"phone": "06 12 34 56 78"} if number % 7 == 0 else None,
            now=now,
        )
        incident.record_de_escalation(
            actor="mediator-1",
            techniques=["active_listening"],
            outcome=("calmed", "left")[number % 2],
        )
        incident.escalate(actor="officer-1", to="office_manager")
        follow_up_id = uuid4()
        incident.schedule_follow_up(
            actor="mediator-1",
            follow_up_id=follow_up_id,
            kind="association_debrief",
            due_on=today + timedelta(days=number % 5 - 2),
        )
        if number % 2:
            incident.complete_follow_up(actor="mediator-1", follow_up_id=follow_up_id)
            incident.close(actor="officer-1", resolution="need_met")
        else:
            incident.amend(
                actor="officer-1",
                changes={"category": "other"},
                reason="Correction.",
                now=now,
            )
        pending.append(incident)
        if len(pending) == 100:
            log.save(*pending)
            pending.clear()
    log.save(*pending)
    # And a few through the commands, as the product writes them.
    for number in range(5):
        result = log.report_incident(
            actor="mediator-1",
            office=OFFICES[0],
            occurred_at=now - timedelta(hours=number),
            category="threat",
            severity=2,
            target="mediator",
            summary="Menace au guichet.",
        )
        log.add_note(result.incident["id"], actor="officer-1", text="Vu.")
    return log.recorder.max_notification_id() or 0


def child_command(mode: str, database_url: str) -> list[str]:
    if mode == "catch_up":
        return [sys.executable, "-c", CATCH_UP, database_url]
    return [
        str(Path(sys.executable).with_name("incidents")),
        "project",
        "--poll-interval",
        "0.05",
    ]


@pytest.mark.parametrize("mode", ["catch_up", "incidents_project"])
def test_a_projector_killed_part_way_resumes_exactly_once(
    durable_database_url: str, make_log: OpenLog, mode: str, tmp_path: Path
) -> None:
    log = make_log(durable_database_url)
    head = write_history(log)
    assert head > 5000
    projector = Projector(log)  # creates the tables before the child starts
    assert projector.position() == 0

    env = {
        **os.environ,
        "INCIDENTS_DATABASE_URL": durable_database_url,
        "INCIDENTS_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    child = subprocess.Popen(
        child_command(mode, durable_database_url),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        # Let it apply a good part first, so that it is killed far from the start.
        seen, enough = 0, head // 3
        while seen < enough:
            if child.poll() is not None:
                _, stderr = child.communicate()
                pytest.fail(
                    f"The child ended (exit {child.returncode}) before it was "
                    f"killed, at position {projector.position()} of {head}:\n"
                    + stderr.decode(errors="replace")
                )
            assert time.monotonic() < deadline, "the child applied nothing"
            seen = projector.position()
            if seen < enough:
                time.sleep(0.001)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:  # pragma: no cover - only if an assert failed
            os.kill(child.pid, signal.SIGKILL)
            child.wait(10)
        child.communicate()
    assert child.returncode == -signal.SIGKILL

    killed_at = projector.position()
    assert 0 < killed_at < head, (killed_at, head)
    assert killed_at % 50 == 0  # whole batches only (of 50, or of 500)

    resumed = Projector(log).catch_up()
    reached = projector.position()
    print(
        f"[{mode}] killed at position {killed_at} of {head}; resumed with "
        f"{resumed} events to position {reached}"
    )

    assert reached == head
    assert killed_at + resumed == head  # nothing applied twice, nothing skipped
    with projector.database.transaction(write=False) as cursor:
        audit = projector.live_tables(cursor).name("events")
        cursor.execute(
            f"SELECT COUNT(*), COUNT(DISTINCT position), MIN(position), "  # noqa: S608
            f"MAX(position) FROM {audit}"
        )
        assert cursor.fetchone() == (head, head, 1, head)
    result = replay.check(projector)
    assert result.position == head
    assert result.differences == []
