"""The read-model benchmark writes a realistic log and reports what it measured.

Other harnesses import ``measure_readmodels``; this runs it on two tiny logs (no
figure is checked, only that every phase, query and ratio is there and the log
it wrote has the shape the benchmark claims).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from benchmarks.readmodels import (
    MEASURED_PHASES,
    QUERIES,
    TARGETS,
    measure_readmodels,
    populate,
)

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import OpenLog


def test_populate_writes_a_history_in_time_order_ending_now(
    tmp_path: Path, make_log: OpenLog
) -> None:
    url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    size = populate(url, 2_000, per_day=250)
    assert 1_800 <= size <= 2_000
    log = make_log(url, load_offices=False)
    stamps = [
        log.mapper.to_domain_event(notification).timestamp
        for notification in log.recorder.select_notifications(1, 5_000)
    ]
    incident_stamps = stamps[20:]  # after the offices
    assert incident_stamps == sorted(incident_stamps)
    now = datetime.now(UTC)
    assert now - timedelta(days=3) < incident_stamps[-1] <= now
    assert incident_stamps[-1] - incident_stamps[0] > timedelta(days=6)
    events = [
        log.mapper.to_domain_event(notification)
        for notification in log.recorder.select_notifications(1, 5_000)
    ]
    types = [type(event).__name__ for event in events]
    # Interleaved: other incidents are reported between the report of the first
    # incident to close and its closure (which of the events just before the
    # closure are reports depends on the time of day the history ends).
    first_close = types.index("Closed")
    closed = events[first_close].originator_id
    reported = next(
        index for index, event in enumerate(events) if event.originator_id == closed
    )
    assert types[reported] == "Reported"
    assert "Reported" in types[reported + 1 : first_close]


def test_measure_readmodels_reports_every_phase_query_and_ratio() -> None:
    result = measure_readmodels(None, [400, 800], repeat=1, samples=3)

    assert result["store"] == "sqlite"
    assert [figures["events"] for figures in result["sizes"]] == [400, 800]
    for figures in result["sizes"]:
        assert set(figures["phases"]) == set(MEASURED_PHASES)
        for measured in figures["phases"].values():
            assert measured["events_per_second"] > 0
            assert measured["peak_mib"] > 0
        assert set(figures["queries"]) == set(QUERIES)
        for times in figures["queries"].values():
            assert 0 < times["p50"] <= times["p95"] <= times["p99"]
    assert set(TARGETS) <= set(result["ratios"])
    assert result["targets"]["rebuild_vs_decode"] == [">=", 0.25]
