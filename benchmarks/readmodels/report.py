"""Report the read-model benchmark: a table per size, and the ratios it targets."""

from __future__ import annotations

from typing import Any

MEASURED_PHASES = ("read", "rebuild", "check")
QUERIES = (
    "summary",
    "incident_timeline",
    "office_timeline",
    "office_timeline_all",
    "asof_summary",
)
# The targets, for the report (ratios measured in one run).
TARGETS = {
    "rebuild_vs_decode": (">=", 0.25),
    "summary_p95_growth": ("<=", 1.5),
    "timeline_p95_growth": ("<=", 1.5),
    "asof_vs_rebuild": ("<", 0.02),
    "rebuild_rss_growth": ("<=", 1.2),
    "check_rss_growth": ("<=", 1.2),
}


def ratios(sizes: list[dict[str, Any]]) -> dict[str, float]:
    """Compute the ratios the issue names, from figures sorted by size."""
    small, large = sizes[0], sizes[-1]
    before = sizes[-2] if len(sizes) > 1 else small
    phases, queries = large["phases"], large["queries"]

    def growth(query: str) -> float:
        return float(queries[query]["p95"] / small["queries"][query]["p95"])

    def rss(name: str) -> float:
        return float(phases[name]["peak_mib"] / before["phases"][name]["peak_mib"])

    return {
        "rebuild_vs_decode": phases["rebuild"]["events_per_second"]
        / phases["read"]["events_per_second"],
        "summary_p95_growth": growth("summary"),
        "timeline_p95_growth": growth("incident_timeline"),
        "office_timeline_p95_growth": growth("office_timeline"),
        "office_timeline_all_p95_growth": growth("office_timeline_all"),
        "asof_vs_rebuild": queries["asof_summary"]["p95"]
        / phases["rebuild"]["seconds"],
        "rebuild_rss_growth": rss("rebuild"),
        "check_rss_growth": rss("check"),
    }


def size_lines(figures: dict[str, Any], *, phases: bool = True) -> str:
    """Return the lines of one size's table: its phases, then its queries."""
    lines = [
        f"{figures['events']:,} events, about {figures['days']:,} days of history:"
    ]
    read_rate = figures["phases"]["read"]["events_per_second"]
    for name in MEASURED_PHASES if phases else ():
        measured = figures["phases"][name]
        lines.append(
            f"  {name:<8} {measured['events_per_second']:>10,.0f} events/s "
            f"({measured['events_per_second'] / read_rate:4.2f} x read) "
            f"{measured['seconds']:8.2f} s  peak {measured['peak_mib']:5.0f} MiB"
        )
    for name in QUERIES if "queries" in figures else ():
        times = figures["queries"][name]
        lines.append(
            f"  {name:<20} p50 {times['p50'] * 1000:8.2f} ms  "
            f"p95 {times['p95'] * 1000:8.2f} ms  p99 {times['p99'] * 1000:8.2f} ms"
        )
    return "\n".join(lines)


def print_report(result: dict[str, Any], *, sizes_printed: bool = False) -> None:
    """Print the figures of :func:`measure_readmodels` and its ratios."""
    if not sizes_printed:
        for figures in result["sizes"]:
            print(size_lines(figures))
    print(
        "ratios (largest size; query growth against the smallest, memory against "
        "the size before):"
    )
    for name, value in result["ratios"].items():
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            comparison, limit = target
            met = {
                ">=": value >= limit,
                "<=": value <= limit,
                "<": value < limit,
            }[comparison]
            verdict = f"  (target {comparison} {limit}: {'met' if met else 'MISSED'})"
        print(f"  {name:<32} {value:8.3f}{verdict}")
