"""Measure a history shaped like the national scheme: 400 offices, years of stories.

``incidents bench --national`` writes, for each size, the demo's stories
(:func:`demo.generate_history`) over a catalogue of 400 offices, as many days
back from today as the size takes (about 2,800 events a calendar day, so ten
years are about 11 million events), then measures what
:mod:`benchmarks.history` measures at every size: rebuild and verify rates,
their peak memory, and the summary, timeline and as-of p95 over random offices
and incidents. The growth from the smallest size to the largest is judged
against the issue's targets, and the largest size's rates are extrapolated
linearly to 30,000,000 events (rebuild and verify read every event once; the
queries read bounded rows through indexes).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from benchmarks import history
from benchmarks.stores import Stores

OFFICES = 400
SIZES = (1_000_000, 5_000_000)
QUICK_SIZES = (100_000, 500_000)
EXTRAPOLATED_EVENTS = 30_000_000


def national_offices(count: int = OFFICES) -> list[dict[str, str]]:
    """Return a catalogue of ``count`` offices, named in turn."""
    return [
        {
            "code": f"bureau-{number:03d}",
            "name": f"Bureau de poste {number:03d}",
            "city": f"Commune {number:03d}",
        }
        for number in range(1, count + 1)
    ]


# name: (bound, at_least)
TARGETS: Mapping[str, tuple[float, bool]] = {
    "summary_p95_growth": (1.2, False),
    "timeline_p95_growth": (1.2, False),
    "asof_p95_growth": (1.2, False),
    "rebuild_rate_kept": (0.9, True),
    "verify_rate_kept": (0.9, True),
    "rebuild_rss_growth": (1.2, False),
    "verify_rss_growth": (1.2, False),
}


def judge(figures: Mapping[str, float]) -> dict[str, dict[str, Any]]:
    """Say, for each target, the ratio measured and whether it is met."""
    judged = {}
    for name, (bound, at_least) in TARGETS.items():
        value = figures[name]
        judged[name] = {
            "value": value,
            "target": f"{'>=' if at_least else '<='} {bound:g}",
            "met": value >= bound if at_least else value <= bound,
        }
    return judged


def ratios(small: Mapping[str, Any], large: Mapping[str, Any]) -> dict[str, float]:
    """Return how the largest history compares with the smallest."""

    def growth(query: str) -> float:
        return float(large[query]["p95_ms"] / small[query]["p95_ms"])

    return {
        "summary_p95_growth": growth("summary_ms"),
        "timeline_p95_growth": growth("timeline_ms"),
        "asof_p95_growth": growth("asof_summary_ms"),
        "rebuild_rate_kept": large["rebuild_per_s"] / small["rebuild_per_s"],
        "verify_rate_kept": large["verify_per_s"] / small["verify_per_s"],
        "rebuild_rss_growth": large["rebuild_peak_mib"] / small["rebuild_peak_mib"],
        "verify_rss_growth": large["verify_peak_mib"] / small["verify_peak_mib"],
    }


def extrapolate(large: Mapping[str, Any]) -> dict[str, float]:
    """Return the largest size's figures carried linearly to 30,000,000 events."""
    scale = EXTRAPOLATED_EVENTS / large["events"]
    return {
        "events": EXTRAPOLATED_EVENTS,
        "rebuild_minutes": EXTRAPOLATED_EVENTS / large["rebuild_per_s"] / 60,
        "verify_minutes": EXTRAPOLATED_EVENTS / large["verify_per_s"] / 60,
        "store_gib": large["store_mib"] * scale / 1024,
        "write_hours": EXTRAPOLATED_EVENTS / large["generated_per_s"] / 3600,
    }


def run_backend(
    backend: str,
    sizes: list[int],
    postgres_url: str | None,
    *,
    repeat: int,
    samples: int,
    budget: float,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Write and measure every size on one backend; return figures and ratios."""
    with (
        tempfile.TemporaryDirectory(prefix="incidents-national-") as name,
        Stores(backend, Path(name), postgres_url) as stores,
    ):
        histories = history.measure(
            stores,
            Path(name),
            sizes,
            repeat=repeat,
            samples=samples,
            budget=budget,
            say=say,
            offices=national_offices(),
        )
    small, large = histories[str(sizes[0])], histories[str(sizes[-1])]
    figures = ratios(small, large)
    return {
        **figures,
        "targets": judge(figures),
        "offices": OFFICES,
        "histories": histories,
        "extrapolated": extrapolate(large),
    }


def render(result: Mapping[str, Any]) -> list[str]:
    """Return one backend's national figures as lines of text."""
    lines = [
        f"  {result['offices']} offices",
        "  events     first day   written/s  rebuild/s  MiB  verify/s  MiB"
        "  summary p95  timeline p95  as-of p95  store MiB",
    ]
    for size in result["histories"].values():
        lines.append(
            f"  {size['events']:>9,} {size['first_day']:>11} "
            f"{size['generated_per_s']:>10,.0f} {size['rebuild_per_s']:>10,.0f} "
            f"{size['rebuild_peak_mib']:>4.0f} {size['verify_per_s']:>9,.0f} "
            f"{size['verify_peak_mib']:>4.0f} "
            f"{size['summary_ms']['p95_ms']:>10.2f}ms "
            f"{size['timeline_ms']['p95_ms']:>11.2f}ms "
            f"{size['asof_summary_ms']['p95_ms']:>8.2f}ms "
            f"{size.get('store_mib', 0):>10,.0f}"
        )
    carried = result["extrapolated"]
    lines.append(
        f"  at {carried['events']:,} events (linear): rebuild "
        f"{carried['rebuild_minutes']:.0f} min, verify {carried['verify_minutes']:.0f}"
        f" min, store {carried['store_gib']:.0f} GiB, writing it "
        f"{carried['write_hours']:.1f} h"
    )
    for name, judged in result["targets"].items():
        verdict = "met" if judged["met"] else "MISSED"
        lines.append(
            f"  {name:<24} {judged['value']:>8.3f}  {judged['target']:<8} {verdict}"
        )
    return lines
