"""`incidents replay` rebuilds the read models; `--check` finds a row altered by hand.

The real command line runs in subprocesses, on a SQLite file and on PostgreSQL,
after `incidents demo` has written a week of incidents.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import psycopg
import pytest

INCIDENTS = Path(sys.executable).with_name("incidents")
REBUILT = re.compile(
    r"Rebuilt the read models from ([\d,]+) events in ([\d.]+) s "
    r"\(([\d,]+) events/s\)\."
)
MATCH = re.compile(r"The read models match a rebuild from the (\d+) events\.")

# Alter one row of the live incident index; return (table, incident id).
Alter = Callable[[], tuple[str, str]]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(INCIDENTS), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def environment(tmp_path: Path, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "INCIDENTS_INSTANCE_PATH": str(tmp_path / "instance"),
        "INCIDENTS_DATABASE_URL": database_url,
    }


def other_category(category: str) -> str:
    return "physical_aggression" if category != "physical_aggression" else "theft"


def replay_then_check_then_tamper(env: dict[str, str], alter: Alter) -> None:
    demo = run(env, "demo", "--weeks", "1")
    assert demo.returncode == 0, demo.stderr
    loaded = re.search(r"Loaded (\d+) incidents \((\d+) events\)", demo.stdout)
    assert loaded is not None, demo.stdout
    incidents, events = int(loaded[1]), int(loaded[2])
    assert incidents > 0

    replay = run(env, "replay")
    assert replay.returncode == 0, replay.stderr
    rebuilt = REBUILT.search(replay.stdout)
    assert rebuilt is not None, replay.stdout
    count = int(rebuilt[1].replace(",", ""))
    rate = int(rebuilt[3].replace(",", ""))
    assert count >= events  # the demo's events, and the offices' and people's
    assert rate > 0
    print(
        f"demo: {incidents} incidents, {events} events; replay: {count} events "
        f"in {rebuilt[2]} s ({rate} events/s)"
    )

    checked = run(env, "replay", "--check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    matched = MATCH.search(checked.stdout)
    assert matched is not None, checked.stdout
    assert int(matched[1]) == count

    table, incident_id = alter()
    tampered = run(env, "replay", "--check")
    output = tampered.stdout + tampered.stderr
    assert tampered.returncode == 1, output
    assert f", incident_id={incident_id}]: category: live" in output
    assert "category" in output
    assert "1 read-model rows differ" in output
    print(f"--check after altering {table} ({incident_id}):\n{output.strip()}")

    again = run(env, "replay")
    assert again.returncode == 0, again.stderr
    assert REBUILT.search(again.stdout) is not None
    clean = run(env, "replay", "--check")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert MATCH.search(clean.stdout) is not None


def test_replay_and_check_on_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    env = environment(tmp_path, f"sqlite:///{path}")

    def alter() -> tuple[str, str]:
        with closing(sqlite3.connect(path)) as connection:
            (generation,) = connection.execute(
                "SELECT generation FROM readmodel_generation WHERE name = 'live'"
            ).fetchone()
            table = f"rm{generation}_incidents"
            incident_id, category = connection.execute(
                f"SELECT incident_id, category FROM {table} "  # noqa: S608
                "ORDER BY incident_id LIMIT 1"
            ).fetchone()
            connection.execute(
                f"UPDATE {table} SET category = ? WHERE incident_id = ?",  # noqa: S608
                (other_category(category), incident_id),
            )
            connection.commit()
        return table, incident_id

    replay_then_check_then_tamper(env, alter)


@pytest.mark.postgres
def test_replay_and_check_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    env = environment(tmp_path, postgres_url)

    def alter() -> tuple[str, str]:
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            row = connection.execute(
                "SELECT generation FROM readmodel_generation WHERE name = 'live'"
            ).fetchone()
            assert row is not None
            table = f"rm{row[0]}_incidents"
            found = connection.execute(
                f"SELECT incident_id, category FROM {table} "  # noqa: S608
                "ORDER BY incident_id LIMIT 1"
            ).fetchone()
            assert found is not None
            incident_id, category = found
            connection.execute(
                f"UPDATE {table} SET category = %s "  # noqa: S608
                "WHERE incident_id = %s",
                (other_category(category), incident_id),
            )
        return table, incident_id

    replay_then_check_then_tamper(env, alter)
