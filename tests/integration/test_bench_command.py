"""``incidents bench`` and ``incidents demo --events``, run as a user would.

The benchmark runs here with tiny histories and short phases: these tests check
what it prints, never how fast anything is.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from demo import generate_history
from incidents.application import IncidentLog
from incidents.domain import Incident
from tests.conftest import cheap_password_hasher

INCIDENTS = str(Path(sys.executable).with_name("incidents"))
RATIOS = (
    "report_vs_bare_save",
    "http_vs_bare_save",
    "http_vs_crud",
    "http_p99_ms",
    "group_commit_vs_raw_row_commit",
    "rebuild_vs_decode",
    "verify_vs_raw_read",
    "summary_p95_growth",
    "timeline_p95_growth",
    "asof_vs_rebuild",
    "rebuild_rss_growth",
    "verify_rss_growth",
)
SIZES = ("150", "300", "600")


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Return the environment of a command, without any PostgreSQL server."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("POSTGRES_") and name != "INCIDENTS_BENCH_POSTGRES_URL"
    }
    return {**env, "INCIDENTS_INSTANCE_PATH": str(tmp_path / "instance"), **extra}


def bench(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [INCIDENTS, "bench", "--sizes", *SIZES, "--seconds", "0.2", *args],
        capture_output=True,
        text=True,
        env=environment(tmp_path, **extra),
        timeout=280,
        check=False,
    )


def printed(ran: subprocess.CompletedProcess) -> dict:
    """Return the JSON the command printed; without any, fail with what it said."""
    assert ran.stdout.strip(), f"exit {ran.returncode}, nothing printed:\n{ran.stderr}"
    result: dict = json.loads(ran.stdout)
    return result


def assert_exit_code_tells_targets(ran: subprocess.CompletedProcess, figures: dict):
    missed = [name for name, judged in figures["targets"].items() if not judged["met"]]
    if missed:
        assert ran.returncode == 1, ran.stderr
        assert f"{len(missed)} target(s) missed" in ran.stderr
    else:
        assert ran.returncode == 0, ran.stderr


def check_figures(figures: dict, backend: str) -> None:
    assert "skipped" not in figures, figures
    for name in RATIOS:
        value = figures[name]
        assert isinstance(value, float), (name, value)
        assert math.isfinite(value), (name, value)
        assert value > 0, (name, value)
        assert figures["targets"][name]["met"] in (True, False)
    assert figures["http"]["incidents"]["per_s"] > 0
    assert figures["http"]["crud"]["per_s"] > 0
    assert figures["http"]["web_processes"] == (1 if backend == "sqlite" else 2)
    # CPU a request, served and with no server around it; the ceilings from both.
    assert figures["http"]["incidents"]["cpu_ms"] > 0
    assert figures["http"]["crud"]["cpu_ms"] > 0
    costs = figures["costs"]
    assert set(costs) == {
        "crud_app_ms",
        "report_app_ms",
        "followers_ms",
        "report_command_ms",
    }
    assert all(value > 0 for value in costs.values()), costs
    assert 0 < figures["ceilings"]["http_vs_crud_ceiling"] < 10
    assert figures["ceilings"]["group_commit_vs_raw_row_commit_ceiling"] > 0
    assert list(figures["histories"]) == list(SIZES)
    for size, history in figures["histories"].items():
        assert history["events"] >= int(size)
        assert history["rebuild_peak_mib"] > 0
        assert history["verify_peak_mib"] > 0


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_bench_prints_every_named_ratio_as_a_number_for_sqlite(tmp_path):
    ran = bench(tmp_path, "--json", "--backend", "sqlite")

    result = printed(ran)
    assert_exit_code_tells_targets(ran, result["sqlite"])
    assert result["machine"]["cpus"] >= 1
    assert "postgresql" not in result
    check_figures(result["sqlite"], "sqlite")


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_bench_prints_every_named_ratio_as_a_number_for_postgresql(
    tmp_path, postgres_server
):
    server = (
        f"postgresql://{postgres_server.user}:{postgres_server.password}"
        f"@{postgres_server.host}:{postgres_server.port}/postgres"
    )

    ran = bench(
        tmp_path,
        "--json",
        "--backend",
        "postgresql",
        INCIDENTS_BENCH_POSTGRES_URL=server,
    )

    result = printed(ran)
    assert_exit_code_tells_targets(ran, result["postgresql"])
    assert result["machine"]["postgresql"]
    check_figures(result["postgresql"], "postgresql")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_bench_national_writes_histories_of_400_offices_and_extrapolates(tmp_path):
    ran = subprocess.run(
        [
            *(INCIDENTS, "bench", "--national", "--backend", "sqlite", "--json"),
            *("--events", "2000", "--events", "4000"),
        ],
        capture_output=True,
        text=True,
        env=environment(tmp_path),
        timeout=280,
        check=False,
    )

    result = printed(ran)
    figures = result["sqlite"]
    assert_exit_code_tells_targets(ran, figures)
    assert figures["offices"] == 400
    assert list(figures["histories"]) == ["2000", "4000"]
    for size, written in figures["histories"].items():
        assert written["events"] >= int(size)
        assert written["summary_ms"]["p95_ms"] > 0
        assert written["verify_per_s"] > 0
    assert figures["extrapolated"]["events"] == 30_000_000
    assert figures["extrapolated"]["rebuild_minutes"] > 0
    for name in ("summary_p95_growth", "rebuild_rate_kept", "verify_rss_growth"):
        assert math.isfinite(figures[name])


def test_bench_refuses_events_without_national(tmp_path):
    refused = bench(tmp_path, "--events", "2000")

    assert refused.returncode == 2
    assert "--national" in refused.stderr


def test_bench_refuses_postgresql_without_a_server(tmp_path):
    refused = bench(tmp_path, "--backend", "postgresql")

    assert refused.returncode == 2
    assert "INCIDENTS_BENCH_POSTGRES_URL" in refused.stderr


def test_bench_says_clearly_that_a_server_cannot_be_used(tmp_path):
    refused = bench(
        tmp_path,
        "--backend",
        "postgresql",
        INCIDENTS_BENCH_POSTGRES_URL="postgresql://bench:s3cret@127.0.0.1:9/postgres",
    )

    assert refused.returncode == 1
    assert "Cannot use the PostgreSQL server postgresql://bench:***@" in refused.stderr
    assert "s3cret" not in refused.stderr
    assert "Traceback" not in refused.stderr


def test_bench_refuses_sizes_that_do_not_grow(tmp_path):
    refused = subprocess.run(
        [INCIDENTS, "bench", "--sizes", "300", "200", "400"],
        capture_output=True,
        text=True,
        env=environment(tmp_path),
        timeout=60,
        check=False,
    )

    assert refused.returncode == 2
    assert "three growing sizes" in refused.stderr


def memory_log(now: datetime) -> IncidentLog:
    return IncidentLog(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"},
        password_hasher=cheap_password_hasher(),
        clock=lambda: now,
    )


def stored(log: IncidentLog) -> list[tuple[object, ...]]:
    return [
        (event["aggregate_id"], event["version"], event["type"], event["data"])
        for event in log.iter_history()
    ]


def test_a_generated_history_is_the_same_for_the_same_seed_and_day():
    now = datetime(2026, 3, 14, 16, 30, tzinfo=UTC)
    first, second = memory_log(now), memory_log(now)

    one = generate_history(first, events=1500, today=now.date(), seed=7)
    two = generate_history(second, events=1500, today=now.date(), seed=7)

    assert one.events == two.events >= 1500
    assert stored(first) == stored(second)
    third = memory_log(now)
    generate_history(third, events=1500, today=now.date(), seed=8)
    assert stored(third) != stored(first)


def test_a_generated_history_ends_today_and_is_recorded_as_it_happened():
    now = datetime(2026, 3, 14, 16, 30, tzinfo=UTC)
    log = memory_log(now)

    written = generate_history(log, events=3000, today=now.date())

    history = [
        event
        for event in log.iter_history()
        if (event["topic"] or "").startswith("incidents:Incident.")
    ]
    incidents = [event for event in history if event["type"] == "Reported"]
    assert written.incidents == len(incidents)
    assert written.first_day < written.last_day == now.date()
    assert max(event["recorded_at"] for event in history) <= now
    days = {event["recorded_at"].date() for event in incidents}
    assert min(days) == written.first_day
    by_incident: dict[object, list[datetime]] = {}
    for event in history:
        by_incident.setdefault(event["aggregate_id"], []).append(event["recorded_at"])
    for times in by_incident.values():
        assert times == sorted(times)
        assert len(set(times)) == len(times)
    # Read back through the domain: every story obeyed the rules.
    for event in incidents[:200]:
        assert isinstance(log.repository.get(event["aggregate_id"]), Incident), event


def test_demo_events_writes_a_history_the_read_models_and_ledger_accept(tmp_path):
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    env = environment(tmp_path, INCIDENTS_DATABASE_URL=url)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [INCIDENTS, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )

    written = run("demo", "--events", "2000")
    replayed = run("replay")
    verified = run("verify")

    assert written.returncode == 0, written.stderr
    assert "Wrote " in written.stdout
    assert "sign-ins are in" in written.stdout
    assert (tmp_path / "instance" / "demo-credentials.txt").exists()
    assert replayed.returncode == 0, replayed.stderr
    assert verified.returncode == 0, verified.stderr
    from incidents.bootstrap import open_incident_log

    log = open_incident_log(url)
    assert (log.recorder.max_notification_id() or 0) >= 2000
    reported = [event for event in log.iter_history() if event["type"] == "Reported"]
    assert reported[-1]["recorded_at"].date() <= date.today()
